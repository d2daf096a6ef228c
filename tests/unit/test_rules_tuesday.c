/* test_rules_tuesday.c: unit tests for the cpu, processes, syscalls, locks
 * and filesystem rules on recorded collector results:
 * tests/fixtures/tuesday/NAME.json holds what runqlat, proclife, syscount,
 * futexwait and fslat (fsync_heavy.json: an fsync-heavy writer on a
 * loop-device ext4, its mount renamed /mnt/friday-fs) measured during a
 * real run of each SCENARIOS.md workload on a shared 2-CPU host (other
 * people's load included), cut down to host, collectors, measurements and
 * the cpu.runq_latency histogram. Each rule must name the workload in its
 * own scenario and must not blame it in the others. */
#include "tests/unit/testutil.h"
#include "tests/unit/rules_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/rules.h"
#include "checks/tuesday.h"
#include "reports/report.h"

static json_t *ev(json_t *f, const char *a, const char *b)
{
	json_t *e = json_object_get(json_object_get(f, "evidence"), a);

	return b ? json_object_get(e, b) : e;
}

/* Every verdict carries evidence with a threshold and its source. */
static void assert_health_explained(struct report *r, const char *subsystem)
{
	json_t *h;
	size_t i;

	json_array_foreach(report_get(r, "health"), i, h) {
		if (strcmp(json_string_value(json_object_get(h, "subsystem")), subsystem))
			continue;
		assert_true(json_array_size(json_object_get(h, "evidence")) >= 1);
		assert_non_null(strstr(json_string_value(json_array_get(json_object_get(h, "evidence"), 0)),
				       "(" ));
		return;
	}
	fail_msg("no health entry for %s", subsystem);
}

/* The pid of the first entry of measurements.COLLECTOR[.SECTION].LIST. */
static int pid_of_top(struct report *r, const char *collector, const char *list)
{
	json_t *m = json_object_get(report_get(r, "measurements"), collector);
	const char *dot = strchr(list, '.');
	char section[32];

	if (dot) {
		snprintf(section, sizeof(section), "%.*s", (int)(dot - list), list);
		m = json_object_get(m, section);
		list = dot + 1;
	}
	return (int)json_integer_value(json_object_get(json_array_get(json_object_get(m, list), 0),
						       "pid"));
}

static void test_cpu_saturation(void **state)
{
	struct report *r = load_fixture("runqueue_saturation");
	json_t *f;

	judge_cpu(r);
	assert_int_equal(report_get_verdict(r, "cpu"), VERDICT_IMPLICATED);
	assert_health_explained(r, "cpu");
	f = finding(r, "cpu.runqueue_latency");
	assert_non_null(f);
	assert_string_equal(json_string_value(ev(f, "process", "comm")), "c_spinners");
	assert_int_equal(json_integer_value(ev(f, "process", "pid")),
			 pid_of_top(r, "runqlat", "top_processes"));
	/* Three spinners per CPU: a mode at 10s of ms, so critical (TH-02). */
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_true(json_number_value(ev(f, "figure", NULL)) > 1000);
	assert_string_equal(json_string_value(ev(f, "threshold_source", NULL)),
			    "TH-02 [S14 runqlat: the idle example shows little run-queue latency past 1 ms]");
	assert_non_null(finding(r, "cpu.runnable_over_cpus"));
	report_free(r);
}

static void test_syscall_storm(void **state)
{
	struct report *r = load_fixture("syscall_storm");
	json_t *f;

	judge_syscalls(r);
	assert_int_equal(report_get_verdict(r, "syscalls"), VERDICT_IMPLICATED);
	assert_health_explained(r, "syscalls");
	f = finding(r, "syscalls.storm");
	assert_non_null(f);
	assert_string_equal(json_string_value(ev(f, "process", "comm")), "dd");
	assert_true(json_number_value(ev(f, "figure", NULL)) >= 100000);
	/* dd bs=1 alternates read and write: the finding names one of them. */
	assert_true(strstr(json_string_value(json_object_get(f, "detail")), "mostly read") ||
		    strstr(json_string_value(json_object_get(f, "detail")), "mostly write"));
	report_free(r);
}

