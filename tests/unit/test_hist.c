/* test_hist.c: the arithmetic behind every histogram and heat map in the
 * report: log2 bucket bounds, interpolated percentiles and the max clamp
 * (lib/hist.c), heat-map column widths, row trimming and late events
 * (lib/heatmap.c), and reading a real per-CPU BPF map summed over CPUs. */
#include "tests/unit/testutil.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/heatmap.h"
#include "lib/hist.h"

static void test_bucket_bounds(void **state)
{
	assert_int_equal(hist_slot_low(0), 0);
	assert_int_equal(hist_slot_high(0), 2);
	assert_int_equal(hist_slot_low(10), 1024);
	assert_int_equal(hist_slot_high(10), 2048);
}

static void test_percentiles(void **state)
{
	uint64_t slots[HIST_SLOTS] = { 0 };
	struct hist_stats st;

	assert_true(hist_percentile(slots, HIST_SLOTS, 0.5) == 0);
	/* 10 events in [8, 16): the median is halfway, p90 at 90%. */
	slots[3] = 10;
	assert_true(fabs(hist_percentile(slots, HIST_SLOTS, 0.5) - 12.0) < 1e-9);
	assert_true(fabs(hist_percentile(slots, HIST_SLOTS, 0.9) - 15.2) < 1e-9);
	/* 90 fast events in [8, 16) and 10 slow in [1024, 2048): p50 and p90
	 * stay in the fast bucket, p99 falls at 90% of the slow one. */
	slots[3] = 90;
	slots[10] = 10;
	hist_compute(slots, HIST_SLOTS, 0, &st);
	assert_int_equal(st.count, 100);
	assert_true(st.p50 > 8 && st.p50 < 16);
	assert_true(fabs(st.p90 - 16.0) < 1e-9);
	assert_true(fabs(st.p99 - (1024 + 0.9 * 1024)) < 1e-9);
	assert_true(st.max == 2048);
	/* A tracked max clamps the interpolation inside the top bucket. */
	hist_compute(slots, HIST_SLOTS, 1100, &st);
	assert_true(st.max == 1100 && st.p99 == 1100);
}

static void test_column_width(void **state)
{
	/* 60 s: one column a second; 10 s: 200 ms; tiny windows: 100 ms. */
	assert_int_equal(heatmap_col_ns(60), 1000000000ull);
	assert_int_equal(heatmap_col_ns(10), 200000000ull);
	assert_int_equal(heatmap_col_ns(0.5), 100000000ull);
	assert_int_equal(heatmap_col_ns(0), 100000000ull);
	/* 25 s / 60 = 417 ms, rounded up to whole 100 ms. */
	assert_int_equal(heatmap_col_ns(25), 500000000ull);
}

static void test_heatmap_json(void **state)
{
	static uint64_t counts[HEAT_COLS * HIST_SLOTS];
	json_t *h, *col;

	memset(counts, 0, sizeof(counts));
	assert_null(heatmap_json("empty", NULL, "us", counts, 1000000000ull, 10));
	counts[2 * HIST_SLOTS + 5] = 7;    /* column 2, [32, 64) us */
	counts[4 * HIST_SLOTS + 7] = 3;    /* column 4, [128, 256) us */
	h = heatmap_json("runqlat", "Run-queue latency", "us", counts, 500000000ull, 3.0);
	assert_non_null(h);
	/* 3 s in 0.5 s columns: 6 columns; rows trimmed to 32..128. */
	assert_int_equal(json_array_size(json_object_get(h, "x")), 6);
	assert_true(json_real_value(json_array_get(json_object_get(h, "x"), 3)) == 1.5);
	assert_int_equal(json_array_size(json_object_get(h, "y")), 3);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "y"), 0)), 32);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "y"), 2)), 128);
	col = json_array_get(json_object_get(h, "counts"), 2);
	assert_int_equal(json_integer_value(json_array_get(col, 0)), 7);
	col = json_array_get(json_object_get(h, "counts"), 4);
	assert_int_equal(json_integer_value(json_array_get(col, 2)), 3);
	assert_string_equal(json_string_value(json_object_get(h, "title")), "Run-queue latency");
	json_decref(h);
	/* An event after the planned window (clamped to the last column by
	 * the kernel side) is kept, not cut. */
	counts[(HEAT_COLS - 1) * HIST_SLOTS + 5] = 1;
	h = heatmap_json("runqlat", NULL, "us", counts, 500000000ull, 3.0);
	assert_int_equal(json_array_size(json_object_get(h, "x")), HEAT_COLS);
	json_decref(h);
}

/* A collector run twice (Tuesday, then a drill-down) keeps both maps. */
static void test_heatmap_append_names(void **state)
{
	json_t *doc = json_object();

	heatmap_append(doc, json_pack("{s:s}", "name", "disk.latency_heatmap"), "diskhealth");
	heatmap_append(doc, json_pack("{s:s}", "name", "disk.latency_heatmap"), "diskhealth");
	heatmap_append(doc, json_pack("{s:s}", "name", "disk.latency_heatmap"), "diskhealth");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(doc, "heatmaps"), 1), "name")), "disk.latency_heatmap-2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(doc, "heatmaps"), 2), "name")), "disk.latency_heatmap-3");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(doc, "heatmaps"), 0), "source")), "diskhealth");
	json_decref(doc);
}

/* A real per-CPU array map as a collector leaves it: values on two CPUs
 * are summed. */
static void test_read_percpu_map(void **state)
{
	static uint64_t counts[HEAT_COLS * HIST_SLOTS];
	int nr_cpus = libbpf_num_possible_cpus();
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "heat_test", sizeof(uint32_t),
				sizeof(uint64_t), HEAT_COLS * HIST_SLOTS, NULL);
	uint64_t vals[1024] = { 0 };
	uint32_t key = 3 * HIST_SLOTS + 9;

	assert_true(fd >= 0);
	assert_true(nr_cpus > 0 && nr_cpus <= 1024);
	vals[0] = 5;
	vals[nr_cpus - 1] += 6;
	assert_int_equal(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	assert_int_equal(heatmap_read(fd, counts), 0);
	assert_int_equal(counts[key], 11);
	assert_int_equal(counts[0], 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_column_width),
		cmocka_unit_test(test_heatmap_json),
		cmocka_unit_test(test_heatmap_append_names),
		cmocka_unit_test(test_read_percpu_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
