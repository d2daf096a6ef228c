/* rules_locks.c: the locks health rule. Reads futexwait's results
 * (report.measurements.futexwait). A futex address on which threads of one
 * process spend, together, at least a whole thread's time waiting, handed
 * over often, is a contended user lock (USE-UMUTEX, M-LA-4); waits that
 * time out are timed sleeps and do not count. Kernel lock contention
 * (lock:contention_*) above a share of the CPUs makes locks suspect. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

enum { TH_ADDR_SHARE_IMPL, TH_ADDR_RATE_IMPL, TH_ADDR_SHARE_SUSP, TH_ADDR_RATE_SUSP, TH_KLOCK };

static const struct threshold lock_thresholds[] = {
	[TH_ADDR_SHARE_IMPL] = { "futex_addr_wait_share_implicated", 1.0,
		"M-LA-4 [S7]: only one thread makes progress; measured on lock contention "
		"(4 threads, one mutex: 1.9-2.1 threads waiting on it)" },
	[TH_ADDR_RATE_IMPL] = { "futex_addr_waits_per_s_implicated", 100,
		"measured on lock contention: 100 waits/s on a busy host, 2,800/s idle" },
	[TH_ADDR_SHARE_SUSP] = { "futex_addr_wait_share_suspect", 0.5,
		"measured: a browser's busiest futex (thread pools) stayed under 0.45" },
	[TH_ADDR_RATE_SUSP] = { "futex_addr_waits_per_s_suspect", 20,
		"measured: condition variables of idle pools wake a few times per second" },
	[TH_KLOCK] = { "kernel_lock_wait_share_of_cpus", 0.05,
		"USE-KMUTEX [heur]: spin-lock time over 5% of the CPUs is a warning" },
};

const struct finding_def locks_rule_findings[] = {
	{ "locks.futex_contention", "locks", "Threads queue on a user lock (futex)",
	  "USE-UMUTEX, M-LA-4 [S7]; threshold measured on lock contention",
	  "Wednesday: off-CPU flame graph (W-03) of the process: the futex waits' callers" },
	{ "locks.kernel_contention", "locks", "Kernel lock contention",
	  "USE-KMUTEX [S7, heur]",
	  "Wednesday: kernel CPU flame graph (W-01, W-07 *spin_lock*slowpath) and off-CPU "
	  "stacks (W-03)" },
	{ NULL },
};

/* The futex address with the most waiting, over every listed process. */
static void busiest_address(json_t *m, json_t **proc_out, json_t **addr_out)
{
	json_t *p, *a;
	size_t i, j;
	double best = -1;

	*proc_out = *addr_out = NULL;
	json_array_foreach(json_object_get(json_object_get(m, "futex"), "processes"), i, p)
		json_array_foreach(json_object_get(p, "top_addresses"), j, a)
			if (jpath_num(a, "wait_ms") > best) {
				best = jpath_num(a, "wait_ms");
				*proc_out = p;
				*addr_out = a;
			}
}

static enum verdict futex_verdict(double share, double rate)
{
	if (share >= lock_thresholds[TH_ADDR_SHARE_IMPL].value &&
	    rate >= lock_thresholds[TH_ADDR_RATE_IMPL].value)
		return VERDICT_IMPLICATED;
	if (share >= lock_thresholds[TH_ADDR_SHARE_SUSP].value &&
	    rate >= lock_thresholds[TH_ADDR_RATE_SUSP].value)
		return VERDICT_SUSPECT;
	return VERDICT_EXONERATED;
}

