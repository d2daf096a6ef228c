/* test_static.c: Monday's static checks and past-error scan on fixture
 * hosts (tests/fixtures/hosts/NAME, a check_ctx whose root points there):
 * "tuned-badly" makes every rule's condition true and must give exactly
 * the findings listed below, with their severities and the cgroup, device
 * or process named; "healthy" holds the same files with good values and
 * must give none; "malformed" (garbage in every file) and "empty" (no
 * files) must give no finding and no failure. Then the kmsg line parser,
 * the recency rule of past errors, threshold boundaries on trees made at
 * run time, and a read of the live /dev/kmsg. */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/check.h"
#include "checks/kmsg.h"
#include "checks/past_errors.h"
#include "checks/static_impl.h"
#include "lib/util.h"
#include "reports/report.h"

#define HOSTS FIXTURES "/hosts/"

static struct report *run_all(const char *root)
{
	struct report *r = report_new();
	struct check_ctx ctx = { .report = r, .root = root };

	assert_non_null(r);
	assert_int_equal(run_checks(&ctx, CHECKS_ALL), (int)static_check_count());
	return r;
}

/* The first finding with this id whose evidence[key] reads value (any
 * finding of the id when key is NULL). */
static json_t *find(struct report *r, const char *id, const char *key, const char *value)
{
	json_t *f;
	size_t i;

	json_array_foreach(report_get(r, "findings"), i, f) {
		json_t *ev = json_object_get(json_object_get(f, "evidence"), key ? key : "");
		char num[32];
		const char *text = json_string_value(ev);

		if (strcmp(json_string_value(json_object_get(f, "id")), id))
			continue;
		if (!key)
			return f;
		if (json_is_integer(ev)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(ev));
			text = num;
		}
		if (text && !strcmp(text, value))
			return f;
	}
	return NULL;
}

static const char *sev_of(json_t *f)
{
	return json_string_value(json_object_get(f, "severity"));
}

static void no_check_failed(struct report *r)
{
	json_t *c;
	size_t i;

	json_array_foreach(report_get(r, "checks"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "result")), "failed"))
			fail_msg("check %s failed: %s", json_string_value(json_object_get(c, "id")),
				 json_string_value(json_object_get(c, "reason")));
}

