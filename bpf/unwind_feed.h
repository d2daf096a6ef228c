/* unwind_feed.h: the user side of DWARF unwinding for the stack collectors
 * (profile.c, offcpu.c). It picks the processes whose stacks are copied
 * (--unwind dwarf: all; auto: those whose main binary lacks frame pointers
 * or whose frame-pointer walks stop after a frame or two; fp: none),
 * drains the copies from the ring buffer while the window runs, unwinds
 * them (lib/unwind.c) and folds the stacks into the collector's table,
 * off-CPU copies once their blocked time arrives. It shrinks each
 * process's copy to what its stacks need and grows it back when a walk
 * runs off the copy, and reports what it cost. */
#ifndef FRIDAY_UNWIND_FEED_H
#define FRIDAY_UNWIND_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "bpf/stack_common.h"
#include "lib/options.h"
#include "lib/u64map.h"

struct json_t;

/* The BPF side's counters (unwind.bpf.h), read at the end. */
struct unwind_bpf_counts {
	uint64_t records, bytes, lost, short_reads, unreadable;
};

struct unwind_feed {
	int mode;                     /* enum unwind_mode */
	uint32_t stack_bytes;         /* the most a copy may take */
	char why_fp[160];             /* why stacks stay frame-pointer ones, or "" */
	struct symbolizer *sym;
	struct unwinder *unw;
	struct stack_fold_ctx *fc;    /* where unwound stacks are folded */
	const char *kind_leaf[2];     /* a leaf frame per offcpu kind, or NULL */
	int tgids_fd, depths_fd;
	struct u64map procs;          /* (tgid, 0) -> struct unwind_feed_proc */
	struct u64map pending;        /* (snap_id, 0) -> off-CPU stack awaiting its time */
	struct json_t *selected;      /* [{pid, comm, reason}] */
	uint64_t value_by_kind[2];    /* folded value by offcpu kind */
	uint64_t nr_samples, nr_truncated, nr_ran_off_copy, nr_unmatched, nr_short_blocks;
	uint64_t nr_frames, unwind_ns, bytes_received;
};

/* From the options: the mode and the copy size; on a non-x86-64 build
 * the mode is fp and why_fp says so. */
void unwind_feed_init(struct unwind_feed *f, const struct run_opts *o, struct symbolizer *sym,
		      struct stack_fold_ctx *fc);
/* Before load: sizes unwind_rb and unwind_scratch (one record per CPU). */
void unwind_feed_size_maps(const struct unwind_feed *f, struct bpf_map *ring,
			   struct bpf_map *scratch);
/* After load: the maps, and the ring buffer manager that already drains
 * proc_events (its announcements must go through unwind_feed_on_proc).
 * The processes of a -p or --cgroup target are judged here, before the
 * window opens. */
int unwind_feed_start(struct unwind_feed *f, struct ring_buffer *rb, int unwind_rb_fd,
		      int tgids_fd, int depths_fd, const struct stack_target *target);
/* Ring-buffer callback for proc_events: ctx is the feed. */
int unwind_feed_on_proc(void *ctx, void *data, size_t size);
/* Every poll: auto-mode selection from the frame-pointer depths. */
void unwind_feed_poll(struct unwind_feed *f);
/* raw_tp off-CPU variant: a block still going on at the end. */
int unwind_feed_weight(struct unwind_feed *f, uint64_t snap_id, uint64_t us);
/* The report's "unwind" object of a profile. */
struct json_t *unwind_feed_report(struct unwind_feed *f, const struct unwind_bpf_counts *bc,
				  double window_s);
/* Its cost, for report.overhead: mode, bytes copied (and per second),
 * unwinding time, stacks, truncated, lost. */
struct json_t *unwind_overhead(struct json_t *unwind);
void unwind_feed_free(struct unwind_feed *f);

/* The shared unwinder of the run (one Dwfl per process for every
 * collector), reference counted like the symbolizer. */
struct unwinder *stack_unwinder_get(struct symbolizer *sym);
void stack_unwinder_put(struct unwinder *u);

const char *unwind_mode_name(int mode);

#endif
