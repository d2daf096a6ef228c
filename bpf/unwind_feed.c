/* unwind_feed.c: the user side of DWARF unwinding (see unwind_feed.h). */
#include "bpf/unwind_feed.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <jansson.h>

#include "bpf/stacks.h"
#include "lib/elf_cache.h"
#include "lib/symbolize.h"
#include "lib/unwind.h"
#include "lib/util.h"

/* Auto mode: a main binary where fewer functions than this set up a frame
 * pointer was built without them (lib/elf_cache.h: with them, well over
 * half do; without, next to none). */
#define FP_BINARY_MIN_PCT 50
/* Auto mode: walks looked at before judging, and the share of 1-2 frame
 * walks that marks frame-pointer stacks as broken (METHODOLOGY W-02 calls
 * a profile partial from 10% broken; a process is selected at half). */
#define FP_DEPTH_MIN_WALKS 16
#define FP_DEPTH_SHALLOW_PCT 50
/* Copy size adapts per process: after this many unwinds it becomes twice
 * the most stack any of them read, within [UNWIND_STACK_MIN, the knob]. */
#define ADAPT_EVERY 64
/* A process's first copies take at most perf's default (8 KiB), so a
 * burst of copies before the first adaptation does not fill the ring; a
 * walk that runs off the copy grows it to the knob. */
#define FIRST_COPY_BYTES 8192
#define RING_BYTES (16u << 20)

struct unwind_feed_proc {
	bool decided;                 /* judged by its binary (auto) or selected */
	bool selected;
	uint32_t copy_bytes;          /* what unwind_tgids asks for */
	uint64_t nr_unwound;          /* since the copy size last changed */
	size_t max_used;
};

struct pending_stack {
	uint32_t tgid, kind;
	int32_t kstack_id;
	char comm[STACK_COMM_LEN];
	bool truncated;
	int nr_ips;
	uint64_t ips[];
};

static struct unwinder *shared_unw;
static int shared_unw_refs;

struct unwinder *stack_unwinder_get(struct symbolizer *sym)
{
	if (!shared_unw)
		shared_unw = unwinder_new(sym);
	if (shared_unw)
		shared_unw_refs++;
	return shared_unw;
}

void stack_unwinder_put(struct unwinder *u)
{
	if (!u || u != shared_unw || --shared_unw_refs > 0)
		return;
	unwinder_free(shared_unw);
	shared_unw = NULL;
}

const char *unwind_mode_name(int mode)
{
	static const char *const names[] = { "fp", "dwarf", "auto" };

	return mode >= 0 && mode < (int)ARRAY_SIZE(names) ? names[mode] : "?";
}

void unwind_feed_init(struct unwind_feed *f, const struct run_opts *o, struct symbolizer *sym,
		      struct stack_fold_ctx *fc)
{
	memset(f, 0, sizeof(*f));
	f->mode = UNWIND_MODE_AUTO;
	if (o && o->unwind && !strcmp(o->unwind, "dwarf"))
		f->mode = UNWIND_MODE_DWARF;
	else if (o && o->unwind && !strcmp(o->unwind, "fp"))
		f->mode = UNWIND_MODE_FP;
	f->stack_bytes = o && o->unwind_stack_kb > 0 ? (uint32_t)o->unwind_stack_kb * 1024 :
			 UNWIND_STACK_DEFAULT;
	if (f->stack_bytes > UNWIND_STACK_MAX)
		f->stack_bytes = UNWIND_STACK_MAX;
#if !defined(__x86_64__)
	if (f->mode != UNWIND_MODE_FP)
		snprintf(f->why_fp, sizeof(f->why_fp), "DWARF unwinding copies x86-64 registers; "
			 "this build is for another architecture");
	f->mode = UNWIND_MODE_FP;
#endif
	if (f->mode == UNWIND_MODE_FP && !f->why_fp[0])
		snprintf(f->why_fp, sizeof(f->why_fp), "--unwind fp");
	f->sym = sym;
	f->fc = fc;
	f->tgids_fd = f->depths_fd = -1;
	f->selected = json_array();
}

void unwind_feed_size_maps(const struct unwind_feed *f, struct bpf_map *ring,
			   struct bpf_map *scratch)
{
	int cpus = libbpf_num_possible_cpus();

	/* A ring buffer is at least a page, and a power of two. */
	bpf_map__set_max_entries(ring, f->mode == UNWIND_MODE_FP ? UNWIND_PAGE : RING_BYTES);
	bpf_map__set_max_entries(scratch, f->mode == UNWIND_MODE_FP || cpus < 1 ? 1 :
					  (uint32_t)cpus);
}

