/* runqlat.c: the "runqlat" collector (cpu): loads runqlat.bpf.c (tp_btf,
 * else raw_tp, else classic tracepoints), samples procs_running from
 * /proc/stat during the window (T60-03's r, alongside the latencies), and
 * harvests the in-kernel histograms into report.measurements.runqlat and
 * report.histograms[] ("cpu.runq_latency" per CPU, "cpu.runq_latency_process"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "bpf/runqlat.h"
#include "lib/cgroupfs.h"
#include "lib/hist.h"
#include "lib/heatmap.h"
#include "lib/util.h"
#include "runqlat.skel.h"

#define TOP_PROCS 10
#define TOP_CGROUPS 10
#define MAX_OUTLIERS 200

struct runqlat_priv {
	struct runqlat_bpf *skel;
	struct probe_load ld;
	int nr_cpus;
	/* procs_running samples, less friday's own sampling thread */
	uint64_t r_samples, r_sum, r_max, r_over_cpus;
	/* Thursday's knobs: per-cgroup histograms, the slowest N waits */
	bool per_cgroup;
	int nr_outliers;
	bool heatmap;                   /* time x latency counts (Thursday) */
	uint64_t heat_col_ns;
	const char *drill_down_off;     /* why the knobs could not apply, or NULL */
	struct ring_buffer *rb;
	struct rq_outlier *outliers;    /* the slowest first, nr_kept of them */
	int nr_kept;
	double real_minus_mono_s;
};

static void *open_skel(void) { return runqlat_bpf__open(); }
static int load_skel(void *s) { return runqlat_bpf__load(s); }
static int attach_skel(void *s) { return runqlat_bpf__attach(s); }
static void destroy_skel(void *s) { runqlat_bpf__destroy(s); }
static struct bpf_object *skel_obj(void *s) { return ((struct runqlat_bpf *)s)->obj; }

/* The classic variant has no task pointer for the woken task: it keys by
 * thread id and cannot filter by process or cgroup (said in the report). */
static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct runqlat_bpf *skel = s;
	struct runqlat_priv *p = c->priv;
	bool classic = kind == ATTACH_TRACEPOINT;

	skel->rodata->targ_tgid = classic ? 0 : c->opts->pid;
	skel->rodata->targ_cgid = classic ? 0 : p->ld.cgid;
	skel->rodata->key_by_tid = classic;
	skel->rodata->per_cgroup = p->per_cgroup && !classic;
	skel->rodata->outliers = p->nr_outliers > 0 && !classic;
	skel->rodata->heatmap = p->heatmap;
	skel->rodata->heat_col_ns = p->heat_col_ns;
	if (!p->heatmap)
		bpf_map__set_max_entries(skel->maps.heat, 1);
	p->drill_down_off = classic && (p->per_cgroup || p->nr_outliers) ?
		"classic tracepoints give no task pointers: no cgroup and no CPU holder" : NULL;
	/* Tuesday's run keeps the drill-down maps at their smallest. */
	if (!skel->rodata->per_cgroup)
		bpf_map__set_max_entries(skel->maps.cgroups, 1);
	if (!skel->rodata->outliers)
		bpf_map__set_max_entries(skel->maps.outlier_rb, 4096);
	bpf_map__set_max_entries(skel->maps.hist_cpu, p->nr_cpus * HIST_SLOTS);
	if (kind != ATTACH_TP_BTF)
		bpf_map__set_autocreate(skel->maps.start_ts, false);
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

/* Keeps the slowest nr_outliers waits, slowest first; once the list is
 * full, the kernel sends only waits longer than its last. */
static int on_outlier(void *ctx, void *data, size_t size)
{
	struct runqlat_priv *p = ctx;
	const struct rq_outlier *o = data;
	int i;

	if (size < sizeof(*o))
		return 0;
	if (p->nr_kept == p->nr_outliers && o->lat_ns <= p->outliers[p->nr_kept - 1].lat_ns)
		return 0;
	if (p->nr_kept < p->nr_outliers)
		p->nr_kept++;
	for (i = p->nr_kept - 1; i > 0 && p->outliers[i - 1].lat_ns < o->lat_ns; i--)
		p->outliers[i] = p->outliers[i - 1];
	p->outliers[i] = *o;
	if (p->nr_kept == p->nr_outliers)
		p->skel->bss->outlier_min_ns = p->outliers[p->nr_kept - 1].lat_ns;
	return 0;
}

