/* rules_memory.c: the memory health rule. Reads what memhealth measured
 * (report.measurements.memhealth) and says whether memory is where the
 * problem is: swapping (T60-08), processes stalled in direct or cgroup
 * reclaim (USE-MEM-S, RC-04), major faults, direct compaction (RC-03) and
 * OOM kills (ERR-01), each naming the process and its memory cgroup.
 * Thresholds are the table below; each says where it comes from. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/judge.h"
#include "checks/rules.h"

/* Swap pages per second (in + out) at which swapping is critical rather
 * than a warning. T60-08 calls any si/so "out of memory"; a few pages in a
 * window can be a one-off, so the warning starts at any page and the
 * critical level at 10 pages/s [heur; the memory-pressure scenario swaps
 * thousands a second]. */
#define SWAP_CRIT_PAGES_S 10.0
/* Share of the window a process spent stalled in reclaim or compaction
 * that is critical (USE-MEM-S says any direct scanning is a warning). */
#define STALL_CRIT_SHARE 0.10
/* Major faults per second of one process worth a warning [heur: the
 * memory-pressure scenario makes thousands a second; a process starting
 * up on a warm host makes tens in total]. */
#define MAJFLT_WARN_RATE 100.0
#define MAX_NAMED 3

const struct finding_def memory_health_findings[] = {
	{ "memory.swapping", "memory", "The host is swapping",
	  "T60-08 [S5]; USE-MEM-S [S6, S7]",
	  "Find who grew (memory.reclaim_stall, memory.major_faults); add memory or cap the "
	  "process; see swap use per cgroup" },
	{ "memory.reclaim_stall", "memory", "Processes stalled in direct or cgroup reclaim",
	  "USE-MEM-S [S6, S7]; RC-04 [S5, S15]",
	  "Compare the cgroup's usage with its limit; raise the limit or cut the working set" },
	{ "memory.major_faults", "memory", "A process is taking major page faults",
	  "USE-MEM-S [S6, S7]",
	  "Swap-ins or cold file pages: check swap activity and the page cache (cachestat)" },
	{ "memory.oom_kill", "memory", "The OOM killer killed a process",
	  "ERR-01 [S5, S6, S7, S15]; USE-MEM-S",
	  "Find who grew (M-WC-1); set limits so the right process is the victim" },
	{ "memory.compaction_stall", "memory", "Processes stalled in direct compaction",
	  "RC-03 [S12, S21]; ST-MEM-01",
	  "Set transparent huge pages to madvise; look for compact_zone in the CPU flame graph" },
	{ NULL },
};

struct mem_judgement {
	int nr_warning, nr_critical;
	bool swapping, stalled, faulting;
};

static void note(struct mem_judgement *j, enum severity sev)
{
	if (sev == SEV_CRITICAL)
		j->nr_critical++;
	else if (sev == SEV_WARNING)
		j->nr_warning++;
}

/* The cgroup's limit as text for details; returns it for evidence (a new
 * reference, null when unlimited or unknown). */
static json_t *cgroup_limit(json_t *m, const char *cg, char *buf, size_t len)
{
	json_t *c = json_object_get(json_object_get(m, "cgroups"), cg);
	json_t *lim = json_object_get(c, "limit_bytes");

	if (!json_is_integer(lim)) {
		snprintf(buf, len, "%s", "");
		return json_null();
	}
	snprintf(buf, len, " (limit %.0f MiB in %s)", json_integer_value(lim) / 1048576.0,
		 jstr(c, "limit_file"));
	return json_incref(lim);
}

static void judge_swap(struct report *r, json_t *m, double window_s, struct mem_judgement *j)
{
	json_t *vm = json_object_get(m, "vmstat");
	double si = jnum(vm, "pswpin"), so = jnum(vm, "pswpout");
	double rate = window_s > 0 ? (si + so) / window_s : 0;
	enum severity sev = rate >= SWAP_CRIT_PAGES_S ? SEV_CRITICAL : SEV_WARNING;
	json_t *f;

	if (si + so <= 0)
		return;
	j->swapping = true;
	note(j, sev);
	f = report_add_finding(r, "memory.swapping", sev, json_pack(
		"{s:f, s:f, s:f, s:f, s:s, s:f, s:s}", "pswpin", si, "pswpout", so,
		"pages_per_s", rate, "window_s", window_s,
		"threshold", "si or so > 0 (T60-08); critical at 10 pages/s",
		"critical_pages_per_s", SWAP_CRIT_PAGES_S, "source", "/proc/vmstat deltas"),
		"%.0f pages swapped in and %.0f out in %.1f s (%.0f pages/s): the host is out of "
		"memory for its working set.", si, so, window_s, rate);
	(void)f;
}

