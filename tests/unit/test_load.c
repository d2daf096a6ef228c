/* test_load.c: Monday's load snapshot. The rules of checks/load_judge.c on
 * recorded snapshots (report.load of real runs on the 6.18 test host: idle,
 * and 6 spinning threads on 2 CPUs) and on hand-built ones at each side of
 * every threshold; and the collector on fixture /proc trees: one where
 * nothing moves (every rate zero), and a pair with hand-made deltas whose
 * iostat, mpstat, sar and pidstat figures are worked out by hand. */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/findings.h"
#include "checks/load.h"
#include "reports/report.h"

#define NR_INTERVALS 5

static json_t *load_fixture(const char *name)
{
	char path[512];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), FIXTURES "/load/%s", name);
	j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

/* Sets a number at a dotted path, making the objects on the way. */
static void set_num(json_t *o, const char *path, double v)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		json_t *next;

		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		next = json_object_get(o, key);
		if (!next) {
			next = json_object();
			json_object_set_new(o, key, next);
		}
		o = next;
		path = dot + 1;
	}
	json_object_set_new(o, path, json_real(v));
}

/* Sets key in every interval row: vals[i] for row i. */
static void set_intervals(json_t *load, const char *key, const double *vals)
{
	json_t *row;
	size_t i;

	json_array_foreach(json_object_get(load, "intervals"), i, row)
		json_object_set_new(row, key, json_real(vals[i]));
}

/* A quiet 2-CPU host, 5 intervals of 1 s: the base every case changes. */
static json_t *quiet_load(void)
{
	json_t *load = json_object(), *intervals = json_array(), *per_cpu = json_array();

	for (int i = 0; i < NR_INTERVALS; i++)
		json_array_append_new(intervals, json_pack("{s:f, s:f, s:f, s:i, s:i}",
			"util_pct", 2.0, "steal_pct", 0.0, "vmstat_sy_pct", 1.0,
			"procs_running", 1, "procs_blocked", 0));
	for (int c = 0; c < 2; c++)
		json_array_append_new(per_cpu, json_pack("{s:i, s:f}", "cpu", c, "util_pct", 2.0));
	json_object_set_new(load, "intervals", intervals);
	set_num(load, "window_s", 5);
	set_num(load, "cpus", 2);
	set_num(load, "cpu.util_pct", 2);
	set_num(load, "cpu.vmstat_sy_pct", 1);
	set_num(load, "cpu.sys_pct", 1);
	set_num(load, "cpu.steal_pct", 0);
	json_object_set_new(json_object_get(load, "cpu"), "per_cpu", per_cpu);
	json_object_set_new(load, "runq", json_pack("{s:[i,i,i,i,i], s:f, s:i, s:i, s:i, s:i}",
		"procs_running", 1, 1, 1, 1, 1, "procs_running_avg", 1.0, "procs_running_max", 1,
		"samples_over_cpus", 0, "nr_samples", NR_INTERVALS, "cpus", 2));
	set_num(load, "loadavg.avg1", 0.2);
	set_num(load, "loadavg.avg5", 0.1);
	set_num(load, "loadavg.avg15", 0.1);
	set_num(load, "memory.total_kb", 1 << 20);
	set_num(load, "memory.available_kb", 900000);
	set_num(load, "memory.available_pct", 85.8);
	set_num(load, "memory.swapin_pages_per_s", 0);
	set_num(load, "memory.swapout_pages_per_s", 0);
	set_num(load, "memory.pgscan_direct_per_s", 0);
	json_object_set_new(load, "disks", json_pack("[{s:s, s:f, s:f, s:f, s:f, s:f}]",
		"name", "vda", "util_pct", 0.5, "aqu_sz", 0.0, "r_await_ms", 0.2, "reads", 20.0,
		"iops", 4.0));
	set_num(load, "network.tcp.retrans_segs", 0);
	set_num(load, "network.tcp.out_segs", 40);
	set_num(load, "network.tcp.retrans_pct", 0);
	set_num(load, "network.tcp.listen_overflows", 0);
	set_num(load, "network.tcp.listen_drops", 0);
	set_num(load, "network.softnet.dropped", 0);
	set_num(load, "network.softnet.time_squeeze", 0);
	json_object_set_new(json_object_get(load, "network"), "interfaces",
		json_pack("[{s:s, s:i, s:i, s:i, s:i, s:i, s:i}]", "name", "eth0", "rx_drops", 0,
			  "tx_drops", 0, "rx_errors", 0, "tx_errors", 0, "rx_fifo_errors", 0,
			  "tx_fifo_errors", 0));
	set_num(load, "pressure.cpu.some.window_pct", 0.5);
	set_num(load, "pressure.memory.some.window_pct", 0);
	set_num(load, "pressure.memory.full.window_pct", 0);
	set_num(load, "pressure.io.some.window_pct", 0.2);
	set_num(load, "pressure.io.full.window_pct", 0.1);
	json_object_set_new(load, "top_processes", json_array());
	return load;
}

