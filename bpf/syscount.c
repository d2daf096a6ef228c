/* syscount.c: the "syscount" collector (syscalls): loads syscount.bpf.c and
 * harvests syscall rates, errors and time per syscall and per process into
 * report.measurements.syscount and report.histograms[] ("syscalls.latency",
 * ns, per syscall). Syscall names come from the C library's headers at
 * build time (build/syscall_names.h); ids it lacks are shown as sys_NNN.
 * Knobs (the Thursday drill-down): {"latency": true, "slow_ms": 10} turns
 * on latency per (process, syscall) for read, write, fsync, fdatasync,
 * futex, poll, ppoll, epoll_wait, epoll_pwait, connect, accept and accept4
 * (TH-06) into report.measurements.syscount.latency, the histogram
 * "syscalls.latency_process" (ns) and the outlier table
 * "syscalls.slow_calls"; off, Tuesday's probe stays as cheap as before. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/syscount_fs.h"
#include "bpf/variant.h"
#include "bpf/syscount.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "syscount.skel.h"

#define TOP_SYSCALLS 15
#define TOP_PROCS 10
#define TOP_PER_PROC 3
#define LAT_KEEP 10             /* slowest calls kept per latency syscall */
#define LAT_TOP_KEYS 20         /* (process, syscall) rows in the report */
#define LAT_SLOW_MS_DEFAULT 10.0
/* One call in 8 timed: two clock reads and a slot cost more than counting
 * (docs/performance.md); rates and errors stay exact. */
#define TIME_EVERY_DEFAULT 8

#ifndef SYS_poll
#define SYS_poll -1
#endif
#ifndef SYS_epoll_wait
#define SYS_epoll_wait -1
#endif

/* The syscalls the latency knob times per process (TH-06). */
static const struct { const char *name; long nr; } lat_syscalls[SC_LAT_NR] = {
	{ "read", SYS_read }, { "write", SYS_write }, { "fsync", SYS_fsync },
	{ "fdatasync", SYS_fdatasync }, { "futex", SYS_futex }, { "poll", SYS_poll },
	{ "ppoll", SYS_ppoll }, { "epoll_wait", SYS_epoll_wait },
	{ "epoll_pwait", SYS_epoll_pwait }, { "connect", SYS_connect },
	{ "accept", SYS_accept }, { "accept4", SYS_accept4 },
};

struct lat_row {
	double time_s, wall_s, lat_ms;
	long long ret;
	unsigned pid, tid;
	char comm[16];
};

static const char *const syscall_names[SC_MAX_SYSCALLS] = {
#include "syscall_names.h"
};