static void judge_futex(struct report *r, json_t *m, json_t *health)
{
	double window_s = jpath_num(m, "window_s"), share, rate;
	json_t *p, *a, *ev;
	enum verdict v;
	const char *comm;

	busiest_address(m, &p, &a);
	share = window_s > 0 ? jpath_num(a, "wait_ms") / 1000 / window_s : 0;
	rate = jpath_num(a, "waits_per_s");
	v = futex_verdict(share, rate);
	comm = jpath_str(p, "comm") ? jpath_str(p, "comm") : "-";
	report_set_health(r, "locks", v, "futex waits: %.0f/s, %.2f threads waiting on average "
			  "host-wide, p99 %.0f us (futexwait, %s; timed-out waits left out)",
			  jpath_num(m, "futex.waits_per_s"), jpath_num(m, "futex.wait_share"),
			  jpath_num(m, "futex.p99_us"), jpath_str(m, "attach"));
	if (a)
		report_set_health(r, "locks", VERDICT_EXONERATED, "busiest futex: %s in %s (pid "
				  "%d): %.2f threads waiting, %.0f waits/s; implicated from %.1f "
				  "threads and %.0f/s, suspect from %.1f and %.0f/s", jpath_str(a, "uaddr"),
				  comm, (int)jpath_num(p, "pid"), share, rate,
				  lock_thresholds[TH_ADDR_SHARE_IMPL].value,
				  lock_thresholds[TH_ADDR_RATE_IMPL].value,
				  lock_thresholds[TH_ADDR_SHARE_SUSP].value,
				  lock_thresholds[TH_ADDR_RATE_SUSP].value);
	if (v == VERDICT_EXONERATED)
		return;
	ev = rule_evidence(&lock_thresholds[v == VERDICT_IMPLICATED ? TH_ADDR_SHARE_IMPL :
			   TH_ADDR_SHARE_SUSP], share, "threads waiting", "futexwait");
	json_object_set_new(ev, "waits_per_s", json_real(rate));
	json_object_set_new(ev, "uaddr", json_string(jpath_str(a, "uaddr")));
	json_object_set_new(ev, "max_wait_us", json_real(jpath_num(a, "max_us")));
	json_object_set_new(ev, "process", json_pack("{s:s, s:i}", "comm", comm,
						     "pid", (int)jpath_num(p, "pid")));
	report_add_finding(r, "locks.futex_contention", v == VERDICT_IMPLICATED ? SEV_WARNING :
			   SEV_INFO, ev, "%s (pid %d): %.2f threads wait on futex %s on average, "
			   "%.0f waits/s.", comm, (int)jpath_num(p, "pid"), share, jpath_str(a, "uaddr"), rate);
	{
		char step[160];

		snprintf(step, sizeof(step), "Wednesday: off-CPU flame graph (W-03) of %s (pid %d)",
			 comm, (int)jpath_num(p, "pid"));
		report_health_add_next_step(health, step);
	}
}

static void judge_kernel_locks(struct report *r, json_t *m, json_t *health, int cpus)
{
	json_t *k = json_object_get(m, "kernel_locks"), *top, *ev;
	double share = jpath_num(k, "wait_share"), limit = lock_thresholds[TH_KLOCK].value * cpus;

	if (!json_is_true(json_object_get(k, "traced"))) {
		report_set_health(r, "locks", VERDICT_UNKNOWN, "kernel locks not measured: %s",
				  jpath_str(k, "reason"));
		return;
	}
	top = json_array_get(json_object_get(k, "top_locks"), 0);
	report_set_health(r, "locks", share >= limit ? VERDICT_SUSPECT : VERDICT_EXONERATED,
			  "kernel lock contention: %.0f/s, %.3f CPUs' worth of waiting, p99 %.0f "
			  "us; suspect from %.2f (5%% of %d CPUs, USE-KMUTEX)",
			  jpath_num(k, "contentions_per_s"), share, jpath_num(k, "p99_us"), limit, cpus);
	if (share < limit)
		return;
	ev = rule_evidence(&lock_thresholds[TH_KLOCK], share, "CPUs waiting", "futexwait");
	json_object_set_new(ev, "top_lock", json_deep_copy(top));
	json_object_set_new(ev, "top_process",
			    json_deep_copy(json_array_get(json_object_get(k, "processes"), 0)));
	report_add_finding(r, "locks.kernel_contention", SEV_WARNING, ev, "Kernel lock waits "
			   "take %.2f CPUs' worth of time; the busiest lock is a %s at %s%s%s.",
			   share, jpath_str(top, "kind"), jpath_str(top, "addr"),
			   jpath_str(top, "symbol") && *jpath_str(top, "symbol") ? " " : "",
			   jpath_str(top, "symbol") ? jpath_str(top, "symbol") : "");
	report_health_add_next_step(health, "Wednesday: kernel CPU flame graph (W-07: "
				    "*spin_lock*slowpath) and off-CPU stacks (W-03)");
}

void judge_locks(struct report *r)
{
	json_t *m = rule_measurement(r, "futexwait", "locks"), *health;
	json_t *host = json_object_get(report_get(r, "host"), "cpus");
	int cpus = json_is_integer(host) && json_integer_value(host) > 0 ?
		   (int)json_integer_value(host) : 1;

	if (!m)
		return;
	health = report_set_health(r, "locks", VERDICT_UNKNOWN, NULL);
	judge_futex(r, m, health);
	judge_kernel_locks(r, m, health, cpus);
}
