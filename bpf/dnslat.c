/* dnslat.c: the "dnslat" collector (network): attaches dnslat.bpf.c's
 * uprobe and uretprobe to getaddrinfo, gethostbyname and gethostbyname2 of
 * the C library (the target's, from /proc/PID/maps with -p; else the one
 * friday itself runs with, which is the host's), so every process mapping
 * that file is timed. Slow lookups (over the slow_ms knob, default 100 ms:
 * TH-05) become slow_lookup events with the name looked up; latencies go
 * into report.measurements.dnslat and report.histograms[]
 * ("network.dns_latency", per process). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/dnslat.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "dnslat.skel.h"

#define DEFAULT_SLOW_MS 100      /* TH-05: DNS p99 > 100 ms -> WARN */
#define DEFAULT_MAX_EVENTS 1000
#define TOP_PROCS 10

static const char *const func_names[DNS_NR_FUNCS] = {
	[DNS_GETADDRINFO] = "getaddrinfo",
	[DNS_GETHOSTBYNAME] = "gethostbyname",
	[DNS_GETHOSTBYNAME2] = "gethostbyname2",
};

struct dnslat_priv {
	struct dnslat_bpf *skel;
	struct ring_buffer *rb;
	struct collector *c;
	struct bpf_link *links[2 * DNS_NR_FUNCS];
	char libc[4096];
	json_t *probes;             /* the functions probed */
	json_t *missing;            /* functions the library lacks */
	json_t *slow;               /* slow lookups, as listed in events[] */
	uint64_t cgid;              /* --cgroup as a cgroup v2 id, 0: none */
	double slow_ms;
	double real_minus_mono_s;
};

/* The first mapping of a file named libc.so.6 (or libc-*.so) in a maps file. */
static int libc_from_maps(const char *maps, char *path, size_t len)
{
	char line[4096], file[4096];
	FILE *f = fopen(maps, "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		const char *base;

		file[0] = '\0';
		if (sscanf(line, "%*s %*s %*s %*s %*s %4095[^\n]", file) != 1 || file[0] != '/')
			continue;
		base = strrchr(file, '/') + 1;
		if (!strcmp(base, "libc.so.6") || (str_starts(base, "libc-") && strstr(base, ".so"))) {
			snprintf(path, len, "%s", file);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* The C library to probe: the target's, seen through its root (it may
 * live in a container), else friday's own. */
static int find_libc(struct collector *c, char *path, size_t len, char *why, size_t why_len)
{
	char maps[64], found[4000];
	int err;

	if (!c->opts->pid)
		err = libc_from_maps("/proc/self/maps", path, len);
	else {
		snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)c->opts->pid);
		err = libc_from_maps(maps, found, sizeof(found));
		if (!err)
			snprintf(path, len, "/proc/%d/root%s", (int)c->opts->pid, found);
	}
	if (err)
		snprintf(why, why_len, "no C library (libc.so.6) mapped in %s: a static or "
			 "non-glibc program cannot be probed here", c->opts->pid ? maps : "friday");
	return err;
}

static int attach_one(struct dnslat_priv *p, int func, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func_names[func], .bpf_cookie = func);
	struct bpf_link *in, *out;

	in = bpf_program__attach_uprobe_opts(p->skel->progs.lookup_enter, pid, p->libc, 0, &o);
	if (!in)
		return -errno;
	o.retprobe = true;
	out = bpf_program__attach_uprobe_opts(p->skel->progs.lookup_return, pid, p->libc, 0, &o);
	if (!out) {
		int err = -errno;

		bpf_link__destroy(in);
		return err;
	}
	p->links[2 * func] = in;
	p->links[2 * func + 1] = out;
	return 0;
}

static void detach_all(struct dnslat_priv *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->links); i++) {
		bpf_link__destroy(p->links[i]);
		p->links[i] = NULL;
	}
}

