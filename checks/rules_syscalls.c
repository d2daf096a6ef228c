/* rules_syscalls.c: the syscalls health rule. Reads syscount's results
 * (report.measurements.syscount): one process making syscalls at a storm
 * rate implicates syscalls (F-05: "do it less", batch); a high rate
 * host-wide makes them suspect; failing syscalls are reported. futex
 * calls are left out of a process's storm rate: a contended lock makes
 * them by the hundred thousand, and the locks rule judges that (M-LA-4,
 * W-03), so one cause is not blamed on two subsystems. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

enum { TH_PROC_IMPLICATED, TH_PROC_SUSPECT, TH_HOST_SUSPECT, TH_ERRORS, TH_ERROR_SHARE };

static const struct threshold sc_thresholds[] = {
	[TH_PROC_IMPLICATED] = { "process_syscalls_per_s_implicated", 100000,
		"measured on syscall storm (dd bs=1: 1.1 M/s alone, 210 k/s on a busy 2-CPU host); "
		"the busiest ordinary processes here (browser, linker) stay under 10 k/s" },
	[TH_PROC_SUSPECT] = { "process_syscalls_per_s_suspect", 20000,
		"measured: twice the busiest ordinary process seen on this host" },
	[TH_HOST_SUSPECT] = { "host_syscalls_per_s_suspect", 200000,
		"measured: parallel builds and a browser together made 23-48 k/s here" },
	[TH_ERRORS] = { "process_errors_per_s", 1000,
		"F-05 [S23, S8]; measured: compilers fail ~1 k/s (missing headers)" },
	[TH_ERROR_SHARE] = { "process_error_share", 0.5, "F-05: most of its syscalls fail" },
};

const struct finding_def syscalls_rule_findings[] = {
	{ "syscalls.storm", "syscalls", "A process makes syscalls at a storm rate",
	  "F-05 [S23, S8]; TH-06; threshold measured on syscall storm",
	  "Batch or buffer (larger I/O sizes, fewer calls): do it less" },
	{ "syscalls.errors", "syscalls", "A process's syscalls mostly fail",
	  "F-05 [S23, S8]; USE errors [S8 2.5.9]",
	  "strace -f -e trace=NAME -p PID to see the failing calls and their errno" },
	{ NULL },
};

/* The first of a process's top syscalls that is not futex. */
static json_t *top_non_futex(json_t *p)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(p, "top_syscalls"), i, s)
		if (!jpath_str(s, "name") || strcmp(jpath_str(s, "name"), "futex"))
			return s;
	return NULL;
}

static void storm_finding(struct report *r, json_t *p, double rate, enum verdict v)
{
	json_t *top = top_non_futex(p), *ev;
	const char *comm = jpath_str(p, "comm") ? jpath_str(p, "comm") : "?";
	const char *sys = jpath_str(top, "name") ? jpath_str(top, "name") : "?";

	ev = rule_evidence(&sc_thresholds[v == VERDICT_IMPLICATED ? TH_PROC_IMPLICATED :
			   TH_PROC_SUSPECT], rate, "syscalls/s", "syscount");
	json_object_set_new(ev, "process", json_pack("{s:s, s:i}", "comm", comm,
						     "pid", (int)jpath_num(p, "pid")));
	json_object_set_new(ev, "top_syscalls", json_deep_copy(json_object_get(p, "top_syscalls")));
	report_add_finding(r, "syscalls.storm", v == VERDICT_IMPLICATED ? SEV_WARNING : SEV_INFO,
			   ev, "%s (pid %d) makes %.0f syscalls/s besides futex, mostly %s (%.0f/s).",
			   comm, (int)jpath_num(p, "pid"), rate, sys, jpath_num(top, "rate_per_s"));
}

