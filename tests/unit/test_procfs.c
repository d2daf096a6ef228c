/* test_procfs.c: the /proc parsers of lib/procfs on fixtures: a tree
 * copied from this project's 6.18 test host (tests/fixtures/proc/host-6.18),
 * files in the shapes of older kernels, and malformed ones (truncated,
 * garbage, empty, overflowing, very long lines), which must give an error
 * and never a number. */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procfs.h"
#include "lib/util.h"

#define HOST FIXTURES "/proc/host-6.18"
#define FIX(name) FIXTURES "/proc/" name

static char *load(const char *path)
{
	char *text = read_file_alloc(path, NULL);

	if (!text)
		fail_msg("cannot read fixture %s", path);
	return text;
}

static void test_stat_host(void **state)
{
	struct proc_stat st;

	assert_int_equal(procfs_read_stat(HOST, &st), 0);
	assert_int_equal(st.total.cpu, -1);
	assert_int_equal(st.total.nr_fields, 10);
	assert_int_equal(st.total.jiffies[CPU_USER], 4873);
	assert_int_equal(st.total.jiffies[CPU_SYSTEM], 3962);
	assert_int_equal(st.total.jiffies[CPU_IDLE], 606731);
	assert_int_equal(st.total.jiffies[CPU_IOWAIT], 695);
	assert_int_equal(st.total.jiffies[CPU_SOFTIRQ], 87);
	assert_int_equal(st.total.jiffies[CPU_STEAL], 350);
	assert_int_equal(st.nr_cpus, 2);
	assert_int_equal(st.cpus[1].cpu, 1);
	assert_int_equal(st.cpus[1].jiffies[CPU_USER], 3277);
	assert_int_equal(st.ctxt, 507770);
	assert_int_equal(st.processes, 10921);
	assert_int_equal(st.procs_running, 1);
	assert_int_equal(st.procs_blocked, 0);
	assert_int_equal(st.btime, 1795311195);
	assert_int_equal(cpu_times_total(&st.total), 4873 + 3962 + 606731 + 695 + 87 + 350);
	procfs_stat_free(&st);
}

static void test_stat_old_kernel_and_offline_cpu(void **state)
{
	struct proc_stat st;
	char *text = load(FIX("stat-old-kernel"));

	/* 2.6-era: seven cpu fields, no steal or guest. */
	assert_int_equal(procfs_parse_stat(text, &st), 0);
	assert_int_equal(st.total.nr_fields, 7);
	assert_int_equal(st.total.jiffies[CPU_SOFTIRQ], 456);
	assert_int_equal(st.total.jiffies[CPU_STEAL], 0);
	assert_int_equal(st.nr_cpus, 2);
	procfs_stat_free(&st);
	free(text);

	/* CPUs 1 and 2 offline: the ids are kept, not renumbered. */
	text = load(FIX("stat-offline-cpu"));
	assert_int_equal(procfs_parse_stat(text, &st), 0);
	assert_int_equal(st.nr_cpus, 2);
	assert_int_equal(st.cpus[0].cpu, 0);
	assert_int_equal(st.cpus[1].cpu, 3);
	assert_int_equal(st.procs_running, 3);
	assert_int_equal(st.procs_blocked, 1);
	procfs_stat_free(&st);
	free(text);
}

static void test_stat_bad(void **state)
{
	static const char *const bad[] = {
		"bad/stat-truncated", "bad/stat-no-procs", "bad/stat-garbage",
		"bad/stat-overflow",
	};
	struct proc_stat st;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char path[512], *text;

		snprintf(path, sizeof(path), FIXTURES "/proc/%s", bad[i]);
		text = load(path);
		if (procfs_parse_stat(text, &st) != -EINVAL)
			fail_msg("%s was accepted", bad[i]);
		assert_null(st.cpus);
		assert_int_equal(st.ctxt, 0);
		free(text);
	}
	assert_int_equal(procfs_read_stat(FIXTURES "/proc/bad/nonexistent", &st), -ENOENT);
	assert_int_equal(procfs_parse_stat("", &st), -ENODATA);
	assert_int_equal(procfs_parse_stat("\n \n", &st), -ENODATA);
}