struct syscount_priv {
	struct syscount_bpf *skel;
	enum attach_kind kind;
	json_t *missing;            /* tracepoints this kernel lacks */
	uint64_t cgid;              /* --cgroup as a cgroup v2 id, 0: none */
	int nr_cpus;
	bool latency;               /* knob: the Thursday latency part */
	double slow_ms;
	struct ring_buffer *rb;
	double mono_to_real_s;
	double started_s;
	struct lat_row rows[SC_LAT_NR][LAT_KEEP];
	size_t nr_rows[SC_LAT_NR];
	uint64_t slow_seen;
	uint32_t time_every;        /* knob: one call in this many is timed */
	uint64_t flush_lost;        /* cached rows the full procs map refused */
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
	skel->rodata->latency = p->latency;
	skel->rodata->lat_slow_ns = (uint64_t)(p->slow_ms * 1e6);
	for (int i = 0; i < SC_LAT_NR; i++)
		skel->rodata->lat_nr[i] = lat_syscalls[i].nr;
	skel->rodata->time_every = p->time_every;
	skel->rodata->fs_on = c->rider != NULL;
	if (c->rider)
		fslat_configure(c->rider, skel->obj);
	skel->rodata->nr_exit = SYS_exit;
	skel->rodata->nr_exit_group = SYS_exit_group;
	skel->rodata->nr_sigreturn = SYS_rt_sigreturn;
	if (!p->latency) {
		/* Tuesday: no latency maps at all. */
		bpf_map__set_autocreate(skel->maps.lat_procs, false);
		bpf_map__set_autocreate(skel->maps.lat_slow, false);
	}
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

/* Keeps the LAT_KEEP slowest calls of each syscall. */
static int on_slow(void *ctx, void *data, size_t size)
{
	struct syscount_priv *p = ctx;
	const struct sc_slow_event *e = data;
	struct lat_row row = { 0 }, *rows;
	size_t *nr, min = 0;

	if (size < sizeof(*e) || e->idx >= SC_LAT_NR)
		return 0;
	p->slow_seen++;
	row.time_s = e->end_ns / 1e9 - p->started_s;
	row.wall_s = e->end_ns / 1e9 + p->mono_to_real_s;
	row.lat_ms = e->lat_ns / 1e6;
	row.ret = e->ret;
	row.pid = e->pid;
	row.tid = e->tid;
	probe_comm(row.comm, sizeof(row.comm), e->comm, sizeof(e->comm));
	rows = p->rows[e->idx];
	nr = &p->nr_rows[e->idx];
	if (*nr < LAT_KEEP) {
		rows[(*nr)++] = row;
		return 0;
	}
	for (size_t i = 1; i < LAT_KEEP; i++)
		if (rows[i].lat_ms < rows[min].lat_ms)
			min = i;
	if (row.lat_ms > rows[min].lat_ms)
		rows[min] = row;
	return 0;
}

static void read_knobs(struct syscount_priv *p, json_t *knobs)
{
	json_t *slow = json_object_get(knobs, "slow_ms");

	p->latency = json_is_true(json_object_get(knobs, "latency"));
	p->slow_ms = json_is_number(slow) && json_number_value(slow) > 0 ?
		     json_number_value(slow) : LAT_SLOW_MS_DEFAULT;
}

static int syscount_start(struct collector *c, char *why, size_t len)
{
	struct syscount_priv *p = calloc(1, sizeof(*p));
	struct timespec mono, real;
	double knob;
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->nr_cpus = probe_nr_cpus();
	read_knobs(p, c->knobs);
	/* the latency part times every call of its syscalls */
	knob = collector_knob(c, "time_every", TIME_EVERY_DEFAULT);
	p->time_every = p->latency || knob < 1 ? 1 : knob > 65536 ? 65536 : (uint32_t)knob;
	err = probe_cgroup_id(c->opts->cgroup, &p->cgid, why, len);
	if (err)
		return err;
	p->missing = json_array();
	p->skel = variant_open_load(c, &loader, &p->kind, p->missing, why, len);
	if (!p->skel)
		return -ENOENT;
	if (!p->latency)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	p->mono_to_real_s = (real.tv_sec - mono.tv_sec) + (real.tv_nsec - mono.tv_nsec) / 1e9;
	p->started_s = mono.tv_sec + mono.tv_nsec / 1e9;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.lat_slow), on_slow, p, NULL);
	if (!p->rb) {
		snprintf(why, len, "ring buffer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int syscount_poll(struct collector *c)
{
	struct syscount_priv *p = c->priv;

	return p->rb ? ring_buffer__poll(p->rb, 0) : 0;
}

/* Adds one cached row to its procs entry, from user space (after the
 * programs are detached, nothing else writes the map). */
static void flush_row(struct syscount_priv *p, int procs_fd, const struct sc_cached *row,
		      struct sc_proc *vals)
{
	struct sc_proc_key key = { .tgid = row->tgid, .id = row->id };

	if (bpf_map_lookup_elem(procs_fd, &key, vals))
		memset(vals, 0, sizeof(*vals) * p->nr_cpus);
	vals[0].count += row->count;
	vals[0].errors += row->errors;
	vals[0].total_ns += row->total_ns;
	if (!vals[0].comm[0])
		memcpy(vals[0].comm, row->comm, sizeof(vals[0].comm));
	if (bpf_map_update_elem(procs_fd, &key, vals, BPF_ANY))
		p->flush_lost++;
}

/* Every CPU's cached (process, syscall) counts go to the procs hash. */
static void flush_cached(struct syscount_priv *p)
{
	struct sc_cpu_cache *caches = calloc(p->nr_cpus, sizeof(*caches));
	struct sc_proc *vals = calloc(p->nr_cpus, sizeof(*vals));
	int procs_fd = bpf_map__fd(p->skel->maps.procs);
	uint32_t zero = 0;

	if (caches && vals &&
	    !bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.cpu_cache), &zero, caches))
		for (int cpu = 0; cpu < p->nr_cpus; cpu++)
			for (int k = 0; k < SC_CACHED; k++)
				if (caches[cpu].rows[k].count)
					flush_row(p, procs_fd, &caches[cpu].rows[k], vals);
	free(caches);
	free(vals);
}

struct bpf_object *syscount_shared_object(struct collector *host, enum attach_kind *kind)
{
	struct syscount_priv *p = host->priv;