static int start_outliers(struct runqlat_priv *p, char *why, size_t len)
{
	p->outliers = calloc(p->nr_outliers, sizeof(*p->outliers));
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.outlier_rb), on_outlier, p, NULL);
	if (!p->outliers || !p->rb) {
		snprintf(why, len, "outlier ring buffer: %s", strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	p->real_minus_mono_s = now_real_s() - now_mono_s();
	return 0;
}

static int runqlat_start(struct collector *c, char *why, size_t len)
{
	struct runqlat_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->nr_cpus = probe_nr_cpus();
	p->per_cgroup = collector_knob(c, "per_cgroup", 0) != 0;
	p->nr_outliers = (int)collector_knob(c, "outliers", 0);
	p->heatmap = collector_knob(c, "heatmap", 0) != 0;
	p->heat_col_ns = heatmap_col_ns(c->opts->duration_s);
	if (p->nr_outliers < 0 || p->nr_outliers > MAX_OUTLIERS) {
		snprintf(why, len, "knob outliers: %d is not within 0..%d", p->nr_outliers,
			 MAX_OUTLIERS);
		return -EINVAL;
	}
	err = probe_start(c, &loader, &p->ld, (void **)&p->skel, why, len);
	if (err)
		return err;
	if (p->skel->rodata->outliers)
		return start_outliers(p, why, len);
	return 0;
}

/* procs_running from /proc/stat: runnable threads, running ones included,
 * less one: the thread reading it (friday's) is running as it reads. */
static int runqlat_poll(struct collector *c)
{
	struct runqlat_priv *p = c->priv;
	char *text = read_file_alloc("/proc/stat", NULL), *line;
	unsigned long long r;

	if (p->rb)
		ring_buffer__poll(p->rb, 0);
	heatmap_open(&p->skel->bss->heat_start_ns, c);
	if (!text)
		return -errno;
	line = strstr(text, "\nprocs_running ");
	if (line && sscanf(line, "\nprocs_running %llu", &r) == 1) {
		r = r ? r - 1 : 0;
		p->r_samples++;
		p->r_sum += r;
		if (r > p->r_max)
			p->r_max = r;
		if (r > (unsigned long long)p->nr_cpus)
			p->r_over_cpus++;
	}
	free(text);
	return 0;
}

static void runqlat_stop(struct collector *c)
{
	struct runqlat_priv *p = c->priv;

	runqlat_bpf__detach(p->skel);
	if (p->rb)
		ring_buffer__consume(p->rb);
}

static void read_host_hist(struct runqlat_priv *p, uint64_t *slots)
{
	maputil_percpu_hist(bpf_map__fd(p->skel->maps.hist_host), 0, slots);
}

/* Per-CPU histograms: one batch read of the whole nr_cpus x slots array. */
static json_t *per_cpu(struct runqlat_priv *p, json_t *hist)
{
	uint32_t n = p->nr_cpus * HIST_SLOTS;
	json_t *arr = json_array();
	uint32_t *keys;
	uint64_t *vals, *slots = calloc(n, sizeof(*slots));
	long got = probe_map_dump(bpf_map__fd(p->skel->maps.hist_cpu), sizeof(*keys),
				  sizeof(*vals), n, (void **)&keys, (void **)&vals);

	for (long i = 0; slots && i < got; i++)
		if (keys[i] < n)
			slots[keys[i]] = vals[i];
	for (int cpu = 0; slots && cpu < p->nr_cpus; cpu++) {
		uint64_t *row = slots + cpu * HIST_SLOTS;
		struct hist_stats st;
		char key[16];

		hist_compute(row, HIST_SLOTS, 0, &st);
		if (!st.count)
			continue;
		snprintf(key, sizeof(key), "%d", cpu);
		hist_add_breakdown(hist, "cpu", key, row, HIST_SLOTS, 0, NULL);
		json_array_append_new(arr, json_pack("{s:i, s:I, s:f, s:f, s:f}", "cpu", cpu,
						     "count", (json_int_t)st.count, "p50_us", st.p50,
						     "p99_us", st.p99, "max_us", st.max));
	}
	free(keys);
	free(vals);
	free(slots);
	return arr;
}

static uint64_t proc_total_ns(const void *v) { return ((const struct rq_proc *)v)->total_ns; }

/* Top processes by total queued time, into measurements and a histogram. */
static json_t *top_procs(struct collector *c, struct runqlat_priv *p, json_t *hist)
{
	json_t *arr = json_array();
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.procs), sizeof(uint32_t),
				sizeof(struct rq_proc), RQ_MAX_PROCS, proc_total_ns);

	for (long i = 0; i < n && i < TOP_PROCS; i++) {
		const struct rq_proc *e = t.order[i];
		uint32_t pid = *(const uint32_t *)probe_top_key(&t, i);
		struct hist_stats st;
		char comm[16], key[32];

		probe_comm(comm, sizeof(comm), e->comm, sizeof(e->comm));
		hist_compute((const uint64_t *)e->slots, HIST_SLOTS, e->max_ns / 1000, &st);
		snprintf(key, sizeof(key), "%s/%u", comm, pid);
		hist_add_breakdown(hist, "process", key, (const uint64_t *)e->slots, HIST_SLOTS, e->max_ns / 1000,
				   json_pack("{s:s, s:i}", "comm", comm, "pid", (int)pid));
		json_array_append_new(arr, json_pack(
			"{s:i, s:i, s:s, s:f, s:I, s:f, s:f, s:f, s:f}",
			"pid", (int)pid, "tid", (int)e->last_tid, "comm", comm,
			"total_queued_ms", e->total_ns / 1e6, "count", (json_int_t)e->count,
			"p50_us", st.p50, "p99_us", st.p99, "max_us", e->max_ns / 1e3,
			"queued_share", c->window_s > 0 ? e->total_ns / 1e9 / c->window_s : 0));
	}
	json_object_set_new(hist, "nr_processes", json_integer(t.nr));
	probe_top_free(&t);
	return arr;
}

