/* waste.c: the "waste" collector (F-07, unnecessary work): loads
 * waste.bpf.c and harvests into report.measurements.waste the processes
 * that open the same file again and again (with the file and errno), fail
 * the same syscall with the same errno, poll with nothing ready (calls
 * returning 0), and spawn children that exit within milliseconds. It only
 * counts; checks/rules_friday.c decides what is unnecessary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/waste.h"
#include "lib/util.h"
#include "waste.skel.h"

#define TOP_N 20
#define SHORT_LIFE_NS 10000000ull   /* "within milliseconds": under 10 ms */
#define MAX_SYSCALL_NAMES 512

static const char *const syscall_names[MAX_SYSCALL_NAMES] = {
#include "syscall_names.h"
};

/* The calls that wait for readiness: a 0 return means nothing was ready. */
static const long poll_syscalls[] = {
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_select
	SYS_select,
#endif
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
	SYS_ppoll, SYS_pselect6, SYS_epoll_pwait,
#ifdef SYS_epoll_pwait2
	SYS_epoll_pwait2,
#endif
};

struct waste_priv {
	struct waste_bpf *skel;
	uint64_t cgid;
};

static const char *sys_name(uint32_t id, char *buf, size_t len)
{
	if (id < MAX_SYSCALL_NAMES && syscall_names[id])
		return syscall_names[id];
	snprintf(buf, len, "sys_%u", id);
	return buf;
}

static int waste_available(struct report *r, char *why, size_t len)
{
	if (json_object_get(report_get(r, "capabilities"), "root") &&
	    !report_capability_ok(r, "root")) {
		snprintf(why, len, "needs root (see capabilities.root)");
		return -EPERM;
	}
	if (json_object_get(report_get(r, "capabilities"), "tracepoint") &&
	    !report_capability_ok(r, "tracepoint")) {
		snprintf(why, len, "needs tracepoints (see capabilities.tracepoint)");
		return -ENOTSUP;
	}
	return 0;
}

static int waste_start(struct collector *c, char *why, size_t len)
{
	struct waste_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	err = probe_cgroup_id(c->opts->cgroup, &p->cgid, why, len);
	if (err)
		return err;
	p->skel = waste_bpf__open();
	if (!p->skel) {
		snprintf(why, len, "cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	p->skel->rodata->targ_tgid = c->opts->pid;
	p->skel->rodata->targ_cgid = p->cgid;
	p->skel->rodata->short_ns = SHORT_LIFE_NS;
	for (size_t i = 0; i < ARRAY_SIZE(poll_syscalls) && i < WS_NR_POLL_IDS; i++)
		p->skel->rodata->poll_ids[i] = (uint32_t)poll_syscalls[i];
	err = waste_bpf__load(p->skel);
	if (!err)
		err = waste_bpf__attach(p->skel);
	if (err) {
		snprintf(why, len, "cannot %s the tracepoints (syscalls, raw_syscalls, sched): %s",
			 "load or attach", strerror(-err));
		return err;
	}
	return 0;
}

static void waste_stop(struct collector *c)
{
	struct waste_priv *p = c->priv;

	waste_bpf__detach(p->skel);
}

static double per_s(struct collector *c, uint64_t n)
{
	return c->window_s > 0 ? (double)n / c->window_s : 0;
}

/* Sorts a JSON array of objects by a number, largest first. */
static int cmp_count(const void *a, const void *b)
{
	double x = json_number_value(json_object_get(*(json_t *const *)a, "count"));
	double y = json_number_value(json_object_get(*(json_t *const *)b, "count"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static json_t *top_of(json_t **v, long n)
{
	json_t *arr = json_array();

	qsort(v, n, sizeof(*v), cmp_count);
	for (long i = 0; i < n; i++) {
		if (i < TOP_N)
			json_array_append(arr, v[i]);
		json_decref(v[i]);
	}
	free(v);
	return arr;
}

static json_t *harvest_opens(struct collector *c, struct waste_priv *p)
{
	struct ws_open_key *keys;
	struct ws_count *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.opens), sizeof(*keys), sizeof(*vals),
				WS_MAX_OPENS, (void **)&keys, (void **)&vals);
	json_t **v = calloc(n > 0 ? n : 1, sizeof(*v));

	for (long i = 0; v && i < n; i++) {
		char comm[16], fname[WS_FNAME];

		probe_comm(comm, sizeof(comm), vals[i].comm, sizeof(vals[i].comm));
		probe_comm(fname, sizeof(fname), keys[i].fname, sizeof(keys[i].fname));
		v[i] = json_pack("{s:i, s:s, s:s, s:i, s:s, s:I, s:f}", "pid", (int)keys[i].tgid,
				 "comm", comm, "file", fname, "errno", keys[i].err,
				 "error", keys[i].err ? strerrorname_np(keys[i].err) ?: "?" : "",
				 "count", (json_int_t)vals[i].count, "per_s", per_s(c, vals[i].count));
	}
	free(keys);
	free(vals);
	return v ? top_of(v, n > 0 ? n : 0) : json_array();
}

static json_t *harvest_errors(struct collector *c, struct waste_priv *p)
{
	struct ws_err_key *keys;
	struct ws_count *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.errors), sizeof(*keys), sizeof(*vals),
				WS_MAX_ERRORS, (void **)&keys, (void **)&vals);
	json_t **v = calloc(n > 0 ? n : 1, sizeof(*v));

	for (long i = 0; v && i < n; i++) {
		char comm[16], nb[32];

		probe_comm(comm, sizeof(comm), vals[i].comm, sizeof(vals[i].comm));
		v[i] = json_pack("{s:i, s:s, s:s, s:i, s:s, s:I, s:f}", "pid", (int)keys[i].tgid,
				 "comm", comm, "syscall", sys_name(keys[i].id, nb, sizeof(nb)),
				 "errno", keys[i].err, "error", strerrorname_np(keys[i].err) ?: "?",
				 "count", (json_int_t)vals[i].count, "per_s", per_s(c, vals[i].count));
	}
	free(keys);
	free(vals);
	return v ? top_of(v, n > 0 ? n : 0) : json_array();
}

static json_t *harvest_polls(struct collector *c, struct waste_priv *p)
{
	struct ws_poll_key *keys;
	struct ws_count *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.polls), sizeof(*keys), sizeof(*vals),
				WS_MAX_POLLS, (void **)&keys, (void **)&vals);
	json_t **v = calloc(n > 0 ? n : 1, sizeof(*v));

	for (long i = 0; v && i < n; i++) {
		char comm[16], nb[32];

		probe_comm(comm, sizeof(comm), vals[i].comm, sizeof(vals[i].comm));
		/* ranked by empty returns: those are the wasted calls */
		v[i] = json_pack("{s:i, s:s, s:s, s:I, s:I, s:f, s:f}", "pid", (int)keys[i].tgid,
				 "comm", comm, "syscall", sys_name(keys[i].id, nb, sizeof(nb)),
				 "calls", (json_int_t)vals[i].count, "count", (json_int_t)vals[i].zero,
				 "zero_per_s", per_s(c, vals[i].zero), "calls_per_s",
				 per_s(c, vals[i].count));
	}
	free(keys);
	free(vals);
	return v ? top_of(v, n > 0 ? n : 0) : json_array();
}

