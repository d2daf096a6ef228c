/* test_rules_disk_memory.c: unit tests for the disk and memory rules on
 * recorded collector results: tests/fixtures/tuesday/disk_throttled.json
 * and memory_pressure.json hold what diskhealth and memhealth measured
 * (Thursday's drill-down window) during real runs of
 * tests/scenarios/c_disk_throttled.sh and c_memory_pressure.sh on a shared
 * 2-CPU host, with Monday's disk.cgroup_io_limit and memory.cgroup_limit
 * findings, cut down to host, collectors, measurements and those findings.
 * Each rule must name its workload in its own scenario, must not blame it
 * in the other, and must stay quiet once the fault is taken out. */
#include "tests/unit/testutil.h"
#include "tests/unit/rules_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/tuesday.h"
#include "reports/report.h"

static json_t *ev(json_t *f, const char *key)
{
	return json_object_get(json_object_get(f, "evidence"), key);
}

static const char *evs(json_t *f, const char *key)
{
	return json_string_value(ev(f, key));
}

static json_t *m_of(struct report *r, const char *collector)
{
	return json_object_get(report_get(r, "measurements"), collector);
}

/* The throttled cgroup's entry in diskhealth's cgroups[] (the first one
 * with layers: the fixture has one cgroup, on the loop device). */
static json_t *throttled_cgroup(struct report *r)
{
	return json_array_get(json_object_get(m_of(r, "diskhealth"), "cgroups"), 0);
}

static int reader_pid(struct report *r)
{
	return (int)json_integer_value(json_object_get(json_array_get(
		json_object_get(m_of(r, "diskhealth"), "syscalls"), 0), "pid"));
}

static int toucher_pid(struct report *r)
{
	return (int)json_integer_value(json_object_get(json_array_get(
		json_object_get(m_of(r, "memhealth"), "processes"), 0), "pid"));
}

static void assert_evidence_explained(struct report *r, const char *subsystem)
{
	json_t *h;
	size_t i;

	json_array_foreach(report_get(r, "health"), i, h)
		if (!strcmp(json_string_value(json_object_get(h, "subsystem")), subsystem)) {
			assert_true(json_array_size(json_object_get(h, "evidence")) >= 1);
			assert_non_null(strstr(json_string_value(json_array_get(
				json_object_get(h, "evidence"), 0)), "("));
			return;
		}
	fail_msg("no health entry for %s", subsystem);
}

static void test_disk_throttled(void **state)
{
	struct report *r = load_fixture("disk_throttled");
	json_t *c = throttled_cgroup(r), *thr, *delay;
	const char *cg = json_string_value(json_object_get(c, "cgroup"));

	judge_disk(r);
	assert_int_equal(report_get_verdict(r, "disk"), VERDICT_IMPLICATED);
	assert_evidence_explained(r, "disk");
	thr = finding(r, "disk.cgroup_throttling");
	assert_non_null(thr);
	assert_string_equal(evs(thr, "cgroup"), cg);
	assert_string_equal(evs(thr, "device"), "loop0");
	assert_string_equal(evs(thr, "limit"), "read_iops");
	assert_true(json_number_value(ev(thr, "before_device_pct")) >= 80);
	delay = finding(r, "disk.delay_above_device");
	assert_non_null(delay);
	assert_string_equal(json_string_value(json_object_get(delay, "severity")), "warning");
	assert_string_equal(evs(delay, "process"), "c_direct_reader");
	assert_int_equal(json_integer_value(ev(delay, "pid")), reader_pid(r));
	assert_string_equal(evs(delay, "cgroup"), cg);
	assert_true(json_is_true(ev(delay, "explained")));
	assert_string_equal(evs(delay, "limit"), "read_iops");
	assert_true(json_number_value(ev(delay, "limit_value")) == 50);
	/* 20 ms in the throttle against well under 1 ms in the device. */
	assert_true(json_number_value(ev(delay, "above_block_pct")) >= 80);
	assert_true(json_number_value(ev(delay, "device_ms_avg")) * 5 <
		    json_number_value(ev(delay, "syscall_ms_avg")));
	assert_non_null(strstr(json_string_value(json_object_get(delay, "detail")),
			       "above the block layer"));
	report_free(r);
}

