/* futexwait.c: the "futexwait" collector (locks): loads futexwait.bpf.c and
 * harvests futex wait time per process and futex address (user locks), and
 * kernel lock contention per lock and per process where the kernel has the
 * lock:contention_begin/end tracepoints (5.19+; the report says why not
 * elsewhere), into report.measurements.futexwait and report.histograms[]
 * ("locks.futex_wait", "locks.kernel_lock_wait", us). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/futexwait.h"
#include "bpf/maputil.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "futexwait.skel.h"

#define TOP_PROCS 10
#define TOP_ADDRS 3
#define TOP_LOCKS 10

struct futexwait_priv {
	struct futexwait_bpf *skel;
	struct probe_load ld;
	bool locks_traced;
	char locks_why[256];
};

static void *open_skel(void) { return futexwait_bpf__open(); }
static int load_skel(void *s) { return futexwait_bpf__load(s); }
static int attach_skel(void *s) { return futexwait_bpf__attach(s); }
static void destroy_skel(void *s) { futexwait_bpf__destroy(s); }
static struct bpf_object *skel_obj(void *s) { return ((struct futexwait_bpf *)s)->obj; }

static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct futexwait_bpf *skel = s;
	struct futexwait_priv *p = c->priv;

	skel->rodata->targ_tgid = c->opts->pid;
	skel->rodata->targ_cgid = p->ld.cgid;
	/* friday's own threads wait on kernel mutexes while other collectors
	 * attach and detach: the tool's cost, not the host's contention. */
	skel->rodata->self_tgid = getpid();
	if (kind != ATTACH_TP_BTF)
		bpf_map__set_autocreate(skel->maps.start_ts, false);
}