static int on_slow(void *ctx, void *data, size_t size)
{
	struct dnslat_priv *p = ctx;
	const struct dns_slow *s = data;
	char comm[DNS_COMM_LEN + 1], host[DNS_HOST_LEN + 1];
	double start = s->start_ns / 1e9, t;
	json_t *d;

	if (size < sizeof(*s) || s->func >= DNS_NR_FUNCS)
		return 0;
	probe_comm(comm, sizeof(comm), s->comm, DNS_COMM_LEN);
	probe_comm(host, sizeof(host), s->host, DNS_HOST_LEN);
	t = p->c->started_s > 0 && start > p->c->started_s ? start - p->c->started_s : 0;
	d = json_pack("{s:s, s:s, s:f, s:s, s:i, s:i, s:b, s:f}", "host", host, "function",
		      func_names[s->func], "latency_ms", s->lat_ns / 1e6, "comm", comm, "pid", (int)s->pid,
		      "tid", (int)s->tid, "failed", s->failed, "slow_ms", p->slow_ms);
	json_array_append(p->slow, d);
	/* On the timeline when the lookup began, so it lines up with its cause. */
	report_add_event_at(p->c->report, start + p->real_minus_mono_s, t, "slow_lookup", comm, d);
	return 0;
}

static int dnslat_available(struct report *r, char *why, size_t len)
{
	return probe_require_root(r, why, len) ?:
	       probe_require(r, "uprobe", -ENOTSUP, "needs uprobes (see capabilities.uprobe)",
			     why, len);
}

static int load(struct dnslat_priv *p, struct collector *c, char *why, size_t len)
{
	int err;

	p->skel = dnslat_bpf__open();
	if (!p->skel) {
		snprintf(why, len, "open: %s", strerror(errno));
		return -errno;
	}
	p->skel->rodata->targ_tgid = c->opts->pid;
	p->skel->rodata->targ_cgid = p->cgid;
	p->skel->rodata->slow_ns = (uint64_t)(p->slow_ms * 1e6);
	p->skel->rodata->max_events = (uint64_t)collector_knob(c, "max_events", DEFAULT_MAX_EVENTS);
	err = dnslat_bpf__load(p->skel);
	if (err)
		snprintf(why, len, "load: %s", strerror(-err));
	return err;
}

static int dnslat_start(struct collector *c, char *why, size_t len)
{
	struct dnslat_priv *p = calloc(1, sizeof(*p));
	pid_t pid = c->opts->pid ? c->opts->pid : -1;
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->c = c;
	p->probes = json_array();
	p->missing = json_array();
	p->slow = json_array();
	p->slow_ms = collector_knob(c, "slow_ms", DEFAULT_SLOW_MS);
	p->real_minus_mono_s = now_real_s() - now_mono_s();
	err = probe_cgroup_id(c->opts->cgroup, &p->cgid, why, len);
	if (!err)
		err = find_libc(c, p->libc, sizeof(p->libc), why, len);
	if (err || (err = load(p, c, why, len)))
		return err;
	for (int f = 0; f < DNS_NR_FUNCS; f++) {
		if (attach_one(p, f, pid) == 0)
			json_array_append_new(p->probes, json_string(func_names[f]));
		else
			json_array_append_new(p->missing, json_string(func_names[f]));
	}
	if (!json_array_size(p->probes)) {
		snprintf(why, len, "no uprobe attached to getaddrinfo or gethostbyname in %s", p->libc);
		return -ENOENT;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.slow), on_slow, p, NULL);
	if (!p->rb) {
		snprintf(why, len, "ring buffer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int dnslat_poll(struct collector *c)
{
	struct dnslat_priv *p = c->priv;

	return ring_buffer__poll(p->rb, 0);
}

static void dnslat_stop(struct collector *c)
{
	struct dnslat_priv *p = c->priv;

	detach_all(p);
	ring_buffer__consume(p->rb);
}

static uint64_t proc_total_ns(const void *v) { return ((const struct dns_proc *)v)->total_ns; }

/* Top processes by time spent looking names up; per process histogram. */
static json_t *top_procs(struct dnslat_priv *p, json_t *hist)
{
	json_t *arr = json_array();
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.procs), sizeof(uint32_t),
				sizeof(struct dns_proc), DNS_MAX_PROCS, proc_total_ns);

	for (long i = 0; i < n && i < TOP_PROCS; i++) {
		const struct dns_proc *e = t.order[i];
		uint32_t pid = *(const uint32_t *)probe_top_key(&t, i);
		char comm[DNS_COMM_LEN + 1], host[DNS_HOST_LEN + 1], key[40];
		struct hist_stats st;

		probe_comm(comm, sizeof(comm), e->comm, DNS_COMM_LEN);
		probe_comm(host, sizeof(host), e->max_host, DNS_HOST_LEN);
		hist_compute((const uint64_t *)e->slots, HIST_SLOTS, e->max_ns / 1000, &st);
		snprintf(key, sizeof(key), "%s/%u", comm, pid);
		hist_add_breakdown(hist, "process", key, (const uint64_t *)e->slots, HIST_SLOTS,
				   e->max_ns / 1000, json_pack("{s:s, s:i}", "comm", comm, "pid", (int)pid));
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:s}",
			"pid", (int)pid, "comm", comm, "lookups", (json_int_t)e->count,
			"failed", (json_int_t)e->failed, "slow", (json_int_t)e->slow,
			"total_ms", e->total_ns / 1e6, "p50_ms", st.p50 / 1e3, "p99_ms", st.p99 / 1e3,
			"max_ms", e->max_ns / 1e6, "slowest_host", host));
	}
	probe_top_free(&t);
	return arr;
}