	if (!p || !p->skel || !p->skel->rodata->fs_on)
		return NULL;
	*kind = p->kind;
	return p->skel->obj;
}

static void syscount_stop(struct collector *c)
{
	struct syscount_priv *p = c->priv;

	/* Its programs carry fslat's part: stopped early by the budget, they
	 * stop fslat too, which is told so. */
	if (c->rider && c->rider->priv && !c->rider->stopped) {
		c->rider->window_s = now_mono_s() - c->rider->started_s;
		c->rider->ops->stop(c->rider);
		c->rider->stopped = true;
	}

	/* Syscalls stop being counted first, then the caches are emptied. */
	syscount_bpf__detach(p->skel);
	flush_cached(p);
	if (p->rb)
		ring_buffer__poll(p->rb, 0);
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

/* The per-syscall histograms (SC_MAX_SYSCALLS rows of HIST_SLOTS, one batch
 * read) into slots, and their sum over syscalls into host_slots. */
static uint64_t *read_hists(struct syscount_priv *p, uint64_t *host_slots)
{
	uint32_t nr = SC_MAX_SYSCALLS * HIST_SLOTS, *keys;
	uint64_t *vals, *slots = calloc(nr, sizeof(*slots));
	long got = probe_map_dump(bpf_map__fd(p->skel->maps.hists), sizeof(*keys),
				  sizeof(*vals) * p->nr_cpus, nr, (void **)&keys, (void **)&vals);

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
	free(keys);
	free(vals);
	return slots;
}

static json_t *per_syscall(struct collector *c, const uint64_t *slots,
			   struct sc_total *totals, size_t n, json_t *hist)
{
	json_t *arr = json_array();

	for (size_t i = 0; slots && i < n && i < TOP_SYSCALLS; i++) {
		struct sc_total *t = &totals[i];
		const uint64_t *row = slots + t->id * HIST_SLOTS;
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
	return arr;
}

/* The latency syscalls host-wide, from the per-syscall histograms. */
static json_t *lat_syscalls_json(struct collector *c, const uint64_t *slots,
				 const struct sc_total *totals, size_t n)
{
	json_t *obj = json_object();

	for (int i = 0; slots && i < SC_LAT_NR; i++) {
		long id = lat_syscalls[i].nr;
		uint64_t max_ns = 0;
		struct hist_stats st;

		if (id < 0 || id >= SC_MAX_SYSCALLS)
			continue;
		for (size_t k = 0; k < n; k++)
			if (totals[k].id == (uint32_t)id)
				max_ns = totals[k].st.max_ns;
		hist_compute(slots + id * HIST_SLOTS, HIST_SLOTS, max_ns, &st);
		if (!st.count)
			continue;
		json_object_set_new(obj, lat_syscalls[i].name, json_pack(
			"{s:I, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)st.count,
			"rate_per_s", per_s(c, st.count), "p50_ns", st.p50, "p90_ns", st.p90,
			"p99_ns", st.p99, "max_ns", st.max));
	}
	return obj;
}

struct lat_kv {
	struct sc_lat_key k;
	struct sc_lat v;
};

static int lat_cmp(const void *a, const void *b)
{
	const struct lat_kv *x = a, *y = b;

	return x->v.total_ns < y->v.total_ns ? 1 : x->v.total_ns > y->v.total_ns ? -1 : 0;
}

/* Per (process, syscall): the LAT_TOP_KEYS with the most time, each with
 * its percentiles and a per_key entry of syscalls.latency_process. */
static json_t *lat_processes(struct collector *c, struct syscount_priv *p, json_t *hist,
			     uint64_t *all_slots)
{
	struct sc_lat_key *keys;
	struct sc_lat *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.lat_procs), sizeof(*keys),
				sizeof(*vals), SC_LAT_MAX_KEYS, (void **)&keys, (void **)&vals);
	struct lat_kv *kv = calloc(n > 0 ? n : 1, sizeof(*kv));
	json_t *arr = json_array();

	for (long i = 0; kv && i < n; i++) {
		kv[i].k = keys[i];
		kv[i].v = vals[i];
		for (int s = 0; s < HIST_SLOTS; s++)
			all_slots[s] += vals[i].slots[s];
	}
	if (kv && n > 0)
		qsort(kv, n, sizeof(*kv), lat_cmp);
	for (long i = 0; kv && i < n && i < LAT_TOP_KEYS; i++) {
		const struct sc_lat *v = &kv[i].v;
		const char *name = kv[i].k.idx < SC_LAT_NR ? lat_syscalls[kv[i].k.idx].name : "?";
		struct hist_stats st;
		char comm[16], key[64];

		probe_comm(comm, sizeof(comm), v->comm, sizeof(v->comm));
		hist_compute((const uint64_t *)v->slots, HIST_SLOTS, v->max_ns, &st);
		snprintf(key, sizeof(key), "%s/%u %s", comm, kv[i].k.tgid, name);
		hist_add_breakdown(hist, "process_syscall", key, (const uint64_t *)v->slots,
				   HIST_SLOTS, v->max_ns, json_pack("{s:i, s:s}", "pid",
				   (int)kv[i].k.tgid, "syscall", name));
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:i}",
			"pid", (int)kv[i].k.tgid, "comm", comm, "syscall", name,
			"count", (json_int_t)v->count, "rate_per_s", per_s(c, v->count),
			"total_ms", v->total_ns / 1e6, "p50_ns", st.p50, "p90_ns", st.p90,
			"p99_ns", st.p99, "max_ns", (double)v->max_ns, "max_tid", (int)v->max_tid));
	}
	free(kv);
	free(keys);
	free(vals);
	return arr;
}

