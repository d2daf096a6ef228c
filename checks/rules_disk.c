/* rules_disk.c: the disk health rule. Reads diskhealth's per-device and
 * per-cgroup figures (report.measurements.diskhealth) and says where block
 * I/O time goes: in the device (TH-03 await, USE-DISK-S queue size, device
 * errors USE-DISK-E), or above it, in a cgroup's I/O throttle (USE-CG-IO,
 * RC-02's disk twin) or elsewhere above the block layer. The split by
 * layer (syscall, block-layer queue, device) comes from diskhealth's
 * syscall layer (fslat's syscall time when diskhealth has none); the limit
 * that explains a delay from diskhealth's reading of the cgroup and from
 * Monday's disk.cgroup_io_limit findings (ST-DISK-05). */
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
/* TH-04: "any file system I/O slower than 10 ms?" A read or write that
 * waited this long on average is worth explaining. */
#define SYSCALL_SLOW_MS 10.0
/* The share of that time above the block layer from which the delay is
 * said to come from above the device [heur: half, so the larger part is
 * named, as in the latency-analysis binary search of METHODOLOGY 7.1]. */
#define ABOVE_BLOCK_PCT 50.0

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
	{ "disk.delay_above_device", "disk",
	  "Reads or writes wait above the block layer, not in the device",
	  "TH-03, TH-04 [S8 2.5.4, S14, S26]; USE-CG-IO; METHODOLOGY 7.1 (latency analysis)",
	  "Lift or raise the named limit; without one, look at file-system locks and "
	  "page-cache misses (TH-04) and run-queue latency (TH-02)" },
	{ "disk.io_errors", "disk", "Block I/O requests completed with errors",
	  "USE-DISK-E [S6, S7]; ERR-07",
	  "Check dmesg for the device; smartctl -H; replace the device" },
	{ NULL },
};

