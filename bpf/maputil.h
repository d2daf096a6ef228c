/* maputil.h: reading collectors' maps from user space: per-CPU histogram
 * rows summed over CPUs, and the drops counted in a BPF data section. */
#ifndef FRIDAY_MAPUTIL_H
#define FRIDAY_MAPUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/hist_slots.h"

/* Sums row `row` (HIST_SLOTS keys from row * HIST_SLOTS) of a per-CPU
 * array of __u64 into slots. 0 or -errno. */
int maputil_percpu_hist(int map_fd, unsigned int row, uint64_t slots[HIST_SLOTS]);
/* Sums one key of a per-CPU array of __u64. */
uint64_t maputil_percpu_u64(int map_fd, uint32_t key);
/* Sums keys first .. first + nr - 1 of a per-CPU array of __u64 into
 * sums[]: a collector's counters, read in one call as its histograms are. */
void maputil_percpu_u64s(int map_fd, uint32_t first, uint32_t nr, uint64_t *sums);

#endif