/* A kept slow call with the name of its syscall, for sorting. */
struct named_row {
	struct lat_row row;
	const char *name;
};

static int named_row_cmp(const void *a, const void *b)
{
	const struct named_row *x = a, *y = b;

	return x->row.lat_ms < y->row.lat_ms ? 1 : x->row.lat_ms > y->row.lat_ms ? -1 : 0;
}

/* The slow calls kept, slowest first: [{time_s, wall, pid, tid, comm,
 * syscall, ret, latency_ms}]. */
static json_t *lat_rows_json(struct syscount_priv *p)
{
	struct named_row all[SC_LAT_NR * LAT_KEEP] = { 0 };   /* for cppcheck: n bounds the reads */
	size_t n = 0;
	json_t *arr = json_array();

	for (int i = 0; i < SC_LAT_NR; i++)
		for (size_t k = 0; k < p->nr_rows[i]; k++)
			all[n++] = (struct named_row){ .row = p->rows[i][k],
						       .name = lat_syscalls[i].name };
	qsort(all, n, sizeof(all[0]), named_row_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct lat_row *w = &all[i].row;
		time_t secs = (time_t)w->wall_s;
		struct tm tm;
		char wall[64];

		gmtime_r(&secs, &tm);
		snprintf(wall, sizeof(wall), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)((w->wall_s - secs) * 1000));
		json_array_append_new(arr, json_pack("{s:f, s:s, s:i, s:i, s:s, s:s, s:I, s:f}",
			"time_s", w->time_s, "wall", wall, "pid", (int)w->pid, "tid", (int)w->tid,
			"comm", w->comm, "syscall", all[i].name, "ret", (json_int_t)w->ret,
			"latency_ms", w->lat_ms));
	}
	return arr;
}

/* measurements.syscount.latency, its histogram and its outlier table. */
static json_t *latency_section(struct collector *c, struct syscount_priv *p, struct report *r,
			       const uint64_t *slots, const struct sc_total *totals, size_t n)
{
	int cfd = bpf_map__fd(p->skel->maps.counters);
	uint64_t all_slots[HIST_SLOTS] = { 0 };
	json_t *parts, *procs, *rows, *h, *outs;
	char title[96];

	if (!p->latency)
		return json_pack("{s:b, s:s}", "enabled", 0, "reason", "off on Tuesday; the "
				 "Thursday syscall drill-down turns it on (knob latency)");
	parts = json_object();
	procs = lat_processes(c, p, parts, all_slots);
	rows = lat_rows_json(p);
	h = hist_json("syscalls.latency_process", "ns", "syscount", all_slots, HIST_SLOTS, 0);
	json_object_set(h, "per_key", json_object_get(parts, "per_key"));
	json_decref(parts);
	hist_append(report_get(r, "histograms"), h);
	outs = json_object_get(r->doc, "outliers");
	if (!outs) {
		outs = json_array();
		json_object_set_new(r->doc, "outliers", outs);
	}
	snprintf(title, sizeof(title), "Syscalls slower than %g ms (syscount, TH-06)", p->slow_ms);
	json_array_append_new(outs, json_pack("{s:s, s:s, s:[s,s,s,s,s,s,s], s:o}",
		"name", "syscalls.slow_calls", "title", title, "columns", "wall", "pid", "tid",
		"comm", "syscall", "ret", "latency_ms", "rows", json_deep_copy(rows)));
	return json_pack("{s:b, s:f, s:o, s:o, s:{s:f, s:I, s:I, s:I, s:i, s:o}, s:I}",
		"enabled", 1, "slow_ms", p->slow_ms, "syscalls", lat_syscalls_json(c, slots, totals, n),
		"processes", procs, "slow_calls", "threshold_ms", p->slow_ms,
		"count", (json_int_t)maputil_percpu_u64(cfd, SC_LAT_SLOW),
		"seen", (json_int_t)p->slow_seen,
		"lost", (json_int_t)maputil_percpu_u64(cfd, SC_LAT_LOST_RINGBUF),
		"kept_per_syscall", LAT_KEEP, "rows", rows,
		"lost_full", (json_int_t)maputil_percpu_u64(cfd, SC_LAT_LOST_FULL));
}