static int dnslat_harvest(struct collector *c, struct report *r)
{
	struct dnslat_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters), hfd = bpf_map__fd(p->skel->maps.hist_host);
	uint64_t slots[HIST_SLOTS], n[DNS_NR_COUNTERS];
	struct hist_stats st;
	json_t *h, *m;

	maputil_percpu_hist(hfd, 0, slots);
	maputil_percpu_u64s(cfd, 0, DNS_NR_COUNTERS, n);
	hist_compute(slots, HIST_SLOTS, 0, &st);
	c->lost_events = n[DNS_LOST_INFLIGHT_FULL] + n[DNS_LOST_PROC_FULL] + n[DNS_LOST_RINGBUF] +
			 n[DNS_LOST_CAP];
	h = hist_json("network.dns_latency", "us", "dnslat", slots, HIST_SLOTS, 0);
	m = json_pack("{s:s, s:s, s:O, s:O, s:f, s:I, s:I, s:f, s:{s:I, s:f, s:f, s:f, s:f}, "
		      "s:o, s:O, s:I, s:I, s:{s:i, s:s}}",
		      "attach", "uprobe", "libc", p->libc, "probes", p->probes,
		      "missing_probes", p->missing, "window_s", c->window_s,
		      "lookups", (json_int_t)n[DNS_LOOKUPS], "slow", (json_int_t)n[DNS_SLOW],
		      "slow_ms", p->slow_ms,
		      "latency_ms", "count", (json_int_t)st.count, "p50", st.p50 / 1e3,
		      "p90", st.p90 / 1e3, "p99", st.p99 / 1e3, "max", st.max / 1e3,
		      "processes", top_procs(p, h), "slow_lookups", p->slow,
		      "slow_not_listed", (json_int_t)(n[DNS_LOST_CAP] + n[DNS_LOST_RINGBUF]),
		      "lost_events", (json_int_t)c->lost_events,
		      "filter", "pid", (int)c->opts->pid, "cgroup",
		      c->opts->cgroup ? c->opts->cgroup : "");
	json_object_set_new(report_get(r, "measurements"), "dnslat", m);
	if (st.count)
		hist_append(report_get(r, "histograms"), h);
	else
		json_decref(h);
	return 0;
}

static void dnslat_destroy(struct collector *c)
{
	struct dnslat_priv *p = c->priv;

	if (!p)
		return;
	detach_all(p);
	ring_buffer__free(p->rb);
	dnslat_bpf__destroy(p->skel);
	json_decref(p->probes);
	json_decref(p->missing);
	json_decref(p->slow);
	free(p);
	c->priv = NULL;
}

static struct bpf_object *dnslat_object(struct collector *c)
{
	struct dnslat_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

static const struct collector_knob dnslat_knobs[] = {
	{ "slow_ms", KNOB_NUMBER, 0.001, 60000, "a lookup at least this slow is a slow_lookup event" },
	{ "max_events", KNOB_INTEGER, 1, 1000000, "slow lookups sent at most" },
	{ NULL, KNOB_FLAG, 0, 0, NULL },
};

const struct collector_ops dnslat_collector = {
	.name = "dnslat",
	.subsystem = "network",
	.summary = "name lookups (getaddrinfo, gethostbyname) by libc uprobes: latency per "
		   "process, slow lookups with the name (TH-05)",
	.available = dnslat_available,
	.start = dnslat_start,
	.poll = dnslat_poll,
	.stop = dnslat_stop,
	.harvest = dnslat_harvest,
	.destroy = dnslat_destroy,
	.object = dnslat_object,
	.knobs = dnslat_knobs,
};
