/* syscount.c: the "syscount" collector (syscalls): loads syscount.bpf.c and
 * harvests syscall rates, errors and time per syscall and per process into
 * report.measurements.syscount and report.histograms[] ("syscalls.latency",
 * ns, per syscall). Syscall names come from the C library's headers at
 * build time (build/syscall_names.h); ids it lacks are shown as sys_NNN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "bpf/syscount.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "syscount.skel.h"

#define TOP_SYSCALLS 15
#define TOP_PROCS 10
#define TOP_PER_PROC 3

static const char *const syscall_names[SC_MAX_SYSCALLS] = {
#include "syscall_names.h"
};

struct syscount_priv {
	struct syscount_bpf *skel;
	enum attach_kind kind;
	json_t *missing;            /* tracepoints this kernel lacks */
	uint64_t cgid;              /* --cgroup as a cgroup v2 id, 0: none */
	int nr_cpus;
};

/* One syscall id's totals over every CPU. */
struct sc_total {
	uint32_t id;
	struct sc_stat st;
};

/* One process's totals, and its (process, syscall) rows. */
struct sc_proc_total {
	uint32_t tgid;
	char comm[16];
	uint64_t count, errors, total_ns;
};

static const char *syscall_name(uint32_t id, char *buf, size_t len)
{
	if (id < SC_MAX_SYSCALLS && syscall_names[id])
		return syscall_names[id];
	snprintf(buf, len, "sys_%u", id);
	return buf;
}

static void *open_skel(void) { return syscount_bpf__open(); }
static int load_skel(void *s) { return syscount_bpf__load(s); }
static int attach_skel(void *s) { return syscount_bpf__attach(s); }
static void destroy_skel(void *s) { syscount_bpf__destroy(s); }
static struct bpf_object *skel_obj(void *s) { return ((struct syscount_bpf *)s)->obj; }

static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct syscount_bpf *skel = s;
	struct syscount_priv *p = c->priv;

	skel->rodata->targ_tgid = c->opts->pid;
	skel->rodata->targ_cgid = p->cgid;
	if (kind != ATTACH_TP_BTF)
		bpf_map__set_autocreate(skel->maps.start_ts, false);
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

static int syscount_available(struct report *r, char *why, size_t len)
{
	if (json_object_get(report_get(r, "capabilities"), "root") &&
	    !report_capability_ok(r, "root")) {
		snprintf(why, len, "needs root (see capabilities.root)");
		return -EPERM;
	}
	return 0;
}

static int syscount_start(struct collector *c, char *why, size_t len)
{
	struct syscount_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->nr_cpus = probe_nr_cpus();
	err = probe_cgroup_id(c->opts->cgroup, &p->cgid, why, len);
	if (err)
		return err;
	p->missing = json_array();
	p->skel = variant_open_load(c, &loader, &p->kind, p->missing, why, len);
	return p->skel ? 0 : -ENOENT;
}

/* Runs the flush_btf task iterator once: every live task's cached
 * (process, syscall) counts go to the procs hash. */
