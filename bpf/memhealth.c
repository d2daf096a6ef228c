/* memhealth.c: the memory health collector (user side of memhealth.bpf.c).
 * Loads the probes, takes /proc/vmstat deltas over the same window (swap-in
 * and swap-out, scans, allocation stalls: no tracepoints exist for them),
 * drains OOM victims from the ring buffer while the window runs, and
 * harvests per-process reclaim, compaction and major-fault figures, each
 * process's memory cgroup with its limit, into report.measurements.memhealth
 * and report.histograms[]. It measures; checks/rules_memory.c judges. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/collector.h"
#include "bpf/maputil.h"
#include "bpf/memhealth.h"
#include "bpf/variant.h"
#include "lib/cgroupfs.h"
#include "lib/counters.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "memhealth.skel.h"

#define MEM_TOP_PROCS 20

/* /proc/vmstat counters taken as deltas; names ending in '*' are summed. */
static const char *const vmstat_names[] = {
	"pswpin", "pswpout", "pgmajfault", "pgfault", "pgscan_direct", "pgscan_kswapd",
	"pgsteal_direct", "allocstall_*", "oom_kill", "compact_stall", "workingset_refault_anon",
};
#define NR_VMSTAT ARRAY_SIZE(vmstat_names)

struct mem_priv {
	struct memhealth_bpf *skel;
	struct ring_buffer *rb;
	enum attach_kind kind;
	json_t *missing;            /* tracepoints this kernel lacks */
	json_t *ooms;               /* OOM victims seen */
	uint64_t vm_before[NR_VMSTAT], vm_after[NR_VMSTAT];
	bool vm_found[NR_VMSTAT];
	double vm_before_s, vm_after_s;
	struct collector *c;
};

static void *skel_open(void) { return memhealth_bpf__open(); }
static struct bpf_object *skel_obj(void *s) { return ((struct memhealth_bpf *)s)->obj; }
static int skel_load(void *s) { return memhealth_bpf__load(s); }
static int skel_attach(void *s) { return memhealth_bpf__attach(s); }
static void skel_destroy(void *s) { memhealth_bpf__destroy(s); }

static void skel_knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct memhealth_bpf *skel = s;

	skel->rodata->targ_tgid = c->opts ? c->opts->pid : 0;
	skel->rodata->targ_cgid = c->opts ? cgroupfs_id(c->opts->cgroup) : 0;
	skel->rodata->use_task_storage = kind == ATTACH_TP_BTF;
}

static const struct variant_ops mem_variant = {
	skel_open, skel_obj, skel_knobs, skel_load, skel_attach, skel_destroy,
};

static int mem_available(struct report *r, char *why, size_t len)
{
	if (!report_capability_ok(r, "root") && json_object_get(report_get(r, "capabilities"), "root")) {
		snprintf(why, len, "needs root");
		return -EPERM;
	}
	return 0;
}

/* The memory cgroup path of a kernfs id, "" when it cannot be found. */
static void memcg_path(uint64_t id, char *buf, size_t len)
{
	if (cgroupfs_path_by_id("memory", id, buf, len))
		snprintf(buf, len, "%s", "");
}

static int on_oom(void *ctx, void *data, size_t size)
{
	struct mem_priv *p = ctx;
	const struct mem_oom *e = data;
	char cg[512];
	json_t *ev;

	if (size < sizeof(*e))
		return 0;
	memcg_path(e->memcg_id, cg, sizeof(cg));
	ev = json_pack("{s:i, s:s, s:s, s:I, s:f}", "pid", (int)e->pid, "comm", e->comm,
		       "cgroup", cg, "total_vm_kb", (json_int_t)(e->total_vm_pages * 4),
		       "time_s", now_mono_s() - p->c->started_s);
	json_array_append(p->ooms, ev);
	report_add_event(p->c->report, now_real_s(), "oom_kill", e->comm, ev);
	return 0;
}

