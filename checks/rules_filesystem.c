/* rules_filesystem.c: the filesystem health rule. Reads fslat's results
 * (report.measurements.fslat): file-system calls slower than 10 ms (TH-04,
 * fsslower's threshold) are findings naming the process and the file; a
 * process that spends most of its time in file-system calls is bound by
 * the file system; the two together implicate it, unless the disk rule
 * (run before this one) found the process's blkio cgroup held by its
 * throttle: then the delay's origin is the cgroup limit, and the finding
 * says so. The latency is what the
 * application suffers at the syscall (disk, file-system locks, journal
 * commits, page-cache misses, run-queue waits all included): the next step
 * splits it by disk (TH-03) and off-CPU stacks (W-03). */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

#define MAX_SLOW_FINDINGS 5     /* per kind: the worst (process, op, file) groups */

enum { TH_SLOW_MS, TH_TIME_SHARE };

static const struct threshold fs_thresholds[] = {
	[TH_SLOW_MS] = { "slow_call_ms", 10,
		"TH-04 [S14 ext4slower, S26]: any file-system operation slower than 10 ms" },
	[TH_TIME_SHARE] = { "process_fs_time_share", 0.5,
		"heuristic: half of the window in file-system calls; measured: an fsync-heavy "
		"writer on a loop-device ext4 spent 0.76 here, compilers and linkers under 0.01" },
};

const struct finding_def filesystem_rule_findings[] = {
	{ "filesystem.slow_fsync", "filesystem", "fsync or fdatasync calls slower than 10 ms",
	  "TH-04 [S14 ext4slower, S26]",
	  "Fewer syncs (group commits, fdatasync, one sync per batch) or faster storage; "
	  "split the time by disk (TH-03) and off-CPU stacks (W-03)" },
	{ "filesystem.slow_io", "filesystem", "File reads or writes slower than 10 ms",
	  "TH-04 [S14 ext4slower, S26]",
	  "Split the time by disk (TH-03 biolatency) and locks (W-03 off-CPU stacks); "
	  "check the page cache hit ratio (F-06)" },
	{ "filesystem.io_bound", "filesystem", "A process spends most of its time in "
	  "file-system calls", "TH-04 [S14, S26]; 50% of the window [heur]",
	  "Thursday: the filesystem drill-down (slow calls with files); batch or cache the I/O" },
	{ NULL },
};

static bool is_sync_op(const char *op)
{
	return !strcmp(op, "fsync") || !strcmp(op, "fdatasync");
}

/* One finding per (process, operation, file) group of slow calls, the
 * worst first (fslat sorts them by total time), at most MAX_SLOW_FINDINGS
 * of each kind. Returns how many it made. */
static int slow_findings(struct report *r, json_t *m)
{
	json_t *g, *ev;
	size_t i;
	int nr_sync = 0, nr_io = 0;
	double slow_ms = jpath_num(m, "slow_calls.threshold_ms");

	json_array_foreach(json_object_get(json_object_get(m, "slow_calls"), "by_file"), i, g) {
		const char *op = jpath_str(g, "op") ? jpath_str(g, "op") : "?";
		bool sync = is_sync_op(op);
		int *nr = sync ? &nr_sync : &nr_io;

		if (jpath_num(g, "max_ms") < fs_thresholds[TH_SLOW_MS].value ||
		    *nr >= MAX_SLOW_FINDINGS)
			continue;
		(*nr)++;
		ev = rule_evidence(&fs_thresholds[TH_SLOW_MS], jpath_num(g, "max_ms"), "ms", "fslat");
		json_object_set_new(ev, "process", json_pack("{s:s, s:i}", "comm", jpath_str(g, "comm"),
							     "pid", (int)jpath_num(g, "pid")));
		json_object_set_new(ev, "file", json_string(jpath_str(g, "file")));
		json_object_set_new(ev, "op", json_string(op));
		json_object_set_new(ev, "slow_calls", json_real(jpath_num(g, "count")));
		json_object_set_new(ev, "slow_total_ms", json_real(jpath_num(g, "total_ms")));
		report_add_finding(r, sync ? "filesystem.slow_fsync" : "filesystem.slow_io",
				   SEV_WARNING, ev, "%s (pid %d): %.0f %s calls took %g ms or more "
				   "(%.0f ms in all, the slowest %.1f ms) on %s.", jpath_str(g, "comm"),
				   (int)jpath_num(g, "pid"), jpath_num(g, "count"), op,
				   slow_ms > 0 ? slow_ms : fs_thresholds[TH_SLOW_MS].value,
				   jpath_num(g, "total_ms"), jpath_num(g, "max_ms"), jpath_str(g, "file"));
	}
	return nr_sync + nr_io;
}

/* The operation a process spent most time in. */
static const char *busiest_op(json_t *p, double *ms)
{
	const char *name, *best = "?";
	json_t *op;

	*ms = 0;
	json_object_foreach(json_object_get(p, "ops"), name, op)
		if (jpath_num(op, "total_ms") > *ms) {
			*ms = jpath_num(op, "total_ms");
			best = name;
		}
	return best;
}

