/* rules_disk.c: the disk health rule. Reads diskhealth's per-device and
 * per-cgroup figures (report.measurements.diskhealth) and says where block
 * I/O time goes: in the device (TH-03 await, USE-DISK-S queue size, device
 * errors USE-DISK-E), or before it, in a cgroup's I/O throttle (USE-CG-IO,
 * RC-02's disk twin). For a throttled cgroup it joins fslat's syscall-level
 * latency of the cgroup's processes, to say how much of their I/O time was
 * spent before the device. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/judge.h"
#include "checks/rules.h"

/* A cgroup running at this share of its throttle limit is being held by
 * it [heur: the throttled-disk scenario runs at 95-100% of its limit;
 * an unthrottled reader would not sit just under a limit by chance]. */
#define THROTTLE_AT_LIMIT 0.80
/* TH-03: r_await consistently > 10 ms means a slow or overloaded disk. */
#define AWAIT_WARN_MS 10.0
/* USE-DISK-S: average queue size > 1 is saturation. */
#define QUEUE_SIZE_WARN 1.0
/* Fewer requests than this make an average too noisy to judge [heur]. */
#define MIN_REQUESTS 10

const struct finding_def disk_health_findings[] = {
	{ "disk.cgroup_throttling", "disk", "A cgroup's I/O is held by its throttle limit",
	  "USE-CG-IO [S7, S15 cgroup-v2.rst]; USE-DISK-S",
	  "Raise the cgroup's limit (blkio.throttle.* on v1, io.max on v2) or cut its I/O" },
	{ "disk.slow_device", "disk", "Block I/O is slow (await over 10 ms)",
	  "TH-03 [S8 2.5.4, S14]; T60-11",
	  "Thursday: biolatency per disk and biosnoop for the slow mode" },
	{ "disk.queue_saturation", "disk", "A disk's queue is saturated (average queue size > 1)",
	  "USE-DISK-S [S6, S7]; T60-11",
	  "Find the processes behind the I/O; spread or cut it; check the device's limits" },
	{ "disk.io_errors", "disk", "Block I/O requests completed with errors",
	  "USE-DISK-E [S6, S7]; ERR-07",
	  "Check dmesg for the device; smartctl -H; replace the device" },
	{ NULL },
};

struct disk_judgement {
	int nr_warning, nr_critical;
};

/* Syscall-level read/write time of the processes in a blkio cgroup, from
 * fslat; false when fslat did not see them. */
static bool cgroup_syscall_ms(struct report *r, const char *cg, double *avg_ms, double *count)
{
	static const char *const io_ops[] = { "read", "pread64", "write", "pwrite64" };
	json_t *fs = judge_measurements(r, "fslat"), *p;
	double total_ms = 0, n = 0;
	size_t i;

	json_array_foreach(json_object_get(fs, "processes"), i, p) {
		if (strcmp(jstr(p, "blkio_cgroup"), cg))
			continue;
		for (size_t k = 0; k < sizeof(io_ops) / sizeof(io_ops[0]); k++) {
			json_t *op = json_object_get(json_object_get(p, "ops"), io_ops[k]);

			total_ms += jnum(op, "total_ms");
			n += jnum(op, "count");
		}
	}
	*count = n;
	*avg_ms = n ? total_ms / n : 0;
	return n > 0;
}