static struct unwind_feed_proc *proc_of(struct unwind_feed *f, uint32_t tgid)
{
	struct unwind_feed_proc *p = u64map_get(&f->procs, tgid, 0);

	if (p)
		return p;
	if (!(p = calloc(1, sizeof(*p))) || u64map_put(&f->procs, tgid, 0, p)) {
		free(p);
		return NULL;
	}
	return p;
}

static void set_copy_bytes(struct unwind_feed *f, uint32_t tgid, struct unwind_feed_proc *p,
			   uint32_t bytes)
{
	p->copy_bytes = bytes;
	p->nr_unwound = 0;
	p->max_used = 0;
	if (f->tgids_fd >= 0)
		bpf_map_update_elem(f->tgids_fd, &tgid, &bytes, BPF_ANY);
}

/* The feeds of the run (profile's and offcpu's): a process one of them
 * selects is selected in all, so its CPU and off-CPU stacks agree. */
static struct unwind_feed *run_feeds[8];

static void select_one(struct unwind_feed *f, uint32_t tgid, struct unwind_feed_proc *p,
		       const char *reason)
{
	const char *comm = symbolizer_proc_name(f->sym, (pid_t)tgid);

	p->decided = p->selected = true;
	set_copy_bytes(f, tgid, p, f->stack_bytes < FIRST_COPY_BYTES ? f->stack_bytes :
				   FIRST_COPY_BYTES);
	json_array_append_new(f->selected, json_pack("{s:i, s:s, s:s}", "pid", (int)tgid,
						       "comm", comm ? comm : "?", "reason", reason));
	log_debug("unwind: pid %u (%s): %s", tgid, comm ? comm : "?", reason);
}

static void select_proc(struct unwind_feed *f, uint32_t tgid, struct unwind_feed_proc *p,
			const char *reason)
{
	select_one(f, tgid, p, reason);
	for (size_t i = 0; i < ARRAY_SIZE(run_feeds); i++) {
		struct unwind_feed *g = run_feeds[i];
		struct unwind_feed_proc *q;

		if (g && g != f && g->mode == f->mode && (q = proc_of(g, tgid)) && !q->selected)
			select_one(g, tgid, q, reason);
	}
}

static void register_feed(struct unwind_feed *f, bool on)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_feeds); i++)
		if (on ? !run_feeds[i] : run_feeds[i] == f) {
			run_feeds[i] = on ? f : NULL;
			return;
		}
}

/* Judges a process when it is first seen. */
static void decide(struct unwind_feed *f, uint32_t tgid)
{
	struct unwind_feed_proc *p;
	struct elf_file *main_file;
	char reason[200];
	int pct;

	if (f->mode == UNWIND_MODE_FP || !(p = proc_of(f, tgid)) || p->decided)
		return;
	/* friday itself: unwinding its own switches would feed on itself.
	 * A copy size of 0 keeps its frame-pointer stacks in dwarf mode too. */
	if (tgid == (uint32_t)getpid()) {
		p->decided = true;
		set_copy_bytes(f, tgid, p, 0);
		return;
	}
	if (f->mode == UNWIND_MODE_DWARF) {
		select_proc(f, tgid, p, "--unwind dwarf");
		return;
	}
	main_file = symbolizer_main_file(f->sym, (pid_t)tgid);
	if (!main_file)
		return;
	p->decided = true;
	pct = elf_file_frame_pointer_pct(symbolizer_elf_cache(f->sym), main_file);
	if (pct < 0 || pct >= FP_BINARY_MIN_PCT)
		return;
	snprintf(reason, sizeof(reason), "main binary %s lacks frame pointers (%d%% of its "
		 "functions set one up)", main_file->name, pct);
	select_proc(f, tgid, p, reason);
}

int unwind_feed_on_proc(void *ctx, void *data, size_t size)
{
	struct unwind_feed *f = ctx;
	const struct stack_proc_event *e = data;

	if (size < sizeof(*e) || e->exited)
		return 0;
	symbolizer_snapshot(f->sym, (pid_t)e->tgid, true);
	decide(f, e->tgid);
	return 0;
}

/* Grows a process's copy back to the knob when a walk needed more; else
 * every ADAPT_EVERY unwinds shrinks it to twice what they read. */
