/* test_probe_util.c: the map-dump helpers the collectors share for their
 * top-N tables (bpf/probe_util.h), on rows laid out as a map dump gives
 * them: a process's heaviest rows picked from rows of every process. */
#include "tests/unit/testutil.h"

#include <stdint.h>

#include "bpf/probe_util.h"

struct row_key {
	uint32_t tgid;
	uint32_t id;
};

struct row_val {
	uint64_t count;
	uint64_t other;
};

static uint64_t rank_count(const void *val)
{
	return ((const struct row_val *)val)->count;
}

static const struct row_key keys[] = {
	{ 7, 0 }, { 9, 1 }, { 7, 2 }, { 7, 3 }, { 9, 4 }, { 7, 5 }, { 7, 6 },
};
static const struct row_val vals[] = {
	{ 5, 0 }, { 1000, 0 }, { 50, 0 }, { 5, 0 }, { 2000, 0 }, { 0, 0 }, { UINT64_MAX, 0 },
};
#define NR_ROWS ((long)(sizeof(keys) / sizeof(keys[0])))

/* Largest first, only the process's rows, ties in row order, and the
 * full 64 bits compared (STYLE.md: no int difference). */
static void test_top_of_tgid_order(void **state)
{
	long idx[4] = { -1, -1, -1, -1 };
	int n = probe_top_of_tgid(keys, sizeof(keys[0]), vals, sizeof(vals[0]), NR_ROWS, 7,
				  rank_count, idx, 4);

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(idx[0], 6);
	assert_int_equal(idx[1], 2);
	assert_int_equal(idx[2], 0);
	assert_int_equal(idx[3], 3);
}

/* Fewer rows than asked for: all of them, and a zero-rank row counts. */
static void test_top_of_tgid_short(void **state)
{
	long idx[8];
	int n = probe_top_of_tgid(keys, sizeof(keys[0]), vals, sizeof(vals[0]), NR_ROWS, 7,
				  rank_count, idx, 8);

	(void)state;
	assert_int_equal(n, 5);
	assert_int_equal(idx[4], 5);
	n = probe_top_of_tgid(keys, sizeof(keys[0]), vals, sizeof(vals[0]), NR_ROWS, 9,
			      rank_count, idx, 8);
	assert_int_equal(n, 2);
	assert_int_equal(idx[0], 4);
	assert_int_equal(idx[1], 1);
}

/* A process with no rows, and an empty dump. */
static void test_top_of_tgid_none(void **state)
{
	long idx[2];

	(void)state;
	assert_int_equal(probe_top_of_tgid(keys, sizeof(keys[0]), vals, sizeof(vals[0]),
					   NR_ROWS, 8, rank_count, idx, 2), 0);
	assert_int_equal(probe_top_of_tgid(keys, sizeof(keys[0]), vals, sizeof(vals[0]), 0, 7,
					   rank_count, idx, 2), 0);
}

static void test_cmp_desc(void **state)
{
	(void)state;
	assert_true(probe_cmp_desc(1, UINT64_MAX) > 0);
	assert_true(probe_cmp_desc(UINT64_MAX, 1) < 0);
	assert_int_equal(probe_cmp_desc(3, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_of_tgid_order),
		cmocka_unit_test(test_top_of_tgid_short),
		cmocka_unit_test(test_top_of_tgid_none),
		cmocka_unit_test(test_cmp_desc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
