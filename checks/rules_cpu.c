/* rules_cpu.c: the cpu health rule. Reads runqlat's results
 * (report.measurements.runqlat, histogram "runq_latency") and CFS-throttling
 * findings that Monday left in the report, and sets the one cpu verdict:
 * run-queue latency (TH-02) together with runnable threads over the CPU
 * count (T60-03) implicates the CPUs; either alone makes them suspect. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

enum {
	TH_P99,
	TH_MODE_LOW,
	TH_MODE_SHARE,
	TH_RUNNABLE_SHARE,
	TH_NAMED_SHARE,
};

static const struct threshold cpu_thresholds[] = {
	[TH_P99] = { "runq_p99_warn_us", 1000,
		     "TH-02 [S14 runqlat: the idle example shows little run-queue latency past 1 ms]" },
	[TH_MODE_LOW] = { "runq_slow_mode_low_us", 8192,
			  "TH-02 [S14: a mode at 10s of ms is critical; the loaded example's mode is "
			  "16-65 ms]: the log2 buckets from 8.2 ms up" },
	[TH_MODE_SHARE] = { "runq_slow_mode_min_share", 0.05,
			    "measured on run-queue saturation (3 spinning threads per CPU: 25% of "
			    "wake-ups in the 8 ms+ buckets; an idle host: none)" },
	[TH_RUNNABLE_SHARE] = { "runnable_over_cpus_min_share", 0.5,
				"T60-03 [S5]: r > CPU count is saturation, sustained over 5 of 10 "
				"samples" },
	[TH_NAMED_SHARE] = { "runq_named_min_queued_share", 0.01,
			     "[heur]: a process queued under 1% of one thread's time did not "
			     "suffer the latency (one busy thread, preempted now and then by "
			     "short tasks, queues about 0.001 here): it is not named" },
};

const struct finding_def cpu_rule_findings[] = {
	{ "cpu.runqueue_latency", "cpu", "Threads wait for a CPU (run-queue latency)",
	  "TH-02 [S14 runqlat]",
	  "Wednesday: CPU flame graph (W-01) of the busiest processes; cut load or add CPUs" },
	{ "cpu.runnable_over_cpus", "cpu", "More runnable threads than CPUs",
	  "T60-03 [S5, S15 proc.rst]", "Wednesday: CPU flame graph (W-01); TH-02 runqlat per process" },
	{ NULL },
};

/* A slow mode: a local peak among the buckets from TH_MODE_LOW up, those
 * buckets holding at least TH_MODE_SHARE of all wake-ups. */
static bool slow_mode(json_t *hist, double *share, double *peak_low_us)
{
	json_t *buckets = json_object_get(hist, "buckets"), *b;
	double total = jpath_num(hist, "count"), slow = 0, best = 0;
	size_t i, n = json_array_size(buckets);
	bool peak = false;

	*share = 0;
	*peak_low_us = 0;
	if (total <= 0)
		return false;
	json_array_foreach(buckets, i, b) {
		double cnt = jpath_num(b, "count"), low = jpath_num(b, "low");
		double prev = i ? jpath_num(json_array_get(buckets, i - 1), "count") : 0;
		double next = i + 1 < n ? jpath_num(json_array_get(buckets, i + 1), "count") : 0;

		if (low < cpu_thresholds[TH_MODE_LOW].value)
			continue;
		slow += cnt;
		if (cnt > 0 && cnt >= prev && cnt >= next && cnt > best) {
			peak = true;
			best = cnt;
			*peak_low_us = low;
		}
	}
	*share = slow / total;
	return peak && *share >= cpu_thresholds[TH_MODE_SHARE].value;
}

static json_t *find_histogram(struct report *r, const char *name)
{
	json_t *h;
	size_t i;

	json_array_foreach(report_get(r, "histograms"), i, h)
		if (!strcmp(jpath_str(h, "name") ? jpath_str(h, "name") : "", name))
			return h;
	return NULL;
}

/* CFS quota throttling found by Monday (a warning or worse, such as
 * cpu.cgroup_throttled) is cpu evidence that host-wide latency can miss: a
 * throttled group waits off the run queue. A quota alone is not. */
static bool cite_throttling(struct report *r, json_t *health)
{
	json_t *f;
	size_t i;
	bool any = false;

	json_array_foreach(report_get(r, "findings"), i, f) {
		const char *id = jpath_str(f, "id");
		int sev = severity_from_name(jpath_str(f, "severity"));

		if (!id || strncmp(id, "cpu.", 4) || !strstr(id, "throttl") || sev < SEV_WARNING)
			continue;
		report_set_health(r, "cpu", VERDICT_SUSPECT, "%s (%s, from %s): %s", id,
				  jpath_str(f, "severity"), jpath_str(f, "stage"), jpath_str(f, "detail"));
		any = true;
	}
	if (any)
		report_health_add_next_step(health, "Raise the cgroup's CPU quota or cut its CPU use "
					    "(ST-CPU-09)");
	return any;
}

