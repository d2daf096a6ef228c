/* offcpu.c: the off-CPU collector, user side: loads offcpu.bpf.c with the
 * tp_btf sched_switch/sched_wakeup programs (task storage), or the raw_tp
 * ones where tp_btf does not load, and at the end folds blocked time by
 * stack into two profiles: "offcpu" (the blocked thread's stacks; time a
 * thread was preempted while runnable ends in a [preempted] leaf, the rest
 * is voluntary sleep) and "wakeup" (the waker's kernel
 * stack, for wakeup graphs), both in microseconds. Blocks still going on
 * when the window ends are counted up to its end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/collector.h"
#include "bpf/stack_common.h"
#include "bpf/stacks.h"
#include "bpf/unwind_feed.h"
#include "lib/util.h"
#include "offcpu.skel.h"

#define DEFAULT_MIN_BLOCK_US 1
#define TOP_LEAVES 20

struct offcpu_state {
	struct offcpu_bpf *skel;
	struct ring_buffer *rb;
	struct symbolizer *sym;
	struct stack_target target;
	struct fold_table off;     /* unwound stacks as their time comes, then the map's */
	struct stack_fold_ctx fc;
	struct unwind_feed feed;
	bool raw_tp;               /* the fallback variant */
	char variant_why[200];
	uint64_t flush_ns;
	uint64_t min_block_us;
};

/* Where the blocked time went, by a frame in the stack (W-03): the first
 * row that matches a stack names its class. */
static const struct offcpu_class {
	const char *name;
	const char *const frames[6];
} offcpu_classes[] = {
	{ "preempted", { "[preempted]" } },
	{ "locks", { "futex_wait", "futex_q_lock", "rwsem_down", "__mutex_lock", "pthread_mutex_lock" } },
	{ "disk", { "io_schedule", "blk_mq_get_tag", "bit_wait_io" } },
	{ "writeback", { "balance_dirty_pages" } },
	{ "page_faults", { "__lock_page", "folio_wait_bit", "filemap_fault" } },
	{ "sleep", { "do_nanosleep", "hrtimer_nanosleep", "schedule_timeout" } },
	{ "poll", { "do_sys_poll", "do_select", "ep_poll", "do_epoll_wait" } },
	{ "network", { "sk_wait_data", "inet_csk_accept", "unix_stream_read_generic" } },
	{ "pipes", { "pipe_read", "pipe_write", "wait_for_partner" } },
};

static void set_knobs(struct offcpu_state *st)
{
	struct offcpu_bpf *skel = st->skel;

	skel->rodata->targ_tgid = st->target.tgid;
	skel->rodata->targ_cgid = st->target.cgid;
	skel->rodata->targ_cg_level = st->target.cg_level;
	skel->rodata->targ_use_tgids = st->target.use_tgids;
	skel->rodata->min_block_ns = st->min_block_us * 1000;
	skel->rodata->unwind_mode = (__u32)st->feed.mode;
	skel->rodata->unwind_stack_bytes = st->feed.stack_bytes;
	unwind_feed_size_maps(&st->feed, skel->maps.unwind_rb, skel->maps.unwind_scratch);
	bpf_program__set_autoload(skel->progs.switch_btf, !st->raw_tp);
	bpf_program__set_autoload(skel->progs.wakeup_btf, !st->raw_tp);
	bpf_program__set_autoload(skel->progs.flush_tasks, !st->raw_tp);
	bpf_program__set_autoload(skel->progs.switch_raw, st->raw_tp);
	bpf_program__set_autoload(skel->progs.wakeup_raw, st->raw_tp);
	bpf_program__set_autoattach(skel->progs.flush_tasks, false);
}

/* Opens and loads one variant; 0 or -errno. */
static int load_variant(struct offcpu_state *st, bool raw_tp)
{
	int err;

	offcpu_bpf__destroy(st->skel);
	st->raw_tp = raw_tp;
	st->skel = offcpu_bpf__open();
	if (!st->skel)
		return -errno;
	set_knobs(st);
	err = offcpu_bpf__load(st->skel);
	if (!err)
		err = offcpu_bpf__attach(st->skel);
	return err;
}

