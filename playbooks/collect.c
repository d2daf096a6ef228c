/* collect.c: the "collect" step: runs a set of BPF collectors together in
 * one window (the step's budget), so Tuesday's probes all see the same
 * seconds of the workload. Playbook args: {"collectors": ["runqlat", ...],
 * "knobs": {"syscount": {"latency": true}, ...}}: each collector gets its
 * own knobs object, read before its BPF object loads.
 * Each collector's fate (ran, unavailable and why, failed and why) goes into
 * report.collectors; its drops into report.overhead.collectors.NAME. For the
 * window, BPF run-time statistics are switched on (BPF_ENABLE_STATS: the
 * kernel switches them off again when friday closes the fd, even if it
 * dies), so each collector can report what its programs cost. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/collector.h"
#include "bpf/probe_util.h"
#include "lib/cgroupfs.h"
#include "lib/util.h"
#include "playbooks/budget.h"
#include "playbooks/playbook.h"

#define POLL_INTERVAL_NS 100000000ull
#define MAX_COLLECTORS 64
#define MEM_RESERVE_MIB 32

/* report.overhead.collectors.NAME, shared with what collectors add there. */
static json_t *overhead_entry(struct report *r, const char *name)
{
	json_t *all = json_object_get(report_get(r, "overhead"), "collectors"), *mine;

	if (!all) {
		all = json_object();
		json_object_set_new(report_get(r, "overhead"), "collectors", all);
	}
	mine = json_object_get(all, name);
	if (!mine) {
		mine = json_object();
		json_object_set_new(all, name, mine);
	}
	return mine;
}

static void record(struct report *r, const char *name, const char *status, const char *why,
		   double window_s, uint64_t lost)
{
	json_object_set_new(report_get(r, "collectors"), name,
			    json_pack("{s:s, s:s, s:f, s:I}", "status", status, "reason", why,
				      "window_s", window_s, "lost_events", (json_int_t)lost));
	if (!strcmp(status, "ok"))
		json_object_set_new(overhead_entry(r, name), "lost_events",
				    json_integer((json_int_t)lost));
}

/* Under a memory limit on friday's own cgroup, whether a collector fits
 * with MEM_RESERVE_MIB to spare for the harvest and the archive; why not,
 * in words. The kernel's answer to a map that does not fit is the OOM
 * killer, and a killed friday writes no archive. */
static bool fits_in_memory(const struct collector_ops *ops, char *why, size_t len)
{
	uint64_t room_mib, limit_mib;
	char where[256];

	if (!ops->mem_mib || cgroupfs_own_memory_room(&room_mib, &limit_mib, where, sizeof(where)))
		return true;
	if (room_mib >= ops->mem_mib + MEM_RESERVE_MIB)
		return true;
	snprintf(why, len, "not started: it needs about %u MiB (BPF maps and symbols) and friday's "
		 "memory cgroup %s has %llu MiB left of its %llu MiB limit (%d MiB kept for the "
		 "archive); a larger limit lets it run", ops->mem_mib, where,
		 (unsigned long long)room_mib, (unsigned long long)limit_mib, MEM_RESERVE_MIB);
	return false;
}

/* Links each collector that rides on another of the step to it
 * (collector_ops.rides_on). */
static void link_riders(struct collector *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; cs[i].ops->rides_on && j < n; j++)
			if (j != i && !strcmp(cs[j].ops->name, cs[i].ops->rides_on) && !cs[j].rider) {
				cs[i].host = &cs[j];
				cs[j].rider = &cs[i];
				break;
			}
}

/* A collector that did not start: recorded, and out of its host's or
 * rider's way (a rider whose host did not start loads its own). */
static void not_started(struct collector *c, struct report *r, const char *status,
			const char *why)
{
	record(r, c->ops->name, status, why, 0, 0);
	if (c->host)
		c->host->rider = NULL;
	if (c->rider)
		c->rider->host = NULL;
	c->host = c->rider = NULL;
	c->ops = NULL;
}