static const struct expect {
	const char *id, *severity, *key, *value;
} tuned_badly[] = {
	{ "cpu.governor_powersave", "warning", "driver", "acpi-cpufreq" },
	{ "cpu.frequency_capped", "warning", NULL, NULL },
	{ "cpu.deep_cstates", "info", NULL, NULL },
	{ "cpu.smt_off", "info", "control", "off" },
	{ "cpu.cpus_offline", "warning", "nr_online", "2" },
	{ "cpu.cpus_isolated", "info", "isolated", "2-3" },
	{ "syscalls.cpu_mitigations", "info", NULL, NULL },
	{ "cpu.clocksource_slow", "warning", "current", "hpet" },
	{ "cpu.sched_tunables", "info", "sched_rt_runtime_us", "-1" },
	{ "cpu.virtualized", "info", "hypervisor_type", "xen" },
	{ "cpu.thermal_throttled", "warning", "total", "12" },
	{ "cpu.cgroup_throttled", "critical", "cgroup", "/batch" },
	{ "cpu.cgroup_throttled", "warning", "cgroup", "/svc" },
	{ "cpu.cgroup_quota", "info", "nr_cgroups", "1" },
	{ "memory.thp_always", "warning", "enabled", "always" },
	{ "memory.swappiness_high", "info", "swappiness", "60" },
	{ "memory.swap_in_use", "warning", "swap_used_kb", "3000000" },
	{ "memory.overcommit_never", "critical", "committed_as_kb", "9700000" },
	{ "memory.numa_misses", "warning", "numa_miss", "600" },
	{ "memory.numa_balancing_on", "info", "nodes", "2" },
	{ "memory.zone_reclaim_on", "warning", "zone_reclaim_mode", "1" },
	{ "memory.direct_reclaim", "warning", "allocstall", "40" },
	{ "memory.hugepages_unused", "info", "hugepages_free", "2048" },
	{ "filesystem.dirty_ratio_high", "info", "dirty_ratio_effective_pct", "50" },
	{ "memory.ecc_errors", "critical", "ue_total", "1" },
	{ "memory.cgroup_limit", "warning", "cgroup", "/web" },
	{ "memory.cgroup_oom", "critical", "cgroup", "/web/app" },
	{ "memory.cgroup_oom", "critical", "cgroup", "/svc" },
	{ "disk.io_scheduler", "info", NULL, NULL },
	{ "disk.read_ahead_off", "warning", NULL, NULL },
	{ "disk.read_ahead_large", "info", NULL, NULL },
	{ "disk.write_through", "info", NULL, NULL },
	{ "disk.raid_degraded", "critical", NULL, NULL },
	{ "disk.cgroup_io_limit", "warning", "device", "loop0" },
	{ "disk.cgroup_io_limit", "info", "cgroup", "/idle" },
	{ "disk.cgroup_io_limit", "warning", "cgroup", "/svc" },
	{ "filesystem.mount_strictatime", "warning", NULL, NULL },
	{ "filesystem.mount_sync", "warning", NULL, NULL },
	{ "filesystem.mount_nobarrier", "info", NULL, NULL },
	{ "filesystem.mount_discard", "info", NULL, NULL },
	{ "network.link_negotiation", "warning", NULL, NULL },
	{ "network.fragmentation_failures", "warning", "FragFails", "7" },
	{ "network.listen_overflows", "warning", "ListenOverflows", "42" },
	{ "network.somaxconn_low", "info", "somaxconn", "128" },
	{ "network.congestion_reno", "info", "tcp_congestion_control", "reno" },
	{ "network.tcp_memory_pressure", "warning", "tcp_pages", "5000" },
	{ "network.tcp_buffers_small", "info", "tcp_rmem_max", "6291456" },
	{ "network.slow_start_after_idle", "info", NULL, NULL },
	{ "network.ephemeral_ports", "warning", "time_wait", "20000" },
	{ "network.ip_forwarding", "info", NULL, NULL },
	{ "network.conntrack_near_full", "warning", "nf_conntrack_count", "9000" },
	{ "network.softnet_drops", "warning", "dropped", "5" },
	{ "network.softnet_squeeze", "info", "time_squeeze", "4" },
	{ "processes.file_max_near", "warning", "allocated", "95000" },
	{ "processes.fd_limit", "warning", "comm", "leaky" },
	{ "processes.task_limits_low", "warning", "pid_max", "20000" },
	{ "processes.tasks_near_limit", "warning", "tasks", "19000" },
	{ "processes.cgroup_pids_limit", "critical", "cgroup", "/forky" },
	{ "processes.cgroup_pids_limit", "warning", "cgroup", "/svc" },
	{ "cpu.kernel_tainted", "critical", "flags", "MW" },
	{ "syscalls.perf_restricted", "warning", "perf_event_paranoid", "3" },
	{ "syscalls.kernel_lockdown", "warning", "lockdown", "confidentiality" },
	{ "syscalls.kptr_restricted", "warning", "kptr_restrict", "2" },
	{ "syscalls.no_btf", "warning", NULL, NULL },
	/* past errors, all within the hour of the log's last record */
	{ "memory.oom_kill_logged", "critical", "count", "3" },
	{ "memory.oom_no_victim_logged", "warning", "count", "1" },
	{ "processes.hung_task", "critical", "count", "1" },
	{ "cpu.soft_lockup", "critical", NULL, NULL },
	{ "cpu.rcu_stall", "critical", NULL, NULL },
	{ "cpu.machine_check", "critical", NULL, NULL },
	{ "memory.edac_logged", "warning", NULL, NULL },
	{ "disk.io_errors_logged", "critical", "count", "2" },
	{ "filesystem.errors", "critical", NULL, NULL },
	{ "network.syn_flooding", "warning", NULL, NULL },
	{ "network.conntrack_full", "critical", NULL, NULL },
	{ "network.link_down", "warning", NULL, NULL },
	{ "cpu.thermal_throttle_logged", "warning", NULL, NULL },
	{ "cpu.clocksource_unstable", "warning", "count", "2" },
	{ "memory.allocation_failure", "warning", NULL, NULL },
	{ "cpu.kernel_oops", "critical", "count", "2" },
	{ "cpu.kernel_warning", "warning", "count", "1" },
};