static int start(struct collector *c, char *why, size_t len)
{
	struct offcpu_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	c->priv = st;
	st->min_block_us = c->opts && c->opts->min_block_us > 0 ? (uint64_t)c->opts->min_block_us :
			   DEFAULT_MIN_BLOCK_US;
	if ((err = stack_target_init(&st->target, c->opts, why, len)))
		return err;
	if (!(st->sym = stack_symbolizer_get()))
		return -ENOMEM;
	st->fc = (struct stack_fold_ctx){ .sym = st->sym, .table = &st->off };
	unwind_feed_init(&st->feed, c->opts, st->sym, &st->fc);
	st->feed.kind_leaf[OFFCPU_PREEMPT] = "[preempted]";
	/* tp_btf with task storage first; raw_tp with a pid map where the
	 * kernel lacks BTF or tp_btf (tried, not guessed). */
	err = load_variant(st, false);
	if (err) {
		snprintf(st->variant_why, sizeof(st->variant_why),
			 "tp_btf sched_switch did not load or attach (%s): using raw_tp",
			 strerror(-err));
		err = load_variant(st, true);
	}
	if (err) {
		snprintf(why, len, "neither tp_btf nor raw_tp sched_switch loads: %s",
			 strerror(-err));
		return err;
	}
	st->rb = stack_events_start(st->skel->obj, &st->target, &st->feed, why, len, &err);
	return err;
}

static int poll_events(struct collector *c)
{
	struct offcpu_state *st = c->priv;

	return stack_events_poll(st->skel->obj, &st->target, st->rb, &st->feed);
}

static uint64_t ktime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* tp_btf variant: runs the task iterator once, which adds every task still
 * off CPU up to flush_ts_ns. */
static void flush_task_storage(struct offcpu_state *st)
{
	struct bpf_link *link = bpf_program__attach_iter(st->skel->progs.flush_tasks, NULL);
	char buf[256];
	int fd;

	if (!link)
		return;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(link);
}

static void stop(struct collector *c)
{
	struct offcpu_state *st = c->priv;

	if (!st || !st->skel || st->flush_ns)
		return;
	/* The window's end first: a task that switches out after it is not
	 * flushed, one that switches in before the detach counts its real time. */
	st->flush_ns = ktime_ns();
	st->skel->bss->flush_ts_ns = st->flush_ns;
	offcpu_bpf__detach(st->skel);
	if (!st->raw_tp)
		flush_task_storage(st);
	ring_buffer__consume(st->rb);
}

struct offcpu_totals {
	uint64_t us[2];            /* by enum offcpu_kind */
};

static int fold_one(struct offcpu_state *st, struct stack_fold_ctx *fc, struct offcpu_totals *tot,
		    const struct offcpu_key *k, uint64_t us)
{
	static const char *const kind_leaf[] = { NULL, "[preempted]" };

	if (!symbolizer_proc_name(st->sym, (pid_t)k->tgid))
		symbolizer_snapshot(st->sym, (pid_t)k->tgid, false);
	tot->us[k->kind & 1] += us;
	return stack_fold(fc, &(struct stack_sample){ .tgid = k->tgid, .comm = k->comm,
			  .kstack_id = k->kstack_id, .ustack_id = k->ustack_id,
			  .leaf = kind_leaf[k->kind & 1], .value = us });
}

/* raw_tp variant: tasks still off CPU are in the pid map; add them here. */
static int fold_pending_raw(struct offcpu_state *st, struct stack_fold_ctx *fc,
			    struct offcpu_totals *tot)
{
	int fd = bpf_map__fd(st->skel->maps.pid_start), err = 0;
	__u32 key, next, *prev = NULL;
	struct offcpu_start s;