static void test_process_churn(void **state)
{
	struct report *r = load_fixture("process_churn");
	json_t *f;

	judge_processes(r);
	assert_int_equal(report_get_verdict(r, "processes"), VERDICT_IMPLICATED);
	assert_health_explained(r, "processes");
	f = finding(r, "processes.churn");
	assert_non_null(f);
	assert_string_equal(json_string_value(ev(f, "parent", "comm")), "sh");
	assert_string_equal(json_string_value(ev(f, "program", "comm")), "true");
	assert_true(json_number_value(ev(f, "parent", "execs_per_s")) >= 200);
	report_free(r);
}

static void test_lock_contention(void **state)
{
	struct report *r = load_fixture("lock_contention");
	json_t *f;

	judge_locks(r);
	assert_true(report_get_verdict(r, "locks") >= VERDICT_SUSPECT);
	assert_health_explained(r, "locks");
	f = finding(r, "locks.futex_contention");
	assert_non_null(f);
	assert_string_equal(json_string_value(ev(f, "process", "comm")), "c_mutex_contend");
	assert_true(json_number_value(ev(f, "figure", NULL)) >= 1.0);
	assert_true(json_number_value(ev(f, "waits_per_s", NULL)) >= 100);
	report_free(r);
}

/* A contended mutex makes futex calls by the hundred thousand (the lock
 * scenario measured 102 k/s here, 99.6% futex): that is the locks rule's
 * to judge, so syscalls is not implicated and no storm names the process. */
static void test_futex_storm_left_to_locks(void **state)
{
	struct report *r = load_fixture("lock_contention");
	json_t *procs = json_object_get(json_object_get(report_get(r, "measurements"), "syscount"),
					"processes");

	json_array_insert_new(procs, 0, json_pack(
		"{s:i, s:s, s:f, s:f, s:[{s:s, s:f}, {s:s, s:f}]}", "pid", 9997,
		"comm", "c_mutex_contend", "rate_per_s", 102101.0, "errors_per_s", 9000.0,
		"top_syscalls", "name", "futex", "rate_per_s", 101700.0,
		"name", "write", "rate_per_s", 401.0));
	judge_syscalls(r);
	assert_int_equal(report_get_verdict(r, "syscalls"), VERDICT_EXONERATED);
	assert_null(finding(r, "syscalls.storm"));
	report_free(r);

	/* The same rate of writes is a storm. */
	r = load_fixture("lock_contention");
	procs = json_object_get(json_object_get(report_get(r, "measurements"), "syscount"),
				"processes");
	json_array_insert_new(procs, 0, json_pack(
		"{s:i, s:s, s:f, s:f, s:[{s:s, s:f}]}", "pid", 9998, "comm", "writer",
		"rate_per_s", 102101.0, "errors_per_s", 0.0, "top_syscalls", "name", "write",
		"rate_per_s", 102101.0));
	judge_syscalls(r);
	assert_int_equal(report_get_verdict(r, "syscalls"), VERDICT_IMPLICATED);
	assert_int_equal(json_integer_value(ev(finding(r, "syscalls.storm"), "process", "pid")), 9998);
	report_free(r);
}

/* A judge step limited to one rule runs that rule only: the others of its
 * subsystem do not add their findings a second time. */
static void test_judge_by_rule(void **state)
{
	struct report *r = load_fixture("syscall_storm");
	json_t *only = json_pack("[s]", "syscalls-health"), *subs = json_pack("[s]", "syscalls");
	json_t *dns = json_pack("[s]", "dns-health");

	rules_judge(r, NULL, only);
	assert_int_equal(json_array_size(report_get(r, "health")), 1);
	assert_int_equal(report_get_verdict(r, "syscalls"), VERDICT_IMPLICATED);
	rules_judge(r, subs, dns);   /* both lists must name a rule */
	assert_int_equal(json_array_size(report_get(r, "health")), 1);
	json_decref(only);
	json_decref(subs);
	json_decref(dns);
	report_free(r);
}