static int mem_start(struct collector *c, char *why, size_t len)
{
	struct mem_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->c = c;
	p->missing = json_array();
	p->ooms = json_array();
	p->skel = variant_open_load(c, &mem_variant, &p->kind, p->missing, why, len);
	if (!p->skel)
		return -ENOTSUP;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.ooms), on_oom, p, NULL);
	counters_read_flat("/proc/vmstat", vmstat_names, NR_VMSTAT, p->vm_before, p->vm_found);
	p->vm_before_s = now_mono_s();
	return 0;
}

static int mem_poll(struct collector *c)
{
	struct mem_priv *p = c->priv;

	return p->rb ? ring_buffer__poll(p->rb, 0) : 0;
}

static void mem_stop(struct collector *c)
{
	struct mem_priv *p = c->priv;

	memhealth_bpf__detach(p->skel);
	counters_read_flat("/proc/vmstat", vmstat_names, NR_VMSTAT, p->vm_after, NULL);
	p->vm_after_s = now_mono_s();
	if (p->rb)
		ring_buffer__poll(p->rb, 0);
}

static json_t *vmstat_json(struct mem_priv *p)
{
	json_t *o = json_object();

	for (size_t i = 0; i < NR_VMSTAT; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s", vmstat_names[i]);
		if (key[strlen(key) - 1] == '*')
			key[strlen(key) - 2] = '\0';   /* allocstall_* -> allocstall */
		json_object_set_new(o, key, p->vm_found[i] ?
				    json_integer((json_int_t)(p->vm_after[i] - p->vm_before[i])) :
				    json_null());
	}
	return o;
}

struct proc_row {
	uint32_t pid;
	struct mem_proc v;
};

static uint64_t row_weight(const struct proc_row *r)
{
	return r->v.direct_reclaim_ns + r->v.memcg_reclaim_ns + r->v.compact_ns +
	       r->v.major_faults * 1000000ull;
}

static int cmp_rows(const void *a, const void *b)
{
	uint64_t wa = row_weight(a), wb = row_weight(b);

	return wa < wb ? 1 : wa > wb ? -1 : 0;
}

/* Reads the procs map into an array sorted by weight; returns the count. */
static size_t read_procs(int fd, struct proc_row **out)
{
	struct proc_row *rows = NULL;
	size_t n = 0, cap = 0;
	uint32_t key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct proc_row row = { .pid = next };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &row.v) || !row_weight(&row))
			continue;
		if (n == cap) {
			struct proc_row *nr = realloc(rows, (cap = cap ? cap * 2 : 64) * sizeof(*rows));

			if (!nr)
				break;
			rows = nr;
		}
		rows[n++] = row;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_rows);
	*out = rows;
	return n;
}

/* The cgroup's limit and usage (v1 or v2 file names). */
static json_t *memcg_json(const char *path, uint64_t id)
{
	static const char *const limit_files[] = { "memory.limit_in_bytes", "memory.max" };
	static const char *const usage_files[] = { "memory.usage_in_bytes", "memory.current" };
	json_t *o = json_pack("{s:s, s:I}", "path", path, "id", (json_int_t)id);
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(limit_files); i++) {
		if (cgroupfs_read("memory", path, limit_files[i], buf, sizeof(buf)))
			continue;
		/* v1 "no limit" is a huge number; v2 says "max". */
		if (!strncmp(buf, "max", 3) || strtoull(buf, NULL, 10) >= (1ull << 60))
			json_object_set_new(o, "limit_bytes", json_null());
		else
			json_object_set_new(o, "limit_bytes",
					    json_integer((json_int_t)strtoull(buf, NULL, 10)));
		json_object_set_new(o, "limit_file", json_string(limit_files[i]));
		break;
	}
	for (size_t i = 0; i < ARRAY_SIZE(usage_files); i++)
		if (!cgroupfs_read("memory", path, usage_files[i], buf, sizeof(buf))) {
			json_object_set_new(o, "usage_bytes",
					    json_integer((json_int_t)strtoull(buf, NULL, 10)));
			break;
		}
	return o;
}

