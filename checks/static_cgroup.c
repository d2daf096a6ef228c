/* static_cgroup.c: Monday's checks of resource controls, in both cgroup
 * hierarchies (v1 controllers and the v2 tree): CPU quota and throttling
 * (ST-CPU-09), memory limits and events (ST-MEM-07), I/O limits with the
 * device named (ST-DISK-05, USE-CG-IO) and pids limits (ST-LIM-03). A
 * throttled tenant is slow while the host looks healthy, so each finding
 * names the cgroup path and its hierarchy. The walk is bounded (see
 * static_impl.h); at most CGROUP_MAX_FINDINGS findings per check. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/static_impl.h"
#include "lib/util.h"

/* Values of 2^62 and up are v1's "unlimited" (PAGE_COUNTER_MAX rounded). */
#define V1_UNLIMITED (INT64_C(1) << 62)

struct cg_state {
	struct report *report;
	int nr_findings, nr_more, nr_quota;
	json_t *quota;                   /* cgroups with a quota, never throttled */
};

/* Room for one more finding? Counts the ones beyond the cap. */
static bool cg_room(struct cg_state *st)
{
	if (st->nr_findings < CGROUP_MAX_FINDINGS) {
		st->nr_findings++;
		return true;
	}
	st->nr_more++;
	return false;
}

static enum check_result cg_result(struct cg_state *st, int nr_hier, char *reason, size_t len,
				   const char *what)
{
	if (!nr_hier) {
		snprintf(reason, len, "no cgroup hierarchy with %s", what);
		return CHECK_NOT_APPLICABLE;
	}
	if (st->nr_more)
		snprintf(reason, len, "%d more cgroups matched beyond the first %d reported",
			 st->nr_more, CGROUP_MAX_FINDINGS);
	return CHECK_RAN;
}

/* ---- CPU ---------------------------------------------------------------------- */

/* quota_us < 0 means no quota. */
static int cpu_quota(const struct cgroup_dir *cg, int64_t *quota_us, int64_t *period_us)
{
	char *text;
	long long q, p;
	int err = 0;

	*quota_us = -1;
	*period_us = 100000;
	if (!cg->v2) {
		if (cg_s64(cg, "cpu.cfs_quota_us", quota_us))
			return -ENOENT;
		cg_s64(cg, "cpu.cfs_period_us", period_us);
		return 0;
	}
	text = cg_alloc(cg, "cpu.max");
	if (!text)
		return -ENOENT;
	if (sscanf(text, "%lld %lld", &q, &p) == 2)
		*quota_us = q, *period_us = p;
	else if (!str_starts(text, "max"))
		err = -EINVAL;
	free(text);
	return err;
}

static void cpu_one(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg)
{
	struct cg_state *st = arg;
	int64_t quota_us, period_us, periods = 0, throttled = 0, throttled_us = 0;
	char *stat = cg_alloc(cg, "cpu.stat"), quota_text[48];
	int ratio_pct;

	if (cpu_quota(cg, &quota_us, &period_us) || !stat) {
		free(stat);
		return;
	}
	keyed_get(stat, "nr_periods", &periods);
	keyed_get(stat, "nr_throttled", &throttled);
	if (keyed_get(stat, "throttled_usec", &throttled_us) == -ENOENT &&
	    !keyed_get(stat, "throttled_time", &throttled_us))
		throttled_us /= 1000;   /* v1 counts nanoseconds */
	free(stat);
	if (throttled <= 0 || periods <= 0) {
		if (quota_us > 0) {
			st->nr_quota++;
			if (json_array_size(st->quota) < 20)
				json_array_append_new(st->quota, json_pack("{s:s, s:s, s:I, s:I}",
					"cgroup", cg->name, "hierarchy", cg->hier,
					"quota_us", (json_int_t)quota_us, "period_us", (json_int_t)period_us));
		}
		return;
	}
	if (!cg_room(st))
		return;
	ratio_pct = (int)(throttled * 100 / periods);
	if (quota_us > 0 && period_us > 0)
		snprintf(quota_text, sizeof(quota_text), "%.2f CPUs", (double)quota_us / period_us);
	else
		snprintf(quota_text, sizeof(quota_text), "set on a parent cgroup");
	report_add_finding(st->report, "cpu.cgroup_throttled", ratio_pct > 10 ? SEV_CRITICAL : SEV_WARNING,
		json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:i}",
			  "cgroup", cg->name, "hierarchy", cg->hier, "quota_us", (json_int_t)quota_us,
			  "period_us", (json_int_t)period_us, "nr_periods", (json_int_t)periods,
			  "nr_throttled", (json_int_t)throttled, "throttled_us", (json_int_t)throttled_us,
			  "throttled_pct", ratio_pct, "critical_pct", 10),
		"cgroup %s (%s) was throttled in %d%% of its %lld CPU periods (%.1f s held back): "
		"its CPU quota (%s) slows it while the host may look idle.",
		cg->name, cg->hier, ratio_pct, (long long)periods, throttled_us / 1e6, quota_text);
}