/* Judges load (taking it) into a fresh report. */
static struct report *judge(json_t *load)
{
	struct report *r = report_new();

	json_object_set_new(r->doc, "load", load);
	load_judge(r);
	return r;
}

static json_t *find(struct report *r, const char *id)
{
	json_t *f, *hit = NULL;
	size_t i;

	json_array_foreach(report_get(r, "findings"), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "id")), id)) {
			if (hit)
				fail_msg("finding %s emitted twice", id);
			hit = f;
		}
	return hit;
}

static const char *sev_of(struct report *r, const char *id)
{
	json_t *f = find(r, id);

	return f ? json_string_value(json_object_get(f, "severity")) : "none";
}

/* Every finding carries its figures, threshold and source. */
static void assert_evidence(struct report *r)
{
	json_t *f;
	size_t i;

	json_array_foreach(report_get(r, "findings"), i, f) {
		json_t *ev = json_object_get(f, "evidence");

		assert_non_null(finding_def_find(json_string_value(json_object_get(f, "id"))));
		assert_true(json_object_size(ev) >= 3);
		assert_non_null(json_object_get(json_object_get(ev, "threshold"), "rule"));
		assert_true(json_is_number(json_object_get(json_object_get(ev, "threshold"), "value")));
		assert_non_null(strstr(json_string_value(json_object_get(ev, "source")), "METHODOLOGY"));
	}
}

static size_t count_at_least(struct report *r, enum severity min)
{
	return report_count_findings(r, "", min);
}

static void test_quiet_is_quiet(void **state)
{
	struct report *r = judge(quiet_load());

	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);
}

static void test_recorded_idle(void **state)
{
	struct report *r = judge(load_fixture("idle-6.18.json"));

	assert_int_equal(count_at_least(r, SEV_WARNING), 0);
	assert_evidence(r);
	report_free(r);
}

static void test_recorded_runq_saturated(void **state)
{
	struct report *r = judge(load_fixture("runq-saturated-6.18.json"));
	json_t *f = find(r, "cpu.runqueue_saturated"), *ev;

	assert_non_null(f);
	assert_string_equal(sev_of(r, "cpu.runqueue_saturated"), "critical");
	ev = json_object_get(f, "evidence");
	assert_true(json_number_value(json_object_get(ev, "procs_running_avg")) > 6);
	assert_int_equal((int)json_number_value(json_object_get(ev, "cpus")), 2);
	assert_int_equal(json_array_size(json_object_get(ev, "procs_running")), 5);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "spin_a1"));
	assert_non_null(strstr(json_string_value(json_object_get(ev, "source")), "T60-03"));
	/* The spinners are one process on two CPUs: no single hot CPU. */
	assert_null(find(r, "cpu.single_hot_cpu"));
	assert_evidence(r);
	report_free(r);
}

static void test_runq_transient_is_info(void **state)
{
	json_t *load = quiet_load(), *runq = json_object_get(load, "runq");
	struct report *r;

	json_object_set_new(runq, "samples_over_cpus", json_integer(2));
	set_num(load, "runq.procs_running_max", 4);
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.runqueue_saturated"), "info");
	report_free(r);

	load = quiet_load();
	runq = json_object_get(load, "runq");
	json_object_set_new(runq, "samples_over_cpus", json_integer(3));
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.runqueue_saturated"), "critical");
	report_free(r);

	/* Two samples out of two (a -d too short for more) are not "sustained". */
	load = quiet_load();
	runq = json_object_get(load, "runq");
	json_object_set_new(runq, "samples_over_cpus", json_integer(2));
	json_object_set_new(runq, "nr_samples", json_integer(2));
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.runqueue_saturated"), "info");
	report_free(r);
}