/* With no limit in diskhealth's own reading (a limit on a parent, or a v2
 * io.max it could not read), Monday's disk.cgroup_io_limit on a parent of
 * the cgroup for the same device explains the delay; one on a sibling
 * whose name merely starts the same does not. */
static void test_delay_explained_by_monday(void **state)
{
	static const struct { const char *monday_cg; bool explained; } cases[] = {
		{ "PARENT", true }, { "PARENT-other", false },
	};

	for (size_t i = 0; i < 2; i++) {
		struct report *r = load_fixture("disk_throttled");
		json_t *c = throttled_cgroup(r), *monday = json_array_get(report_get(r, "findings"), 0);
		json_t *row, *delay;
		char parent[256], child[300], monday_cg[300];
		size_t k;

		snprintf(parent, sizeof(parent), "%s", json_string_value(json_object_get(c, "cgroup")));
		snprintf(child, sizeof(child), "%s/job", parent);
		snprintf(monday_cg, sizeof(monday_cg), "%s%s", parent, cases[i].monday_cg + strlen("PARENT"));
		json_object_set_new(c, "cgroup", json_string(child));
		json_object_set_new(c, "limits", json_object());
		json_array_foreach(json_object_get(m_of(r, "diskhealth"), "syscalls"), k, row)
			if (!strcmp(json_string_value(json_object_get(row, "cgroup")), parent))
				json_object_set_new(row, "cgroup", json_string(child));
		assert_string_equal(json_string_value(json_object_get(monday, "id")), "disk.cgroup_io_limit");
		json_object_set_new(json_object_get(monday, "evidence"), "cgroup", json_string(monday_cg));
		judge_disk(r);
		delay = finding(r, "disk.delay_above_device");
		assert_non_null(delay);
		assert_string_equal(evs(delay, "cgroup"), child);
		assert_int_equal(json_is_true(ev(delay, "explained")), cases[i].explained);
		if (cases[i].explained) {
			assert_non_null(strstr(evs(delay, "limit_where"), "Monday's disk.cgroup_io_limit"));
			assert_string_equal(evs(delay, "limit"), "riops");
			assert_int_equal(report_get_verdict(r, "disk"), VERDICT_IMPLICATED);
		} else {
			assert_non_null(strstr(json_string_value(json_object_get(delay, "detail")),
					       "No cgroup I/O limit"));
			/* An unexplained delay alone is worth a look, not a culprit. */
			assert_int_equal(report_get_verdict(r, "disk"), VERDICT_SUSPECT);
		}
		/* No limit read from the cgroup: no throttling finding. */
		assert_null(finding(r, "disk.cgroup_throttling"));
		report_free(r);
	}
}

/* The same recording with the throttle lifted: the reads take what the
 * device takes (its measured 0.02 ms plus a syscall's own cost). */
static void test_disk_quiet(void **state)
{
	struct report *r = load_fixture("disk_throttled");
	json_t *c = throttled_cgroup(r), *layer;
	const char *op;

	json_object_set_new(c, "read_iops", json_real(5));
	json_object_foreach(json_object_get(c, "layers"), op, layer) {
		json_object_set_new(layer, "syscall_ms_avg", json_real(0.05));
		json_object_set_new(layer, "above_block_ms_avg", json_real(0.03));
		json_object_set_new(layer, "above_block_pct", json_real(60));
	}
	judge_disk(r);
	assert_null(finding(r, "disk.cgroup_throttling"));
	assert_null(finding(r, "disk.delay_above_device"));
	assert_true(report_get_verdict(r, "disk") != VERDICT_IMPLICATED);
	assert_evidence_explained(r, "disk");
	report_free(r);
}