static void throttled(struct report *r, json_t *m, json_t *c, const char *kind, double rate,
		      double limit, struct disk_judgement *j)
{
	json_t *dev = json_object_get(json_object_get(m, "devices"), jstr(c, "device"));
	json_t *read = json_object_get(json_object_get(dev, "ops"), "read");
	json_t *lat = json_object_get(dev, "device_latency");
	double dev_ms = jnum(read, "count") ? jnum(read, "device_ms_avg") :
			jnum(json_object_get(json_object_get(dev, "ops"), "write"), "device_ms_avg");
	double sys_ms = 0, sys_n = 0, before_pct = -1;
	char split[256] = "";
	json_t *f;

	if (cgroup_syscall_ms(r, jstr(c, "cgroup"), &sys_ms, &sys_n) && sys_ms > 0) {
		before_pct = sys_ms > dev_ms ? (sys_ms - dev_ms) / sys_ms * 100 : 0;
		snprintf(split, sizeof(split), " Its processes' reads and writes took %.2f ms on "
			 "average at the syscall (fslat), against %.3f ms in the device: %.0f%% of "
			 "the time went before the device, in the throttle.", sys_ms, dev_ms, before_pct);
	}
	j->nr_warning++;
	f = report_add_finding(r, "disk.cgroup_throttling", SEV_WARNING, json_pack(
		"{s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:s}",
		"cgroup", jstr(c, "cgroup"), "device", jstr(c, "device"), "dev", jstr(c, "dev"),
		"limit", kind, "limit_value", limit, "measured", rate,
		"share_of_limit", limit > 0 ? rate / limit : 0,
		"device_ms_avg", dev_ms, "device_p99_us", jnum(lat, "p99"),
		"syscall_ms_avg", sys_ms,
		"before_device_pct", before_pct,
		"threshold", "running at >= 80% of a throttle limit (measured on throttled-disk)",
		"source", jstr(json_object_get(c, "limits"), "source")),
		"cgroup %s is held by its %s limit of %.0f on %s (%s): it ran at %.1f, %.0f%% of "
		"the limit, while the device itself answered in %.3f ms on average.%s",
		jstr(c, "cgroup"), kind, limit, jstr(c, "device"), jstr(c, "dev"), rate,
		limit > 0 ? rate / limit * 100 : 0, dev_ms, split);
	(void)f;
}

static void judge_cgroups(struct report *r, json_t *m, struct disk_judgement *j)
{
	static const char *const kinds[] = { "read_iops", "write_iops", "read_bps", "write_bps" };
	double window_s = jnum(m, "window_s");
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(m, "cgroups"), i, c) {
		json_t *lim = json_object_get(c, "limits");
		double rates[] = { jnum(c, "read_iops"), jnum(c, "write_iops"),
				   window_s > 0 ? jnum(c, "bytes") / window_s : 0,
				   window_s > 0 ? jnum(c, "bytes") / window_s : 0 };

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			double limit = jnum(lim, kinds[k]);

			if (limit > 0 && rates[k] >= THROTTLE_AT_LIMIT * limit) {
				throttled(r, m, c, kinds[k], rates[k], limit, j);
				break;
			}
		}
	}
}