	while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct offcpu_key k = { 0 };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s) || !s.ts_ns || s.ts_ns > st->flush_ns ||
		    st->flush_ns - s.ts_ns < st->min_block_us * 1000)
			continue;
		if (s.snap_id) {
			/* Its copy is unwound and waits in the feed for this time
			 * (the feed's totals by kind count it). */
			err = unwind_feed_weight(&st->feed, s.snap_id, (st->flush_ns - s.ts_ns) / 1000);
			continue;
		}
		k.tgid = s.tgid;
		k.kstack_id = s.kstack_id;
		k.ustack_id = s.ustack_id;
		k.kind = s.kind;
		memcpy(k.comm, s.comm, sizeof(k.comm));
		err = fold_one(st, fc, tot, &k, (st->flush_ns - s.ts_ns) / 1000);
	}
	return err;
}

static int fold_offcpu(struct offcpu_state *st, struct stack_fold_ctx *fc, struct offcpu_totals *tot)
{
	int fd = bpf_map__fd(st->skel->maps.offcpu_us), err = 0;
	struct offcpu_key key, next;
	void *prev = NULL;
	__u64 us;

	while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &us))
			err = fold_one(st, fc, tot, &key, us);
	}
	if (!err && st->raw_tp)
		err = fold_pending_raw(st, fc, tot);
	return err;
}

static int fold_wakeups(struct offcpu_state *st, struct stack_fold_ctx *fc)
{
	int fd = bpf_map__fd(st->skel->maps.wakeup_us), err = 0;
	struct wakeup_key key, next;
	void *prev = NULL;
	__u64 us;

	while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
		char waker[STACK_COMM_LEN + 16];

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &us))
			continue;
		/* The sleeper, then who woke it, then the waker's stack. */
		snprintf(waker, sizeof(waker), "[woken-by]%.*s", STACK_COMM_LEN, key.waker_comm);
		err = stack_fold(fc, &(struct stack_sample){ .tgid = key.tgid, .comm = key.comm,
				 .after_name = waker, .kstack_id = key.waker_kstack_id,
				 .ustack_id = STACK_ID_NONE, .value = us });
	}
	return err;
}

/* Sums blocked time by class (W-03); what matches no row is "other". */
static json_t *classify(struct fold_table *t)
{
	uint64_t by_class[ARRAY_SIZE(offcpu_classes) + 1] = { 0 };
	json_t *out = json_object();

	for (size_t i = 0; i < t->by_hash.cap; i++)
		for (struct fold_entry *e = t->by_hash.slots[i].val; e; e = e->next) {
			size_t c;

			for (c = 0; c < ARRAY_SIZE(offcpu_classes); c++) {
				const struct offcpu_class *cl = &offcpu_classes[c];
				bool hit = false;

				for (size_t f = 0; f < ARRAY_SIZE(cl->frames) && cl->frames[f]; f++)
					hit = hit || strstr(e->stack, cl->frames[f]);
				if (hit)
					break;
			}
			by_class[c] += e->value;
		}
	for (size_t c = 0; c <= ARRAY_SIZE(offcpu_classes); c++)
		if (by_class[c])
			json_object_set_new(out, c < ARRAY_SIZE(offcpu_classes) ?
					    offcpu_classes[c].name : "other",
					    json_integer((json_int_t)by_class[c]));
	return out;
}

static json_t *add_profile(struct collector *c, struct report *r, const char *name,
			   const char *title, struct fold_table *t, double took_s,
			   uint64_t nr_missing)
{
	struct offcpu_state *st = c->priv;
	size_t len;
	char *folded = fold_render(t, &len);
	json_t *p;

	if (!folded)
		return NULL;
	p = report_add_profile(r, name, name, "us", (unsigned long long)t->total, folded, len);
	if (p)
		json_object_update_new(p, json_pack("{s:s, s:s, s:f, s:I, s:s, s:I, s:I, s:I, s:f, s:o}",
			"title", title, "target", st->target.desc, "window_s", c->window_s,
			"min_block_us", (json_int_t)st->min_block_us,
			"variant", st->raw_tp ? "raw_tp" : "tp_btf",
			"distinct_stacks", (json_int_t)t->nr_stacks,
			"lost_stacks", (json_int_t)st->skel->bss->lost_stacks,
			"missing_stacks", (json_int_t)nr_missing, "symbolize_s", took_s,
			"top_leaves", stack_top_leaves(t, TOP_LEAVES)));
	if (p && st->variant_why[0])
		json_object_set_new(p, "variant_reason", json_string(st->variant_why));
	return p;
}