void judge_cpu(struct report *r)
{
	json_t *m = rule_measurement(r, "runqlat", "cpu"), *top, *health, *f, *ev;
	double p99, p50, max, r_share, r_mean, mode_share, mode_low;
	int cpus;
	bool lat_high, sat, mode;
	const char *comm;

	if (!m)
		return;
	p50 = jpath_num(m, "latency_us.p50");
	p99 = jpath_num(m, "latency_us.p99");
	max = jpath_num(m, "latency_us.max");
	r_share = jpath_num(m, "runnable.over_cpus_share");
	r_mean = jpath_num(m, "runnable.mean");
	cpus = (int)jpath_num(m, "runnable.cpus");
	top = json_array_get(json_object_get(m, "top_processes"), 0);
	comm = jpath_str(top, "comm") ? jpath_str(top, "comm") : "?";
	lat_high = p99 > cpu_thresholds[TH_P99].value;
	sat = r_share >= cpu_thresholds[TH_RUNNABLE_SHARE].value;
	mode = slow_mode(find_histogram(r, "cpu.runq_latency"), &mode_share, &mode_low);

	health = report_set_health(r, "cpu", (lat_high || mode) && sat ? VERDICT_IMPLICATED :
				   lat_high || mode || sat ? VERDICT_SUSPECT : VERDICT_EXONERATED,
				   "run-queue latency p50 %.0f us, p99 %.0f us, max %.0f us over %.0f "
				   "wake-ups (runqlat, %s); warn above p99 %.0f us (TH-02)",
				   p50, p99, max, jpath_num(m, "latency_us.count"), jpath_str(m, "attach"),
				   cpu_thresholds[TH_P99].value);
	report_set_health(r, "cpu", VERDICT_EXONERATED, "runnable threads (procs_running "
			  "without friday's sampler) mean %.1f on %d CPUs, above the CPU count in "
			  "%.0f%% of %.0f samples; saturated from %.0f%% (T60-03)", r_mean, cpus,
			  100 * r_share, jpath_num(m, "runnable.samples"),
			  100 * cpu_thresholds[TH_RUNNABLE_SHARE].value);
	if (mode)
		report_set_health(r, "cpu", VERDICT_SUSPECT, "a mode at %.0f ms: %.0f%% of wake-ups "
				  "waited 8 ms or more (TH-02 critical)", mode_low / 1000,
				  100 * mode_share);
	if (top)
		report_set_health(r, "cpu", VERDICT_EXONERATED, "most queued: %s (pid %d), %.2f "
				  "thread-seconds queued per second, p99 %.0f us", comm,
				  (int)jpath_num(top, "pid"), jpath_num(top, "queued_share"), jpath_num(top, "p99_us"));
	cite_throttling(r, health);
	if (lat_high || mode) {
		ev = rule_evidence(&cpu_thresholds[TH_P99], p99, "us", "runqlat");
		json_object_set_new(ev, "p50_us", json_real(p50));
		json_object_set_new(ev, "max_us", json_real(max));
		json_object_set_new(ev, "slow_mode_share", json_real(mode_share));
		json_object_set_new(ev, "slow_mode_low_us", json_real(mode_low));
		if (jpath_num(top, "queued_share") < cpu_thresholds[TH_NAMED_SHARE].value) {
			json_object_set_new(ev, "named_min_queued_share",
					    json_real(cpu_thresholds[TH_NAMED_SHARE].value));
			f = report_add_finding(r, "cpu.runqueue_latency", mode ? SEV_CRITICAL :
					       SEV_WARNING, ev, "Run-queue latency p99 %.1f ms%s; no "
					       "process queued 1%% of a thread's time or more.",
					       p99 / 1000, mode ? ", with a mode at 10s of ms" : "");
		} else {
			json_object_set_new(ev, "process", json_pack("{s:s, s:i, s:f}", "comm", comm,
						"pid", (int)jpath_num(top, "pid"), "queued_share",
						jpath_num(top, "queued_share")));
			f = report_add_finding(r, "cpu.runqueue_latency", mode ? SEV_CRITICAL :
					       SEV_WARNING, ev, "Run-queue latency p99 %.1f ms%s; %s "
					       "(pid %d) waited most: %.2f thread-seconds per second.",
					       p99 / 1000, mode ? ", with a mode at 10s of ms" : "", comm,
					       (int)jpath_num(top, "pid"), jpath_num(top, "queued_share"));
		}
		report_finding_add_artifact(f, "report.json#histograms/cpu.runq_latency");
	}
	if (sat) {
		ev = rule_evidence(&cpu_thresholds[TH_RUNNABLE_SHARE], r_share, "share of samples",
				   "runqlat");
		json_object_set_new(ev, "runnable_mean", json_real(r_mean));
		json_object_set_new(ev, "cpus", json_integer(cpus));
		report_add_finding(r, "cpu.runnable_over_cpus", SEV_WARNING, ev,
				   "%.1f runnable threads on average on %d CPUs; more than the CPUs in "
				   "%.0f%% of samples.", r_mean, cpus, 100 * r_share);
	}
	if (lat_high || mode || sat) {
		char step[160];

		snprintf(step, sizeof(step), "Wednesday: CPU flame graph (W-01) of %s (pid %d)", comm,
			 (int)jpath_num(top, "pid"));
		report_health_add_next_step(health, step);
		report_health_add_next_step(health, "Thursday: run-queue latency per process (TH-02)");
	}
}