static void judge_device(struct report *r, const char *name, json_t *d, struct disk_judgement *j)
{
	json_t *total = json_object_get(d, "total"), *ops = json_object_get(d, "ops");
	static const char *const rw[] = { "read", "write" };

	if (jnum(total, "errors") > 0) {
		j->nr_critical++;
		report_add_finding(r, "disk.io_errors", SEV_CRITICAL, json_pack(
			"{s:s, s:f, s:f, s:s, s:s}", "device", name, "errors", jnum(total, "errors"),
			"requests", jnum(total, "count"), "threshold", "any error (USE-DISK-E)",
			"source", "block:block_rq_complete error"),
			"%s: %.0f of %.0f requests completed with an error.", name,
			jnum(total, "errors"), jnum(total, "count"));
	}
	for (size_t k = 0; k < 2; k++) {
		json_t *op = json_object_get(ops, rw[k]);
		double await = jnum(op, "device_ms_avg") + jnum(op, "queue_ms_avg");

		if (jnum(op, "count") < MIN_REQUESTS || await <= AWAIT_WARN_MS)
			continue;
		j->nr_warning++;
		report_add_finding(r, "disk.slow_device", SEV_WARNING, json_pack(
			"{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:s, s:s}", "device", name, "op", rw[k],
			"await_ms", await, "device_ms_avg", jnum(op, "device_ms_avg"),
			"queue_ms_avg", jnum(op, "queue_ms_avg"), "requests", jnum(op, "count"),
			"threshold_ms", AWAIT_WARN_MS, "threshold", "await > 10 ms (TH-03)",
			"source", "block:block_rq_issue/complete"),
			"%s: %ss waited %.1f ms on average (%.1f ms queued, %.1f ms in the device) "
			"over %.0f requests.", name, rw[k], await, jnum(op, "queue_ms_avg"),
			jnum(op, "device_ms_avg"), jnum(op, "count"));
	}
	if (jnum(total, "avg_queue_size") > QUEUE_SIZE_WARN && jnum(total, "count") >= MIN_REQUESTS) {
		j->nr_warning++;
		report_add_finding(r, "disk.queue_saturation", SEV_WARNING, json_pack(
			"{s:s, s:f, s:f, s:s, s:s}", "device", name,
			"avg_queue_size", jnum(total, "avg_queue_size"), "threshold", QUEUE_SIZE_WARN,
			"rule", "average queue size > 1 (USE-DISK-S)",
			"source", "block:block_rq_issue/complete (Little's law)"),
			"%s: on average %.1f requests were queued or in the device.", name,
			jnum(total, "avg_queue_size"));
	}
}

static void device_evidence(struct report *r, const char *name, json_t *d)
{
	json_t *total = json_object_get(d, "total"), *lat = json_object_get(d, "device_latency");
	json_t *q = json_object_get(d, "queue_latency");

	report_set_health(r, "disk", VERDICT_UNKNOWN,
		"%s: %.0f IOPS; in the device p50 %.3f ms, p99 %.3f ms; before it (queue) p50 "
		"%.3f ms; average queue size %.2f; %.0f errors (thresholds: await 10 ms TH-03, "
		"queue 1 USE-DISK-S, errors 0 USE-DISK-E)", name, jnum(total, "iops"),
		jnum(lat, "p50") / 1000, jnum(lat, "p99") / 1000, jnum(q, "p50") / 1000,
		jnum(total, "avg_queue_size"), jnum(total, "errors"));
}

void judge_disk(struct report *r)
{
	json_t *m = judge_measurements(r, "diskhealth"), *d, *h;
	struct disk_judgement j = { 0 };
	enum verdict v;
	const char *name;
	int nr_dev = 0;

	if (!m) {
		report_set_health(r, "disk", VERDICT_UNKNOWN, "diskhealth did not run: %s",
				  judge_missing_reason(r, "diskhealth"));
		return;
	}
	judge_cgroups(r, m, &j);
	json_object_foreach(json_object_get(m, "devices"), name, d) {
		judge_device(r, name, d, &j);
		if (nr_dev++ < 4)
			device_evidence(r, name, d);
	}
	if (!nr_dev)
		report_set_health(r, "disk", VERDICT_EXONERATED, "no block I/O completed in the %.1f s "
				  "window (diskhealth, %s)", jnum(m, "window_s"), jstr(m, "attach"));
	v = j.nr_critical || report_count_findings(r, "disk.cgroup_throttling", SEV_WARNING) ||
	    report_count_findings(r, "disk.slow_device", SEV_WARNING) ? VERDICT_IMPLICATED :
	    j.nr_warning ? VERDICT_SUSPECT : VERDICT_EXONERATED;
	h = report_set_health(r, "disk", v, NULL);
	if (v == VERDICT_IMPLICATED || v == VERDICT_SUSPECT) {
		report_health_add_next_step(h, "Thursday: block I/O latency histograms per device "
					    "(TH-03) and file-system latency (TH-04)");
		if (report_count_findings(r, "disk.cgroup_throttling", SEV_WARNING))
			report_health_add_next_step(h, "Check the named cgroup's blkio.throttle.* "
						    "(v1) or io.max (v2) settings");
	}
}