CHECK_FN(check_cgroup_cpu)
{
	struct cg_state st = { .report = ctx->report, .quota = json_array() };
	int nr_hier = cgroup_walk(ctx, "cpu", cpu_one, &st);

	if (st.nr_quota)
		report_add_finding(ctx->report, "cpu.cgroup_quota", SEV_INFO,
			json_pack("{s:o, s:i}", "cgroups", st.quota, "nr_cgroups", st.nr_quota),
			"%d cgroup(s) have a CPU quota and have not been throttled (first: %s): a "
			"limit to keep in mind when they get busier.", st.nr_quota,
			json_string_value(json_object_get(json_array_get(st.quota, 0), "cgroup")));
	else
		json_decref(st.quota);
	return cg_result(&st, nr_hier, reason, len, "cpu");
}

/* ---- memory ------------------------------------------------------------------- */

struct mem_figures {
	int64_t limit, usage, failcnt, oom_kill, under_oom, ev_high, ev_max;
	const char *limit_name;
};

static int mem_read(const struct cgroup_dir *cg, struct mem_figures *m)
{
	char *text;

	memset(m, 0, sizeof(*m));
	m->limit = -1;
	if (!cg->v2) {
		if (cg_s64(cg, "memory.limit_in_bytes", &m->limit) || cg_s64(cg, "memory.usage_in_bytes", &m->usage))
			return -ENOENT;
		if (m->limit >= V1_UNLIMITED)
			m->limit = -1;
		m->limit_name = "memory.limit_in_bytes";
		cg_s64(cg, "memory.failcnt", &m->failcnt);
		if ((text = cg_alloc(cg, "memory.oom_control"))) {
			keyed_get(text, "oom_kill", &m->oom_kill);
			keyed_get(text, "under_oom", &m->under_oom);
			free(text);
		}
		return 0;
	}
	if (cg_s64(cg, "memory.current", &m->usage))
		return -ENOENT;
	/* "max" does not parse: no limit. memory.high is the softer one. */
	if (!cg_s64(cg, "memory.max", &m->limit))
		m->limit_name = "memory.max";
	else if (!cg_s64(cg, "memory.high", &m->limit))
		m->limit_name = "memory.high";
	if ((text = cg_alloc(cg, "memory.events"))) {
		keyed_get(text, "oom_kill", &m->oom_kill);
		keyed_get(text, "high", &m->ev_high);
		keyed_get(text, "max", &m->ev_max);
		free(text);
	}
	return 0;
}

