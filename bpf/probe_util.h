/* probe_util.h: what the collectors share on the user side: picking the
 * attach variant (tp_btf, then raw_tp, then classic tracepoint) from the
 * report's capabilities with a fall back on load failure, the target
 * cgroup id, per-CPU sums, and the BPF run-time figures that go into
 * report.overhead.collectors.NAME. */
#ifndef FRIDAY_PROBE_UTIL_H
#define FRIDAY_PROBE_UTIL_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/collector.h"

/* In preference order. Programs of a variant end with its suffix
 * ("_btf", "_raw", "_tp"); programs without a suffix always load. */
enum attach_variant { VARIANT_TP_BTF, VARIANT_RAW_TP, VARIANT_TRACEPOINT, NR_VARIANTS };
#define VARIANT_MASK_ALL ((1u << NR_VARIANTS) - 1)

const char *variant_name(enum attach_variant v);

/* How a collector opens, configures and loads its skeleton, so that
 * variant_load can retry with the next variant after a failed load. */
struct variant_loader {
	void *(*open)(void);
	/* Sets read-only knobs and map sizes; the autoload of each variant's
	 * programs is set by variant_load before this is called. */
	int (*configure)(void *skel, struct collector *c, enum attach_variant v);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*object)(void *skel);
};

/* Opens and loads the first variant of mask that the report's capabilities
 * do not rule out ("tp_btf", "raw_tp", "tracepoint"; a missing name is
 * tried) and that loads. Returns 0 with *skel and *used set, or -errno
 * with why listing each variant's failure. */
int variant_load(struct collector *c, const struct variant_loader *l, unsigned mask,
		 void **skel, enum attach_variant *used, char *why, size_t why_len);

/* The cgroup v2 id (inode) of --cgroup, or 0 when none was given.
 * -errno with why when the path is not a cgroup v2 directory. */
int probe_cgroup_id(const char *path, uint64_t *id, char *why, size_t why_len);

int probe_nr_cpus(void);

/* Sums a per-CPU value array (nr_cpus entries of u64) into one u64. */
uint64_t percpu_sum_u64(const uint64_t *vals, int nr_cpus);

/* Reads one key of a BPF_MAP_TYPE_PERCPU_ARRAY of u64 counters. */
uint64_t percpu_array_sum(int map_fd, uint32_t key, int nr_cpus);

/* Reads every entry of a map (hash or array) into malloc'd key and value
 * arrays, in batches where the kernel supports it (one syscall per batch
 * instead of two per key), else key by key. val_size is the whole value
 * (nr_cpus * round_up(size, 8) for per-CPU maps). Returns the number of
 * entries (>= 0) or -errno; free *keys and *vals. */
long probe_map_dump(int map_fd, size_t key_size, size_t val_size, uint32_t max_entries,
		    void **keys, void **vals);

/* Records into report.overhead.collectors.NAME: bpf_run_time_ns and
 * bpf_run_count summed over the object's loaded programs (zero when
 * kernel.bpf_stats_enabled was off), and the variant used. */
void probe_record_overhead(struct collector *c, struct bpf_object *obj,
			   enum attach_variant used);

/* Reads a comm from a kernel buffer into a JSON-safe string. */
void probe_comm(char *dst, size_t len, const char *src, size_t src_len);

/* Is there a tracepoint named CATEGORY:NAME on this kernel (BTF typedef
 * btf_trace_NAME or tracefs events/CATEGORY/NAME)? */
bool probe_tracepoint_exists(const char *category, const char *name);

#endif
