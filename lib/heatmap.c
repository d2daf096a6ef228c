/* heatmap.c: time x latency heat maps into report JSON (see heatmap.h). */
#include "lib/heatmap.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/collector.h"
#include "lib/hist.h"

#define NS_PER_S 1000000000ull
#define MIN_COL_NS (NS_PER_S / 10)

uint64_t heatmap_col_ns(double planned_window_s)
{
	double col_ns = planned_window_s > 0 ? planned_window_s * NS_PER_S / HEAT_TARGET_COLS : 0;
	uint64_t steps = (uint64_t)ceil(col_ns / MIN_COL_NS);

	return (steps ? steps : 1) * MIN_COL_NS;
}

void heatmap_open(unsigned long long *heat_start_ns, const struct collector *c)
{
	if (!*heat_start_ns && c->started_s > 0)
		*heat_start_ns = (unsigned long long)(c->started_s * NS_PER_S);
}

int heatmap_read(int map_fd, uint64_t *counts)
{
	int nr_cpus = libbpf_num_possible_cpus();
	uint64_t *per_cpu;

	if (nr_cpus <= 0)
		return nr_cpus ? nr_cpus : -EINVAL;
	per_cpu = calloc((size_t)nr_cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (uint32_t key = 0; key < HEAT_COLS * HIST_SLOTS; key++) {
		counts[key] = 0;
		if (bpf_map_lookup_elem(map_fd, &key, per_cpu)) {
			int err = -errno;

			free(per_cpu);
			return err;
		}
		for (int cpu = 0; cpu < nr_cpus; cpu++)
			counts[key] += per_cpu[cpu];
	}
	free(per_cpu);
	return 0;
}

/* The lowest and highest latency rows with a count in any column. */
static int used_rows(const uint64_t *counts, size_t nr_cols, size_t *lo, size_t *hi)
{
	*lo = HIST_SLOTS;
	*hi = 0;
	for (size_t x = 0; x < nr_cols; x++)
		for (size_t y = 0; y < HIST_SLOTS; y++)
			if (counts[x * HIST_SLOTS + y]) {
				*lo = y < *lo ? y : *lo;
				*hi = y > *hi ? y : *hi;
			}
	return *lo < HIST_SLOTS ? 0 : -ENODATA;
}

json_t *heatmap_json(const char *name, const char *title, const char *y_unit,
		     const uint64_t *counts, uint64_t col_ns, double window_s)
{
	double col_s = (double)(col_ns ? col_ns : MIN_COL_NS) / NS_PER_S;
	size_t nr_cols = (size_t)ceil(window_s / col_s - 1e-9), lo, hi;
	json_t *xs, *ys, *cols;

	nr_cols = nr_cols < 1 ? 1 : nr_cols > HEAT_COLS ? HEAT_COLS : nr_cols;
	/* Events after the planned window land in the last column: keep it. */
	for (size_t x = nr_cols; x < HEAT_COLS; x++)
		for (size_t y = 0; y < HIST_SLOTS; y++)
			if (counts[x * HIST_SLOTS + y])
				nr_cols = x + 1;
	if (used_rows(counts, nr_cols, &lo, &hi))
		return NULL;
	xs = json_array();
	ys = json_array();
	cols = json_array();
	for (size_t y = lo; y <= hi; y++)
		json_array_append_new(ys, json_integer((json_int_t)hist_slot_low(y)));
	for (size_t x = 0; x < nr_cols; x++) {
		json_t *col = json_array();

		json_array_append_new(xs, json_real(round(x * col_s * 10) / 10));
		for (size_t y = lo; y <= hi; y++)
			json_array_append_new(col, json_integer((json_int_t)counts[x * HIST_SLOTS + y]));
		json_array_append_new(cols, col);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o}", "name", name, "title",
			 title ? title : name, "x_unit", "s", "y_unit", y_unit, "column_s", col_s,
			 "x", xs, "y", ys, "counts", cols);
}

/* True when doc's heatmaps[] holds an entry named name. */
static bool heatmap_named(json_t *all, const char *name)
{
	json_t *h;
	size_t i;

	json_array_foreach(all, i, h)
		if (!strcmp(json_string_value(json_object_get(h, "name")), name))
			return true;
	return false;
}

void heatmap_append(json_t *doc, json_t *h, const char *source)
{
	json_t *all = json_object_get(doc, "heatmaps");
	const char *name = json_string_value(json_object_get(h, "name"));
	char alt[160];

	if (!all) {
		all = json_array();
		json_object_set_new(doc, "heatmaps", all);
	}
	/* A collector run again (a Thursday drill-down) keeps both windows. */
	for (int n = 2; name && heatmap_named(all, name) && n < 100; n++) {
		snprintf(alt, sizeof(alt), "%s-%d", json_string_value(json_object_get(h, "name")), n);
		if (!heatmap_named(all, alt)) {
			json_object_set_new(h, "name", json_string(alt));
			break;
		}
	}
	json_object_set_new(h, "source", json_string(source));
	json_array_append_new(all, h);
}