/* The loader turned off programs whose tracepoint this kernel lacks. */
static void note_kernel_locks(struct futexwait_priv *p)
{
	json_t *name;
	size_t i;

	p->locks_traced = true;
	json_array_foreach(p->ld.missing, i, name)
		if (strstr(json_string_value(name), "contention_"))
			p->locks_traced = false;
	if (p->locks_traced)
		snprintf(p->locks_why, sizeof(p->locks_why), "lock:contention_begin/end via %s",
			 attach_kind_name(p->ld.kind));
	else
		snprintf(p->locks_why, sizeof(p->locks_why), "this kernel has no lock:"
			 "contention_begin/contention_end tracepoints (added in Linux 5.19): kernel "
			 "lock contention is not measured; look for *spin_lock*slowpath in the CPU "
			 "flame graph (USE-KMUTEX)");
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

static int futexwait_available(struct report *r, char *why, size_t len)
{
	return probe_require_root(r, why, len) ?:
	       probe_require(r, "tracefs", -ENOENT, "needs tracefs for the "
			     "syscalls:sys_enter_futex tracepoint (see capabilities.tracefs)",
			     why, len);
}

static int futexwait_start(struct collector *c, char *why, size_t len)
{
	struct futexwait_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	err = probe_start(c, &loader, &p->ld, (void **)&p->skel, why, len);
	if (err)
		return err;
	note_kernel_locks(p);
	return 0;
}

static void futexwait_stop(struct collector *c)
{
	struct futexwait_priv *p = c->priv;

	futexwait_bpf__detach(p->skel);
}

static double per_s(struct collector *c, uint64_t n)
{
	return c->window_s > 0 ? (double)n / c->window_s : 0;
}

static double share(struct collector *c, uint64_t ns)
{
	return c->window_s > 0 ? ns / 1e9 / c->window_s : 0;
}

struct fw_proc {
	uint32_t tgid;
	char comm[16];
	uint64_t waits, wait_ns, max_ns, errors, timeouts, timeout_ns;
};

static int proc_cmp(const void *a, const void *b)
{
	const struct fw_proc *x = a, *y = b;

	return probe_cmp_desc(x->wait_ns, y->wait_ns);
}

static uint64_t wait_rank(const void *val)
{
	return ((const struct fw_wait *)val)->wait_ns;
}

static json_t *top_addrs(struct collector *c, uint32_t tgid, struct fw_futex_key *keys,
			 struct fw_wait *vals, long n)
{
	json_t *arr = json_array();
	long top[TOP_ADDRS];
	int nr = probe_top_of_tgid(keys, sizeof(*keys), vals, sizeof(*vals), n, tgid, wait_rank,
				   top, TOP_ADDRS);

	for (int k = 0; k < nr; k++) {
		const struct fw_wait *v = &vals[top[k]];
		char addr[32];

		snprintf(addr, sizeof(addr), "0x%" PRIx64, (uint64_t)keys[top[k]].uaddr);
		json_array_append_new(arr, json_pack("{s:s, s:I, s:f, s:f, s:f}",
			"uaddr", addr, "waits", (json_int_t)v->count,
			"waits_per_s", per_s(c, v->count),
			"wait_ms", v->wait_ns / 1e6, "max_us", v->max_ns / 1e3));
	}
	return arr;
}

static json_t *proc_json(struct collector *c, struct fw_proc *pr)
{
	return json_pack("{s:i, s:s, s:I, s:f, s:f, s:f, s:f, s:I, s:I, s:f}",
			 "pid", (int)pr->tgid, "comm", pr->comm, "waits", (json_int_t)pr->waits,
			 "waits_per_s", per_s(c, pr->waits), "wait_ms", pr->wait_ns / 1e6,
			 "wait_share", share(c, pr->wait_ns), "max_us", pr->max_ns / 1e3,
			 "errors", (json_int_t)pr->errors, "timeouts", (json_int_t)pr->timeouts,
			 "timeout_wait_ms", pr->timeout_ns / 1e6);
}

/* Adds one wait record into the per-process array (linear: few processes). */
static size_t merge_proc(struct fw_proc *procs, size_t nr, uint32_t tgid,
			 const struct fw_wait *w)
{
	size_t j;

	for (j = 0; j < nr && procs[j].tgid != tgid; j++)
		;
	if (j == nr) {
		procs[j].tgid = tgid;
		probe_comm(procs[j].comm, sizeof(procs[j].comm), w->comm, sizeof(w->comm));
		nr++;
	}
	procs[j].waits += w->count;
	procs[j].wait_ns += w->wait_ns;
	procs[j].errors += w->errors;
	procs[j].timeouts += w->timeouts;
	procs[j].timeout_ns += w->timeout_ns;
	if (w->max_ns > procs[j].max_ns)
		procs[j].max_ns = w->max_ns;
	return nr;
}

static json_t *futex_section(struct collector *c, struct futexwait_priv *p,
			     const uint64_t *slots)
{
	struct fw_futex_key *keys;
	struct fw_wait *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.futexes), sizeof(*keys), sizeof(*vals),
				FW_MAX_FUTEX_KEYS, (void **)&keys, (void **)&vals);
	struct fw_proc *procs = calloc(n > 0 ? n : 1, sizeof(*procs));
	uint64_t waits = 0, wait_ns = 0;
	size_t nr = 0;
	struct hist_stats st;
	json_t *arr = json_array();

	for (long i = 0; procs && i < n; i++) {
		nr = merge_proc(procs, nr, keys[i].tgid, &vals[i]);
		waits += vals[i].count;
		wait_ns += vals[i].wait_ns;
	}
	if (procs)
		qsort(procs, nr, sizeof(*procs), proc_cmp);
	for (size_t i = 0; i < nr && i < TOP_PROCS; i++) {
		json_t *pj = proc_json(c, &procs[i]);

		json_object_set_new(pj, "top_addresses", top_addrs(c, procs[i].tgid, keys, vals, n));
		json_array_append_new(arr, pj);
	}
	hist_compute(slots, HIST_SLOTS, 0, &st);
	free(procs);
	free(keys);
	free(vals);
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:o}",
			 "waits", (json_int_t)waits, "waits_per_s", per_s(c, waits),
			 "wait_ms", wait_ns / 1e6, "wait_share", share(c, wait_ns),
			 "p50_us", st.p50, "p99_us", st.p99, "max_us", st.max, "processes", arr);
}