static void test_sys_time(void **state)
{
	json_t *load = quiet_load();
	struct report *r;

	set_num(load, "cpu.vmstat_sy_pct", 20.0);   /* at the threshold: not above */
	r = judge(load);
	assert_null(find(r, "cpu.sys_time_high"));
	report_free(r);
	load = quiet_load();
	set_num(load, "cpu.vmstat_sy_pct", 27.5);
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.sys_time_high"), "warning");
	assert_evidence(r);
	report_free(r);
}

static void test_steal(void **state)
{
	const double most[NR_INTERVALS] = { 3, 4, 0, 3, 2 };
	const double once[NR_INTERVALS] = { 0, 0, 9, 0, 0 };
	json_t *load = quiet_load();
	struct report *r;

	set_num(load, "cpu.steal_pct", 2.4);
	set_intervals(load, "steal_pct", most);
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.steal"), "warning");
	report_free(r);

	load = quiet_load();
	set_num(load, "cpu.steal_pct", 1.8);
	set_intervals(load, "steal_pct", once);
	r = judge(load);
	assert_null(find(r, "cpu.steal"));      /* one burst is not sustained */
	report_free(r);

	load = quiet_load();
	set_num(load, "cpu.steal_pct", 14);
	set_intervals(load, "steal_pct", most);
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.steal"), "critical");
	assert_evidence(r);
	report_free(r);
}

static void test_hot_cpu(void **state)
{
	json_t *load = quiet_load(), *per_cpu;
	struct report *r;

	per_cpu = json_object_get(json_object_get(load, "cpu"), "per_cpu");
	json_object_set_new(json_array_get(per_cpu, 1), "util_pct", json_real(96));
	set_num(load, "cpu.util_pct", 49);
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.single_hot_cpu"), "warning");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		find(r, "cpu.single_hot_cpu"), "evidence"), "cpu")), 1);
	report_free(r);

	load = quiet_load();
	per_cpu = json_object_get(json_object_get(load, "cpu"), "per_cpu");
	json_object_set_new(json_array_get(per_cpu, 1), "util_pct", json_real(96));
	set_num(load, "cpu.util_pct", 60);      /* the others are busy too */
	r = judge(load);
	assert_null(find(r, "cpu.single_hot_cpu"));
	report_free(r);
}

static void test_load_average_info_only(void **state)
{
	json_t *load = quiet_load();
	struct report *r;

	set_num(load, "loadavg.avg1", 6.5);
	set_num(load, "loadavg.avg15", 1.0);
	r = judge(load);
	assert_string_equal(sev_of(r, "cpu.load_average_high"), "info");
	assert_non_null(strstr(json_string_value(json_object_get(find(r, "cpu.load_average_high"),
								 "detail")), "rising"));
	report_free(r);
}

static void test_swapping(void **state)
{
	const double four[NR_INTERVALS] = { 10, 12, 0, 8, 30 };
	const double one[NR_INTERVALS] = { 0, 0, 0, 2, 0 };
	json_t *load = quiet_load();
	struct report *r;

	set_num(load, "memory.swapin_pages_per_s", 12);
	set_intervals(load, "swapin_pages", four);
	set_intervals(load, "swapout_pages", one);
	r = judge(load);
	assert_string_equal(sev_of(r, "memory.swap_active"), "critical");
	report_free(r);

	load = quiet_load();
	set_num(load, "memory.swapout_pages_per_s", 0.4);
	set_intervals(load, "swapout_pages", one);
	r = judge(load);
	assert_string_equal(sev_of(r, "memory.swap_active"), "warning");
	assert_evidence(r);
	report_free(r);
}

static void test_memory_available_and_reclaim(void **state)
{
	json_t *load = quiet_load();
	struct report *r;

	set_num(load, "memory.available_pct", 6.2);
	set_num(load, "memory.pgscan_direct_per_s", 340);
	r = judge(load);
	assert_string_equal(sev_of(r, "memory.available_low"), "warning");
	assert_string_equal(sev_of(r, "memory.direct_scan"), "warning");
	report_free(r);

	load = quiet_load();
	set_num(load, "memory.available_pct", 10.0);
	r = judge(load);
	assert_null(find(r, "memory.available_low"));
	report_free(r);
}

