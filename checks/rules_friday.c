/* rules_friday.c: Friday's rules (F-01, F-02, F-05, F-07). From the
 * efficiency counters (bpf/efficiency.c) with syscount's and diskhealth's
 * rates, the efficiency figures per busy process and for the host: CPU
 * time per syscall, per I/O and per byte moved, context switches per CPU
 * second, and IPC where the PMU answered; they go into report.efficiency.
 * From the waste collector (bpf/waste.c), the unnecessary-work findings,
 * each naming the process: a missing file opened again and again, the
 * same syscall failing with the same errno in a loop, the same file
 * opened again and again, polls that return with nothing ready, and
 * children that exit within milliseconds. Thresholds are heuristics
 * (METHODOLOGY.md F-07 gives none), chosen from the known workloads. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/friday.h"
#include "checks/judge.h"
#include "checks/rules_probe.h"

enum {
	TH_FAILED_OPEN, TH_ERROR_LOOP, TH_REOPEN, TH_EMPTY_POLL, TH_SHORT_CHILD,
};

static const struct threshold fr_thresholds[] = {
	[TH_FAILED_OPEN] = { "same_failed_open_per_s", 50,
		"F-07 [S8 2.5.11, S26] heur: a compiler's header search fails ~1 k opens/s "
		"but each file a few times; one file failing 50 times a second is a loop" },
	[TH_ERROR_LOOP] = { "same_syscall_errno_per_s", 1000,
		"F-07, F-05 heur: as syscalls.errors (1 k errors/s), for one syscall and errno" },
	[TH_REOPEN] = { "same_file_opens_per_s", 100,
		"F-07 heur (\"do it, but don't do it again\": cache the descriptor) [S8 2.5.20]" },
	[TH_EMPTY_POLL] = { "empty_polls_per_s", 500,
		"F-07 heur (\"do it less\" [S8 2.5.20]): a poll timing out 500 times a second "
		"waits 2 ms or less, a busy wait" },
	[TH_SHORT_CHILD] = { "children_under_10ms_per_s", 5,
		"F-07, TH-09 heur (execsnoop short-lived processes [S26]); process churn "
		"scenario makes 100+/s" },
};

const struct finding_def friday_rule_findings[] = {
	{ "cpu.efficiency", "cpu", "Efficiency figures (Friday)",
	  "F-01, F-02, F-05 [S3, S17, S23]",
	  "Compare with a baseline: friday run --baseline ARCHIVE (F-01)" },
	{ "syscalls.failed_open_loop", "syscalls", "A process opens a missing file again and again",
	  "F-07 [S8 2.5.11, S26] heur", "Don't do it: fix the path, or remember that it is "
	  "missing (opensnoop -x to see the calls)" },
	{ "syscalls.error_loop", "syscalls", "A process repeats a failing syscall",
	  "F-07, F-05 [S8 2.5.11] heur", "Don't do it: back off or block instead of retrying "
	  "(strace -f -e trace=NAME -p PID)" },
	{ "filesystem.reopen_loop", "filesystem", "A process opens the same file again and again",
	  "F-07 [S8 2.5.20] heur", "Do it, but don't do it again: keep the file open or cache "
	  "its content" },
	{ "syscalls.busy_polling", "syscalls", "A process polls with nothing ready (busy polling)",
	  "F-07 [S8 2.5.20] heur", "Do it less: a longer timeout, or block on the event" },
	{ "processes.short_lived_children", "processes",
	  "A process spawns children that exit within milliseconds",
	  "F-07, TH-09 [S8 2.5.11, S26] heur", "Don't do it, or do it in-process: a builtin or "
	  "a library call instead of a child" },
	{ NULL },
};

static json_t *proc_json(json_t *e)
{
	return json_pack("{s:s, s:i}", "comm", jstr(e, "comm"), "pid", (int)jnum(e, "pid"));
}

static json_t *evidence(int th, double figure, const char *unit, json_t *e)
{
	json_t *ev = rule_evidence(&fr_thresholds[th], figure, unit, "waste");

	json_object_set_new(ev, "process", proc_json(e));
	return ev;
}

static void open_findings(struct report *r, json_t *w)
{
	json_t *e, *ev;
	size_t i;

	json_array_foreach(json_object_get(w, "opens"), i, e) {
		double rate = jnum(e, "per_s");
		bool failed = jnum(e, "errno") != 0;
		int th = failed ? TH_FAILED_OPEN : TH_REOPEN;

		if (rate < fr_thresholds[th].value)
			continue;
		ev = evidence(th, rate, "opens/s", e);
		json_object_set_new(ev, "file", json_string(jstr(e, "file")));
		if (failed) {
			json_object_set_new(ev, "error", json_string(jstr(e, "error")));
			report_add_finding(r, "syscalls.failed_open_loop", SEV_WARNING, ev,
					   "%s (pid %d) opened the missing %s %.0f times a second (%s), "
					   "%.0f times in %.1f s.", jstr(e, "comm"), (int)jnum(e, "pid"),
					   jstr(e, "file"), rate, jstr(e, "error"), jnum(e, "count"),
					   jnum(w, "window_s"));
		} else {
			report_add_finding(r, "filesystem.reopen_loop", SEV_WARNING, ev,
					   "%s (pid %d) opened %s %.0f times a second, %.0f times in "
					   "%.1f s.", jstr(e, "comm"), (int)jnum(e, "pid"), jstr(e, "file"),
					   rate, jnum(e, "count"), jnum(w, "window_s"));
		}
	}
}

/* A failing openat already reported with its file is not said twice. */
static bool open_reported(struct report *r, int pid)
{
	json_t *f;
	size_t i;

	json_array_foreach(report_get(r, "findings"), i, f)
		if (!strcmp(jstr(f, "id"), "syscalls.failed_open_loop") &&
		    jpath_num(f, "evidence.process.pid") == pid)
			return true;
	return false;
}