static const char *lock_kind(uint32_t flags)
{
	static const struct { uint32_t mask; const char *name; } kinds[] = {
		{ 1u << 4, "percpu-rwsem" }, { 1u << 3, "rtmutex" }, { 1u << 5, "mutex" },
		{ (1u << 0) | (1u << 1), "rwlock-read" }, { (1u << 0) | (1u << 2), "rwlock-write" },
		{ 1u << 0, "spinlock" }, { 1u << 1, "rwsem-read" }, { 1u << 2, "rwsem-write" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if ((flags & kinds[i].mask) == kinds[i].mask)
			return kinds[i].name;
	return "other";
}

/* Kernel data symbols (d, D, b, B) from /proc/kallsyms, sorted by address,
 * to name the static locks (e.g. rtnl_mutex); locks inside allocated
 * objects have none. */
struct ksym {
	uint64_t addr;
	char name[64];
};

struct ksyms {
	struct ksym *syms;
	size_t nr;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_load(struct ksyms *ks)
{
	char *text = read_file_alloc("/proc/kallsyms", NULL), *line, *save = NULL;
	size_t cap = 0;

	ks->syms = NULL;
	ks->nr = 0;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *end, *name;
		uint64_t addr = strtoull(line, &end, 16);

		if (end[0] != ' ' || !strchr("dDbB", end[1]) || end[2] != ' ' || !addr)
			continue;
		if (ks->nr == cap) {
			struct ksym *n = realloc(ks->syms, (cap = cap ? 2 * cap : 4096) * sizeof(*n));

			if (!n)
				break;
			ks->syms = n;
		}
		name = end + 3;
		ks->syms[ks->nr].addr = addr;
		snprintf(ks->syms[ks->nr].name, sizeof(ks->syms[0].name), "%.*s",
			 (int)strcspn(name, " \t"), name);
		ks->nr++;
	}
	free(text);
	if (ks->nr)
		qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym_cmp);
}

static void lock_symbol(const struct ksyms *ks, uint64_t addr, char *out, size_t len)
{
	size_t lo = 0, hi = ks->nr;

	out[0] = '\0';
	while (lo < hi) {          /* first symbol above addr */
		size_t mid = (lo + hi) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr - ks->syms[lo - 1].addr >= 256)
		return;
	if (addr == ks->syms[lo - 1].addr)
		snprintf(out, len, "%s", ks->syms[lo - 1].name);
	else
		snprintf(out, len, "%s+0x%llx", ks->syms[lo - 1].name,
			 (unsigned long long)(addr - ks->syms[lo - 1].addr));
}

static uint64_t lock_wait_ns(const void *v) { return ((const struct fw_wait *)v)->wait_ns; }

static json_t *top_locks(struct collector *c, struct futexwait_priv *p, uint64_t *waits,
			 uint64_t *wait_ns)
{
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.locks), sizeof(struct fw_lock_key),
				sizeof(struct fw_wait), FW_MAX_LOCK_KEYS, lock_wait_ns);
	const struct fw_wait *vals = t.vals;
	struct ksyms ks = { 0 };
	json_t *arr = json_array();

	for (long i = 0; i < n; i++) {
		*waits += vals[i].count;
		*wait_ns += vals[i].wait_ns;
	}
	if (n > 0)
		ksyms_load(&ks);
	for (long i = 0; i < n && i < TOP_LOCKS; i++) {
		const struct fw_wait *w = t.order[i];
		const struct fw_lock_key *k = probe_top_key(&t, i);
		char addr[32], sym[160] = "";

		snprintf(addr, sizeof(addr), "0x%" PRIx64, (uint64_t)k->addr);
		lock_symbol(&ks, k->addr, sym, sizeof(sym));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:f, s:f}",
			"addr", addr, "symbol", sym, "kind", lock_kind(k->flags),
			"count", (json_int_t)w->count, "wait_ms", w->wait_ns / 1e6,
			"max_us", w->max_ns / 1e3));
	}
	free(ks.syms);
	probe_top_free(&t);
	return arr;
}