static json_t *runnable(struct runqlat_priv *p)
{
	return json_pack("{s:s, s:I, s:f, s:I, s:I, s:f, s:i}",
			 "source", "/proc/stat procs_running less friday's sampler, every 100 ms (T60-03)",
			 "samples", (json_int_t)p->r_samples,
			 "mean", p->r_samples ? (double)p->r_sum / p->r_samples : 0,
			 "max", (json_int_t)p->r_max,
			 "samples_over_cpus", (json_int_t)p->r_over_cpus,
			 "over_cpus_share", p->r_samples ? (double)p->r_over_cpus / p->r_samples : 0,
			 "cpus", p->nr_cpus);
}

/* The cpu controller's path of a cgroup id ("" when not found). */
static void cpu_cgroup_path(uint64_t id, char *buf, size_t len)
{
	if (cgroupfs_path_by_id("cpu", id, buf, len))
		snprintf(buf, len, "%s", "");
}

static uint64_t cg_total_ns(const void *v) { return ((const struct rq_cgroup *)v)->total_ns; }

/* Top cgroups by time queued, into measurements and a histogram. */
static json_t *top_cgroups(struct collector *c, struct runqlat_priv *p, json_t *hist)
{
	json_t *arr = json_array();
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.cgroups), sizeof(uint64_t),
				sizeof(struct rq_cgroup), RQ_MAX_CGROUPS, cg_total_ns);

	for (long i = 0; i < n && i < TOP_CGROUPS; i++) {
		const struct rq_cgroup *e = t.order[i];
		uint64_t id = *(const uint64_t *)probe_top_key(&t, i);
		struct hist_stats st;
		char path[512];

		cpu_cgroup_path(id, path, sizeof(path));
		hist_compute((const uint64_t *)e->slots, HIST_SLOTS, e->max_ns / 1000, &st);
		hist_add_breakdown(hist, "cgroup", path[0] ? path : "?", (const uint64_t *)e->slots,
				   HIST_SLOTS, e->max_ns / 1000, json_pack("{s:I}", "id", (json_int_t)id));
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:f, s:I, s:f, s:f, s:f, s:f}", "cgroup", path, "id", (json_int_t)id,
			"total_queued_ms", e->total_ns / 1e6, "count", (json_int_t)e->count,
			"p50_us", st.p50, "p99_us", st.p99, "max_us", e->max_ns / 1e3,
			"queued_share", c->window_s > 0 ? e->total_ns / 1e9 / c->window_s : 0));
	}
	json_object_set_new(hist, "nr_cgroups", json_integer(t.nr));
	probe_top_free(&t);
	return arr;
}