/* In each scenario, the other rules must not blame that workload: the
 * workload's pid (the top entry of its own probe's list) appears in none
 * of their findings. */
struct blame_case {
	const char *fixture;
	const char *collector, *list;   /* where the workload's pid is */
	void (*judge)(struct report *r);
	const char *subsystem;
};

static const struct blame_case not_blamed[] = {
	{ "syscall_storm", "syscount", "processes", judge_processes, "processes" },
	{ "syscall_storm", "syscount", "processes", judge_locks, "locks" },
	{ "process_churn", "proclife", "top_parents", judge_syscalls, "syscalls" },
	{ "process_churn", "proclife", "top_parents", judge_locks, "locks" },
	{ "lock_contention", "futexwait", "futex.processes", judge_syscalls, "syscalls" },
	{ "lock_contention", "futexwait", "futex.processes", judge_processes, "processes" },
	{ "runqueue_saturation", "runqlat", "top_processes", judge_syscalls, "syscalls" },
	{ "runqueue_saturation", "runqlat", "top_processes", judge_processes, "processes" },
	{ "runqueue_saturation", "runqlat", "top_processes", judge_locks, "locks" },
};

/* The needle above finds a workload in its own scenario (a control). */
static const struct blame_case blamed[] = {
	{ "syscall_storm", "syscount", "processes", judge_syscalls, "syscalls" },
	{ "process_churn", "proclife", "top_parents", judge_processes, "processes" },
	{ "lock_contention", "futexwait", "futex.processes", judge_locks, "locks" },
	{ "runqueue_saturation", "runqlat", "top_processes", judge_cpu, "cpu" },
	{ "fsync_heavy", "fslat", "processes", judge_filesystem, "filesystem" },
};

static bool findings_name_pid(const struct blame_case *bc)
{
	struct report *r = load_fixture(bc->fixture);
	int pid = pid_of_top(r, bc->collector, bc->list);
	char *text, needle[32];
	bool found;

	assert_true(pid > 0);
	bc->judge(r);
	text = json_dumps(report_get(r, "findings"), JSON_COMPACT);
	snprintf(needle, sizeof(needle), "\"pid\":%d", pid);
	found = strstr(text, needle) != NULL;
	free(text);
	report_free(r);
	return found;
}

static void test_specific(void **state)
{
	for (size_t i = 0; i < sizeof(blamed) / sizeof(blamed[0]); i++)
		if (!findings_name_pid(&blamed[i]))
			fail_msg("%s: its own rule does not name the workload", blamed[i].fixture);
	for (size_t i = 0; i < sizeof(not_blamed) / sizeof(not_blamed[0]); i++)
		if (findings_name_pid(&not_blamed[i]))
			fail_msg("%s: a %s finding blames the workload", not_blamed[i].fixture,
				 not_blamed[i].subsystem);
}

/* The same recording as a quiet host would give it: the figures an idle
 * run on this machine measured (run-queue p99 0.7 ms, no more runnable
 * threads than CPUs, one busy thread queued 0.1%). cpu is exonerated. */
static void test_cpu_quiet(void **state)
{
	struct report *r = load_fixture("runqueue_saturation");
	json_t *m = json_object_get(report_get(r, "measurements"), "runqlat");
	json_t *lat = json_object_get(m, "latency_us"), *run = json_object_get(m, "runnable");

	json_object_set_new(lat, "p99", json_real(691));
	json_object_set_new(run, "over_cpus_share", json_real(0));
	json_object_set_new(run, "mean", json_real(1.0));
	json_array_clear(report_get(r, "histograms"));
	judge_cpu(r);
	assert_int_equal(report_get_verdict(r, "cpu"), VERDICT_EXONERATED);
	assert_null(finding(r, "cpu.runqueue_latency"));
	assert_health_explained(r, "cpu");
	report_free(r);
}

/* High latency that nobody much suffered (one busy thread, preempted now
 * and then) names no process: the spinner is not blamed. */