static void error_findings(struct report *r, json_t *w)
{
	json_t *e, *ev;
	size_t i;

	json_array_foreach(json_object_get(w, "errors"), i, e) {
		double rate = jnum(e, "per_s");

		if (rate < fr_thresholds[TH_ERROR_LOOP].value ||
		    (!strncmp(jstr(e, "syscall"), "open", 4) && open_reported(r, (int)jnum(e, "pid"))))
			continue;
		ev = evidence(TH_ERROR_LOOP, rate, "errors/s", e);
		json_object_set_new(ev, "syscall", json_string(jstr(e, "syscall")));
		json_object_set_new(ev, "error", json_string(jstr(e, "error")));
		report_add_finding(r, "syscalls.error_loop", SEV_WARNING, ev, "%s (pid %d): %s failed "
				   "with %s %.0f times a second.", jstr(e, "comm"), (int)jnum(e, "pid"),
				   jstr(e, "syscall"), jstr(e, "error"), rate);
	}
}

static void poll_findings(struct report *r, json_t *w)
{
	json_t *e, *ev;
	size_t i;

	json_array_foreach(json_object_get(w, "empty_polls"), i, e) {
		double rate = jnum(e, "zero_per_s");

		if (rate < fr_thresholds[TH_EMPTY_POLL].value)
			continue;
		ev = evidence(TH_EMPTY_POLL, rate, "empty returns/s", e);
		json_object_set_new(ev, "syscall", json_string(jstr(e, "syscall")));
		json_object_set_new(ev, "calls_per_s", json_real(jnum(e, "calls_per_s")));
		report_add_finding(r, "syscalls.busy_polling", SEV_WARNING, ev, "%s (pid %d): %.0f of "
				   "its %.0f %s calls a second return with nothing ready.",
				   jstr(e, "comm"), (int)jnum(e, "pid"), rate, jnum(e, "calls_per_s"),
				   jstr(e, "syscall"));
	}
}

static void child_findings(struct report *r, json_t *w)
{
	json_t *e, *ev;
	size_t i;

	json_array_foreach(json_object_get(w, "short_lived_children"), i, e) {
		double rate = jnum(e, "short_lived_per_s");

		if (rate < fr_thresholds[TH_SHORT_CHILD].value)
			continue;
		ev = evidence(TH_SHORT_CHILD, rate, "children/s", e);
		json_object_set_new(ev, "child_comm", json_string(jstr(e, "child_comm")));
		json_object_set_new(ev, "mean_life_ms", json_real(jnum(e, "mean_short_life_ms")));
		report_add_finding(r, "processes.short_lived_children", SEV_WARNING, ev,
				   "%s (pid %d) spawns %.0f children a second that exit within %.0f ms "
				   "(the last: %s, %.1f ms on average).", jstr(e, "comm"),
				   (int)jnum(e, "pid"), rate, jnum(w, "short_life_under_ms"),
				   jstr(e, "child_comm"), jnum(e, "mean_short_life_ms"));
	}
}

/* A process's entry in a collector's per-process list, by pid. */
static json_t *by_pid(json_t *list, int pid)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if ((int)jnum(e, "pid") == pid)
			return e;
	return NULL;
}