static json_t *outlier_rows(struct collector *c, struct runqlat_priv *p)
{
	json_t *rows = json_array();

	for (int i = 0; i < p->nr_kept; i++) {
		const struct rq_outlier *o = &p->outliers[i];
		double mono = o->time_ns / 1e9, wall = mono + p->real_minus_mono_s;
		char comm[17], holder[17], path[512], iso[32];
		time_t secs = (time_t)wall;
		struct tm tm;

		probe_comm(comm, sizeof(comm), o->comm, sizeof(o->comm));
		probe_comm(holder, sizeof(holder), o->holder_comm, sizeof(o->holder_comm));
		cpu_cgroup_path(o->cgid, path, sizeof(path));
		gmtime_r(&secs, &tm);
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(rows, json_pack(
			"{s:s, s:f, s:f, s:i, s:i, s:s, s:s, s:i, s:i, s:i, s:s}",
			"time_iso", iso, "t_s", mono > c->started_s ? mono - c->started_s : 0,
			"latency_us", o->lat_ns / 1e3, "pid", (int)o->pid, "tid", (int)o->tid,
			"comm", comm, "cgroup", path, "cpu", (int)o->cpu,
			"holder_pid", (int)o->holder_pid, "holder_tid", (int)o->holder_tid,
			"holder_comm", holder));
	}
	return rows;
}

/* Thursday's drill-down: per-cgroup histograms and the slowest waits. */
static void harvest_drill_down(struct collector *c, struct runqlat_priv *p, struct report *r,
			       json_t *m)
{
	static const char *const cols[] = { "time_iso", "t_s", "latency_us", "pid", "tid", "comm",
		"cgroup", "cpu", "holder_pid", "holder_tid", "holder_comm" };
	json_t *h, *rows, *columns;
	uint64_t slots[HIST_SLOTS];

	if (p->drill_down_off)
		json_object_set_new(m, "drill_down_off", json_string(p->drill_down_off));
	if (p->skel->rodata->per_cgroup) {
		read_host_hist(p, slots);
		h = hist_json("cpu.runq_latency_cgroup", "us", "runqlat", slots, HIST_SLOTS, 0);
		json_object_set_new(m, "per_cgroup", top_cgroups(c, p, h));
		hist_append(report_get(r, "histograms"), h);
	}
	if (!p->skel->rodata->outliers)
		return;
	rows = outlier_rows(c, p);
	columns = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		json_array_append_new(columns, json_string(cols[i]));
	json_object_set(m, "outliers", rows);
	json_array_append_new(report_get(r, "outliers"), json_pack(
		"{s:s, s:s, s:s, s:o, s:o}", "name", "cpu.runq_outliers", "title",
		"Slowest run-queue waits and the task that held the CPU (runqslower)",
		"source", "runqlat", "columns", columns, "rows", rows));
}

/* report.heatmaps[] "cpu.runq_latency_heatmap", with the heatmap knob. */
static void add_heatmap(struct collector *c, struct runqlat_priv *p, struct report *r)
{
	static uint64_t counts[HEAT_COLS * HIST_SLOTS];
	json_t *h;

	if (!p->heatmap || heatmap_read(bpf_map__fd(p->skel->maps.heat), counts))
		return;
	h = heatmap_json("cpu.runq_latency_heatmap", "Run-queue latency over time (runqlat; "
			 "the last column also holds later waits)", "us", counts, p->heat_col_ns,
			 c->window_s);
	if (h)
		heatmap_append(r->doc, h, "runqlat");
}