static void judge_procs(struct report *r, json_t *m, double window_s, struct mem_judgement *j)
{
	json_t *p;
	size_t i;
	int named_stall = 0, named_flt = 0;

	json_array_foreach(json_object_get(m, "processes"), i, p) {
		double reclaim_ms = jnum(p, "direct_reclaim_ms") + jnum(p, "memcg_reclaim_ms");
		double compact_ms = jnum(p, "compaction_stall_ms");
		double majflt = jnum(p, "major_faults");
		double flt_rate = window_s > 0 ? majflt / window_s : 0;
		const char *cg = jstr(p, "cgroup");
		char lim_text[128];

		if (reclaim_ms > 0 && named_stall < MAX_NAMED) {
			double share = window_s > 0 ? reclaim_ms / 1000.0 / window_s : 0;
			enum severity sev = share >= STALL_CRIT_SHARE ? SEV_CRITICAL : SEV_WARNING;

			note(j, sev);
			j->stalled = true;
			named_stall++;
			report_add_finding(r, "memory.reclaim_stall", sev, json_pack(
				"{s:i, s:s, s:s, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:s}",
				"pid", (int)jnum(p, "pid"), "process", jstr(p, "comm"), "cgroup", cg,
				"cgroup_limit_bytes", cgroup_limit(m, cg, lim_text, sizeof(lim_text)),
				"direct_reclaim_ms", jnum(p, "direct_reclaim_ms"),
				"direct_reclaim_nr", jnum(p, "direct_reclaim_nr"),
				"memcg_reclaim_ms", jnum(p, "memcg_reclaim_ms"),
				"memcg_reclaim_nr", jnum(p, "memcg_reclaim_nr"),
				"reclaim_ms_avg", jnum(p, "reclaim_ms_avg"),
				"reclaim_ms_max", jnum(p, "reclaim_ms_max"),
				"share_of_window", share,
				"threshold", "any reclaim stall (USE-MEM-S); critical at 10% of the window",
				"source", "vmscan:mm_vmscan_{direct,memcg}_reclaim_{begin,end}"),
				"%s (pid %d) in memory cgroup %s%s spent %.0f ms in reclaim (%.0f ms "
				"direct, %.0f ms cgroup), %.1f%% of the %.1f s window; %.2f ms per reclaim "
				"on average, %.1f ms at most.",
				jstr(p, "comm"), (int)jnum(p, "pid"), *cg ? cg : "?", lim_text, reclaim_ms,
				jnum(p, "direct_reclaim_ms"), jnum(p, "memcg_reclaim_ms"),
				share * 100, window_s, jnum(p, "reclaim_ms_avg"), jnum(p, "reclaim_ms_max"));
		}
		if (compact_ms > 0) {
			note(j, SEV_WARNING);
			report_add_finding(r, "memory.compaction_stall", SEV_WARNING, json_pack(
				"{s:i, s:s, s:s, s:f, s:f, s:s, s:s}", "pid", (int)jnum(p, "pid"),
				"process", jstr(p, "comm"), "cgroup", cg, "compaction_stall_ms", compact_ms,
				"compaction_stall_nr", jnum(p, "compaction_stall_nr"),
				"threshold", "any direct compaction stall (RC-03)",
				"source", "compaction:mm_compaction_{begin,end}"),
				"%s (pid %d) stalled %.1f ms in direct compaction.", jstr(p, "comm"),
				(int)jnum(p, "pid"), compact_ms);
		}
		if (flt_rate >= MAJFLT_WARN_RATE && named_flt < MAX_NAMED) {
			note(j, SEV_WARNING);
			j->faulting = true;
			named_flt++;
			report_add_finding(r, "memory.major_faults", SEV_WARNING, json_pack(
				"{s:i, s:s, s:s, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:s}",
				"pid", (int)jnum(p, "pid"),
				"process", jstr(p, "comm"), "cgroup", cg,
				"cgroup_limit_bytes", cgroup_limit(m, cg, lim_text, sizeof(lim_text)),
				"major_faults", majflt, "per_s", flt_rate,
				"threshold_per_s", MAJFLT_WARN_RATE,
				"swapins", jnum(p, "swapins"), "swapin_ms_avg", jnum(p, "swapin_ms_avg"),
				"swapin_ms_max", jnum(p, "swapin_ms_max"),
				"faults_per_s", jnum(p, "faults_per_s"),
				"threshold", "100 major faults/s per process (measured on memory-pressure)",
				"source", "task maj_flt at exceptions:page_fault_user and exit; swap-ins "
				"from the fault to kmem:rss_stat MM_SWAPENTS"),
				"%s (pid %d) in memory cgroup %s%s took %.0f major faults (%.0f/s): it waits "
				"for pages to come back from swap or disk. %.0f of them were swap-ins, "
				"%.3f ms each on average, %.1f ms at most.", jstr(p, "comm"),
				(int)jnum(p, "pid"), *cg ? cg : "?", lim_text, majflt, flt_rate,
				jnum(p, "swapins"), jnum(p, "swapin_ms_avg"), jnum(p, "swapin_ms_max"));
		}
	}
}

