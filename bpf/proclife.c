/* proclife.c: the "proclife" collector (processes): loads proclife.bpf.c
 * and harvests fork/exec/exit counts, rates, the lifetime histogram, the
 * top spawning parents and the top programs into
 * report.measurements.proclife and report.histograms[] ("processes.lifetime"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "bpf/proclife.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "proclife.skel.h"

#define TOP_N 10
#define SHORT_LIVED_NS 1000000000ull   /* "short-lived": under 1 s */
#define COMM_KEY_LEN 16                 /* the comms map's key: a task's comm */

struct proclife_priv {
	struct proclife_bpf *skel;
	struct probe_load ld;
};

static void *open_skel(void) { return proclife_bpf__open(); }
static int load_skel(void *s) { return proclife_bpf__load(s); }
static int attach_skel(void *s) { return proclife_bpf__attach(s); }
static void destroy_skel(void *s) { proclife_bpf__destroy(s); }
static struct bpf_object *skel_obj(void *s) { return ((struct proclife_bpf *)s)->obj; }

static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct proclife_bpf *skel = s;
	struct proclife_priv *p = c->priv;

	skel->rodata->targ_tgid = c->opts->pid;
	skel->rodata->targ_cgid = p->ld.cgid;
	skel->rodata->short_ns = SHORT_LIVED_NS;
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

static int proclife_start(struct collector *c, char *why, size_t len)
{
	struct proclife_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	return probe_start(c, &loader, &p->ld, (void **)&p->skel, why, len);
}

static void proclife_stop(struct collector *c)
{
	struct proclife_priv *p = c->priv;

	proclife_bpf__detach(p->skel);
}

static double per_s(struct collector *c, uint64_t n)
{
	return c->window_s > 0 ? (double)n / c->window_s : 0;
}

static uint64_t parent_spawns(const void *v)
{
	const struct pl_parent *e = v;

	return e->forks + e->execs;
}

static json_t *top_parents(struct collector *c, struct proclife_priv *p)
{
	json_t *arr = json_array();
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.parents), sizeof(uint32_t),
				sizeof(struct pl_parent), PL_MAX_PARENTS, parent_spawns);

	for (long i = 0; i < n && i < TOP_N; i++) {
		const struct pl_parent *e = t.order[i];
		uint32_t pid = *(const uint32_t *)probe_top_key(&t, i);
		char comm[16];

		if (!e->forks && !e->execs)
			break;
		probe_comm(comm, sizeof(comm), e->comm, sizeof(e->comm));
		json_array_append_new(arr, json_pack(
			"{s:i, s:i, s:s, s:I, s:I, s:I, s:I, s:f, s:f}",
			"pid", (int)pid, "ppid", (int)e->ppid, "comm", comm,
			"forks", (json_int_t)e->forks, "execs", (json_int_t)e->execs,
			"child_exits", (json_int_t)e->child_exits,
			"short_lived", (json_int_t)e->short_lived,
			"forks_per_s", per_s(c, e->forks), "execs_per_s", per_s(c, e->execs)));
	}
	probe_top_free(&t);
	return arr;
}

static uint64_t comm_runs(const void *v)
{
	const struct pl_comm *e = v;

	return e->execs + e->exits;
}

static json_t *top_programs(struct collector *c, struct proclife_priv *p)
{
	json_t *arr = json_array();
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.comms), COMM_KEY_LEN,
				sizeof(struct pl_comm), PL_MAX_COMMS, comm_runs);

	for (long i = 0; i < n && i < TOP_N; i++) {
		const struct pl_comm *e = t.order[i];
		char comm[16], pcomm[16];

		probe_comm(comm, sizeof(comm), probe_top_key(&t, i), COMM_KEY_LEN);
		probe_comm(pcomm, sizeof(pcomm), e->parent_comm, sizeof(e->parent_comm));
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:I, s:I, s:f, s:f, s:i, s:i, s:s}",
			"comm", comm, "execs", (json_int_t)e->execs, "exits", (json_int_t)e->exits,
			"short_lived", (json_int_t)e->short_lived,
			"mean_lifetime_ms", e->exits ? e->lifetime_ns / 1e6 / e->exits : 0,
			"execs_per_s", per_s(c, e->execs), "last_pid", (int)e->last_pid,
			"parent_pid", (int)e->last_ppid, "parent_comm", pcomm));
	}
	probe_top_free(&t);
	return arr;
}

static int proclife_harvest(struct collector *c, struct report *r)
{
	struct proclife_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters), hfd = bpf_map__fd(p->skel->maps.lifetime_hist);
	uint64_t cnt[PL_NR_COUNTERS], slots[HIST_SLOTS];
	struct hist_stats st;
	json_t *m;

	maputil_percpu_u64s(cfd, 0, PL_NR_COUNTERS, cnt);
	maputil_percpu_hist(hfd, 0, slots);
	hist_compute(slots, HIST_SLOTS, 0, &st);
	c->lost_events = cnt[PL_LOST_PARENT_FULL] + cnt[PL_LOST_COMM_FULL];
	m = json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:f, s:{s:f, s:f, s:f}, "
		      "s:{s:I, s:f, s:f, s:f}, s:o, s:o, s:b, s:I}",
		      "attach", attach_kind_name(p->ld.kind), "window_s", c->window_s,
		      "forks", (json_int_t)cnt[PL_FORKS], "threads", (json_int_t)cnt[PL_THREADS],
		      "execs", (json_int_t)cnt[PL_EXECS], "exits", (json_int_t)cnt[PL_EXITS],
		      "short_lived", (json_int_t)cnt[PL_SHORT_LIVED],
		      "short_lived_under_s", SHORT_LIVED_NS / 1e9,
		      "rates", "forks_per_s", per_s(c, cnt[PL_FORKS]),
		      "execs_per_s", per_s(c, cnt[PL_EXECS]), "exits_per_s", per_s(c, cnt[PL_EXITS]),
		      "lifetime_us", "count", (json_int_t)st.count, "p50", st.p50, "p99", st.p99,
		      "max", st.max,
		      "top_parents", top_parents(c, p),
		      "top_programs", top_programs(c, p),
		      "forks_include_threads", p->ld.kind == ATTACH_TRACEPOINT,
		      "lost_events", (json_int_t)c->lost_events);
	json_object_set(m, "missing_probes", p->ld.missing);
	json_object_set_new(report_get(r, "measurements"), "proclife", m);
	hist_append(report_get(r, "histograms"),
		    hist_json("processes.lifetime", "us", "proclife", slots, HIST_SLOTS, 0));
	return 0;
}

static void proclife_destroy(struct collector *c)
{
	struct proclife_priv *p = c->priv;

	if (p) {
		proclife_bpf__destroy(p->skel);
		json_decref(p->ld.missing);
	}
	free(p);
	c->priv = NULL;
}

static struct bpf_object *proclife_object(struct collector *c)
{
	struct proclife_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops proclife_collector = {
	.name = "proclife",
	.subsystem = "processes",
	.summary = "fork, exec and exit rates, lifetimes, short-lived processes and their parents",
	.available = probe_require_root,
	.start = proclife_start,
	.stop = proclife_stop,
	.harvest = proclife_harvest,
	.destroy = proclife_destroy,
	.object = proclife_object,
};