static void test_memory_pressure(void **state)
{
	struct report *r = load_fixture("memory_pressure");
	int pid = toucher_pid(r);
	json_t *f;

	judge_memory(r);
	assert_int_equal(report_get_verdict(r, "memory"), VERDICT_IMPLICATED);
	assert_evidence_explained(r, "memory");
	assert_non_null(f = finding(r, "memory.swapping"));
	assert_true(json_number_value(ev(f, "pswpin")) > 0);
	assert_non_null(f = finding(r, "memory.reclaim_stall"));
	assert_int_equal(json_integer_value(ev(f, "pid")), pid);
	assert_string_equal(evs(f, "process"), "c_mem_toucher");
	assert_non_null(strstr(evs(f, "cgroup"), "friday-scen-mp-"));
	assert_int_equal(json_integer_value(ev(f, "cgroup_limit_bytes")), 128 << 20);
	assert_true(json_number_value(ev(f, "reclaim_ms_max")) >= json_number_value(ev(f, "reclaim_ms_avg")));
	assert_non_null(f = finding(r, "memory.major_faults"));
	assert_int_equal(json_integer_value(ev(f, "pid")), pid);
	assert_true(json_number_value(ev(f, "swapins")) > 0);
	assert_true(json_number_value(ev(f, "swapin_ms_avg")) > 0);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "swap-ins"));
	report_free(r);
}

/* Memory with room again: no swapping, no stalls, no major faults. */
static void test_memory_quiet(void **state)
{
	struct report *r = load_fixture("memory_pressure");
	json_t *m = m_of(r, "memhealth"), *vm = json_object_get(m, "vmstat"), *p;
	size_t i;

	json_object_set_new(vm, "pswpin", json_integer(0));
	json_object_set_new(vm, "pswpout", json_integer(0));
	json_array_foreach(json_object_get(m, "processes"), i, p) {
		json_object_set_new(p, "memcg_reclaim_ms", json_real(0));
		json_object_set_new(p, "direct_reclaim_ms", json_real(0));
		json_object_set_new(p, "major_faults", json_integer(0));
	}
	judge_memory(r);
	assert_int_equal(report_get_verdict(r, "memory"), VERDICT_EXONERATED);
	assert_null(finding(r, "memory.reclaim_stall"));
	assert_null(finding(r, "memory.major_faults"));
	assert_null(finding(r, "memory.swapping"));
	report_free(r);
}

/* Neither rule blames the other scenario's workload. */
static void test_specific(void **state)
{
	static const struct {
		const char *fixture;
		int (*pid)(struct report *r);
		void (*judge)(struct report *r);
		bool blamed;
	} cases[] = {
		{ "disk_throttled", reader_pid, judge_disk, true },
		{ "disk_throttled", reader_pid, judge_memory, false },
		{ "memory_pressure", toucher_pid, judge_memory, true },
		{ "memory_pressure", toucher_pid, judge_disk, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report *r = load_fixture(cases[i].fixture);
		int pid = cases[i].pid(r);
		char *text, needle[32];

		assert_true(pid > 0);
		cases[i].judge(r);
		text = json_dumps(report_get(r, "findings"), JSON_COMPACT);
		snprintf(needle, sizeof(needle), "\"pid\":%d", pid);
		if ((strstr(text, needle) != NULL) != cases[i].blamed)
			fail_msg("%s case %zu: pid %d %s", cases[i].fixture, i, pid,
				 cases[i].blamed ? "not named by its own rule" : "blamed by the other rule");
		free(text);
		report_free(r);
	}
}

static void test_unknown_when_not_measured(void **state)
{
	static const struct { void (*judge)(struct report *r); const char *sub, *coll; } cases[] = {
		{ judge_disk, "disk", "diskhealth" }, { judge_memory, "memory", "memhealth" },
	};

	for (size_t i = 0; i < 2; i++) {
		struct report *r = report_new();
		json_t *h;

		json_object_set_new(report_get(r, "collectors"), cases[i].coll,
				    json_pack("{s:s, s:s}", "status", "failed", "reason",
					      "tp_btf: Operation not permitted"));
		cases[i].judge(r);
		assert_int_equal(report_get_verdict(r, cases[i].sub), VERDICT_UNKNOWN);
		h = json_array_get(report_get(r, "health"), 0);
		assert_non_null(strstr(json_string_value(json_array_get(json_object_get(h, "evidence"), 0)),
				       "Operation not permitted"));
		report_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_throttled),
		cmocka_unit_test(test_delay_explained_by_monday),
		cmocka_unit_test(test_disk_quiet),
		cmocka_unit_test(test_memory_pressure),
		cmocka_unit_test(test_memory_quiet),
		cmocka_unit_test(test_specific),
		cmocka_unit_test(test_unknown_when_not_measured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