static void adapt(struct unwind_feed *f, uint32_t tgid, const struct unwind_result *res)
{
	struct unwind_feed_proc *p = proc_of(f, tgid);
	uint32_t want;

	if (!p || !p->selected)
		return;
	if (res->ran_off_copy) {
		f->nr_ran_off_copy++;
		if (p->copy_bytes < f->stack_bytes)
			set_copy_bytes(f, tgid, p, f->stack_bytes);
		return;
	}
	if (res->stack_used > p->max_used)
		p->max_used = res->stack_used;
	if (++p->nr_unwound < ADAPT_EVERY)
		return;
	want = (uint32_t)((2 * p->max_used + UNWIND_STACK_MIN - 1) / UNWIND_STACK_MIN * UNWIND_STACK_MIN);
	if (want < UNWIND_STACK_MIN)
		want = UNWIND_STACK_MIN;
	if (want > f->stack_bytes)
		want = f->stack_bytes;
	if (want != p->copy_bytes)
		set_copy_bytes(f, tgid, p, want);
	else
		p->nr_unwound = 0;
}

static int fold(struct unwind_feed *f, uint32_t tgid, const char *comm, int32_t kstack_id,
		uint32_t kind, const uint64_t *ips, int nr_ips, bool truncated, uint64_t value)
{
	f->value_by_kind[kind & 1] += value;
	return stack_fold(f->fc, &(struct stack_sample){ .tgid = tgid, .comm = comm,
			  .kstack_id = kstack_id, .ustack_id = STACK_ID_UNWOUND, .uips = ips,
			  .nr_uips = nr_ips, .utruncated = truncated, .leaf = f->kind_leaf[kind & 1],
			  .value = value });
}

static int keep_pending(struct unwind_feed *f, const struct unwind_sample *s,
			const struct unwind_result *res)
{
	struct pending_stack *ps = malloc(sizeof(*ps) + (size_t)res->nr_ips * sizeof(uint64_t));

	if (!ps)
		return -ENOMEM;
	ps->tgid = s->tgid;
	ps->kind = s->kind;
	ps->kstack_id = s->kstack_id;
	memcpy(ps->comm, s->comm, sizeof(ps->comm));
	ps->truncated = res->truncated;
	ps->nr_ips = res->nr_ips;
	memcpy(ps->ips, res->ips, (size_t)res->nr_ips * sizeof(uint64_t));
	free(u64map_del(&f->pending, s->snap_id, 0));
	if (u64map_put(&f->pending, s->snap_id, 0, ps)) {
		free(ps);
		return -ENOMEM;
	}
	return 0;
}

static int on_sample(struct unwind_feed *f, const struct unwind_sample *s, size_t size)
{
	/* 1 KiB of frames: kept off the stack, one sample at a time. */
	static struct unwind_result res;
	struct unwind_input in = { .tgid = (pid_t)s->tgid, .tid = (pid_t)s->tid,
				   .regs = (const uint64_t *)s->regs,
				   .stack = s->stack, .stack_len = s->stack_len };
	uint64_t t0 = now_mono_ns();

	if (size < offsetof(struct unwind_sample, stack) + s->stack_len)
		return 0;
	f->bytes_received += s->stack_len;
	/* A process missed by the announcements: read it now. */
	if (!symbolizer_proc_name(f->sym, (pid_t)s->tgid) &&
	    !symbolizer_snapshot(f->sym, (pid_t)s->tgid, false))
		decide(f, s->tgid);
	unwind_user(f->unw, &in, &res);
	f->unwind_ns += now_mono_ns() - t0;
	f->nr_samples++;
	f->nr_truncated += res.truncated;
	f->nr_frames += (uint64_t)res.nr_ips;
	adapt(f, s->tgid, &res);
	if (!s->snap_id)
		return fold(f, s->tgid, s->comm, s->kstack_id, s->kind, res.ips, res.nr_ips,
			    res.truncated, s->weight);
	return keep_pending(f, s, &res);
}

int unwind_feed_weight(struct unwind_feed *f, uint64_t snap_id, uint64_t us)
{
	struct pending_stack *ps = u64map_del(&f->pending, snap_id, 0);
	int err = 0;

	if (!ps) {
		f->nr_unmatched++;
		return 0;
	}
	if (us)
		err = fold(f, ps->tgid, ps->comm, ps->kstack_id, ps->kind, ps->ips, ps->nr_ips,
			   ps->truncated, us);
	else
		f->nr_short_blocks++;
	free(ps);
	return err;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct unwind_feed *f = ctx;
	const struct unwind_weight *w = data;

	if (size >= sizeof(*w) && w->type == UNWIND_REC_WEIGHT)
		return unwind_feed_weight(f, w->snap_id, w->us);
	if (size >= offsetof(struct unwind_sample, stack) && w->type == UNWIND_REC_SAMPLE)
		return on_sample(f, data, size);
	return 0;
}

static void judge_now(struct unwind_feed *f, uint32_t tgid)
{
	if (!symbolizer_snapshot(f->sym, (pid_t)tgid, false))
		decide(f, tgid);
}