static void judge_ooms(struct report *r, json_t *m, struct mem_judgement *j)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(m, "oom_kills"), i, o) {
		note(j, SEV_CRITICAL);
		report_add_finding(r, "memory.oom_kill", SEV_CRITICAL, json_pack(
			"{s:i, s:s, s:s, s:f, s:s, s:s}", "pid", (int)jnum(o, "pid"),
			"process", jstr(o, "comm"), "cgroup", jstr(o, "cgroup"),
			"total_vm_kb", jnum(o, "total_vm_kb"), "threshold", "any OOM kill (ERR-01)",
			"source", "oom:mark_victim"),
			"The OOM killer killed %s (pid %d) in memory cgroup %s.", jstr(o, "comm"),
			(int)jnum(o, "pid"), *jstr(o, "cgroup") ? jstr(o, "cgroup") : "?");
	}
}

static void verdict(struct report *r, json_t *m, double window_s, const struct mem_judgement *j)
{
	json_t *vm = json_object_get(m, "vmstat"), *h;
	enum verdict v = VERDICT_EXONERATED;

	/* Stalls plus swapping or faulting is memory saturation; a critical
	 * finding (OOM, heavy swapping, long stalls) is too. */
	if (j->nr_critical || (j->stalled && (j->swapping || j->faulting)))
		v = VERDICT_IMPLICATED;
	else if (j->nr_warning)
		v = VERDICT_SUSPECT;
	h = report_set_health(r, "memory", v,
		"swap: %.0f pages in, %.0f out in %.1f s (threshold: any, T60-08; /proc/vmstat)",
		jnum(vm, "pswpin"), jnum(vm, "pswpout"), window_s);
	report_set_health(r, "memory", v,
		"reclaim: %.0f pages scanned directly, %.0f allocation stalls; %d process(es) "
		"stalled in reclaim (threshold: any, USE-MEM-S; vmscan tracepoints)",
		jnum(vm, "pgscan_direct"), jnum(vm, "allocstall"),
		(int)report_count_findings(r, "memory.reclaim_stall", SEV_WARNING));
	report_set_health(r, "memory", v,
		"major faults: %.0f host-wide (%.0f/s); OOM kills: %zu (memhealth, %s)",
		jnum(vm, "pgmajfault"), window_s > 0 ? jnum(vm, "pgmajfault") / window_s : 0,
		json_array_size(json_object_get(m, "oom_kills")), jstr(m, "attach"));
	if (json_array_size(json_object_get(m, "missing_probes")))
		report_set_health(r, "memory", v, "not measured here: %s (tracepoints missing)",
				  json_string_value(json_array_get(json_object_get(m, "missing_probes"), 0)));
	if (v == VERDICT_IMPLICATED || v == VERDICT_SUSPECT) {
		report_health_add_next_step(h, "Compare the named cgroup's usage with its limit "
					    "(memory.usage_in_bytes / memory.current)");
		report_health_add_next_step(h, "Wednesday: off-CPU flame graph of the named process "
					    "(time in reclaim and swap-in)");
	}
}

void judge_memory(struct report *r)
{
	json_t *m = judge_measurements(r, "memhealth");
	struct mem_judgement j = { 0 };
	double window_s;

	if (!m) {
		report_set_health(r, "memory", VERDICT_UNKNOWN, "memhealth did not run: %s",
				  judge_missing_reason(r, "memhealth"));
		return;
	}
	window_s = jnum(m, "window_s");
	judge_swap(r, m, window_s, &j);
	judge_procs(r, m, window_s, &j);
	judge_ooms(r, m, &j);
	verdict(r, m, window_s, &j);
}