static int proc_cmp(const void *a, const void *b)
{
	const struct sc_proc_total *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static uint64_t count_rank(const void *val)
{
	return ((const struct sc_proc *)val)->count;
}

/* The busiest syscalls of one process, from the (process, syscall) rows. */
static json_t *proc_syscalls(struct collector *c, uint32_t tgid, struct sc_proc_key *keys,
			     struct sc_proc *vals, long n)
{
	json_t *arr = json_array();
	long top[TOP_PER_PROC];
	int nr = probe_top_of_tgid(keys, sizeof(*keys), vals, sizeof(*vals), n, tgid, count_rank,
				   top, TOP_PER_PROC);
	char buf[32];

	for (int k = 0; k < nr; k++) {
		const struct sc_proc *v = &vals[top[k]];

		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:f, s:I}",
			"name", syscall_name(keys[top[k]].id, buf, sizeof(buf)),
			"count", (json_int_t)v->count,
			"rate_per_s", per_s(c, v->count),
			"errors", (json_int_t)v->errors));
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
	uint64_t host_slots[HIST_SLOTS] = { 0 }, count = 0, errors = 0, time_ns = 0, *slots;
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
	slots = read_hists(p, host_slots);
	sys = per_syscall(c, slots, totals, n, hist);
	{
		json_t *whole = hist_json("syscalls.latency", "ns", "syscount", host_slots,
					  HIST_SLOTS, 0);

		json_object_set(whole, "per_key", json_object_get(hist, "per_key"));
		json_decref(hist);
		hist = whole;
	}
	c->lost_events = p->skel->bss->lost_events + p->flush_lost +
			 maputil_percpu_u64(cfd, SC_LOST_PROC_FULL) +
			 maputil_percpu_u64(cfd, SC_LOST_BAD_ID) +
			 maputil_percpu_u64(cfd, SC_LAT_LOST_FULL) +
			 maputil_percpu_u64(cfd, SC_LAT_LOST_RINGBUF);
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
	/* times (time_s, time_ms, histograms, max_ns) are of the timed calls,
	 * each counting time_every times */
	json_object_set_new(m, "time_every", json_integer(p->time_every));
	json_object_set(m, "missing_probes", p->missing);
	json_object_set_new(m, "latency", latency_section(c, p, r, slots, totals, n));
	json_object_set_new(report_get(r, "measurements"), "syscount", m);
	hist_append(report_get(r, "histograms"), hist);
	free(slots);
	free(totals);
	return 0;
}

static void syscount_destroy(struct collector *c)
{
	struct syscount_priv *p = c->priv;

	if (p) {
		ring_buffer__free(p->rb);
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

static const struct collector_knob syscount_knobs[] = {
	{ "latency", KNOB_FLAG, 0, 1, "TH-06's syscalls timed per process, and their slow calls" },
	{ "slow_ms", KNOB_NUMBER, 0.001, 60000, "a call at least this slow is a slow call" },
	{ "time_every", KNOB_INTEGER, 1, 65536, "time one call in N at random (1: all)" },
	{ NULL, KNOB_FLAG, 0, 0, NULL },
};

const struct collector_ops syscount_collector = {
	.name = "syscount",
	.subsystem = "syscalls",
	.summary = "syscall rate, errors and time per syscall and per process (F-05); on request "
		   "histograms per process and slow calls (TH-06)",
	.available = syscount_available,
	.start = syscount_start,
	.poll = syscount_poll,
	.stop = syscount_stop,
	.harvest = syscount_harvest,
	.destroy = syscount_destroy,
	.object = syscount_object,
	.knobs = syscount_knobs,
};