static void error_findings(struct report *r, json_t *m)
{
	json_t *p, *ev;
	size_t i;

	json_array_foreach(json_object_get(m, "processes"), i, p) {
		double errs = jpath_num(p, "errors_per_s"), rate = jpath_num(p, "rate_per_s");

		if (errs < sc_thresholds[TH_ERRORS].value || rate <= 0 ||
		    errs / rate < sc_thresholds[TH_ERROR_SHARE].value)
			continue;
		ev = rule_evidence(&sc_thresholds[TH_ERRORS], errs, "errors/s", "syscount");
		json_object_set_new(ev, "process", json_pack("{s:s, s:i, s:f}", "comm",
					jpath_str(p, "comm"), "pid", (int)jpath_num(p, "pid"),
					"error_share", errs / rate));
		report_add_finding(r, "syscalls.errors", SEV_INFO, ev, "%s (pid %d): %.0f of its "
				   "%.0f syscalls/s fail.", jpath_str(p, "comm"), (int)jpath_num(p, "pid"),
				   errs, rate);
	}
}

/* A process's syscalls/s less its futex calls among its top syscalls. */
static double storm_rate(json_t *p)
{
	double rate = jpath_num(p, "rate_per_s");
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(p, "top_syscalls"), i, s)
		if (jpath_str(s, "name") && !strcmp(jpath_str(s, "name"), "futex"))
			rate -= jpath_num(s, "rate_per_s");
	return rate > 0 ? rate : 0;
}

/* The process with the highest storm rate, and that rate. */
static json_t *busiest(json_t *m, double *rate)
{
	json_t *p, *top = NULL;
	size_t i;

	*rate = 0;
	json_array_foreach(json_object_get(m, "processes"), i, p) {
		double r = storm_rate(p);

		if (!top || r > *rate) {
			top = p;
			*rate = r;
		}
	}
	return top;
}

void judge_syscalls(struct report *r)
{
	json_t *m = rule_measurement(r, "syscount", "syscalls"), *top, *health;
	double host_rate, proc_rate;
	enum verdict v;

	if (!m)
		return;
	top = busiest(m, &proc_rate);
	host_rate = jpath_num(m, "total.rate_per_s");
	v = proc_rate >= sc_thresholds[TH_PROC_IMPLICATED].value ? VERDICT_IMPLICATED :
	    proc_rate >= sc_thresholds[TH_PROC_SUSPECT].value ||
	    host_rate >= sc_thresholds[TH_HOST_SUSPECT].value ? VERDICT_SUSPECT :
	    VERDICT_EXONERATED;
	health = report_set_health(r, "syscalls", v, "%.0f syscalls/s host-wide, %.0f errors/s "
				   "(syscount, %s); suspect from %.0f/s", host_rate,
				   jpath_num(m, "total.errors_per_s"), jpath_str(m, "attach"),
				   sc_thresholds[TH_HOST_SUSPECT].value);
	if (top)
		report_set_health(r, "syscalls", VERDICT_EXONERATED, "busiest: %s (pid %d) at %.0f "
				  "syscalls/s (%.0f/s without futex, which the locks rule judges), mostly %s; "
				  "implicated from %.0f/s, suspect from %.0f/s (measured on syscall storm)",
				  jpath_str(top, "comm"), (int)jpath_num(top, "pid"),
				  jpath_num(top, "rate_per_s"), proc_rate, jpath_str(json_array_get(json_object_get(top, "top_syscalls"), 0),
						  "name"),
				  sc_thresholds[TH_PROC_IMPLICATED].value,
				  sc_thresholds[TH_PROC_SUSPECT].value);
	error_findings(r, m);
	if (v == VERDICT_EXONERATED)
		return;
	if (proc_rate >= sc_thresholds[TH_PROC_SUSPECT].value)
		storm_finding(r, top, proc_rate, v);
	report_health_add_next_step(health, "Thursday: syscall latency per syscall (TH-06) and "
				    "the I/O sizes of the busiest process (F-05)");
	report_health_add_next_step(health, "Wednesday: CPU flame graph (W-01): the kernel's share "
				    "of its time");
}
