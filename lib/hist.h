/* hist.h: log2 histograms as the report holds them. Collectors aggregate
 * in the kernel into HIST_SLOTS log2 slots (bpf/bits.bpf.h); these helpers
 * turn the slots into report.histograms[] entries with buckets, p50, p90,
 * p99 and max, and add per-key breakdowns (per CPU, per process, ...).
 * Bucket i holds values in [low, high): low = 2^i (0 for i = 0), high = 2^(i+1). */
#ifndef FRIDAY_HIST_H
#define FRIDAY_HIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/hist_slots.h"

struct hist_stats {
	uint64_t count;
	double p50, p90, p99, max;  /* in the histogram's unit */
};

uint64_t hist_slot_low(size_t slot);
uint64_t hist_slot_high(size_t slot);
/* The value below which a fraction q (0..1) of the events fall, linearly
 * interpolated inside its log2 bucket; 0 for an empty histogram. */
double hist_percentile(const uint64_t *slots, size_t nr_slots, double q);
/* max_exact: the true maximum when the collector tracked it, else 0 (the
 * upper bound of the highest non-empty bucket is used). */
void hist_compute(const uint64_t *slots, size_t nr_slots, uint64_t max_exact,
		  struct hist_stats *st);
/* [{low, high, count}] from the first to the last non-empty bucket. */
json_t *hist_buckets_json(const uint64_t *slots, size_t nr_slots);
/* One report.histograms[] entry: {name, unit, source, count, p50, p90, p99,
 * max, buckets}. Returns a new reference. */
json_t *hist_json(const char *name, const char *unit, const char *source,
		  const uint64_t *slots, size_t nr_slots, uint64_t max_exact);
/* Adds {key, count, p50, p90, p99, max, buckets, ...extra} to the entry's
 * per_key.entries[] (per_key.by names what the key is). Takes extra. */
void hist_add_breakdown(json_t *hist, const char *by, const char *key,
			const uint64_t *slots, size_t nr_slots, uint64_t max_exact, json_t *extra);
/* Adds an entry to report.histograms[] (the array of the report doc). */
void hist_append(json_t *histograms, json_t *hist);

#endif