/* Sums diskhealth's per-process I/O counts and bytes for one pid (-1: all). */
static void disk_io(json_t *dh, int pid, double *ios, double *bytes)
{
	json_t *e;
	size_t i;

	*ios = *bytes = 0;
	json_array_foreach(json_object_get(dh, "processes"), i, e)
		if (pid < 0 || (int)jnum(e, "pid") == pid) {
			*ios += jnum(e, "reads") + jnum(e, "writes");
			*bytes += jnum(e, "bytes");
		}
}

/* CPU per unit of work: CPU ms a second (efficiency window) over units a
 * second (syscount's and diskhealth's windows, Tuesday's). */
static void per_unit(json_t *o, double cpu_ms_per_s, double syscalls_per_s, double ios_per_s,
		     double bytes_per_s)
{
	if (syscalls_per_s > 0)
		json_object_set_new(o, "cpu_us_per_syscall", json_real(1e3 * cpu_ms_per_s / syscalls_per_s));
	if (ios_per_s > 0)
		json_object_set_new(o, "cpu_us_per_io", json_real(1e3 * cpu_ms_per_s / ios_per_s));
	if (bytes_per_s > 0)
		json_object_set_new(o, "cpu_ns_per_byte", json_real(1e6 * cpu_ms_per_s / bytes_per_s));
	if (cpu_ms_per_s > 0)
		json_object_set_new(o, "context_switches_per_cpu_s",
				    json_real(jnum(o, "context_switches_per_s") / (cpu_ms_per_s / 1e3)));
}

static json_t *efficiency_of(json_t *fig, double window_s)
{
	json_t *o = json_deep_copy(fig);

	json_object_set_new(o, "cpu_ms_per_s", json_real(window_s > 0 ? jnum(fig, "cpu_ms") /
							  window_s : 0));
	return o;
}

static void judge_efficiency(struct report *r)
{
	json_t *m = judge_measurements(r, "efficiency"), *sc = judge_measurements(r, "syscount");
	json_t *dh = judge_measurements(r, "diskhealth"), *eff, *host, *procs, *p;
	double w = jnum(m, "window_s"), dw = jnum(dh, "window_s"), ios, bytes;
	size_t i;

	if (!m)
		return;
	eff = report_get(r, "efficiency");
	host = efficiency_of(json_object_get(m, "host"), w);
	disk_io(dh, -1, &ios, &bytes);
	per_unit(host, jnum(host, "cpu_ms_per_s"), jpath_num(sc, "total.rate_per_s"),
		 dw > 0 ? ios / dw : 0, dw > 0 ? bytes / dw : 0);
	json_object_set_new(eff, "host", host);
	json_object_set(eff, "hardware", json_object_get(m, "hardware"));
	json_object_set_new(eff, "units_from", json_string("CPU time from the efficiency counters' "
		"window; syscalls from syscount's, I/O from diskhealth's (Tuesday): steady load assumed"));
	procs = json_array();
	json_array_foreach(json_object_get(m, "processes"), i, p) {
		json_t *o = efficiency_of(p, w), *s = by_pid(json_object_get(sc, "processes"),
							       (int)jnum(p, "pid"));

		disk_io(dh, (int)jnum(p, "pid"), &ios, &bytes);
		per_unit(o, jnum(o, "cpu_ms_per_s"), jnum(s, "rate_per_s"), dw > 0 ? ios / dw : 0,
			 dw > 0 ? bytes / dw : 0);
		json_array_append_new(procs, o);
	}
	json_object_set_new(eff, "processes", procs);
	p = json_array_get(procs, 0);
	report_add_finding(r, "cpu.efficiency", SEV_INFO, json_deep_copy(eff),
		"Host: %.0f CPU ms/s, %.0f context switches per CPU second%s%s; %s%s%s%s.",
		jnum(host, "cpu_ms_per_s"), jnum(host, "context_switches_per_cpu_s"),
		json_object_get(host, "ipc") ? ", IPC " : "",
		json_object_get(host, "ipc") ? "measured" : "",
		jpath_str(m, "hardware.reason") ? jpath_str(m, "hardware.reason") : "",
		p ? "; busiest: " : "", p ? jstr(p, "comm") : "", p ? " (see evidence)" : "");
}

void judge_friday(struct report *r)
{
	json_t *w = judge_measurements(r, "waste");

	judge_efficiency(r);
	if (!w)
		return;
	open_findings(r, w);
	error_findings(r, w);
	poll_findings(r, w);
	child_findings(r, w);
}