static int harvest(struct collector *c, struct report *r)
{
	struct offcpu_state *st = c->priv;
	struct offcpu_bpf__bss *b = st->skel->bss;
	struct unwind_bpf_counts bc = { b->unwind_records, b->unwind_bytes, b->unwind_lost,
					b->unwind_short_reads, b->unwind_unreadable };
	struct fold_table *off = &st->off, wake = { 0 };
	struct stack_fold_ctx fc = st->fc;
	struct offcpu_totals tot = { { 0 } };
	double t0 = now_mono_s();
	uint64_t missing_off, cut_off;
	json_t *p, *unwound;
	int err;

	/* fold_offcpu goes through st->fc, which the feed also folds into. */
	err = fold_offcpu(st, &st->fc, &tot);
	tot.us[OFFCPU_SLEEP] += st->feed.value_by_kind[OFFCPU_SLEEP];
	tot.us[OFFCPU_PREEMPT] += st->feed.value_by_kind[OFFCPU_PREEMPT];
	missing_off = st->fc.nr_missing_stacks;
	cut_off = st->fc.nr_cut_stacks;
	fc = st->fc;
	fc.table = &wake;
	fc.nr_missing_stacks = 0;
	if (!err)
		err = fold_wakeups(st, &fc);
	c->lost_events = st->skel->bss->lost_stacks + st->skel->bss->lost_counts +
			 st->skel->bss->lost_procs + b->unwind_lost;
	unwound = unwind_feed_report(&st->feed, &bc, c->window_s);
	if (!err) {
		p = add_profile(c, r, "offcpu", "Off-CPU time flame graph (blocked stacks, us)",
				off, now_mono_s() - t0, missing_off);
		if (p)
			json_object_update_new(p, json_pack("{s:I, s:O, s:I, s:I, s:I, s:o}",
				"cut_user_stacks", (json_int_t)cut_off, "unwind", unwound,
				"voluntary_us", (json_int_t)tot.us[OFFCPU_SLEEP],
				"involuntary_us", (json_int_t)tot.us[OFFCPU_PREEMPT],
				"context_switches", (json_int_t)st->skel->bss->nr_switches,
				"classes_us", classify(off)));
		else
			err = -ENOMEM;
	}
	if (!err && !add_profile(c, r, "wakeup", "Wakeup flame graph (waker stacks, us blocked)",
				 &wake, now_mono_s() - t0, fc.nr_missing_stacks))
		err = -ENOMEM;
	json_object_set_new(report_get(r, "overhead"), "offcpu",
			    json_pack("{s:I, s:f, s:o}", "lost_events", (json_int_t)c->lost_events,
				      "symbolize_s", now_mono_s() - t0,
				      "unwind", unwind_overhead(unwound)));
	json_decref(unwound);
	fold_free(&wake);
	return err;
}

static void destroy(struct collector *c)
{
	struct offcpu_state *st = c->priv;

	if (!st)
		return;
	stop(c);
	ring_buffer__free(st->rb);
	unwind_feed_free(&st->feed);
	fold_free(&st->off);
	offcpu_bpf__destroy(st->skel);
	stack_symbolizer_put(st->sym);
	free(st);
	c->priv = NULL;
}

/* For report.overhead.collectors: the BPF run time of its programs. */
static struct bpf_object *object(struct collector *c)
{
	struct offcpu_state *st = c->priv;

	return st && st->skel ? st->skel->obj : NULL;
}

const struct collector_ops offcpu_collector = {
	.name = "offcpu",
	.mem_mib = 56,   /* preallocated stack maps; symbols of every process */
	.subsystem = "locks",
	.summary = "off-CPU and wakeup flame graphs: blocked time by stack, in us (W-03, W-05)",
	.available = stack_collector_available,
	.start = start,
	.poll = poll_events,
	.stop = stop,
	.harvest = harvest,
	.destroy = destroy,
	.object = object,
};
