/* probe_util.h: what the Tuesday collectors share on the user side, beside
 * variant.h (attach kind) and maputil.h (per-CPU sums): the checks before
 * start, the start itself, the target cgroup id, whole-map reads in
 * batches, a map's top rows by one u64, comms, and the BPF run-time
 * figures that go into report.overhead.collectors.NAME. */
#ifndef FRIDAY_PROBE_UTIL_H
#define FRIDAY_PROBE_UTIL_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/collector.h"
#include "bpf/variant.h"

/* 0 when the capability probe found cap, or did not run (a unit test's
 * bare report); else err with what in why. Every collector checked its
 * capabilities with the same two lines; one place keeps them alike. */
int probe_require(struct report *r, const char *cap, int err, const char *what,
		  char *why, size_t why_len);
/* A collector_ops.available for collectors that need root and nothing else. */
int probe_require_root(struct report *r, char *why, size_t why_len);

/* What every variant-loaded collector keeps from its start. */
struct probe_load {
	enum attach_kind kind;
	json_t *missing;            /* tracepoints this kernel lacks */
	uint64_t cgid;              /* --cgroup as a cgroup v2 id, 0: none */
};

/* The start those collectors share: --cgroup as an id for the knobs, then
 * open, load and attach (variant_open_load) into *skel. c->priv must be
 * set first: ops->knobs reads it. 0, or -errno with why. */
int probe_start(struct collector *c, const struct variant_ops *ops, struct probe_load *ld,
		void **skel, char *why, size_t why_len);

/* The cgroup v2 id (inode) of --cgroup, or 0 when none was given.
 * -errno with why when the path is not a cgroup v2 directory. */
int probe_cgroup_id(const char *path, uint64_t *id, char *why, size_t why_len);

int probe_nr_cpus(void);

/* Reads every entry of a map (hash or array) into malloc'd key and value
 * arrays, in batches where the kernel supports it (one syscall per batch
 * instead of two per key), else key by key. val_size is the whole value
 * (nr_cpus * round_up(size, 8) for per-CPU maps). Returns the number of
 * entries (>= 0) or -errno; free *keys and *vals. */
long probe_map_dump(int map_fd, size_t key_size, size_t val_size, uint32_t max_entries,
		    void **keys, void **vals);

/* A comparator's answer for two u64 figures, the larger first: an int
 * difference would truncate them (STYLE.md). */
static inline int probe_cmp_desc(uint64_t x, uint64_t y)
{
	return x < y ? 1 : x > y ? -1 : 0;
}

/* A map read whole (probe_map_dump) and its values ordered by one u64,
 * largest first: what every "top N processes" table starts with. */
struct probe_top {
	void *keys, *vals;          /* as the map gave them */
	const void **order;         /* pointers into vals, largest first */
	long nr;                    /* entries read (>= 0) */
	size_t key_size, val_size;
};

/* Fills t and returns how many values t->order holds: t->nr, or 0 when
 * the map could not be read or no memory was left. Ties keep the map's
 * order (as glibc's merge-sort qsort kept them), so a report does not
 * change with the sort. Free with probe_top_free. */
long probe_top_read(struct probe_top *t, int map_fd, size_t key_size, size_t val_size,
		    uint32_t max_entries, uint64_t (*rank)(const void *val));
/* The key of t->order[i]. */
const void *probe_top_key(const struct probe_top *t, long i);
void probe_top_free(struct probe_top *t);

/* A process's heaviest rows of a map dump whose key starts with its tgid
 * (a u32): up to k indexes into idx, the largest rank first, ties in row
 * order; returns how many. For the "top addresses / top syscalls of each
 * top process" lists (k is small: a pass over the rows per pick). */
int probe_top_of_tgid(const void *keys, size_t key_size, const void *vals, size_t val_size,
		      long n, uint32_t tgid, uint64_t (*rank)(const void *val), long *idx,
		      int k);

/* Records into report.overhead.collectors.NAME: bpf_run_time_ns and
 * bpf_run_count summed over the object's loaded programs (zero when
 * BPF run-time statistics were off), or where the stats were on for a
 * share of the window only, the budget's estimate (c->bpf_ns_est,
 * c->bpf_runs_est: playbooks/budget.h), and that share. The collect step calls it for every collector with an
 * object op. */
void probe_record_overhead(struct collector *c, struct bpf_object *obj);

/* A global variable of a BPF object by name, in its data section SEC
 * (".rodata" before load: the value the load will freeze; ".bss" or
 * ".data" after load: the memory the programs use, mapped into friday);
 * NULL when there is no such variable of at least size bytes. For a
 * variable two collectors' objects both have, where the skeletons'
 * types differ (fs_part.bpf.h). */
void *probe_global(struct bpf_object *obj, const char *sec, const char *name, size_t size);

/* Reads a comm from a kernel buffer into a JSON-safe string. */
void probe_comm(char *dst, size_t len, const char *src, size_t src_len);

#endif