static json_t *lock_procs(struct collector *c, struct futexwait_priv *p)
{
	uint32_t *keys;
	struct fw_wait *vals;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.lock_procs), sizeof(*keys),
				sizeof(*vals), FW_MAX_PROCS, (void **)&keys, (void **)&vals);
	struct fw_proc *procs = calloc(n > 0 ? n : 1, sizeof(*procs));
	size_t nr = 0;
	json_t *arr = json_array();

	for (long i = 0; procs && i < n; i++)
		nr = merge_proc(procs, nr, keys[i], &vals[i]);
	if (procs)
		qsort(procs, nr, sizeof(*procs), proc_cmp);
	for (size_t i = 0; i < nr && i < TOP_PROCS; i++)
		json_array_append_new(arr, proc_json(c, &procs[i]));
	free(procs);
	free(keys);
	free(vals);
	return arr;
}

static json_t *lock_section(struct collector *c, struct futexwait_priv *p, const uint64_t *slots)
{
	uint64_t waits = 0, wait_ns = 0;
	struct hist_stats st;
	json_t *locks, *s;

	if (!p->locks_traced)
		return json_pack("{s:b, s:s}", "traced", 0, "reason", p->locks_why);
	locks = top_locks(c, p, &waits, &wait_ns);
	hist_compute(slots, HIST_SLOTS, 0, &st);
	s = json_pack("{s:b, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:o, s:o}",
		      "traced", 1, "reason", p->locks_why, "contentions", (json_int_t)waits,
		      "contentions_per_s", per_s(c, waits), "wait_ms", wait_ns / 1e6,
		      "wait_share", share(c, wait_ns), "p99_us", st.p99, "max_us", st.max,
		      "top_locks", locks, "processes", lock_procs(c, p));
	return s;
}

static int futexwait_harvest(struct collector *c, struct report *r)
{
	struct futexwait_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters), hfd = bpf_map__fd(p->skel->maps.hists);
	uint64_t slots[FW_NR_HISTS][HIST_SLOTS];
	json_t *m;

	for (uint32_t h = 0; h < FW_NR_HISTS; h++)
		maputil_percpu_hist(hfd, h, slots[h]);
	c->lost_events = maputil_percpu_u64(cfd, FW_LOST_START_FULL) +
			 maputil_percpu_u64(cfd, FW_LOST_FUTEX_FULL) +
			 maputil_percpu_u64(cfd, FW_LOST_LOCK_FULL);
	m = json_pack("{s:s, s:f, s:o, s:o, s:I, s:I, s:{s:i, s:s}}",
		      "attach", attach_kind_name(p->ld.kind), "window_s", c->window_s,
		      "futex", futex_section(c, p, slots[FW_HIST_FUTEX]),
		      "kernel_locks", lock_section(c, p, slots[FW_HIST_LOCK]),
		      "lost_events", (json_int_t)c->lost_events,
		      "nested_skipped", (json_int_t)maputil_percpu_u64(cfd, FW_LOST_NESTED),
		      "filter", "pid", (int)c->opts->pid, "cgroup",
		      c->opts->cgroup ? c->opts->cgroup : "");
	json_object_set(m, "missing_probes", p->ld.missing);
	json_object_set_new(report_get(r, "measurements"), "futexwait", m);
	hist_append(report_get(r, "histograms"),
		    hist_json("locks.futex_wait", "us", "futexwait", slots[FW_HIST_FUTEX], HIST_SLOTS, 0));
	if (p->locks_traced)
		hist_append(report_get(r, "histograms"),
			    hist_json("locks.kernel_lock_wait", "us", "futexwait", slots[FW_HIST_LOCK],
				      HIST_SLOTS, 0));
	return 0;
}

static void futexwait_destroy(struct collector *c)
{
	struct futexwait_priv *p = c->priv;

	if (p) {
		futexwait_bpf__destroy(p->skel);
		json_decref(p->ld.missing);
	}
	free(p);
	c->priv = NULL;
}

static struct bpf_object *futexwait_object(struct collector *c)
{
	struct futexwait_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops futexwait_collector = {
	.name = "futexwait",
	.subsystem = "locks",
	.summary = "futex wait time per process and address (user locks), kernel lock contention",
	.available = futexwait_available,
	.start = futexwait_start,
	.stop = futexwait_stop,
	.harvest = futexwait_harvest,
	.destroy = futexwait_destroy,
	.object = futexwait_object,
};