/* The processes of a cgroup and its children, judged before the window. */
static void judge_cgroup(struct unwind_feed *f, const char *dir, int depth)
{
	char path[PATH_MAX], line[32];
	struct dirent *de;
	FILE *fp;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((fp = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), fp))
			if (strtoul(line, NULL, 10))
				judge_now(f, (uint32_t)strtoul(line, NULL, 10));
		fclose(fp);
	}
	if (depth > 16 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			judge_cgroup(f, path, depth + 1);
		}
	closedir(d);
}

int unwind_feed_start(struct unwind_feed *f, struct ring_buffer *rb, int unwind_rb_fd,
		      int tgids_fd, int depths_fd, const struct stack_target *target)
{
	f->tgids_fd = tgids_fd;
	f->depths_fd = depths_fd;
	if (f->mode == UNWIND_MODE_FP)
		return 0;
	if (!(f->unw = stack_unwinder_get(f->sym)))
		return -ENOMEM;
	register_feed(f, true);
	decide(f, (uint32_t)getpid());
	/* A named target is judged now, so its first samples are copied
	 * too; on the whole host each process is judged when first seen. */
	if (target && target->tgid)
		judge_now(f, target->tgid);
	if (target && target->cgroup_path)
		judge_cgroup(f, target->cgroup_path, 0);
	return ring_buffer__add(rb, unwind_rb_fd, on_record, f);
}

void unwind_feed_poll(struct unwind_feed *f)
{
	struct unwind_fp_depth d;
	uint32_t key, next, *prev = NULL;
	char reason[160];

	if (f->mode != UNWIND_MODE_AUTO || f->depths_fd < 0)
		return;
	while (bpf_map_get_next_key(f->depths_fd, prev, &next) == 0) {
		struct unwind_feed_proc *p;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(f->depths_fd, &key, &d) || d.nr < FP_DEPTH_MIN_WALKS ||
		    100 * d.nr_shallow < FP_DEPTH_SHALLOW_PCT * d.nr)
			continue;
		if (!(p = proc_of(f, key)) || p->selected || key == (uint32_t)getpid())
			continue;
		snprintf(reason, sizeof(reason), "%u of its first %u frame-pointer stacks were 1-2 "
			 "frames deep", d.nr_shallow, d.nr);
		select_proc(f, key, p, reason);
	}
}

struct json_t *unwind_feed_report(struct unwind_feed *f, const struct unwind_bpf_counts *bc,
				  double window_s)
{
	json_t *o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:f, s:f}",
		"mode", unwind_mode_name(f->mode), "stack_bytes_max", (int)f->stack_bytes,
		"stacks", (json_int_t)f->nr_samples, "truncated", (json_int_t)f->nr_truncated,
		"frames", (json_int_t)f->nr_frames,
		"truncated_pct", f->nr_samples ? 100.0 * f->nr_truncated / f->nr_samples : 0.0,
		"unwind_s", f->unwind_ns / 1e9);

	if (!o)
		return NULL;
	if (f->why_fp[0])
		json_object_set_new(o, "reason", json_string(f->why_fp));
	json_object_update_new(o, json_pack("{s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:O}",
		"records", (json_int_t)bc->records, "bytes_copied", (json_int_t)bc->bytes,
		"bytes_per_s", window_s > 0 ? bc->bytes / window_s : 0.0,
		"bytes_per_stack", bc->records ? (double)bc->bytes / bc->records : 0.0,
		"lost", (json_int_t)bc->lost, "short_reads", (json_int_t)bc->short_reads,
		"unreadable", (json_int_t)bc->unreadable,
		"ran_off_copy", (json_int_t)f->nr_ran_off_copy,
		"unmatched_weights", (json_int_t)f->nr_unmatched,
		"pending_at_end", (json_int_t)f->pending.n,
		"processes", f->selected));
	return o;
}

struct json_t *unwind_overhead(struct json_t *unwind)
{
	static const char *const keys[] = { "mode", "bytes_per_s", "bytes_copied", "unwind_s",
					    "stacks", "truncated", "lost" };
	json_t *o = json_object();

	for (size_t i = 0; o && unwind && i < ARRAY_SIZE(keys); i++)
		if (json_object_get(unwind, keys[i]))
			json_object_set(o, keys[i], json_object_get(unwind, keys[i]));
	return o;
}

static void free_pending(void *p)
{
	free(p);
}

void unwind_feed_free(struct unwind_feed *f)
{
	register_feed(f, false);
	u64map_free(&f->pending, free_pending);
	u64map_free(&f->procs, free_pending);
	json_decref(f->selected);
	f->selected = NULL;
	stack_unwinder_put(f->unw);
	f->unw = NULL;
}