static void test_tuned_badly_gives_each_finding(void **state)
{
	struct report *r = run_all(HOSTS "tuned-badly");

	no_check_failed(r);
	for (size_t i = 0; i < ARRAY_SIZE(tuned_badly); i++) {
		const struct expect *e = &tuned_badly[i];
		json_t *f = find(r, e->id, e->key, e->value);

		if (!f)
			fail_msg("no finding %s with %s=%s", e->id, e->key ? e->key : "-",
				 e->value ? e->value : "-");
		if (strcmp(sev_of(f), e->severity))
			fail_msg("%s (%s=%s) is %s, not %s", e->id, e->key ? e->key : "-",
				 e->value ? e->value : "-", sev_of(f), e->severity);
	}
	/* Nothing beyond the list: every finding has a reason to be there. */
	assert_int_equal(json_array_size(report_get(r, "findings")), ARRAY_SIZE(tuned_badly));
	report_free(r);
}

static void test_tuned_badly_names_things(void **state)
{
	struct report *r = run_all(HOSTS "tuned-badly");
	json_t *f, *ex;

	/* The v1 blkio limit names cgroup, device (via uevent) and limits. */
	f = find(r, "disk.cgroup_io_limit", "cgroup", "/slowio");
	assert_non_null(f);
	ex = json_object_get(f, "evidence");
	assert_string_equal(json_string_value(json_object_get(ex, "hierarchy")), "v1 blkio");
	assert_string_equal(json_string_value(json_object_get(ex, "majmin")), "7:0");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ex, "limits"), "riops")), 100);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ex, "limits"), "wbps")), 1048576);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "/slowio"));
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "loop0"));
	/* The v2 io.max device resolves through the /sys/dev/block symlink. */
	f = find(r, "disk.cgroup_io_limit", "cgroup", "/svc");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "evidence"), "device")), "sda");
	/* The throttled v1 cgroup: 40% of periods, 20 s held back. */
	f = find(r, "cpu.cgroup_throttled", "cgroup", "/batch");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "evidence"), "throttled_pct")), 40);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "evidence"), "throttled_us")),
			 20000000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "evidence"), "hierarchy")),
			    "v1 cpu");
	/* OOM victims by name, and their memory cgroup. */
	f = find(r, "memory.oom_kill_logged", NULL, NULL);
	ex = json_object_get(json_object_get(f, "evidence"), "extracted");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ex, "victims"), "java")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ex, "victims"), "postgres")), 1);
	assert_non_null(json_object_get(json_object_get(ex, "memcgs"), "/web/app"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ex, "invokers"), "java")), 1);
	/* The user-space line claiming an OOM kill did not count. */
	assert_null(json_object_get(json_object_get(ex, "victims"), "spoofed"));
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(f, "evidence"), "example")),
			       "postgres"));
	f = find(r, "processes.hung_task", NULL, NULL);
	ex = json_object_get(json_object_get(f, "evidence"), "extracted");
	assert_non_null(json_object_get(json_object_get(ex, "tasks"), "jbd2/sda1-8"));
	f = find(r, "disk.io_errors_logged", NULL, NULL);
	ex = json_object_get(json_object_get(f, "evidence"), "extracted");
	assert_non_null(json_object_get(json_object_get(ex, "devices"), "sdb"));
	/* The taint bits are decoded, the worst first in the detail. */
	f = find(r, "cpu.kernel_tainted", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(f, "evidence"), "bits")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "machine check"));
	/* A read-only mount and an NFS mount are not judged. */
	f = find(r, "filesystem.mount_strictatime", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(f, "evidence"), "mounts")), 1);
	report_free(r);
}

static void expect_no_findings(const char *root)
{
	struct report *r = run_all(root);
	json_t *f;
	size_t i;

	no_check_failed(r);
	json_array_foreach(report_get(r, "findings"), i, f)
		fail_msg("%s gave finding %s: %s", root, json_string_value(json_object_get(f, "id")),
			 json_string_value(json_object_get(f, "detail")));
	report_free(r);
}

static void test_healthy_gives_none(void **state)
{
	struct report *r;

	expect_no_findings(HOSTS "healthy");
	/* ... and most checks did run there, they were not just skipped. */
	r = run_all(HOSTS "healthy");
	{
		json_t *c;
		size_t i, nr_ran = 0;

		json_array_foreach(report_get(r, "checks"), i, c)
			nr_ran += !strcmp(json_string_value(json_object_get(c, "result")), "ran");
		assert_true(nr_ran >= static_check_count() - 2);
	}
	report_free(r);
}

static void test_malformed_gives_none(void **state)
{
	expect_no_findings(HOSTS "malformed");
}