static void test_psi(void **state)
{
	const double full3[NR_INTERVALS] = { 2000, 0, 5000, 100, 0 };
	json_t *load = quiet_load();
	struct report *r;

	set_num(load, "pressure.memory.some.window_pct", 15.5);
	set_num(load, "pressure.io.full.window_pct", 7);
	set_num(load, "pressure.cpu.some.window_pct", 40);
	r = judge(load);
	assert_string_equal(sev_of(r, "memory.pressure"), "warning");
	assert_string_equal(sev_of(r, "disk.io_pressure"), "warning");
	assert_string_equal(sev_of(r, "cpu.pressure"), "info");
	assert_evidence(r);
	report_free(r);

	/* Memory full in 3 of 5 intervals is thrashing, even with a low "some". */
	load = quiet_load();
	set_num(load, "pressure.memory.some.window_pct", 1);
	set_intervals(load, "memory_full_stall_us", full3);
	r = judge(load);
	assert_string_equal(sev_of(r, "memory.pressure"), "warning");
	assert_non_null(strstr(json_string_value(json_object_get(find(r, "memory.pressure"),
								 "detail")), "thrashing"));
	report_free(r);

	load = quiet_load();
	set_num(load, "pressure.io.full.window_pct", 4.9);
	r = judge(load);
	assert_null(find(r, "disk.io_pressure"));
	report_free(r);
}

static void set_disk(json_t *load, double util, double aqu, double r_await, double reads)
{
	json_t *d = json_array_get(json_object_get(load, "disks"), 0);

	json_object_set_new(d, "util_pct", json_real(util));
	json_object_set_new(d, "aqu_sz", json_real(aqu));
	json_object_set_new(d, "r_await_ms", json_real(r_await));
	json_object_set_new(d, "reads", json_real(reads));
}

static void test_disks(void **state)
{
	json_t *load = quiet_load();
	struct report *r;

	set_disk(load, 72, 0.6, 3, 400);
	r = judge(load);
	assert_string_equal(sev_of(r, "disk.utilization_high"), "warning");
	assert_null(find(r, "disk.queue_saturated"));
	assert_null(find(r, "disk.read_latency_high"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		find(r, "disk.utilization_high"), "evidence"), "device")), "vda");
	report_free(r);

	load = quiet_load();
	set_disk(load, 99.6, 14.2, 23.4, 900);
	r = judge(load);
	assert_string_equal(sev_of(r, "disk.utilization_high"), "critical");
	assert_string_equal(sev_of(r, "disk.queue_saturated"), "warning");
	assert_string_equal(sev_of(r, "disk.read_latency_high"), "warning");
	assert_evidence(r);
	report_free(r);

	/* Three slow reads on an idle disk are not "under load". */
	load = quiet_load();
	set_disk(load, 1, 0.01, 40, 3);
	r = judge(load);
	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);
}

static void test_network(void **state)
{
	const double most[NR_INTERVALS] = { 1, 2, 0, 1, 1 };
	const double once[NR_INTERVALS] = { 0, 0, 1, 0, 0 };
	json_t *load = quiet_load(), *nic;
	struct report *r;

	set_num(load, "network.tcp.retrans_segs", 9);
	set_num(load, "network.tcp.out_segs", 300);
	set_num(load, "network.tcp.retrans_pct", 3);
	set_intervals(load, "retrans_segs", most);
	set_num(load, "network.tcp.listen_overflows", 4);
	set_num(load, "network.softnet.time_squeeze", 2);
	nic = json_array_get(json_object_get(json_object_get(load, "network"), "interfaces"), 0);
	json_object_set_new(nic, "rx_drops", json_integer(5));
	json_object_set_new(nic, "tx_errors", json_integer(1));
	r = judge(load);
	assert_string_equal(sev_of(r, "network.tcp_retransmits"), "critical");
	assert_string_equal(sev_of(r, "network.listen_drops"), "warning");
	assert_string_equal(sev_of(r, "network.nic_drops"), "warning");
	assert_string_equal(sev_of(r, "network.nic_errors"), "warning");
	assert_string_equal(sev_of(r, "network.rx_backlog_drops"), "info");
	assert_evidence(r);
	report_free(r);

	/* A few retransmits among many segments, in most intervals: warning. */
	load = quiet_load();
	set_num(load, "network.tcp.retrans_segs", 5);
	set_num(load, "network.tcp.out_segs", 90000);
	set_num(load, "network.tcp.retrans_pct", 0.01);
	set_intervals(load, "retrans_segs", most);
	set_num(load, "network.softnet.dropped", 3);
	r = judge(load);
	assert_string_equal(sev_of(r, "network.tcp_retransmits"), "warning");
	assert_string_equal(sev_of(r, "network.rx_backlog_drops"), "warning");
	report_free(r);

	/* One retransmit once: recorded, not a warning. */
	load = quiet_load();
	set_num(load, "network.tcp.retrans_segs", 1);
	set_num(load, "network.tcp.retrans_pct", 2.5);
	set_intervals(load, "retrans_segs", once);
	r = judge(load);
	assert_string_equal(sev_of(r, "network.tcp_retransmits"), "info");
	report_free(r);
}