static void memory_one(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg)
{
	struct cg_state *st = arg;
	struct mem_figures m;
	int used_pct;
	json_t *ev;

	if (mem_read(cg, &m))
		return;
	used_pct = m.limit > 0 ? (int)(m.usage * 100 / m.limit) : 0;
	if (m.oom_kill <= 0 && !m.under_oom && used_pct < 90 && m.failcnt <= 0 && m.ev_high <= 0 &&
	    m.ev_max <= 0)
		return;
	if (!cg_room(st))
		return;
	ev = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:i}",
		       "cgroup", cg->name, "hierarchy", cg->hier, "limit_file", m.limit_name ? m.limit_name : "",
		       "limit_bytes", (json_int_t)m.limit, "usage_bytes", (json_int_t)m.usage,
		       "used_pct", used_pct, "failcnt", (json_int_t)m.failcnt, "oom_kill", (json_int_t)m.oom_kill,
		       "under_oom", (json_int_t)m.under_oom, "events_high", (json_int_t)m.ev_high,
		       "events_max", (json_int_t)m.ev_max, "warning_pct", 90);
	if (m.oom_kill > 0 || m.under_oom)
		report_add_finding(st->report, "memory.cgroup_oom", SEV_CRITICAL, ev,
			"cgroup %s (%s) hit its memory limit (%lld MiB) and the OOM killer killed "
			"%lld process(es) in it%s.", cg->name, cg->hier, (long long)(m.limit >> 20),
			(long long)m.oom_kill, m.under_oom ? "; it is under OOM now" : "");
	else
		report_add_finding(st->report, "memory.cgroup_limit", SEV_WARNING, ev,
			"cgroup %s (%s) uses %lld MiB of its %lld MiB limit (%d%%); the limit was hit "
			"%lld time(s) (failcnt or max/high events): it reclaims and stalls while "
			"the host has memory.", cg->name, cg->hier, (long long)(m.usage >> 20),
			(long long)(m.limit >> 20), used_pct,
			(long long)(m.failcnt + m.ev_high + m.ev_max));
}

CHECK_FN(check_cgroup_memory)
{
	struct cg_state st = { .report = ctx->report };

	return cg_result(&st, cgroup_walk(ctx, "memory", memory_one, &st), reason, len, "memory");
}

/* ---- I/O ------------------------------------------------------------------------ */

static const char *const v1_io_files[][2] = {
	{ "blkio.throttle.read_iops_device", "riops" },
	{ "blkio.throttle.write_iops_device", "wiops" },
	{ "blkio.throttle.read_bps_device", "rbps" },
	{ "blkio.throttle.write_bps_device", "wbps" },
};

/* Adds limit KEY=VALUE for device MAJ:MIN to the object of devices. */
static void io_add_limit(json_t *devs, const char *majmin, const char *key, long long value)
{
	json_t *d = json_object_get(devs, majmin);

	if (!d) {
		d = json_object();
		json_object_set_new(devs, majmin, d);
	}
	json_object_set_new(d, key, json_integer(value));
}

static void io_limits_v1(const struct cgroup_dir *cg, json_t *devs)
{
	for (size_t f = 0; f < ARRAY_SIZE(v1_io_files); f++) {
		char *text = cg_alloc(cg, v1_io_files[f][0]), *save = NULL;

		for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			char majmin[32];
			long long v;

			if (sscanf(line, "%31s %lld", majmin, &v) == 2 && strchr(majmin, ':') && v > 0)
				io_add_limit(devs, majmin, v1_io_files[f][1], v);
		}
		free(text);
	}
}

static void io_limits_v2(const struct cgroup_dir *cg, json_t *devs)
{
	char *text = cg_alloc(cg, "io.max"), *save = NULL;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char majmin[32], *tok, *tsave = NULL;

		if (sscanf(line, "%31s", majmin) != 1 || !strchr(majmin, ':'))
			continue;
		for (tok = strtok_r(line + strlen(majmin), " ", &tsave); tok; tok = strtok_r(NULL, " ", &tsave)) {
			char *eq = strchr(tok, '=');
			long long v;

			if (eq && sscanf(eq + 1, "%lld", &v) == 1 && v > 0) {
				*eq = '\0';
				io_add_limit(devs, majmin, tok, v);
			}
		}
	}
	free(text);
}

/* I/O the cgroup has done to a device since it was made (requests, v1
 * io_serviced Total, or v2 rios+wios); -1 when unknown. */
