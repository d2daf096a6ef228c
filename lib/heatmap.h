/* heatmap.h: time x latency heat maps as the report holds them
 * (report.heatmaps[]: name, title, x[] column start in s, y[] latency row
 * low bounds, counts[x][y]). Collectors aggregate in the kernel into a
 * HEAT_MAP (bpf/heat.bpf.h); these helpers pick the column width, read the
 * per-CPU map and turn it into JSON. */
#ifndef FRIDAY_HEATMAP_H
#define FRIDAY_HEATMAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/heat_cols.h"
#include "bpf/hist_slots.h"

/* The column width in ns for a planned window: the window over
 * HEAT_TARGET_COLS, at least 100 ms, rounded up to whole 100 ms. */
uint64_t heatmap_col_ns(double planned_window_s);
/* Opens the heat map's time axis at the collector's window start (the
 * BPF object's heat_start_ns, from bpf/heat.bpf.h), once: call it from
 * the collector's poll, which runs only while the window is open. */
struct collector;
void heatmap_open(unsigned long long *heat_start_ns, const struct collector *c);
/* Sums a per-CPU HEAT_MAP (by its fd) over the CPUs into
 * counts[HEAT_COLS * HIST_SLOTS]. 0 or -errno. */
int heatmap_read(int map_fd, uint64_t *counts);
/* The report entry for counts[HEAT_COLS * HIST_SLOTS]: the columns that
 * the window covered (window_s / col width, at least one, at most
 * HEAT_COLS) and the latency rows from the lowest to the highest non-empty
 * one. NULL when nothing was counted. Returns a new reference. */
json_t *heatmap_json(const char *name, const char *title, const char *y_unit,
		     const uint64_t *counts, uint64_t col_ns, double window_s);
/* Appends heat map h (taken) to doc's "heatmaps" array, made when absent,
 * with "source" naming the collector; a name already there gets "-2",
 * "-3"... (a collector run again by a later step). */
void heatmap_append(json_t *doc, json_t *h, const char *source);

#endif
