/* hist.c: log2 histograms into report JSON (see hist.h). */
#include "lib/hist.h"

uint64_t hist_slot_low(size_t slot)
{
	return slot ? 1ull << slot : 0;
}

uint64_t hist_slot_high(size_t slot)
{
	return slot >= 63 ? UINT64_MAX : 1ull << (slot + 1);
}

static uint64_t total(const uint64_t *slots, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += slots[i];
	return sum;
}

double hist_percentile(const uint64_t *slots, size_t nr_slots, double q)
{
	uint64_t count = total(slots, nr_slots), seen = 0;
	double target = q * (double)count;

	if (!count)
		return 0;
	for (size_t i = 0; i < nr_slots; i++) {
		double low = hist_slot_low(i), high = hist_slot_high(i);

		if (!slots[i])
			continue;
		if ((double)(seen + slots[i]) >= target) {
			double frac = (target - (double)seen) / (double)slots[i];

			return low + frac * (high - low);
		}
		seen += slots[i];
	}
	return hist_slot_high(nr_slots - 1);
}

void hist_compute(const uint64_t *slots, size_t nr_slots, uint64_t max_exact,
		  struct hist_stats *st)
{
	double cap;
	size_t top = 0;

	st->count = total(slots, nr_slots);
	for (size_t i = 0; i < nr_slots; i++)
		if (slots[i])
			top = i;
	cap = max_exact ? (double)max_exact : st->count ? (double)hist_slot_high(top) : 0;
	st->max = cap;
	/* Interpolation may overshoot the true max inside the top bucket. */
	st->p50 = hist_percentile(slots, nr_slots, 0.50);
	st->p90 = hist_percentile(slots, nr_slots, 0.90);
	st->p99 = hist_percentile(slots, nr_slots, 0.99);
	if (st->p50 > cap) st->p50 = cap;
	if (st->p90 > cap) st->p90 = cap;
	if (st->p99 > cap) st->p99 = cap;
}

json_t *hist_buckets_json(const uint64_t *slots, size_t nr_slots)
{
	json_t *arr = json_array();
	size_t first = nr_slots, last = 0;

	for (size_t i = 0; i < nr_slots; i++) {
		if (!slots[i])
			continue;
		if (first == nr_slots)
			first = i;
		last = i;
	}
	for (size_t i = first; i < nr_slots && i <= last; i++)
		json_array_append_new(arr, json_pack("{s:I, s:I, s:I}",
						     "low", (json_int_t)hist_slot_low(i),
						     "high", (json_int_t)hist_slot_high(i),
						     "count", (json_int_t)slots[i]));
	return arr;
}

static void set_stats(json_t *obj, const uint64_t *slots, size_t nr_slots, uint64_t max_exact)
{
	struct hist_stats st;

	hist_compute(slots, nr_slots, max_exact, &st);
	json_object_set_new(obj, "count", json_integer((json_int_t)st.count));
	json_object_set_new(obj, "p50", json_real(st.p50));
	json_object_set_new(obj, "p90", json_real(st.p90));
	json_object_set_new(obj, "p99", json_real(st.p99));
	json_object_set_new(obj, "max", json_real(st.max));
	json_object_set_new(obj, "buckets", hist_buckets_json(slots, nr_slots));
}

json_t *hist_json(const char *name, const char *unit, const char *source,
		  const uint64_t *slots, size_t nr_slots, uint64_t max_exact)
{
	json_t *h = json_pack("{s:s, s:s, s:s}", "name", name, "unit", unit, "source", source);

	set_stats(h, slots, nr_slots, max_exact);
	return h;
}

void hist_add_breakdown(json_t *hist, const char *by, const char *key,
			const uint64_t *slots, size_t nr_slots, uint64_t max_exact, json_t *extra)
{
	json_t *per_key = json_object_get(hist, "per_key"), *e;

	if (!per_key) {
		per_key = json_pack("{s:s, s:[]}", "by", by, "entries");
		json_object_set_new(hist, "per_key", per_key);
	}
	e = json_pack("{s:s}", "key", key);
	set_stats(e, slots, nr_slots, max_exact);
	if (extra)
		json_object_update(e, extra);
	json_decref(extra);
	json_array_append_new(json_object_get(per_key, "entries"), e);
}

void hist_append(json_t *histograms, json_t *hist)
{
	json_array_append_new(histograms, hist);
}