static void test_cpu_names_only_who_waited(void **state)
{
	struct report *r = load_fixture("runqueue_saturation");
	json_t *m = json_object_get(report_get(r, "measurements"), "runqlat");
	json_t *top = json_array_get(json_object_get(m, "top_processes"), 0), *f;

	json_object_set_new(json_object_get(m, "latency_us"), "p99", json_real(3100));
	json_object_set_new(json_object_get(m, "runnable"), "over_cpus_share", json_real(0));
	json_object_set_new(top, "queued_share", json_real(0.0008));
	judge_cpu(r);
	f = finding(r, "cpu.runqueue_latency");
	assert_non_null(f);
	assert_null(json_object_get(json_object_get(f, "evidence"), "process"));
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "no process"));
	assert_int_equal(report_get_verdict(r, "cpu"), VERDICT_SUSPECT);
	report_free(r);
}

/* Monday's CFS throttling finding makes a quiet cpu suspect and is cited;
 * a quota that never throttled does not. */
static void test_cpu_cites_throttling(void **state)
{
	static const struct { const char *id; enum severity sev; enum verdict want; } cases[] = {
		{ "cpu.cgroup_throttled", SEV_WARNING, VERDICT_SUSPECT },
		{ "cpu.cgroup_quota", SEV_INFO, VERDICT_EXONERATED },
	};

	for (size_t i = 0; i < 2; i++) {
		struct report *r = load_fixture("runqueue_saturation");
		json_t *m = json_object_get(report_get(r, "measurements"), "runqlat"), *h;
		char *text;

		json_object_set_new(json_object_get(m, "latency_us"), "p99", json_real(691));
		json_object_set_new(json_object_get(m, "runnable"), "over_cpus_share", json_real(0));
		json_array_clear(report_get(r, "histograms"));
		json_array_append_new(report_get(r, "findings"), json_pack(
			"{s:s, s:s, s:s, s:s, s:s}", "id", cases[i].id, "stage", "monday",
			"subsystem", "cpu", "severity", severity_name(cases[i].sev),
			"detail", "/sys/fs/cgroup/cpu/web: throttled in 40% of periods"));
		judge_cpu(r);
		assert_int_equal(report_get_verdict(r, "cpu"), cases[i].want);
		h = json_array_get(report_get(r, "health"), 0);
		text = json_dumps(json_object_get(h, "evidence"), 0);
		assert_int_equal(strstr(text, cases[i].id) != NULL, cases[i].want == VERDICT_SUSPECT);
		free(text);
		report_free(r);
	}
}

/* The fsync-heavy writer: I/O-bound (98% of the window in fsync and
 * write) with fsyncs over 10 ms on its file: implicated, both findings
 * name it and the file. */
static void test_fsync_heavy(void **state)
{
	struct report *r = load_fixture("fsync_heavy");
	int pid = pid_of_top(r, "fslat", "processes");
	json_t *f;

	judge_filesystem(r);
	assert_int_equal(report_get_verdict(r, "filesystem"), VERDICT_IMPLICATED);
	assert_health_explained(r, "filesystem");
	f = finding(r, "filesystem.io_bound");
	assert_non_null(f);
	assert_string_equal(json_string_value(ev(f, "process", "comm")), "c_fsync_writer");
	assert_int_equal(json_integer_value(ev(f, "process", "pid")), pid);
	assert_true(json_number_value(ev(f, "figure", NULL)) >= 0.5);
	assert_string_equal(json_string_value(ev(f, "op", NULL)), "fsync");
	f = finding(r, "filesystem.slow_fsync");
	assert_non_null(f);
	assert_int_equal(json_integer_value(ev(f, "process", "pid")), pid);
	assert_string_equal(json_string_value(ev(f, "file", NULL)), "/mnt/friday-fs/wal.log");
	assert_true(json_number_value(ev(f, "figure", NULL)) >= 10);
	assert_non_null(strstr(json_string_value(ev(f, "threshold_source", NULL)), "TH-04"));
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "warning");
	/* The compilers' and bpftool's few slow writes are findings too, but
	 * only the writer is I/O-bound. */
	assert_non_null(finding(r, "filesystem.slow_io"));
	assert_int_equal(report_count_findings(r, "filesystem.io_bound", SEV_INFO), 1);
	report_free(r);
}