/* Starts one collector; 1 when it did. */
static int start_one(struct collector *c, struct step_ctx *ctx)
{
	char why[512] = "";

	if (c->ops->available && c->ops->available(ctx->report, why, sizeof(why))) {
		not_started(c, ctx->report, "unavailable", why);
		return 0;
	}
	if (!fits_in_memory(c->ops, why, sizeof(why))) {
		not_started(c, ctx->report, "unavailable", why);
		return 0;
	}
	if (c->ops->start(c, why, sizeof(why))) {
		if (c->ops->destroy)
			c->ops->destroy(c);
		not_started(c, ctx->report, "failed", why);
		return 0;
	}
	c->started_s = now_mono_s();
	return 1;
}

/* Starts what can start, hosts before their riders; returns how many did. */
static int start_all(struct collector *cs, size_t n, struct step_ctx *ctx)
{
	bool tried[MAX_COLLECTORS] = { false };
	int started = 0;

	link_riders(cs, n);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (tried[i] || !cs[i].ops || (pass == 0 && cs[i].host))
				continue;
			tried[i] = true;
			started += start_one(&cs[i], ctx);
		}
	return started;
}

/* Polls every collector until the deadline, holding them to the
 * overhead budget as it goes. */
static void poll_until(struct collector *cs, size_t n, uint64_t deadline_ns, struct budget *b,
		       struct report *r)
{
	while (!friday_stop_requested && now_mono_ns() < deadline_ns) {
		uint64_t next = now_mono_ns() + POLL_INTERVAL_NS;

		for (size_t i = 0; i < n; i++)
			budget_poll(b, cs, i);
		budget_check(b, cs, r);
		if (next > deadline_ns)
			next = deadline_ns;
		/* the stats' short on period ends between two polls */
		if (budget_stats_off_ns(b) < next) {
			sleep_until_ns(budget_stats_off_ns(b));
			budget_check(b, cs, r);
		}
		sleep_until_ns(next);
	}
	budget_close(b, cs);
}

/* A collector that ran in an earlier step of the run (Tuesday's probe,
 * re-run by a Thursday drill-down; disklayers re-writing diskhealth's
 * entry) leaves its measurements there: the new ones take
 * measurements.KEY, as the drill-down verdicts judge them, and the earlier
 * ones go to its "earlier" list, oldest first, so the report loses
 * neither. Each carries the stage and step that made it. */
static void keep_earlier(struct report *r, json_t *now, json_t *old)
{
	json_t *earlier;

	if (!json_is_object(now) || now == old)   /* nothing new harvested */
		return;
	if (r->step) {
		json_object_set_new(now, "stage", json_string(r->stage));
		json_object_set(now, "step", json_object_get(r->step, "id"));
	}
	if (!json_is_object(old))
		return;
	earlier = json_object_get(old, "earlier");
	earlier = json_is_array(earlier) ? json_incref(earlier) : json_array();
	json_object_del(old, "earlier");
	json_array_append(earlier, old);
	json_object_set_new(now, "earlier", earlier);
}

/* Harvests collector c, keeping what it replaces in measurements. */
static int harvest_keeping(struct collector *c, struct report *r)
{
	json_t *all = report_get(r, "measurements"), *before = json_copy(all), *now;
	const char *key;
	int err;

	err = c->ops->harvest(c, r);
	json_object_foreach(all, key, now)
		keep_earlier(r, now, json_object_get(before, key));
	json_decref(before);
	return err;
}