static void test_empty_gives_none(void **state)
{
	struct report *r = run_all(HOSTS "empty");
	json_t *c;
	size_t i;

	expect_no_findings(HOSTS "empty");
	/* With nothing to read, every check says it does not apply, and why. */
	json_array_foreach(report_get(r, "checks"), i, c) {
		assert_string_equal(json_string_value(json_object_get(c, "result")), "not_applicable");
		assert_true(strlen(json_string_value(json_object_get(c, "reason"))) > 0);
	}
	report_free(r);
}

static void test_kmsg_parser(void **state)
{
	static const char *const bad[] = {
		"", " SUBSYSTEM=memory", "no header at all", "6,abc,1,-;seq not a number",
		"6,1,2,x;unknown flag", "6,1,2;no flag", "6,1;too few fields", ";", ",,,;",
		"99999999999999999999999,1,1,-;priority overflows", "8200,1,1,-;priority too large",
		"6,1,2,-x;flag then junk", "-6,1,2,-;negative",
	};
	struct kmsg_record rec;
	const char *line = "6,1234,5000200,-;Out of memory: Killed process 42 (java)";

	assert_int_equal(kmsg_parse_line(line, strlen(line), &rec), 0);
	assert_int_equal(rec.facility, 0);
	assert_int_equal(rec.level, 6);
	assert_int_equal(rec.seq, 1234);
	assert_int_equal(rec.ts_us, 5000200);
	assert_int_equal(rec.flag, '-');
	assert_int_equal(rec.msg_len, strlen("Out of memory: Killed process 42 (java)"));
	assert_memory_equal(rec.msg, "Out of memory", 13);
	/* Facility from the priority: user space writes LOG_USER (1) and up. */
	line = "14,7,1,c;from user space";
	assert_int_equal(kmsg_parse_line(line, strlen(line), &rec), 0);
	assert_int_equal(rec.facility, 1);
	assert_int_equal(rec.level, 6);
	assert_int_equal(rec.flag, 'c');
	/* Fields added after the flag by newer kernels are skipped. */
	line = "4,9,10,-,caller=T123;WARNING: CPU: 0 PID: 1 at x";
	assert_int_equal(kmsg_parse_line(line, strlen(line), &rec), 0);
	assert_int_equal(rec.seq, 9);
	assert_memory_equal(rec.msg, "WARNING", 7);
	/* A semicolon inside the message belongs to the message. */
	line = "6,10,11,-;a;b";
	assert_int_equal(kmsg_parse_line(line, strlen(line), &rec), 0);
	assert_int_equal(rec.msg_len, 3);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (kmsg_parse_line(bad[i], strlen(bad[i]), &rec) != -EINVAL)
			fail_msg("malformed line accepted: \"%s\"", bad[i]);
}

static void count_record(const struct kmsg_record *rec, void *arg)
{
	(*(long *)arg)++;
}

static void test_kmsg_reader_fixture(void **state)
{
	long nr = 0, nr_malformed = -1;

	/* 32 records and 2 continuation lines; 4 malformed lines. */
	assert_int_equal(kmsg_read_all(HOSTS "tuned-badly/dev/kmsg", count_record, &nr, &nr_malformed), 32);
	assert_int_equal(nr, 32);
	assert_int_equal(nr_malformed, 4);
	assert_int_equal(kmsg_read_all(HOSTS "malformed/dev/kmsg", count_record, &nr, &nr_malformed), 0);
	assert_int_equal(nr_malformed, 6);
	assert_int_equal(kmsg_read_all(HOSTS "empty/dev/kmsg", count_record, &nr, NULL), -ENOENT);
}

