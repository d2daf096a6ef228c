/* stack_common.h: user-side pieces the stack collectors (profile.c,
 * offcpu.c) share: one symbolizer for the run, the target filter knobs
 * (-p PID, --cgroup PATH: a cgroup v2 id and level, or a cgroup v1 tgid
 * set kept fresh while collecting), the "process first seen" events that
 * trigger mapping snapshots, and turning kernel stack ids into folded text. */
#ifndef FRIDAY_STACK_COMMON_H
#define FRIDAY_STACK_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bpf/libbpf.h>

#include "lib/options.h"
#include "lib/stackfold.h"
#include "lib/symbolize.h"

/* One symbolizer shared by every stack collector of the run, so each ELF
 * file is parsed once. Reference counted. */
struct symbolizer *stack_symbolizer_get(void);
void stack_symbolizer_put(struct symbolizer *s);

struct stack_target {
	uint32_t tgid;
	uint64_t cgid;            /* cgroup v2 id, 0 for none */
	uint32_t cg_level;
	bool use_tgids;           /* cgroup v1: match the tgids in a map */
	const char *cgroup_path;
	char desc[160];           /* "pid 123", "cgroup v2 /x (id 5, level 2)", "whole host" */
};

/* Fills the target from the options; -errno with why on a bad cgroup. */
int stack_target_init(struct stack_target *t, const struct run_opts *o, char *why, size_t len);
/* cgroup v1: puts the cgroup's processes (and its children's) into the
 * tgid map; called at start and at every poll. */
void stack_target_refresh(const struct stack_target *t, int tgid_map_fd);

/* The collector's `available`: both stack collectors need root (or
 * CAP_BPF and CAP_PERFMON) and nothing else, and say so alike. */
struct report;
int stack_collector_available(struct report *r, char *why, size_t len);

/* After load, the part of start both stack collectors share. Their objects
 * take targ_tgids, proc_events and the unwind_* maps from stacks.bpf.h and
 * unwind.bpf.h and name their stack maps kstacks and ustacks alike, so the
 * maps are found by name: fills the target's tgid map, points the feed's
 * folder at the stack maps, and opens the ring buffer that drains the
 * process announcements and the copied stacks. NULL with why and *err. */
struct unwind_feed;
struct ring_buffer *stack_events_start(struct bpf_object *obj, const struct stack_target *t,
				       struct unwind_feed *feed, char *why, size_t len, int *err);
/* Every poll of a stack collector: the cgroup v1 tgids, the announcements,
 * then the unwinding feed; returns what the ring buffer consumed. */
int stack_events_poll(struct bpf_object *obj, const struct stack_target *t,
		      struct ring_buffer *rb, struct unwind_feed *feed);

/* The online CPUs, from /sys/devices/system/cpu/online; count or -errno. */
int online_cpus(int *cpus, int max);

/* Ring-buffer callback for struct stack_proc_event: ctx is the symbolizer. */
int stack_on_proc_event(void *ctx, void *data, size_t size);

/* Folds one kernel-side aggregate into the table: process name first,
 * then `after_name` if any, user frames, kernel frames (`_[k]`), then
 * `leaf` if any. exact_leaf: the first address of each stack is the
 * sampled IP itself (perf events), not a return address. */
struct stack_fold_ctx {
	struct symbolizer *sym;
	int kstacks_fd, ustacks_fd;
	bool exact_leaf;
	struct fold_table *table;
	uint64_t nr_missing_stacks;   /* aggregates whose stack was lost */
	uint64_t nr_cut_stacks;       /* user stacks cut where the walk left the mappings */
	uint64_t nr_truncated_stacks; /* DWARF-unwound stacks cut short */
};

struct stack_sample {
	uint32_t tgid;
	const char *comm;             /* the thread's comm (not NUL-terminated at 16) */
	int32_t kstack_id, ustack_id; /* STACK_ID_NONE for none */
	/* A user stack unwound in user space (bpf/unwind_feed.c), leaf first,
	 * used instead of ustack_id; utruncated: the walk was cut short. */
	const uint64_t *uips;
	int nr_uips;
	bool utruncated;
	const char *after_name;
	const char *leaf;
	uint64_t value;
};
int stack_fold(struct stack_fold_ctx *fc, const struct stack_sample *ss);

/* The leaf functions of a folded table with their share, top n first, as a
 * JSON array [{function, value, pct}] (the HTML report and tests read it). */
struct json_t;
struct json_t *stack_top_leaves(struct fold_table *t, size_t n);

#endif