static json_t *procs_json(struct mem_priv *p, json_t *cgroups)
{
	json_t *arr = json_array();
	struct proc_row *rows = NULL;
	size_t n = read_procs(bpf_map__fd(p->skel->maps.procs), &rows);

	for (size_t i = 0; i < n && i < MEM_TOP_PROCS; i++) {
		const struct mem_proc *v = &rows[i].v;
		char cg[512], idkey[32];

		memcg_path(v->memcg_id, cg, sizeof(cg));
		snprintf(idkey, sizeof(idkey), "%llu", (unsigned long long)v->memcg_id);
		if (cg[0] && strcmp(cg, "/") && !json_object_get(cgroups, cg))
			json_object_set_new(cgroups, cg, memcg_json(cg, v->memcg_id));
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:f, s:I, s:f, s:I, s:f, s:I, s:I, s:I}",
			"pid", (int)rows[i].pid, "comm", v->comm, "cgroup", cg,
			"direct_reclaim_ms", v->direct_reclaim_ns / 1e6,
			"direct_reclaim_nr", (json_int_t)v->direct_reclaim_nr,
			"memcg_reclaim_ms", v->memcg_reclaim_ns / 1e6,
			"memcg_reclaim_nr", (json_int_t)v->memcg_reclaim_nr,
			"compaction_stall_ms", v->compact_ns / 1e6,
			"compaction_stall_nr", (json_int_t)v->compact_nr,
			"major_faults", (json_int_t)v->major_faults,
			"faults", (json_int_t)v->faults));
	}
	free(rows);
	return arr;
}

static void hists_harvest(struct mem_priv *p, struct report *r)
{
	static const char *const names[MEM_NR_HISTS] = {
		"memory.direct_reclaim_latency", "memory.memcg_reclaim_latency",
		"memory.compaction_stall_latency",
	};
	uint64_t slots[HIST_SLOTS];

	for (unsigned int h = 0; h < MEM_NR_HISTS; h++) {
		uint64_t n = 0;

		maputil_percpu_hist(bpf_map__fd(p->skel->maps.hists), h, slots);
		for (size_t s = 0; s < HIST_SLOTS; s++)
			n += slots[s];
		if (n)
			hist_append(report_get(r, "histograms"),
				    hist_json(names[h], "us", "memhealth", slots, HIST_SLOTS, 0));
	}
}

static int mem_harvest(struct collector *c, struct report *r)
{
	struct mem_priv *p = c->priv;
	json_t *cgroups = json_object(), *m;

	c->lost_events = p->skel->bss->lost_events;
	m = json_pack("{s:s, s:f, s:O, s:o, s:o, s:O, s:I}",
		      "attach", attach_kind_name(p->kind),
		      "window_s", p->vm_after_s - p->vm_before_s,
		      "missing_probes", p->missing,
		      "vmstat", vmstat_json(p),
		      "processes", procs_json(p, cgroups),
		      "oom_kills", p->ooms,
		      "lost_events", (json_int_t)c->lost_events);
	json_object_set_new(m, "cgroups", cgroups);
	json_object_set_new(report_get(r, "measurements"), "memhealth", m);
	hists_harvest(p, r);
	return 0;
}

static void mem_destroy(struct collector *c)
{
	struct mem_priv *p = c->priv;

	if (!p)
		return;
	ring_buffer__free(p->rb);
	if (p->skel)
		memhealth_bpf__destroy(p->skel);
	json_decref(p->missing);
	json_decref(p->ooms);
	free(p);
	c->priv = NULL;
}

static struct bpf_object *mem_object(struct collector *c)
{
	struct mem_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops memhealth_collector = {
	.name = "memhealth",
	.subsystem = "memory",
	.summary = "Reclaim and compaction stalls, major faults by process, swap, OOM kills",
	.available = mem_available,
	.start = mem_start,
	.poll = mem_poll,
	.stop = mem_stop,
	.harvest = mem_harvest,
	.destroy = mem_destroy,
	.object = mem_object,
};