static void test_past_errors_recency(void **state)
{
	const char *kmsg = HOSTS "tuned-badly/dev/kmsg";
	struct report *r = report_new();
	char reason[256];
	json_t *f;

	struct log_clock later = { .now_us = 7500000ULL + 7200ULL * 1000000 };
	struct log_clock soon = { .now_us = 7500000ULL + 600ULL * 1000000, .wall_now_s = 1700000600.0 };

	/* Two hours after the last OOM kill (7.5 s after boot): history. */
	assert_int_equal(past_errors_scan(r, kmsg, &later, reason, sizeof(reason)), 17);
	f = find(r, "memory.oom_kill_logged", NULL, NULL);
	assert_string_equal(sev_of(f), "warning");
	assert_false(json_is_true(json_object_get(json_object_get(f, "evidence"), "recent")));
	f = find(r, "network.syn_flooding", NULL, NULL);
	assert_string_equal(sev_of(f), "info");
	report_free(r);
	/* Ten minutes after: still current. */
	r = report_new();
	past_errors_scan(r, kmsg, &soon, reason, sizeof(reason));
	f = find(r, "memory.oom_kill_logged", NULL, NULL);
	assert_string_equal(sev_of(f), "critical");
	/* 600 s before 2023-11-14T22:23:20Z, the wall clock of "soon". */
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "evidence"), "last_time")),
			    "2023-11-14T22:13:20Z");
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "at 2023-11-14T22:13:20Z"));
	assert_true(json_real_value(json_object_get(json_object_get(f, "evidence"), "first_s")) == 5.0002);
	assert_true(json_real_value(json_object_get(json_object_get(f, "evidence"), "last_s")) == 7.5);
	report_free(r);
	/* No log: an error with the reason, no finding. */
	r = report_new();
	assert_int_equal(past_errors_scan(r, HOSTS "empty/dev/kmsg", NULL, reason, sizeof(reason)), -ENOENT);
	assert_non_null(strstr(reason, "No such file"));
	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);
}

static void test_live_kmsg(void **state)
{
	struct report *r = report_new();
	struct check_ctx ctx = { .report = r, .root = "" };
	char reason[256] = "";
	long nr = 0;

	if (geteuid() != 0) {
		/* Unprivileged, the scan may be refused: then it says why. */
		if (check_kernel_log(&ctx, reason, sizeof(reason)) == CHECK_NOT_APPLICABLE)
			assert_non_null(strstr(reason, "/dev/kmsg"));
		report_free(r);
		return;
	}
	/* The live buffer, from its start, without blocking at its end. */
	assert_true(kmsg_read_all("/dev/kmsg", count_record, &nr, NULL) > 0);
	assert_int_equal(check_kernel_log(&ctx, reason, sizeof(reason)), CHECK_RAN);
	assert_non_null(strstr(reason, "records from sequence"));
	report_free(r);
}

static void test_fs_capacity_rule(void **state)
{
	int used, inodes;

	/* df's arithmetic: used / (used + available to non-root). */
	assert_int_equal(fs_capacity_severity(1000, 100, 100, 1000, 900, &used, &inodes), -1);
	assert_int_equal(used, 90);
	assert_int_equal(fs_capacity_severity(1000, 89, 89, 1000, 900, &used, &inodes), SEV_WARNING);
	assert_int_equal(used, 92);
	assert_int_equal(fs_capacity_severity(1000, 20, 20, 1000, 900, &used, &inodes), SEV_CRITICAL);
	assert_int_equal(fs_capacity_severity(1000, 500, 500, 1000, 50, &used, &inodes), SEV_WARNING);
	assert_int_equal(inodes, 95);
	/* Reserved blocks count as unavailable, not as used. */
	assert_int_equal(fs_capacity_severity(1000, 0, 50, 0, 0, &used, &inodes), SEV_CRITICAL);
	assert_int_equal(fs_capacity_severity(0, 0, 0, 0, 0, &used, &inodes), -1);
}