/* No load section (the step did not run): no finding, no crash. */
static void test_missing_sections(void **state)
{
	struct report *r = report_new();

	assert_int_equal(load_judge(r), 0);
	json_object_set_new(r->doc, "load", json_pack("{s:f}", "window_s", 1.0));
	assert_int_equal(load_judge(r), 0);
	report_free(r);
}

/* The collector on a fixture tree: two snapshots of files that do not
 * change, so every figure is there and every rate is zero. */
static void test_collect_fixture_tree(void **state)
{
	struct load_opts o = { .root = FIXTURES "/proc/host-6.18", .window_s = 0.2,
			       .interval_s = 0.1, .nr_top = 5 };
	struct report *r = report_new();
	json_t *load, *disks;
	char why[256];

	assert_int_equal(load_collect(r, &o, why, sizeof(why)), 0);
	load = report_get(r, "load");
	assert_int_equal(json_integer_value(json_object_get(load, "cpus")), 2);
	assert_int_equal(json_integer_value(json_object_get(load, "nr_intervals")), 2);
	assert_true(json_number_value(json_object_get(json_object_get(load, "cpu"), "util_pct")) == 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(load, "cpu"), "per_cpu")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(load, "runq"),
							    "procs_running_max")), 1);
	/* Never-used loop and zram devices are left out, as iostat -z does. */
	disks = json_object_get(load, "disks");
	assert_int_equal(json_array_size(disks), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(disks, 0), "name")), "vda");
	assert_true(json_number_value(json_object_get(json_array_get(disks, 0), "util_pct")) == 0);
	assert_true(json_number_value(json_object_get(json_object_get(load, "memory"),
						      "available_pct")) > 98);
	assert_true(json_number_value(json_object_get(json_object_get(json_object_get(json_object_get(
		load, "pressure"), "io"), "full"), "avg60_pct")) > 1.15);
	assert_int_equal(json_array_size(json_object_get(load, "top_processes")), 0);
	assert_int_equal(load_judge(r), 0);
	report_free(r);

	r = report_new();
	o.root = FIXTURES "/proc/no-such-tree";
	assert_int_equal(load_collect(r, &o, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "proc/stat"));
	report_free(r);
}

static double fig(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	if (!json_is_number(json_object_get(o, path)))
		fail_msg("no number at %s", path);
	return json_number_value(json_object_get(o, path));
}

/* Within 3% (the window is measured, and figures are rounded to 0.01). */
static void assert_near(double got, double want, const char *what)
{
	if (got < want * 0.97 - 0.011 || got > want * 1.03 + 0.011)
		fail_msg("%s: %.3f, expected %.3f", what, got, want);
}

/* Known deltas: a first snapshot of host-6.18 and a second of
 * host-6.18-later, which differs by hand-made amounts. Checks the iostat,
 * mpstat, sar and pidstat formulas (METHODOLOGY T60-05, T60-10, T60-11,
 * T60-13, T60-14) against numbers worked out by hand, then the judge. */
