/* maputil.c: map readers shared by the collectors (see maputil.h). */
#include "bpf/maputil.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>

uint64_t maputil_percpu_u64(int map_fd, uint32_t key)
{
	int nr_cpus = libbpf_num_possible_cpus();
	uint64_t *vals, sum = 0;

	if (nr_cpus <= 0 || !(vals = calloc(nr_cpus, sizeof(*vals))))
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &key, vals))
		for (int i = 0; i < nr_cpus; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

void maputil_percpu_u64s(int map_fd, uint32_t first, uint32_t nr, uint64_t *sums)
{
	for (uint32_t i = 0; i < nr; i++)
		sums[i] = maputil_percpu_u64(map_fd, first + i);
}

int maputil_percpu_hist(int map_fd, unsigned int row, uint64_t slots[HIST_SLOTS])
{
	maputil_percpu_u64s(map_fd, row * HIST_SLOTS, HIST_SLOTS, slots);
	return 0;
}