/* Writes ROOT/rel (making directories) for trees built by a test. */
static void put(const char *root, const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *throttle_severity(const char *root, const char *stat)
{
	static char sev[16];
	struct report *r = report_new();
	struct check_ctx ctx = { .report = r, .root = root };
	char reason[256];
	json_t *f;

	put(root, "sys/fs/cgroup/cpu/g/cpu.stat", stat);
	assert_int_equal(check_cgroup_cpu(&ctx, reason, sizeof(reason)), CHECK_RAN);
	f = find(r, "cpu.cgroup_throttled", "cgroup", "/g");
	snprintf(sev, sizeof(sev), "%s", f ? sev_of(f) : "none");
	report_free(r);
	return sev;
}

static void test_cgroup_thresholds(void **state)
{
	char root[] = "/tmp/friday-a2-unit.XXXXXX";
	char cmd[64];

	assert_non_null(mkdtemp(root));
	/* No mountinfo: the conventional v1 place is used. */
	put(root, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
	put(root, "sys/fs/cgroup/cpu/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
	put(root, "sys/fs/cgroup/cpu/g/cpu.cfs_quota_us", "10000\n");
	put(root, "sys/fs/cgroup/cpu/g/cpu.cfs_period_us", "100000\n");
	assert_string_equal(throttle_severity(root, "nr_periods 100\nnr_throttled 10\nthrottled_time 5\n"),
			    "warning");
	assert_string_equal(throttle_severity(root, "nr_periods 100\nnr_throttled 11\nthrottled_time 5\n"),
			    "critical");
	assert_string_equal(throttle_severity(root, "nr_periods 100\nnr_throttled 0\nthrottled_time 0\n"),
			    "none");
	assert_string_equal(throttle_severity(root, "nr_periods 0\nnr_throttled 0\n"), "none");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

/* A pure v2 host: the v2 root is /sys/fs/cgroup itself (no mountinfo, so
 * the conventional places are tried), and nothing of v1 is there. */
static void test_pure_v2_root(void **state)
{
	char root[] = "/tmp/friday-a2-unit.XXXXXX", cmd[64], reason[256];
	struct report *r = report_new();
	struct check_ctx ctx = { .report = r, .root = root };
	json_t *f;

	assert_non_null(mkdtemp(root));
	put(root, "sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
	put(root, "sys/fs/cgroup/system.slice/db.service/cpu.max", "20000 100000\n");
	put(root, "sys/fs/cgroup/system.slice/db.service/cpu.stat",
	    "usage_usec 9\nnr_periods 200\nnr_throttled 150\nthrottled_usec 3000000\n");
	put(root, "sys/fs/cgroup/system.slice/db.service/io.max", "253:0 rbps=1048576 wbps=max riops=max wiops=max\n");
	put(root, "sys/fs/cgroup/system.slice/db.service/cgroup.procs", "777\n");
	put(root, "sys/dev/block/253:0/uevent", "MAJOR=253\nMINOR=0\nDEVNAME=dm-0\n");
	assert_int_equal(check_cgroup_cpu(&ctx, reason, sizeof(reason)), CHECK_RAN);
	assert_int_equal(check_cgroup_io(&ctx, reason, sizeof(reason)), CHECK_RAN);
	f = find(r, "cpu.cgroup_throttled", "cgroup", "/system.slice/db.service");
	assert_non_null(f);
	assert_string_equal(sev_of(f), "critical");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "evidence"), "hierarchy")), "v2");
	f = find(r, "disk.cgroup_io_limit", "device", "dm-0");
	assert_non_null(f);
	assert_string_equal(sev_of(f), "warning");   /* it has a process */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(f, "evidence"),
									  "limits"), "rbps")), 1048576);
	/* No v1 memory hierarchy and no v2 memory files: nothing to say. */
	assert_int_equal(check_cgroup_memory(&ctx, reason, sizeof(reason)), CHECK_RAN);
	assert_int_equal(json_array_size(report_get(r, "findings")), 2);
	report_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

static void test_cpulist_and_keyed(void **state)
{
	int64_t v;

	assert_int_equal(cpulist_count("0-3,8,10-11\n"), 7);
	assert_int_equal(cpulist_count("0"), 1);
	assert_int_equal(cpulist_count(""), 0);
	assert_int_equal(cpulist_count("3-1"), -EINVAL);
	assert_int_equal(cpulist_count("a"), -EINVAL);
	assert_int_equal(keyed_get("nr_periods 5\nnr_throttled 2\n", "nr_throttled", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(keyed_get("nr_throttled_x 5\n", "nr_throttled", &v), -ENOENT);
	assert_int_equal(keyed_get("max abc\n", "max", &v), -EINVAL);
	assert_int_equal(parse_s64(" 42 \n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_s64("42x", &v), -EINVAL);
	assert_int_equal(parse_s64("max", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tuned_badly_gives_each_finding),
		cmocka_unit_test(test_tuned_badly_names_things),
		cmocka_unit_test(test_healthy_gives_none),
		cmocka_unit_test(test_malformed_gives_none),
		cmocka_unit_test(test_empty_gives_none),
		cmocka_unit_test(test_kmsg_parser),
		cmocka_unit_test(test_kmsg_reader_fixture),
		cmocka_unit_test(test_past_errors_recency),
		cmocka_unit_test(test_live_kmsg),
		cmocka_unit_test(test_fs_capacity_rule),
		cmocka_unit_test(test_cgroup_thresholds),
		cmocka_unit_test(test_pure_v2_root),
		cmocka_unit_test(test_cpulist_and_keyed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