static void test_collect_known_deltas(void **state)
{
	struct load_opts o = { .root = FIXTURES "/proc/host-6.18",
			       .root_after = FIXTURES "/proc/host-6.18-later",
			       .window_s = 1.0, .interval_s = 1.0, .nr_top = 5 };
	struct report *r = report_new();
	json_t *load, *vda = NULL, *eth0 = NULL, *d, *cpu1, *top;
	char why[256];
	double dt;
	size_t i;

	assert_int_equal(load_collect(r, &o, why, sizeof(why)), 0);
	load = report_get(r, "load");
	dt = fig(load, "window_s");
	assert_true(dt > 0.95 && dt < 1.2);
	/* /proc/stat: +100 user, +50 system, +40 idle, +10 iowait jiffies. */
	assert_near(fig(load, "cpu.util_pct"), 75, "util_pct");
	assert_near(fig(load, "cpu.user_pct"), 50, "user_pct");
	assert_near(fig(load, "cpu.sys_pct"), 25, "sys_pct");
	assert_near(fig(load, "cpu.iowait_pct"), 5, "iowait_pct");
	assert_near(fig(load, "cpu.idle_pct"), 20, "idle_pct");
	cpu1 = json_array_get(json_object_get(json_object_get(load, "cpu"), "per_cpu"), 1);
	assert_near(fig(cpu1, "util_pct"), 50, "cpu1 util_pct");
	assert_near(fig(cpu1, "iowait_pct"), 10, "cpu1 iowait_pct");
	assert_near(fig(load, "context_switches_per_s"), 1000 / dt, "ctxt/s");
	assert_int_equal((int)fig(load, "runq.procs_running_max"), 5);
	assert_near(fig(load, "memory.major_faults_per_s"), 40 / dt, "majflt/s");
	/* diskstats vda: +100 reads in 1500 ms, 2048 sectors; +50 writes in
	 * 250 ms; io_ticks +50 ms; time_in_queue +400 ms. */
	json_array_foreach(json_object_get(load, "disks"), i, d)
		if (!strcmp(json_string_value(json_object_get(d, "name")), "vda"))
			vda = d;
	assert_non_null(vda);
	assert_near(fig(vda, "r_await_ms"), 15, "r_await_ms");
	assert_near(fig(vda, "w_await_ms"), 5, "w_await_ms");
	assert_near(fig(vda, "await_ms"), 1750.0 / 150, "await_ms");
	assert_near(fig(vda, "util_pct"), 100 * 50 / (dt * 1000), "util_pct");
	assert_near(fig(vda, "aqu_sz"), 400 / (dt * 1000), "aqu_sz");
	assert_near(fig(vda, "iops"), 150 / dt, "iops");
	assert_near(fig(vda, "read_kb_per_s"), 1024 / dt, "read_kb_per_s");
	/* net/dev eth0: +1000000 rx bytes, +3 rx drops; snmp: +200 OutSegs, +5 RetransSegs. */
	json_array_foreach(json_object_get(json_object_get(load, "network"), "interfaces"), i, d)
		if (!strcmp(json_string_value(json_object_get(d, "name")), "eth0"))
			eth0 = d;
	assert_non_null(eth0);
	assert_near(fig(eth0, "rx_bytes_per_s"), 1e6 / dt, "rx_bytes_per_s");
	assert_int_equal((int)fig(eth0, "rx_drops"), 3);
	assert_near(fig(load, "network.tcp.retrans_pct"), 2.5, "retrans_pct");
	assert_int_equal((int)fig(load, "network.tcp.active_opens"), 3);
	/* PSI io full: +100000 us. */
	assert_near(fig(load, "pressure.io.full.window_pct"), 10 / dt, "io full window_pct");
	/* PID 1: +20 ticks of utime. */
	top = json_array_get(json_object_get(load, "top_processes"), 0);
	assert_non_null(top);
	assert_string_equal(json_string_value(json_object_get(top, "comm")), "process_api");
	assert_near(fig(top, "cpu_pct"), 20.0 / sysconf(_SC_CLK_TCK) / dt * 100, "cpu_pct");

	load_judge(r);
	assert_string_equal(sev_of(r, "disk.read_latency_high"), "warning");
	assert_null(find(r, "disk.queue_saturated"));
	assert_string_equal(sev_of(r, "network.tcp_retransmits"), "critical");
	assert_string_equal(sev_of(r, "network.nic_drops"), "warning");
	assert_string_equal(sev_of(r, "disk.io_pressure"), "warning");
	assert_string_equal(sev_of(r, "cpu.sys_time_high"), "warning");
	/* One sample of r = 5 on 2 CPUs: seen, not sustained. */
	assert_string_equal(sev_of(r, "cpu.runqueue_saturated"), "info");
	assert_evidence(r);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_is_quiet),
		cmocka_unit_test(test_recorded_idle),
		cmocka_unit_test(test_recorded_runq_saturated),
		cmocka_unit_test(test_runq_transient_is_info),
		cmocka_unit_test(test_sys_time),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_hot_cpu),
		cmocka_unit_test(test_load_average_info_only),
		cmocka_unit_test(test_swapping),
		cmocka_unit_test(test_memory_available_and_reclaim),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_missing_sections),
		cmocka_unit_test(test_collect_fixture_tree),
		cmocka_unit_test(test_collect_known_deltas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