static void flush_cached(struct syscount_priv *p)
{
	char buf[64];
	int fd;

	if (!p->skel->links.flush_btf)
		return;
	fd = bpf_iter_create(bpf_link__fd(p->skel->links.flush_btf));
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void syscount_stop(struct collector *c)
{
	struct syscount_priv *p = c->priv;

	/* Syscalls stop being counted first, then the caches are emptied. */
	bpf_link__destroy(p->skel->links.enter_btf);
	bpf_link__destroy(p->skel->links.exit_btf);
	p->skel->links.enter_btf = p->skel->links.exit_btf = NULL;
	flush_cached(p);
	syscount_bpf__detach(p->skel);
}

static double per_s(struct collector *c, uint64_t n)
{
	return c->window_s > 0 ? (double)n / c->window_s : 0;
}

/* Sums the per-CPU stats array into totals[] (one batch read). */
static size_t read_totals(struct syscount_priv *p, struct sc_total *totals)
{
	size_t vsize = sizeof(struct sc_stat) * p->nr_cpus, n = 0;
	uint32_t *keys;
	struct sc_stat *vals;
	long got = probe_map_dump(bpf_map__fd(p->skel->maps.stats), sizeof(*keys), vsize,
				  SC_MAX_SYSCALLS, (void **)&keys, (void **)&vals);

	for (long i = 0; i < got; i++) {
		struct sc_stat *row = (struct sc_stat *)((char *)vals + i * vsize), sum = { 0 };

		for (int cpu = 0; cpu < p->nr_cpus; cpu++) {
			sum.count += row[cpu].count;
			sum.errors += row[cpu].errors;
			sum.total_ns += row[cpu].total_ns;
			if (row[cpu].max_ns > sum.max_ns)
				sum.max_ns = row[cpu].max_ns;
		}
		if (sum.count)
			totals[n++] = (struct sc_total){ .id = keys[i], .st = sum };
	}
	free(keys);
	free(vals);
	return n;
}

static int total_cmp(const void *a, const void *b)
{
	const struct sc_total *x = a, *y = b;

	return x->st.count < y->st.count ? 1 : x->st.count > y->st.count ? -1 : 0;
}

static json_t *per_syscall(struct collector *c, struct syscount_priv *p,
			   struct sc_total *totals, size_t n, json_t *hist, uint64_t *host_slots)
{
	uint32_t nr = SC_MAX_SYSCALLS * HIST_SLOTS, *keys;
	uint64_t *vals, *slots = calloc(nr, sizeof(*slots));
	long got = probe_map_dump(bpf_map__fd(p->skel->maps.hists), sizeof(*keys),
				  sizeof(*vals) * p->nr_cpus, nr, (void **)&keys, (void **)&vals);
	json_t *arr = json_array();

	/* A per-CPU array: each key's value is one slot per CPU. */
	for (long i = 0; slots && i < got; i++) {
		uint64_t sum = 0;

		if (keys[i] >= nr)
			continue;
		for (int cpu = 0; cpu < p->nr_cpus; cpu++)
			sum += vals[i * p->nr_cpus + cpu];
		slots[keys[i]] = sum;
		host_slots[keys[i] % HIST_SLOTS] += sum;
	}
	for (size_t i = 0; slots && i < n && i < TOP_SYSCALLS; i++) {
		struct sc_total *t = &totals[i];
		uint64_t *row = slots + t->id * HIST_SLOTS;
		struct hist_stats st;
		char buf[32];
		const char *name = syscall_name(t->id, buf, sizeof(buf));

		hist_compute(row, HIST_SLOTS, t->st.max_ns, &st);
		if (i < TOP_PROCS)
			hist_add_breakdown(hist, "syscall", name, row, HIST_SLOTS, t->st.max_ns,
					   json_pack("{s:i}", "id", (int)t->id));
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:I, s:f, s:I, s:f, s:f, s:f, s:f, s:f}",
			"id", (int)t->id, "name", name, "count", (json_int_t)t->st.count,
			"rate_per_s", per_s(c, t->st.count), "errors", (json_int_t)t->st.errors,
			"error_share", (double)t->st.errors / t->st.count,
			"total_ms", t->st.total_ns / 1e6, "p50_ns", st.p50, "p99_ns", st.p99,
			"max_ns", (double)t->st.max_ns));
	}
	free(slots);
	free(keys);
	free(vals);
	return arr;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct sc_proc_total *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* The busiest syscalls of one process, from the (process, syscall) rows. */
static json_t *proc_syscalls(struct collector *c, uint32_t tgid, struct sc_proc_key *keys,
			     struct sc_proc *vals, long n)
{
	json_t *arr = json_array();
	long picked[TOP_PER_PROC];
	char buf[32];

	for (int k = 0; k < TOP_PER_PROC; k++) {
		long best = -1;

		for (long i = 0; i < n; i++) {
			bool taken = false;

			if (keys[i].tgid != tgid)
				continue;
			for (int j = 0; j < k; j++)
				taken |= picked[j] == i;
			if (!taken && (best < 0 || vals[i].count > vals[best].count))
				best = i;
		}
		if (best < 0)
			break;
		picked[k] = best;
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:f, s:I}",
			"name", syscall_name(keys[best].id, buf, sizeof(buf)),
			"count", (json_int_t)vals[best].count,
			"rate_per_s", per_s(c, vals[best].count),
			"errors", (json_int_t)vals[best].errors));
	}
	return arr;
}

/* Folds the per-CPU copies of each (process, syscall) row into the first
 * copy: counts summed, the name from whichever CPU set it. */
static void fold_cpus(struct sc_proc *vals, long n, int nr_cpus)
{
	for (long i = 0; i < n; i++) {
		struct sc_proc *row = vals + i * nr_cpus;

		for (int cpu = 1; cpu < nr_cpus; cpu++) {
			row[0].count += row[cpu].count;
			row[0].errors += row[cpu].errors;
			row[0].total_ns += row[cpu].total_ns;
			if (!row[0].comm[0])
				memcpy(row[0].comm, row[cpu].comm, sizeof(row[0].comm));
		}
		if (i)
			vals[i] = row[0];
	}
}