static long long io_done(const struct cgroup_dir *cg, const char *majmin)
{
	char *text = cg_alloc(cg, cg->v2 ? "io.stat" : "blkio.throttle.io_serviced_recursive");
	long long total = -1, r = 0, w = 0;
	size_t mlen = strlen(majmin);

	if (!text && !cg->v2)
		text = cg_alloc(cg, "blkio.throttle.io_serviced");
	for (const char *line = text ? text : ""; *line; line = next_line(line)) {
		if (strncmp(line, majmin, mlen) || line[mlen] != ' ')
			continue;
		if (cg->v2) {
			const char *ri = strstr(line, "rios="), *wi = strstr(line, "wios=");

			if (ri && wi && sscanf(ri + 5, "%lld", &r) == 1 && sscanf(wi + 5, "%lld", &w) == 1)
				total = r + w;
			break;
		}
		if (!strncmp(line + mlen + 1, "Total ", 6))
			sscanf(line + mlen + 7, "%lld", &total);
	}
	free(text);
	return total;
}

/* Whether any process is in the cgroup now. */
static bool cg_has_procs(const struct cgroup_dir *cg)
{
	char *procs = cg_alloc(cg, "cgroup.procs");
	bool has = procs && procs[0] >= '0' && procs[0] <= '9';

	free(procs);
	return has;
}

static void io_one(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg)
{
	struct cg_state *st = arg;
	json_t *devs = json_object(), *lim;
	const char *majmin;
	bool busy = cg_has_procs(cg);

	if (cg->v2)
		io_limits_v2(cg, devs);
	else
		io_limits_v1(cg, devs);
	json_object_foreach(devs, majmin, lim) {
		char dev[CK_NAME_LEN], *limits;
		long long done;

		if (!cg_room(st))
			break;
		block_dev_name(ctx, majmin, dev, sizeof(dev));
		done = io_done(cg, majmin);
		limits = json_dumps(lim, JSON_COMPACT);
		report_add_finding(st->report, "disk.cgroup_io_limit", done > 0 || busy ? SEV_WARNING : SEV_INFO,
			json_pack("{s:s, s:s, s:s, s:s, s:O, s:I, s:b}", "cgroup", cg->name, "hierarchy", cg->hier,
				  "device", dev, "majmin", majmin, "limits", lim, "ios_done", (json_int_t)done,
				  "has_processes", busy),
			"cgroup %s (%s) has an I/O limit on %s (%s): %s; %s. Its I/O waits in the "
			"throttle, not on the device, so device latency looks fine while the tenant "
			"is slow.", cg->name, cg->hier, dev, majmin, limits ? limits : "",
			done > 0 ? "it has done I/O there" : busy ? "it has processes" : "it is idle now");
		free(limits);
	}
	json_decref(devs);
}

CHECK_FN(check_cgroup_io)
{
	struct cg_state st = { .report = ctx->report };

	return cg_result(&st, cgroup_walk(ctx, "blkio", io_one, &st), reason, len, "blkio or io");
}

/* ---- pids ------------------------------------------------------------------------- */

static void pids_one(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg)
{
	struct cg_state *st = arg;
	int64_t max, current, hits = 0;
	char *events;

	if (cg_s64(cg, "pids.max", &max) || cg_s64(cg, "pids.current", &current) || max <= 0)
		return;   /* "max" does not parse: no limit */
	if ((events = cg_alloc(cg, "pids.events"))) {
		keyed_get(events, "max", &hits);
		free(events);
	}
	if (hits <= 0 && current * 10 <= max * 8)
		return;
	if (!cg_room(st))
		return;
	report_add_finding(st->report, "processes.cgroup_pids_limit", hits > 0 ? SEV_CRITICAL : SEV_WARNING,
		json_pack("{s:s, s:s, s:I, s:I, s:I, s:i}", "cgroup", cg->name, "hierarchy", cg->hier,
			  "pids_max", (json_int_t)max, "pids_current", (json_int_t)current,
			  "events_max", (json_int_t)hits, "warning_pct", 80),
		"cgroup %s (%s) has %lld of its %lld allowed tasks; fork() failed there %lld "
		"time(s) on the limit.", cg->name, cg->hier, (long long)current, (long long)max,
		(long long)hits);
}

CHECK_FN(check_cgroup_pids)
{
	struct cg_state st = { .report = ctx->report };

	return cg_result(&st, cgroup_walk(ctx, "pids", pids_one, &st), reason, len, "pids");
}