struct disk_judgement {
	int nr_warning, nr_critical;
	int nr_explained;     /* delays above the device a cgroup limit explains */
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

/* The cgroup entry's layer split for its busiest op (reads first). */
static json_t *cgroup_layer(json_t *c)
{
	json_t *layers = json_object_get(c, "layers");
	json_t *rd = json_object_get(layers, "read"), *wr = json_object_get(layers, "write");

	return jnum(rd, "syscalls") >= jnum(wr, "syscalls") ? rd : wr;
}

static void throttled(struct report *r, json_t *m, json_t *c, const char *kind, double rate,
		      double limit, struct disk_judgement *j)
{
	json_t *dev = json_object_get(json_object_get(m, "devices"), jstr(c, "device"));
	json_t *read = json_object_get(json_object_get(dev, "ops"), "read");
	json_t *lat = json_object_get(dev, "device_latency");
	double dev_ms = jnum(read, "count") ? jnum(read, "device_ms_avg") :
			jnum(json_object_get(json_object_get(dev, "ops"), "write"), "device_ms_avg");
	json_t *layer = cgroup_layer(c);
	double sys_ms = jnum(layer, "syscall_ms_avg"), sys_n = jnum(layer, "syscalls");
	double before_pct = -1;
	const char *via = "diskhealth";
	char split[256] = "";
	json_t *f;

	if (!sys_n && cgroup_syscall_ms(r, jstr(c, "cgroup"), &sys_ms, &sys_n))
		via = "fslat";
	if (sys_n && sys_ms > 0) {
		before_pct = sys_ms > dev_ms ? (sys_ms - dev_ms) / sys_ms * 100 : 0;
		snprintf(split, sizeof(split), " Its processes' reads and writes took %.2f ms on "
			 "average at the syscall (%s), against %.3f ms in the device: %.0f%% of "
			 "the time went before the device, in the throttle.", sys_ms, via, dev_ms,
			 before_pct);
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

/* True when cgroup A is B or below it ("/a/b" is under "/a"). */
static bool cgroup_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (!strcmp(b, "/"))
		return true;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

/* The limit on the device that explains a delay of cgroup CG: a nonzero
 * limit diskhealth read from the cgroup itself, else Monday's
 * disk.cgroup_io_limit finding on it or a parent. Fills what/value/where;
 * false when none. */
static bool delay_limit(struct report *r, json_t *c, const char *op, char *what, size_t wlen,
			double *value, char *where, size_t len)
{
	static const char *const own[][2] = {
		{ "read_iops", "read" }, { "read_bps", "read" },
		{ "write_iops", "write" }, { "write_bps", "write" },
	};
	static const char *const monday[][2] = {
		{ "riops", "read" }, { "rbps", "read" }, { "wiops", "write" }, { "wbps", "write" },
	};
	json_t *lim = json_object_get(c, "limits"), *f;
	size_t i;

	for (size_t k = 0; k < 4; k++)
		if (!strcmp(own[k][1], op) && jnum(lim, own[k][0]) > 0) {
			snprintf(what, wlen, "%s", own[k][0]);
			*value = jnum(lim, own[k][0]);
			snprintf(where, len, "%s on %s (%s)", jstr(c, "cgroup"), jstr(c, "device"),
				 jstr(lim, "source"));
			return true;
		}
	json_array_foreach(report_get(r, "findings"), i, f) {
		json_t *e = json_object_get(f, "evidence");

		if (strcmp(jstr(f, "id"), "disk.cgroup_io_limit") || strcmp(jstr(e, "majmin"), jstr(c, "dev")) ||
		    !cgroup_under(jstr(c, "cgroup"), jstr(e, "cgroup")))
			continue;
		for (size_t k = 0; k < 4; k++)
			if (!strcmp(monday[k][1], op) && jnum(json_object_get(e, "limits"), monday[k][0]) > 0) {
				snprintf(what, wlen, "%s", monday[k][0]);
				*value = jnum(json_object_get(e, "limits"), monday[k][0]);
				snprintf(where, len, "%s on %s (%s; Monday's disk.cgroup_io_limit)",
					 jstr(e, "cgroup"), jstr(e, "device"), jstr(e, "hierarchy"));
				return true;
			}
	}
	return false;
}

/* The process that waited longest in this cgroup on this device. */
static json_t *delay_process(json_t *m, const char *cg, const char *device)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(m, "syscalls"), i, p)
		if (!strcmp(jstr(p, "cgroup"), cg) && !strcmp(jstr(p, "device"), device))
			return p;
	return NULL;
}

static bool delay_above(json_t *layer)
{
	return jnum(layer, "syscalls") >= MIN_REQUESTS && jnum(layer, "syscall_ms_avg") >= SYSCALL_SLOW_MS &&
	       jnum(layer, "above_block_pct") >= ABOVE_BLOCK_PCT;
}

/* The origin of a delay: reads or writes of a cgroup that waited mostly
 * above the block layer while the device answered fast, with the limit
 * that explains it (warning), or none found (still a warning: the time is
 * lost above the device, TH-04). */
static void judge_delays(struct report *r, json_t *m, struct disk_judgement *j)
{
	static const char *const ops[] = { "read", "write" };
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(m, "cgroups"), i, c) {
		for (size_t k = 0; k < 2; k++) {
			json_t *layer = json_object_get(json_object_get(c, "layers"), ops[k]);
			json_t *p = delay_process(m, jstr(c, "cgroup"), jstr(c, "device"));
			char what[32] = "", where[512] = "", cause[768];
			double limit = 0;
			bool explained;

			if (!delay_above(layer))
				continue;
			explained = delay_limit(r, c, ops[k], what, sizeof(what), &limit, where, sizeof(where));
			if (explained)
				snprintf(cause, sizeof(cause), "The %s limit of %.0f on cgroup %s explains it: "
					 "the throttle holds the I/O before the block layer.", what, limit, where);
			else
				snprintf(cause, sizeof(cause), "No cgroup I/O limit on %s explains it: look at "
					 "file-system locks, page-cache misses and run-queue latency.",
					 jstr(c, "device"));
			j->nr_warning++;
			j->nr_explained += explained;
			report_add_finding(r, "disk.delay_above_device", SEV_WARNING, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:s, s:f, s:s, "
				"s:f, s:f, s:s}",
				"cgroup", jstr(c, "cgroup"), "device", jstr(c, "device"), "dev", jstr(c, "dev"),
				"op", ops[k], "process", p ? jstr(p, "comm") : "", "pid", p ? (int)jnum(p, "pid") : 0,
				"syscalls", jnum(layer, "syscalls"), "syscall_ms_avg", jnum(layer, "syscall_ms_avg"),
				"queue_ms_avg", jnum(layer, "queue_ms_avg"),
				"device_ms_avg", jnum(layer, "device_ms_avg"),
				"above_block_ms_avg", jnum(layer, "above_block_ms_avg"),
				"above_block_pct", jnum(layer, "above_block_pct"),
				"explained", explained, "limit", what, "limit_value", limit, "limit_where", where,
				"threshold_ms", SYSCALL_SLOW_MS, "threshold_pct", ABOVE_BLOCK_PCT,
				"threshold", "syscall >= 10 ms on average (TH-04), >= 50% of it above the "
				"block layer"),
				"%ss of %s (pid %d) in cgroup %s on %s took %.2f ms on average at the syscall: "
				"%.2f ms above the block layer (%.0f%%), %.3f ms in its queue, %.3f ms in the "
				"device. %s", ops[k], p ? jstr(p, "comm") : "?", p ? (int)jnum(p, "pid") : 0,
				jstr(c, "cgroup"), jstr(c, "device"), jnum(layer, "syscall_ms_avg"),
				jnum(layer, "above_block_ms_avg"), jnum(layer, "above_block_pct"),
				jnum(layer, "queue_ms_avg"), jnum(layer, "device_ms_avg"), cause);
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
	for (size_t k = 0; k < 2; k++) {
		static const char *const ops[] = { "read", "write" };
		json_t *l = json_object_get(json_object_get(d, "layers"), ops[k]);

		if (jnum(l, "syscalls") > 0)
			report_set_health(r, "disk", VERDICT_UNKNOWN,
				"%s: %.0f %s syscalls waited for it, %.2f ms on average: %.2f ms above the "
				"block layer, %.3f ms queued, %.3f ms in the device (diskhealth layers; "
				"TH-04 10 ms)", name, jnum(l, "syscalls"), ops[k], jnum(l, "syscall_ms_avg"),
				jnum(l, "above_block_ms_avg"), jnum(l, "queue_ms_avg"),
				jnum(l, "device_ms_avg"));
	}
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
	judge_delays(r, m, &j);
	json_object_foreach(json_object_get(m, "devices"), name, d) {
		judge_device(r, name, d, &j);
		if (nr_dev++ < 4)
			device_evidence(r, name, d);
	}
	if (!nr_dev)
		report_set_health(r, "disk", VERDICT_EXONERATED, "no block I/O completed in the %.1f s "
				  "window (diskhealth, %s)", jnum(m, "window_s"), jstr(m, "attach"));
	v = j.nr_critical || j.nr_explained ||
	    report_count_findings(r, "disk.cgroup_throttling", SEV_WARNING) ||
	    report_count_findings(r, "disk.slow_device", SEV_WARNING) ? VERDICT_IMPLICATED :
	    j.nr_warning ? VERDICT_SUSPECT : VERDICT_EXONERATED;
	h = report_set_health(r, "disk", v, NULL);
	if (v == VERDICT_IMPLICATED || v == VERDICT_SUSPECT) {
		report_health_add_next_step(h, "Thursday: block I/O latency histograms per device "
					    "(TH-03) and file-system latency (TH-04)");
		if (report_count_findings(r, "disk.delay_above_device", SEV_WARNING))
			report_health_add_next_step(h, "Thursday's disk drill-down: the slowest syscalls "
						    "and requests by layer (disk.slow_syscalls, "
						    "disk.slow_requests)");
		if (report_count_findings(r, "disk.cgroup_throttling", SEV_WARNING))
			report_health_add_next_step(h, "Check the named cgroup's blkio.throttle.* "
						    "(v1) or io.max (v2) settings");
	}
}