static json_t *per_process(struct collector *c, struct syscount_priv *p)
{
	struct sc_proc_key *keys;
	struct sc_proc *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.procs), sizeof(*keys),
				sizeof(*vals) * p->nr_cpus, SC_MAX_PROC_KEYS, (void **)&keys,
				(void **)&vals);
	struct sc_proc_total *procs = n > 0 ? calloc(n, sizeof(*procs)) : NULL;
	size_t nr_procs = 0;
	json_t *arr = json_array();

	if (n > 0)
		fold_cpus(vals, n, p->nr_cpus);

	for (long i = 0; procs && i < n; i++) {
		size_t j;

		for (j = 0; j < nr_procs && procs[j].tgid != keys[i].tgid; j++)
			;
		if (j == nr_procs) {
			procs[nr_procs].tgid = keys[i].tgid;
			probe_comm(procs[nr_procs].comm, sizeof(procs[0].comm), vals[i].comm,
				   sizeof(vals[i].comm));
			nr_procs++;
		}
		procs[j].count += vals[i].count;
		procs[j].errors += vals[i].errors;
		procs[j].total_ns += vals[i].total_ns;
	}
	if (procs)
		qsort(procs, nr_procs, sizeof(*procs), proc_cmp);
	for (size_t i = 0; i < nr_procs && i < TOP_PROCS; i++)
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:I, s:f, s:I, s:f, s:f, s:o}",
			"pid", (int)procs[i].tgid, "comm", procs[i].comm,
			"count", (json_int_t)procs[i].count, "rate_per_s", per_s(c, procs[i].count),
			"errors", (json_int_t)procs[i].errors,
			"errors_per_s", per_s(c, procs[i].errors),
			"time_ms", procs[i].total_ns / 1e6,
			"top_syscalls", proc_syscalls(c, procs[i].tgid, keys, vals, n)));
	free(procs);
	free(keys);
	free(vals);
	return arr;
}

static int syscount_harvest(struct collector *c, struct report *r)
{
	struct syscount_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters);
	struct sc_total *totals = calloc(SC_MAX_SYSCALLS, sizeof(*totals));
	uint64_t host_slots[HIST_SLOTS] = { 0 }, count = 0, errors = 0, time_ns = 0;
	size_t n;
	json_t *hist, *m, *sys;

	if (!totals)
		return -ENOMEM;
	n = read_totals(p, totals);
	qsort(totals, n, sizeof(*totals), total_cmp);
	for (size_t i = 0; i < n; i++) {
		count += totals[i].st.count;
		errors += totals[i].st.errors;
		time_ns += totals[i].st.total_ns;
	}
	hist = json_pack("{s:s, s:s, s:s}", "name", "syscalls.latency", "unit", "ns",
			 "source", "syscount");
	sys = per_syscall(c, p, totals, n, hist, host_slots);
	{
		json_t *whole = hist_json("syscalls.latency", "ns", "syscount", host_slots,
					  HIST_SLOTS, 0);

		json_object_set(whole, "per_key", json_object_get(hist, "per_key"));
		json_decref(hist);
		hist = whole;
	}
	c->lost_events = maputil_percpu_u64(cfd, SC_LOST_START_FULL) +
			 maputil_percpu_u64(cfd, SC_LOST_PROC_FULL) +
			 maputil_percpu_u64(cfd, SC_LOST_BAD_ID);
	m = json_pack("{s:s, s:f, s:{s:I, s:f, s:I, s:f, s:f, s:f}, s:o, s:o, s:I, s:{s:i, s:s}}",
		      "attach", attach_kind_name(p->kind), "window_s", c->window_s,
		      "total", "count", (json_int_t)count, "rate_per_s", per_s(c, count),
		      "errors", (json_int_t)errors, "errors_per_s", per_s(c, errors),
		      "time_s", time_ns / 1e9,
		      "time_share_of_window", c->window_s > 0 ? time_ns / 1e9 / c->window_s : 0,
		      "syscalls", sys, "processes", per_process(c, p),
		      "lost_events", (json_int_t)c->lost_events,
		      "filter", "pid", (int)c->opts->pid, "cgroup",
		      c->opts->cgroup ? c->opts->cgroup : "");
	json_object_set(m, "missing_probes", p->missing);
	json_object_set_new(report_get(r, "measurements"), "syscount", m);
	hist_append(report_get(r, "histograms"), hist);
	free(totals);
	return 0;
}

static void syscount_destroy(struct collector *c)
{
	struct syscount_priv *p = c->priv;

	if (p) {
		syscount_bpf__destroy(p->skel);
		json_decref(p->missing);
	}
	free(p);
	c->priv = NULL;
}

static struct bpf_object *syscount_object(struct collector *c)
{
	struct syscount_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops syscount_collector = {
	.name = "syscount",
	.subsystem = "syscalls",
	.summary = "syscall rate, errors and time per syscall and per process (F-05, TH-06)",
	.available = syscount_available,
	.start = syscount_start,
	.stop = syscount_stop,
	.harvest = syscount_harvest,
	.destroy = syscount_destroy,
	.object = syscount_object,
};
