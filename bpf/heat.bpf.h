/* heat.bpf.h: time x latency heat maps aggregated in the kernel: a per-CPU
 * array of HEAT_COLS time columns by HIST_SLOTS log2 latency rows, each a
 * count. lib/heatmap.c reads it into report.heatmaps[]. Include after
 * vmlinux.h and bits.bpf.h. */
#ifndef FRIDAY_HEAT_BPF_H
#define FRIDAY_HEAT_BPF_H

#include "heat_cols.h"

/* Declares a heat map named NAME in the collector's object. */
#define HEAT_MAP(NAME)							\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, HEAT_COLS * HIST_SLOTS);		\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} NAME SEC(".maps")

/* The window's start (CLOCK_MONOTONIC ns), written by user space when the
 * collect window opens (heatmap_open): 0 until then. */
__u64 heat_start_ns = 0;

/* Counts n events (n > 1 when one sampled event stands for several:
 * budget.bpf.h) of VALUE (in the histogram's unit) that ended at now_ns,
 * in the column of its time since heat_start_ns (col_ns wide; events past
 * the last column go to the last; before the window opened, to the
 * first). */
static __always_inline void heat_add(void *map, __u64 col_ns, __u64 now_ns, __u64 value,
				     __u64 n)
{
	__u64 start_ns = heat_start_ns;
	__u64 col = col_ns && start_ns && now_ns > start_ns ? (now_ns - start_ns) / col_ns : 0;
	__u32 key;
	__u64 *cnt;

	if (col >= HEAT_COLS)
		col = HEAT_COLS - 1;
	key = (__u32)col * HIST_SLOTS + hist_slot(value);
	cnt = bpf_map_lookup_elem(map, &key);
	if (cnt)
		*cnt += n;
}

#endif