/* Sets every process's time share in the fixture. */
static void set_shares(struct report *r, double share)
{
	json_t *m = json_object_get(report_get(r, "measurements"), "fslat"), *p;
	size_t i;

	json_array_foreach(json_object_get(m, "processes"), i, p)
		json_object_set_new(p, "time_share", json_real(share));
}

/* The same host without the writer's load: nothing over 10 ms, nobody
 * I/O-bound: exonerated, with the figures as evidence. Slow calls alone
 * (nobody bound) make it suspect, not implicated. */
static void test_fs_quiet_and_slow_only(void **state)
{
	struct report *r = load_fixture("fsync_heavy");
	json_t *slow = json_object_get(json_object_get(report_get(r, "measurements"), "fslat"),
				       "slow_calls");

	set_shares(r, 0.02);
	json_array_clear(json_object_get(slow, "by_file"));
	json_object_set_new(slow, "count", json_integer(0));
	judge_filesystem(r);
	assert_int_equal(report_get_verdict(r, "filesystem"), VERDICT_EXONERATED);
	assert_health_explained(r, "filesystem");
	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);

	r = load_fixture("fsync_heavy");
	set_shares(r, 0.02);
	judge_filesystem(r);
	assert_int_equal(report_get_verdict(r, "filesystem"), VERDICT_SUSPECT);
	assert_non_null(finding(r, "filesystem.slow_fsync"));
	assert_null(finding(r, "filesystem.io_bound"));
	report_free(r);
}

/* A writer whose blkio cgroup the disk rule found held by its throttle:
 * the delay's origin is the cgroup limit, so filesystem is suspect, and
 * the finding says what explains it. */
static void test_fs_throttle_explains(void **state)
{
	struct report *r = load_fixture("fsync_heavy");
	json_t *m = json_object_get(report_get(r, "measurements"), "fslat");
	json_t *top = json_array_get(json_object_get(m, "processes"), 0), *f;

	json_object_set_new(top, "blkio_cgroup", json_string("/friday-throttled"));
	report_add_finding(r, "disk.cgroup_throttling", SEV_WARNING,
			   json_pack("{s:s, s:s}", "cgroup", "/friday-throttled", "device", "loop0"),
			   "cgroup /friday-throttled is held by its write_iops limit");
	judge_filesystem(r);
	assert_int_equal(report_get_verdict(r, "filesystem"), VERDICT_SUSPECT);
	f = finding(r, "filesystem.io_bound");
	assert_non_null(f);
	assert_string_equal(json_string_value(ev(f, "explained_by", NULL)), "disk.cgroup_throttling");
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "/friday-throttled"));
	report_free(r);
}

/* No measurements: every verdict is unknown, and says which collector. */
static void test_unknown_when_not_measured(void **state)
{
	static const struct { void (*judge)(struct report *r); const char *sub, *coll; } cases[] = {
		{ judge_cpu, "cpu", "runqlat" }, { judge_processes, "processes", "proclife" },
		{ judge_syscalls, "syscalls", "syscount" }, { judge_locks, "locks", "futexwait" },
		{ judge_filesystem, "filesystem", "fslat" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
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
		assert_int_equal(json_array_size(report_get(r, "findings")), 0);
		report_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_saturation),
		cmocka_unit_test(test_syscall_storm),
		cmocka_unit_test(test_process_churn),
		cmocka_unit_test(test_lock_contention),
		cmocka_unit_test(test_futex_storm_left_to_locks),
		cmocka_unit_test(test_judge_by_rule),
		cmocka_unit_test(test_cpu_names_only_who_waited),
		cmocka_unit_test(test_specific),
		cmocka_unit_test(test_cpu_quiet),
		cmocka_unit_test(test_cpu_cites_throttling),
		cmocka_unit_test(test_fsync_heavy),
		cmocka_unit_test(test_fs_quiet_and_slow_only),
		cmocka_unit_test(test_fs_throttle_explains),
		cmocka_unit_test(test_unknown_when_not_measured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