static int runqlat_harvest(struct collector *c, struct report *r)
{
	struct runqlat_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters);
	uint64_t slots[HIST_SLOTS];
	struct hist_stats st;
	json_t *h_cpu, *h_proc, *m;

	read_host_hist(p, slots);
	hist_compute(slots, HIST_SLOTS, 0, &st);
	c->lost_events = maputil_percpu_u64(cfd, RQ_LOST_START_FULL) +
			 maputil_percpu_u64(cfd, RQ_LOST_PROC_FULL) +
			 maputil_percpu_u64(cfd, RQ_LOST_CGROUP_FULL) +
			 maputil_percpu_u64(cfd, RQ_LOST_OUTLIER);
	h_cpu = hist_json("cpu.runq_latency", "us", "runqlat", slots, HIST_SLOTS, 0);
	h_proc = hist_json("cpu.runq_latency_process", "us", "runqlat", slots, HIST_SLOTS, 0);
	m = json_pack("{s:s, s:f, s:I, s:I, s:{s:I, s:f, s:f, s:f, s:f}, s:o, s:o, s:o, s:{s:i, s:s}, s:b}",
		      "attach", attach_kind_name(p->ld.kind), "window_s", c->window_s,
		      "events", (json_int_t)maputil_percpu_u64(cfd, RQ_EVENTS),
		      "lost_events", (json_int_t)c->lost_events,
		      "latency_us", "count", (json_int_t)st.count, "p50", st.p50, "p90", st.p90,
		      "p99", st.p99, "max", st.max,
		      "per_cpu", per_cpu(p, h_cpu),
		      "top_processes", top_procs(c, p, h_proc),
		      "runnable", runnable(p),
		      "filter", "pid", (int)c->opts->pid, "cgroup",
		      c->opts->cgroup ? c->opts->cgroup : "",
		      "keyed_by_tid", p->ld.kind == ATTACH_TRACEPOINT);
	json_object_set(m, "missing_probes", p->ld.missing);
	harvest_drill_down(c, p, r, m);
	add_heatmap(c, p, r);
	json_object_set_new(report_get(r, "measurements"), "runqlat", m);
	hist_append(report_get(r, "histograms"), h_cpu);
	hist_append(report_get(r, "histograms"), h_proc);
	return 0;
}

static void runqlat_destroy(struct collector *c)
{
	struct runqlat_priv *p = c->priv;

	if (p) {
		ring_buffer__free(p->rb);
		runqlat_bpf__destroy(p->skel);
		json_decref(p->ld.missing);
		free(p->outliers);
	}
	free(p);
	c->priv = NULL;
}

static struct bpf_object *runqlat_object(struct collector *c)
{
	struct runqlat_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

static const struct collector_knob runqlat_knobs[] = {
	{ "per_cgroup", KNOB_FLAG, 0, 1, "a run-queue latency histogram per cpu cgroup" },
	{ "heatmap", KNOB_FLAG, 0, 1, "a heat map of every wait, time x log2 latency" },
	{ "outliers", KNOB_INTEGER, 0, MAX_OUTLIERS, "keep the N slowest waits, with who held the CPU" },
	{ NULL, KNOB_FLAG, 0, 0, NULL },
};

const struct collector_ops runqlat_collector = {
	.name = "runqlat",
	.subsystem = "cpu",
	.summary = "run-queue latency per host, CPU and process (TH-02), with procs_running (T60-03); "
		   "on request per cgroup, as a heat map, and the slowest waits with who held the CPU",
	.available = probe_require_root,
	.start = runqlat_start,
	.poll = runqlat_poll,
	.stop = runqlat_stop,
	.harvest = runqlat_harvest,
	.destroy = runqlat_destroy,
	.object = runqlat_object,
	.knobs = runqlat_knobs,
};