static void stop_harvest_all(struct collector *cs, size_t n, struct report *r)
{
	/* Stop every collector first, so none runs while others are read. */
	for (size_t i = 0; i < n; i++)
		if (cs[i].ops && !cs[i].stopped) {
			cs[i].window_s = now_mono_s() - cs[i].started_s;
			cs[i].ops->stop(&cs[i]);
		}
	for (size_t i = 0; i < n; i++) {
		int err;

		if (!cs[i].ops)
			continue;
		err = harvest_keeping(&cs[i], r);
		record(r, cs[i].ops->name, err ? "failed" : "ok",
		       err ? strerror(-err) : "", cs[i].window_s, cs[i].lost_events);
		if (cs[i].ops->object)
			probe_record_overhead(&cs[i], cs[i].ops->object(&cs[i]));
	}
	/* A rider reads its host's maps: nothing goes before all are read. */
	for (size_t i = 0; i < n; i++)
		if (cs[i].ops && cs[i].ops->destroy)
			cs[i].ops->destroy(&cs[i]);
}

/* The engine refused the step (no privilege for BPF): every collector it
 * names is recorded as unavailable with that reason, so the verdicts that
 * wait on them say why they are unknown. */
void step_collect_refused(struct step_ctx *ctx, const char *why)
{
	json_t *name;
	size_t i;

	json_array_foreach(json_object_get(ctx->args, "collectors"), i, name)
		if (json_string_value(name))
			record(ctx->report, json_string_value(name), "unavailable", why, 0, 0);
}

enum step_status step_collect(struct step_ctx *ctx)
{
	json_t *names = json_object_get(ctx->args, "collectors"), *name;
	struct collector cs[MAX_COLLECTORS];
	char unknown[128] = "";   /* names of the collectors that do not exist */
	size_t n = 0, i, off = 0;
	struct budget_stats stats;
	struct budget budget;
	int started;

	memset(cs, 0, sizeof(cs));
	json_array_foreach(names, i, name) {
		const char *cname = json_string_value(name) ? json_string_value(name) : "?";
		const struct collector_ops *ops = collector_find(cname);

		if (!ops && off < sizeof(unknown))
			off += snprintf(unknown + off, sizeof(unknown) - off, "%s%s", off ? ", " : "",
					cname);
		if (!ops || n == MAX_COLLECTORS) {
			record(ctx->report, cname, "failed", ops ? "too many collectors in one step" :
			       "no such collector in this friday (see: friday list collectors)", 0, 0);
			continue;
		}
		cs[n].ops = ops;
		cs[n].opts = ctx->opts;
		cs[n].report = ctx->report;
		cs[n].knobs = json_object_get(json_object_get(ctx->args, "knobs"), cname);
		n++;
	}
	budget_stats_start(&stats, ctx->report);
	started = start_all(cs, n, ctx);
	if (started == 0 && unknown[0]) {
		budget_stats_stop(&stats);
		snprintf(ctx->reason, sizeof(ctx->reason), "no such collector: %s (see: friday list "
			 "collectors)", unknown);
		return STEP_FAILED;
	}
	if (started == 0) {
		budget_stats_stop(&stats);
		snprintf(ctx->reason, sizeof(ctx->reason), "none of %zu collectors could start "
			 "(see report.collectors)", n);
		return STEP_UNAVAILABLE;
	}
	if (budget_init(&budget, ctx->opts, json_string_value(json_object_get(ctx->args, "id")),
			cs, n, ctx->report, &stats)) {
		stop_harvest_all(cs, n, ctx->report);
		budget_stats_stop(&stats);
		snprintf(ctx->reason, sizeof(ctx->reason), "out of memory");
		return STEP_FAILED;
	}
	/* Leave a little of the budget for harvesting. */
	poll_until(cs, n, ctx->deadline_ns - (ctx->budget_s > 4 ? 1000000000ull : 0), &budget,
		   ctx->report);
	stop_harvest_all(cs, n, ctx->report);
	budget_stats_stop(&stats);
	snprintf(ctx->reason, sizeof(ctx->reason), "%d of %zu collectors ran%s", started, n,
		 friday_stop_requested ? " (cut short by a stop request)" : "");
	budget_finish(&budget, cs, ctx->report, ctx->reason, sizeof(ctx->reason));
	return STEP_OK;
}