/* The disk.cgroup_throttling finding for a blkio cgroup, or NULL. */
static json_t *throttled_by(struct report *r, const char *cgroup)
{
	json_t *f;
	size_t i;

	if (!cgroup || !*cgroup)
		return NULL;
	json_array_foreach(report_get(r, "findings"), i, f)
		if (!strcmp(jpath_str(f, "id") ? jpath_str(f, "id") : "", "disk.cgroup_throttling") &&
		    jpath_str(f, "evidence.cgroup") && !strcmp(jpath_str(f, "evidence.cgroup"), cgroup))
			return f;
	return NULL;
}

/* Processes at or over the time-share threshold; those with slow calls
 * too, and no cgroup throttle to explain them, are the implicated ones.
 * Returns how many were bound. */
static int bound_findings(struct report *r, json_t *m, int *nr_slow_bound)
{
	json_t *p, *ev, *throttle;
	size_t i;
	int nr = 0;
	char why[256];

	json_array_foreach(json_object_get(m, "processes"), i, p) {
		double share = jpath_num(p, "time_share"), op_ms;
		const char *op = busiest_op(p, &op_ms);

		if (share < fs_thresholds[TH_TIME_SHARE].value)
			continue;
		nr++;
		throttle = throttled_by(r, jpath_str(p, "blkio_cgroup"));
		*nr_slow_bound += !throttle && jpath_num(p, "slow") > 0 &&
				  jpath_num(p, "slowest.latency_ms") >= fs_thresholds[TH_SLOW_MS].value;
		why[0] = '\0';
		if (throttle)
			snprintf(why, sizeof(why), " Its blkio cgroup %s is held by its I/O throttle "
				 "(disk.cgroup_throttling): the delay comes from that limit, not from the "
				 "file system.", jpath_str(p, "blkio_cgroup"));
		ev = rule_evidence(&fs_thresholds[TH_TIME_SHARE], share, "thread-seconds per second",
				   "fslat");
		json_object_set_new(ev, "process", json_pack("{s:s, s:i}", "comm", jpath_str(p, "comm"),
							     "pid", (int)jpath_num(p, "pid")));
		json_object_set_new(ev, "op", json_string(op));
		json_object_set_new(ev, "file", json_string(jpath_str(p, "slowest.file")));
		json_object_set_new(ev, "p99_us", json_real(jpath_num(p, "p99_us")));
		json_object_set_new(ev, "slow_calls", json_real(jpath_num(p, "slow")));
		json_object_set_new(ev, "blkio_cgroup", json_string(jpath_str(p, "blkio_cgroup")));
		json_object_set_new(ev, "explained_by", json_string(throttle ? "disk.cgroup_throttling" :
								    ""));
		report_add_finding(r, "filesystem.io_bound", SEV_WARNING, ev,
				   "%s (pid %d) spent %.0f%% of the window in file-system calls, "
				   "mostly %s (%.0f ms); p99 %.1f ms, slowest %.1f ms (%s on %s).%s",
				   jpath_str(p, "comm"), (int)jpath_num(p, "pid"), share * 100, op, op_ms,
				   jpath_num(p, "p99_us") / 1000, jpath_num(p, "slowest.latency_ms"),
				   jpath_str(p, "slowest.op"), jpath_str(p, "slowest.file"), why);
	}
	return nr;
}

static void evidence(struct report *r, json_t *m)
{
	json_t *top = json_array_get(json_object_get(m, "processes"), 0);

	report_set_health(r, "filesystem", VERDICT_EXONERATED, "%.0f calls on regular files in "
			  "%.1f s (fslat, %s); %.0f took %g ms or more (threshold 10 ms, TH-04)",
			  jpath_num(m, "calls"), jpath_num(m, "window_s"), jpath_str(m, "attach"),
			  jpath_num(m, "slow_calls.count"), jpath_num(m, "slow_calls.threshold_ms"));
	if (top)
		report_set_health(r, "filesystem", VERDICT_EXONERATED, "busiest: %s (pid %d), %.1f%% "
				  "of the window in file-system calls, p99 %.2f ms, slowest %.1f ms "
				  "(%s on %s); bound from 50%% [heur]", jpath_str(top, "comm"),
				  (int)jpath_num(top, "pid"), jpath_num(top, "time_share") * 100,
				  jpath_num(top, "p99_us") / 1000, jpath_num(top, "slowest.latency_ms"),
				  jpath_str(top, "slowest.op"), jpath_str(top, "slowest.file"));
}

void judge_filesystem(struct report *r)
{
	json_t *m = rule_measurement(r, "fslat", "filesystem"), *h;
	int nr_slow, nr_bound, nr_slow_bound = 0;
	enum verdict v;

	if (!m)
		return;
	evidence(r, m);
	nr_slow = slow_findings(r, m);
	nr_bound = bound_findings(r, m, &nr_slow_bound);
	v = nr_slow_bound ? VERDICT_IMPLICATED : nr_slow || nr_bound ? VERDICT_SUSPECT :
	    VERDICT_EXONERATED;
	h = report_set_health(r, "filesystem", v, NULL);
	if (v == VERDICT_EXONERATED)
		return;
	report_health_add_next_step(h, "Thursday: the filesystem drill-down: slow calls with "
				    "process, thread and file (TH-04), latency per operation and process");
	report_health_add_next_step(h, "Split the time: block I/O latency of the device behind "
				    "the file (TH-03) against off-CPU stacks of the process (W-03)");
	if (report_count_findings(r, "filesystem.slow_fsync", SEV_WARNING))
		report_health_add_next_step(h, "Sync less: group commits, fdatasync instead of fsync, "
					    "one sync per batch of writes");
}