/* A host with thousands of interrupts prints an "intr" line of megabytes. */
static void test_stat_very_long_line(void **state)
{
	const char *head = "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 99";
	const char *tail = "\nctxt 42\nprocesses 7\nprocs_running 5\nprocs_blocked 2\n";
	size_t n = 4 << 20, hl = strlen(head), tl = strlen(tail);
	char *text = malloc(hl + n * 2 + tl + 1);
	struct proc_stat st;

	memcpy(text, head, hl);
	for (size_t i = 0; i < n; i++)
		memcpy(text + hl + 2 * i, " 1", 2);
	memcpy(text + hl + 2 * n, tail, tl + 1);
	assert_int_equal(procfs_parse_stat(text, &st), 0);
	assert_int_equal(st.ctxt, 42);
	assert_int_equal(st.procs_running, 5);
	procfs_stat_free(&st);
	/* And a cpu line of a million fields is read, not overflowed. */
	memcpy(text, "cpu ", 4);
	memset(text + 4, ' ', hl + 2 * n - 4);
	for (size_t i = 4; i + 2 < hl + 2 * n; i += 2)
		text[i + 1] = '7';
	assert_int_equal(procfs_parse_stat(text, &st), -EINVAL);   /* no cpuN lines */
	free(text);
}

static void test_kv_meminfo_vmstat(void **state)
{
	char *mem = procfs_read_alloc(HOST, "meminfo");
	char *vm = procfs_read_alloc(HOST, "vmstat");
	char *bad = load(FIX("bad/meminfo-garbage"));
	uint64_t v = 12345;

	assert_non_null(mem);
	assert_non_null(vm);
	assert_int_equal(procfs_kv_get(mem, "MemTotal", &v), 0);
	assert_int_equal(v, 24684092);
	assert_int_equal(procfs_kv_get(mem, "MemAvailable", &v), 0);
	assert_int_equal(v, 24338224);
	assert_int_equal(procfs_kv_get(mem, "SwapTotal", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(procfs_kv_get(vm, "pgmajfault", &v), 0);
	assert_int_equal(v, 2200);
	/* A key that is the prefix of another is not confused with it. */
	assert_int_equal(procfs_kv_get(vm, "pgscan", &v), -ENOENT);
	assert_int_equal(procfs_kv_get(mem, "Mem", &v), -ENOENT);
	assert_int_equal(procfs_kv_get(vm, "no_such_counter", &v), -ENOENT);
	v = 12345;
	assert_int_equal(procfs_kv_get(bad, "MemTotal", &v), -EINVAL);
	assert_int_equal(procfs_kv_get(bad, "MemFree", &v), -EINVAL);
	assert_int_equal(procfs_kv_get(bad, "MemAvailable", &v), -EINVAL);
	assert_int_equal(v, 12345);
	assert_int_equal(procfs_kv_get("", "MemTotal", &v), -ENODATA);
	assert_int_equal(procfs_kv_get("MemTotal:", "MemTotal", &v), -EINVAL);
	assert_int_equal(procfs_kv_get("MemTotal: 18446744073709551616 kB\n", "MemTotal", &v), -EINVAL);
	assert_null(procfs_read_alloc(FIXTURES "/proc/bad/nonexistent", "meminfo"));
	free(mem);
	free(vm);
	free(bad);
}

static void test_diskstats_kernels(void **state)
{
	struct proc_disk *d;
	size_t n;
	char *text;

	text = load(FIX("diskstats-14"));
	assert_int_equal(procfs_parse_diskstats(text, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].name, "sda");
	assert_int_equal(d[0].nr_stats, 11);
	assert_int_equal(d[0].stat[DISK_RD_IOS], 1200);
	assert_int_equal(d[0].stat[DISK_TIME_IN_QUEUE_MS], 12000);
	assert_int_equal(d[0].stat[DISK_DC_IOS], 0);
	free(d);
	free(text);

	text = load(FIX("diskstats-18"));
	assert_int_equal(procfs_parse_diskstats(text, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].major, 259);
	assert_int_equal(d[0].nr_stats, 15);
	assert_int_equal(d[0].stat[DISK_IN_FLIGHT], 2);
	assert_int_equal(d[0].stat[DISK_DC_TICKS_MS], 3);
	free(d);
	free(text);

	assert_int_equal(procfs_read_diskstats(HOST, &d, &n), 0);
	assert_int_equal(n, 10);
	assert_string_equal(d[8].name, "vda");
	assert_int_equal(d[8].nr_stats, 17);
	assert_int_equal(d[8].stat[DISK_RD_IOS], 63375);
	assert_int_equal(d[8].stat[DISK_WR_TICKS_MS], 5163);
	assert_int_equal(d[8].stat[DISK_IO_TICKS_MS], 11544);
	assert_int_equal(d[8].stat[DISK_FL_IOS], 3285);
	assert_int_equal(d[8].stat[DISK_FL_TICKS_MS], 154);
	free(d);
}

static void test_diskstats_bad(void **state)
{
	static const char *const bad[] = {
		"bad/diskstats-truncated", "bad/diskstats-garbage", "bad/diskstats-negative",
		"bad/stat-garbage", "bad/softnet-garbage",
	};
	struct proc_disk *d = (void *)1;
	size_t n = 99;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char path[512], *text;

		snprintf(path, sizeof(path), FIXTURES "/proc/%s", bad[i]);
		text = load(path);
		if (procfs_parse_diskstats(text, &d, &n) != -EINVAL)
			fail_msg("%s was accepted as diskstats", bad[i]);
		assert_null(d);
		assert_int_equal(n, 0);
		free(text);
	}
	assert_int_equal(procfs_parse_diskstats("", &d, &n), -ENODATA);
	/* 12 columns (a cut line) and 21 (unknown layout) are both refused. */
	assert_int_equal(procfs_parse_diskstats("8 0 sda 1 2 3 4 5 6 7 8 9\n", &d, &n), -EINVAL);
	assert_int_equal(procfs_parse_diskstats(
		"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n", &d, &n), -EINVAL);
}

static void test_snmp_netstat(void **state)
{
	char *snmp = procfs_read_alloc(HOST, "net/snmp");
	char *netstat = procfs_read_alloc(HOST, "net/netstat");
	int64_t v = 777;

	assert_int_equal(procfs_snmp_get(snmp, "Tcp", "ActiveOpens", &v), 0);
	assert_int_equal(v, 15);
	assert_int_equal(procfs_snmp_get(snmp, "Tcp", "PassiveOpens", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(procfs_snmp_get(snmp, "Tcp", "OutSegs", &v), 0);
	assert_int_equal(v, 1795);
	assert_int_equal(procfs_snmp_get(snmp, "Tcp", "MaxConn", &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(procfs_snmp_get(snmp, "Ip", "DefaultTTL", &v), 0);
	assert_int_equal(v, 64);
	assert_int_equal(procfs_snmp_get(snmp, "Udp", "InDatagrams", &v), 0);
	assert_int_equal(procfs_snmp_get(netstat, "TcpExt", "ListenOverflows", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(procfs_snmp_get(netstat, "TcpExt", "TCPTimeouts", &v), 0);
	assert_int_equal(v, 2);
	/* "Ip" is not "IpExt", and a field of one protocol is not another's. */
	assert_int_equal(procfs_snmp_get(netstat, "Ip", "InOctets", &v), -ENOENT);
	assert_int_equal(procfs_snmp_get(snmp, "Udp", "RetransSegs", &v), -ENOENT);
	assert_int_equal(procfs_snmp_get(snmp, "Tcp", "NoSuchField", &v), -ENOENT);
	free(snmp);
	free(netstat);
}

static void test_snmp_bad(void **state)
{
	char *trunc = load(FIX("bad/snmp-truncated"));
	char *novals = load(FIX("bad/snmp-novalues"));
	char *garbage = load(FIX("bad/snmp-garbage"));
	int64_t v = 777;

	/* Values cut short: even a field before the cut is not trusted. */
	assert_int_equal(procfs_snmp_get(trunc, "Tcp", "ActiveOpens", &v), -EINVAL);
	assert_int_equal(procfs_snmp_get(trunc, "Tcp", "RetransSegs", &v), -EINVAL);
	assert_int_equal(v, 777);
	assert_int_equal(procfs_snmp_get(trunc, "Ip", "InReceives", &v), 0);
	assert_int_equal(v, 3300);
	v = 777;
	assert_int_equal(procfs_snmp_get(novals, "Tcp", "ActiveOpens", &v), -EINVAL);
	assert_int_equal(procfs_snmp_get(garbage, "Tcp", "ActiveOpens", &v), -EINVAL);
	assert_int_equal(v, 777);
	assert_int_equal(procfs_snmp_get("", "Tcp", "ActiveOpens", &v), -ENODATA);
	free(trunc);
	free(novals);
	free(garbage);
}

static void test_netdev(void **state)
{
	struct proc_netdev *d;
	size_t n;
	char *text;

	assert_int_equal(procfs_read_netdev(HOST, &d, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(d[0].name, "lo");
	assert_int_equal(d[0].rx_bytes, 3319);
	assert_string_equal(d[3].name, "eth0");
	assert_int_equal(d[3].rx_bytes, 163538991);
	assert_int_equal(d[3].rx_packets, 3167);
	assert_int_equal(d[3].tx_bytes, 140830);
	assert_int_equal(d[3].tx_packets, 1808);
	free(d);

	/* Old kernels glued a big counter to the name: "eth0:4294967296000". */
	text = load(FIX("netdev-old-wide"));
	assert_int_equal(procfs_parse_netdev(text, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].name, "eth0");
	assert_int_equal(d[0].rx_bytes, 4294967296000ull);
	assert_int_equal(d[0].rx_errs, 1);
	assert_int_equal(d[0].rx_drop, 2);
	assert_int_equal(d[0].tx_errs, 7);
	assert_int_equal(d[0].tx_drop, 8);
	assert_int_equal(d[0].tx_compressed, 12);
	free(d);
	free(text);

	text = load(FIX("bad/netdev-truncated"));
	assert_int_equal(procfs_parse_netdev(text, &d, &n), -EINVAL);
	assert_null(d);
	free(text);
	text = load(FIX("bad/netdev-noheader"));
	assert_int_equal(procfs_parse_netdev(text, &d, &n), -EINVAL);
	free(text);
	assert_int_equal(procfs_parse_netdev("", &d, &n), -ENODATA);
}

static void test_loadavg(void **state)
{
	struct proc_loadavg la;
	char *text;

	assert_int_equal(procfs_read_loadavg(HOST, &la), 0);
	assert_true(la.avg1 > 0.219 && la.avg1 < 0.221);
	assert_true(la.avg15 > 0.049 && la.avg15 < 0.051);
	assert_int_equal(la.nr_runnable, 2);
	assert_int_equal(la.nr_threads, 95);
	assert_int_equal(la.last_pid, 10924);
	text = load(FIX("loadavg-busy"));
	assert_int_equal(procfs_parse_loadavg(text, &la), 0);
	assert_true(la.avg1 > 6.01 && la.avg1 < 6.03);
	free(text);
	text = load(FIX("bad/loadavg-garbage"));
	assert_int_equal(procfs_parse_loadavg(text, &la), -EINVAL);
	assert_true(la.avg1 == 0);
	free(text);
	text = load(FIX("bad/loadavg-truncated"));
	assert_int_equal(procfs_parse_loadavg(text, &la), -EINVAL);
	free(text);
	assert_int_equal(procfs_parse_loadavg("", &la), -ENODATA);
	assert_int_equal(procfs_parse_loadavg("1.0 2.0 3.0 4 5\n", &la), -EINVAL);
}

static void test_pressure(void **state)
{
	struct proc_pressure p;
	char *text;

	assert_int_equal(procfs_read_pressure(HOST, "cpu", &p), 0);
	assert_true(p.some.present && p.full.present);
	assert_true(p.some.avg10 > 0.329 && p.some.avg10 < 0.331);
	assert_true(p.some.avg60 > 2.249 && p.some.avg60 < 2.251);
	assert_int_equal(p.some.total_us, 10193326);
	assert_int_equal(procfs_read_pressure(HOST, "io", &p), 0);
	assert_int_equal(p.full.total_us, 6007328);
	/* Before 5.13 cpu had no "full" line. */
	text = load(FIX("pressure-cpu-old"));
	assert_int_equal(procfs_parse_pressure(text, &p), 0);
	assert_true(p.some.present);
	assert_false(p.full.present);
	assert_int_equal(p.some.total_us, 9000000);
	free(text);
	text = load(FIX("bad/pressure-truncated"));
	assert_int_equal(procfs_parse_pressure(text, &p), -EINVAL);
	assert_false(p.some.present);
	free(text);
	text = load(FIX("bad/pressure-garbage"));
	assert_int_equal(procfs_parse_pressure(text, &p), -EINVAL);
	free(text);
	assert_int_equal(procfs_parse_pressure("", &p), -ENODATA);
	assert_int_equal(procfs_read_pressure(HOST, "nosuch", &p), -ENOENT);
}

static void test_softnet(void **state)
{
	struct softnet_cpu *s;
	size_t n;
	char *text;

	assert_int_equal(procfs_read_softnet(HOST, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].processed, 0x15);
	assert_int_equal(s[1].processed, 0xc68);
	assert_int_equal(s[1].cpu, 1);
	assert_int_equal(s[0].nr_cols, 15);
	free(s);
	/* 4.x: eleven columns, no cpu index (the row is the cpu). */
	text = load(FIX("softnet-4x"));
	assert_int_equal(procfs_parse_softnet(text, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].processed, 123456);
	assert_int_equal(s[0].dropped, 3);
	assert_int_equal(s[0].time_squeeze, 10);
	assert_int_equal(s[0].received_rps, 2);
	assert_int_equal(s[0].flow_limit_count, 1);
	assert_int_equal(s[1].cpu, 1);
	assert_int_equal(s[1].processed, 0xffff);
	free(s);
	free(text);
	text = load(FIX("bad/softnet-short-row"));
	assert_int_equal(procfs_parse_softnet(text, &s, &n), -EINVAL);
	assert_null(s);
	free(text);
	text = load(FIX("bad/softnet-garbage"));
	assert_int_equal(procfs_parse_softnet(text, &s, &n), -EINVAL);
	free(text);
	assert_int_equal(procfs_parse_softnet("", &s, &n), -ENODATA);
}

static void test_pid_stat(void **state)
{
	struct proc_pid_stat ps;
	char *text;

	assert_int_equal(procfs_read_pid_stat(HOST, 1, &ps), 0);
	assert_int_equal(ps.pid, 1);
	assert_string_equal(ps.comm, "process_api");
	assert_int_equal(ps.state, 'S');
	assert_int_equal(ps.minflt, 48276);
	assert_int_equal(ps.majflt, 0);
	assert_int_equal(ps.utime, 173);
	assert_int_equal(ps.stime, 568);
	assert_int_equal(ps.nr_threads, 13);
	assert_int_equal(ps.starttime, 24);
	assert_int_equal(ps.processor, 1);

	/* comm with spaces and parentheses, and a ") " inside it. */
	text = load(FIX("pid-stat-weird-comm"));
	assert_int_equal(procfs_parse_pid_stat(text, &ps), 0);
	assert_int_equal(ps.pid, 4242);
	assert_string_equal(ps.comm, "my (odd) proc) x");
	assert_int_equal(ps.state, 'R');
	assert_int_equal(ps.ppid, 1);
	assert_int_equal(ps.majflt, 7);
	assert_int_equal(ps.utime, 350);
	assert_int_equal(ps.stime, 25);
	assert_int_equal(ps.nr_threads, 3);
	free(text);

	text = load(FIX("pid-stat-kthread"));
	assert_int_equal(procfs_parse_pid_stat(text, &ps), 0);
	assert_string_equal(ps.comm, "kworker/u8:2-events_unbound");
	assert_int_equal(ps.stime, 41);
	free(text);

	static const char *const bad[] = {
		"bad/pid-stat-truncated", "bad/pid-stat-noparen", "bad/pid-stat-garbage",
		"bad/stat-garbage", "bad/empty", "bad/blank",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char path[512];

		snprintf(path, sizeof(path), FIXTURES "/proc/%s", bad[i]);
		text = load(path);
		if (procfs_parse_pid_stat(text, &ps) >= 0)
			fail_msg("%s was accepted as /proc/PID/stat", bad[i]);
		assert_int_equal(ps.pid, 0);
		assert_int_equal(ps.utime, 0);
		free(text);
	}
	assert_int_equal(procfs_read_pid_stat(HOST, 999999, &ps), -ENOENT);
}

static void test_pid_schedstat(void **state)
{
	struct proc_pid_schedstat s;
	char *text;

	assert_int_equal(procfs_read_pid_schedstat(HOST, 1, &s), 0);
	assert_int_equal(s.run_ns, 184764223);
	assert_int_equal(s.wait_ns, 19051626);
	assert_int_equal(s.timeslices, 448);
	text = load(FIX("pid-schedstat"));
	assert_int_equal(procfs_parse_pid_schedstat(text, &s), 0);
	assert_int_equal(s.run_ns, 5678901234ull);
	free(text);
	text = load(FIX("bad/pid-schedstat-short"));
	assert_int_equal(procfs_parse_pid_schedstat(text, &s), -EINVAL);
	assert_int_equal(s.run_ns, 0);
	free(text);
	assert_int_equal(procfs_parse_pid_schedstat("1 2 x\n", &s), -EINVAL);
	assert_int_equal(procfs_parse_pid_schedstat("", &s), -ENODATA);
}

/* The live host must parse too: the fixtures are only as good as the kernel
 * they were copied from. */
static void test_live_host(void **state)
{
	struct proc_stat st;
	struct proc_disk *d;
	struct proc_netdev *nd;
	struct proc_loadavg la;
	struct proc_pid_stat ps;
	size_t n;

	assert_int_equal(procfs_read_stat("", &st), 0);
	assert_true(st.nr_cpus >= 1);
	assert_true(st.procs_running >= 1);     /* this test is running */
	procfs_stat_free(&st);
	assert_int_equal(procfs_read_netdev("", &nd, &n), 0);
	assert_true(n >= 1);
	free(nd);
	assert_int_equal(procfs_read_loadavg("", &la), 0);
	assert_int_equal(procfs_read_pid_stat("", getpid(), &ps), 0);
	assert_int_equal(ps.pid, getpid());
	assert_int_equal(ps.state, 'R');
	if (procfs_read_diskstats("", &d, &n) == 0)
		free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_host),
		cmocka_unit_test(test_stat_old_kernel_and_offline_cpu),
		cmocka_unit_test(test_stat_bad),
		cmocka_unit_test(test_stat_very_long_line),
		cmocka_unit_test(test_kv_meminfo_vmstat),
		cmocka_unit_test(test_diskstats_kernels),
		cmocka_unit_test(test_diskstats_bad),
		cmocka_unit_test(test_snmp_netstat),
		cmocka_unit_test(test_snmp_bad),
		cmocka_unit_test(test_netdev),
		cmocka_unit_test(test_loadavg),
		cmocka_unit_test(test_pressure),
		cmocka_unit_test(test_softnet),
		cmocka_unit_test(test_pid_stat),
		cmocka_unit_test(test_pid_schedstat),
		cmocka_unit_test(test_live_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