static json_t *harvest_parents(struct collector *c, struct waste_priv *p)
{
	uint32_t *keys;
	struct ws_parent *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.parents), sizeof(*keys), sizeof(*vals),
				WS_MAX_PARENTS, (void **)&keys, (void **)&vals);
	json_t **v = calloc(n > 0 ? n : 1, sizeof(*v));

	for (long i = 0; v && i < n; i++) {
		char comm[16], child[16];

		probe_comm(comm, sizeof(comm), vals[i].comm, sizeof(vals[i].comm));
		probe_comm(child, sizeof(child), vals[i].child_comm, sizeof(vals[i].child_comm));
		v[i] = json_pack("{s:i, s:s, s:s, s:I, s:I, s:f, s:f}", "pid", (int)keys[i],
				 "comm", comm, "child_comm", child, "exits", (json_int_t)vals[i].exits,
				 "count", (json_int_t)vals[i].short_lived,
				 "short_lived_per_s", per_s(c, vals[i].short_lived),
				 "mean_short_life_ms", vals[i].short_lived ?
				 vals[i].lifetime_ns / 1e6 / vals[i].short_lived : 0.0);
	}
	free(keys);
	free(vals);
	return v ? top_of(v, n > 0 ? n : 0) : json_array();
}

static int waste_harvest(struct collector *c, struct report *r)
{
	struct waste_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters);
	json_t *m;

	for (uint32_t i = 0; i < WS_NR_COUNTERS; i++)
		c->lost_events += maputil_percpu_u64(cfd, i);
	m = json_pack("{s:s, s:f, s:f, s:o, s:o, s:o, s:o, s:I}", "attach", "tracepoint",
		      "window_s", c->window_s, "short_life_under_ms", SHORT_LIFE_NS / 1e6,
		      "opens", harvest_opens(c, p), "errors", harvest_errors(c, p),
		      "empty_polls", harvest_polls(c, p), "short_lived_children",
		      harvest_parents(c, p), "lost_events", (json_int_t)c->lost_events);
	json_object_set_new(report_get(r, "measurements"), "waste", m);
	return 0;
}

static void waste_destroy(struct collector *c)
{
	struct waste_priv *p = c->priv;

	if (p)
		waste_bpf__destroy(p->skel);
	free(p);
	c->priv = NULL;
}

static struct bpf_object *waste_object(struct collector *c)
{
	struct waste_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops waste_collector = {
	.name = "waste",
	.subsystem = "syscalls",
	.summary = "unnecessary work (F-07): repeated opens and failing syscalls, empty polls, "
		   "children exiting within 10 ms",
	.available = waste_available,
	.start = waste_start,
	.stop = waste_stop,
	.harvest = waste_harvest,
	.destroy = waste_destroy,
	.object = waste_object,
};
