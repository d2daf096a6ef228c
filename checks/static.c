/* static.c: the table of Monday's static checks and the runner that walks
 * it. Each check is one short function; the rules' sources are in the
 * table and in METHODOLOGY.md. */
#include "checks/check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/static_impl.h"
#include "lib/util.h"

const char *check_path(const struct check_ctx *ctx, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", ctx->root ? ctx->root : "", path);
	return buf;
}

/* The one table of Monday's checks: static tuning (ST-xx), preflight
 * (P-xx) and past errors (ERR-xx). The functions live in static_*.c and
 * past_errors.c, one file per area. */
const struct check static_checks[] = {
	/* CPU */
	{ "ST-CPU-01", "CPU frequency governor",
	  "/sys/devices/system/cpu/cpu*/cpufreq/scaling_{governor,driver}",
	  "generic powersave -> warning; ondemand/conservative/schedutil or intel_pstate powersave -> info",
	  "METHODOLOGY ST-CPU-01 [S10, S12, S15 intel_pstate.rst]", check_governor },
	{ "ST-CPU-02", "Turbo and frequency caps",
	  "/sys/devices/system/cpu/{intel_pstate/no_turbo,intel_pstate/max_perf_pct,cpufreq/boost}, "
	  "cpu*/cpufreq/{scaling,cpuinfo}_max_freq",
	  "no_turbo=1, boost=0, max_perf_pct<100 or scaling_max_freq < cpuinfo_max_freq -> warning",
	  "METHODOLOGY ST-CPU-02 [S15 intel_pstate.rst]", check_freq_caps },
	{ "ST-CPU-03", "C-states exit latency", "/sys/devices/system/cpu/cpu0/cpuidle/state*/{name,latency,disable}",
	  "an enabled idle state with exit latency > 100 us -> info", "METHODOLOGY ST-CPU-03 [S12], 100 us [heur]",
	  check_cstates },
	{ "ST-CPU-04", "SMT", "/sys/devices/system/cpu/smt/{control,active}",
	  "control off/forceoff -> info (fewer logical CPUs)", "METHODOLOGY ST-CPU-04 [heur]", check_smt },
	{ "ST-CPU-05", "Online and isolated CPUs",
	  "/sys/devices/system/cpu/{online,possible,isolated,nohz_full}, /proc/cmdline",
	  "offline CPUs -> warning; isolated or nohz_full CPUs -> info", "METHODOLOGY ST-CPU-05 [S9]",
	  check_online_cpus },
	{ "ST-CPU-06", "Speculative-execution mitigations", "/sys/devices/system/cpu/vulnerabilities/*, /proc/cmdline",
	  "record each; PTI or Vulnerable entries -> info; never advise disabling", "METHODOLOGY ST-CPU-06 [S23]",
	  check_mitigations },
	{ "ST-CPU-07", "Clocksource", "/sys/devices/system/clocksource/clocksource0/{current,available}_clocksource",
	  "current != tsc while tsc is available (x86) -> warning; hpet/acpi_pm/xen current -> warning",
	  "METHODOLOGY ST-CPU-07 [S11, S21, S22]", check_clocksource },
	{ "ST-CPU-08", "Scheduler tunables",
	  "/proc/sys/kernel/{sched_autogroup_enabled,sched_rt_runtime_us,sched_*}, /sys/kernel/debug/sched/base_slice_ns",
	  "autogroup=1 -> info; sched_rt_runtime_us=-1 -> info (RT tasks may starve others)",
	  "METHODOLOGY ST-CPU-08 [S12, S24]", check_sched_tunables },
	{ "ST-CPU-09", "cgroup CPU quota and throttling",
	  "v1 cpu.cfs_quota_us, cpu.cfs_period_us, cpu.stat; v2 cpu.max, cpu.stat",
	  "throttled periods > 10% -> critical; any throttling -> warning; quota set, never throttled -> info",
	  "METHODOLOGY ST-CPU-09 [S15 cgroup-v2.rst, S7], 10% [heur]", check_cgroup_cpu },
	{ "ST-VIRT-01", "Virtualization", "/sys/hypervisor/type, /proc/cpuinfo hypervisor flag, /sys/class/dmi/id/sys_vendor",
	  "a guest -> info (steal time, PMCs and clocksource differ)", "METHODOLOGY ST-VIRT-01 [S5, S11]",
	  check_virtualization },
	{ "ERR-10", "Thermal throttling counters",
	  "/sys/devices/system/cpu/cpu*/thermal_throttle/{core,package}_throttle_count",
	  "any count > 0 -> warning", "METHODOLOGY ERR-10 [S15 therm_throt.c]", check_thermal_counters },
	/* Memory */
	{ "ST-MEM-01", "Transparent huge pages",
	  "/sys/kernel/mm/transparent_hugepage/{enabled,defrag}",
	  "enabled or defrag = [always] -> warning", "METHODOLOGY ST-MEM-01 [S11, S12, S21]",
	  check_thp },
	{ "ST-MEM-02", "Swap configuration", "/proc/sys/vm/swappiness, /proc/swaps",
	  "swappiness >= 60 with swap active -> info", "METHODOLOGY ST-MEM-02 [S11, S12, S15]",
	  check_swappiness },
	{ "ST-MEM-02b", "Swap in use while memory is free", "/proc/meminfo SwapTotal, SwapFree, MemAvailable, MemTotal",
	  "swap used > 10% of swap while MemAvailable > 50% of MemTotal -> warning",
	  "METHODOLOGY ST-MEM-02 [S15 vm.rst], 10%/50% [heur]", check_swap_in_use },
	{ "ST-MEM-03", "Overcommit", "/proc/sys/vm/overcommit_memory, /proc/meminfo CommitLimit, Committed_AS",
	  "mode 2 -> warning; mode 2 with Committed_AS >= 95% of CommitLimit -> critical",
	  "METHODOLOGY ST-MEM-03 [S15 vm.rst, S21], 95% [heur]", check_overcommit },
	{ "ST-MEM-04", "NUMA balancing and locality",
	  "/proc/sys/kernel/numa_balancing, /sys/devices/system/node/node*/numastat",
	  "balancing on with several nodes -> info; numa_miss > 10% of numa_hit -> warning",
	  "METHODOLOGY ST-MEM-04 [S15 kernel.rst, S11, S12], 10% [heur]", check_numa_balancing },
	{ "ST-MEM-05", "zone_reclaim_mode", "/proc/sys/vm/zone_reclaim_mode",
	  "non-zero -> warning", "METHODOLOGY ST-MEM-05 [S15 vm.rst]", check_zone_reclaim },
	{ "ST-MEM-06", "Reclaim headroom", "/proc/sys/vm/{min_free_kbytes,watermark_scale_factor}, /proc/vmstat",
	  "direct reclaim scans > 10% of all scans since boot -> warning",
	  "METHODOLOGY ST-MEM-06 [S15 vm.rst], 10% [heur]", check_reclaim_headroom },
	{ "ST-MEM-07", "cgroup memory limits and events",
	  "v1 memory.{limit_in_bytes,usage_in_bytes,failcnt,oom_control}; v2 memory.{max,high,current,events}",
	  "oom_kill > 0 or under_oom -> critical; usage >= 90% of limit, failcnt or high/max events -> warning",
	  "METHODOLOGY ST-MEM-07 [S15 cgroup-v2.rst], 90% [heur]", check_cgroup_memory },
	{ "ST-MEM-08", "Static hugepage pool", "/proc/meminfo HugePages_Total, HugePages_Free, Hugepagesize, MemTotal",
	  "free reserved huge pages > 25% of RAM -> info", "METHODOLOGY ST-MEM-08 [S9], 25% [heur]",
	  check_hugepage_pool },
	{ "ST-FS-01", "Dirty writeback", "/proc/sys/vm/dirty_{ratio,background_ratio,bytes,background_bytes}",
	  "dirty_ratio >= 40 (or dirty_bytes >= 40% of RAM) -> info", "METHODOLOGY ST-FS-01 [S15 vm.rst, S11, S12]",
	  check_dirty_ratios },
	{ "ERR-06", "ECC memory errors (EDAC)", "/sys/devices/system/edac/mc/mc*/{ce_count,ue_count}",
	  "ue_count > 0 -> critical; ce_count > 0 -> warning", "METHODOLOGY ERR-06 [S7, S15 EDAC]", check_edac },
	/* Disk and file systems */
	{ "ST-DISK-01", "I/O scheduler", "/sys/block/*/queue/{scheduler,rotational}",
	  "non-rotational with bfq -> info; rotational with none -> info",
	  "METHODOLOGY ST-DISK-01 [S11, S12, S15 queue-sysfs]", check_io_scheduler },
	{ "ST-DISK-02", "Read-ahead", "/sys/block/*/queue/{read_ahead_kb,rotational}",
	  "0 on a rotational device -> warning; >= 4096 KB -> info", "METHODOLOGY ST-DISK-02 [S11, S12, S21]",
	  check_read_ahead },
	{ "ST-DISK-03", "Device write cache", "/sys/block/*/queue/{write_cache,rotational}",
	  "write through on a rotational disk -> info", "METHODOLOGY ST-DISK-03 [S11, S15 queue-sysfs]",
	  check_write_cache },
	{ "ST-DISK-04", "RAID health", "/proc/mdstat, /sys/block/md*/md/degraded",
	  "degraded array -> critical", "METHODOLOGY ST-DISK-04 [S8 2.5.17]", check_raid },
	{ "ST-DISK-05", "cgroup I/O limits",
	  "v1 blkio.throttle.{read,write}_{iops,bps}_device, blkio.throttle.io_serviced; v2 io.max, io.stat",
	  "a limit on a device the cgroup does I/O to -> warning; a limit on an idle cgroup -> info",
	  "METHODOLOGY USE-CG-IO [S15 cgroup-v2.rst], warning rule [heur]", check_cgroup_io },
	{ "ST-FS-02", "Mount options", "/proc/self/mountinfo",
	  "strictatime or sync -> warning; nobarrier or discard -> info", "METHODOLOGY ST-FS-02 [S9, S11]",
	  check_mount_options },
	{ "ST-FS-03", "File system capacity", "/proc/self/mountinfo, statvfs() of each local mount",
	  "blocks > 90% -> warning, >= 98% -> critical; inodes > 90% -> warning",
	  "METHODOLOGY ST-FS-03 [S8 2.5.17, S7], 90%/98% [heur]", check_fs_capacity },
	/* Network */
	{ "ST-NET-01", "Link speed and duplex", "/sys/class/net/*/{speed,duplex,operstate,device}",
	  "half duplex -> warning; a physical link up at < 1000 Mb/s -> warning",
	  "METHODOLOGY ST-NET-01 [S8 2.5.17, S9], 1000 Mb/s [heur]", check_link_speed },
	{ "ST-NET-02", "IP fragmentation", "/proc/net/snmp Ip: FragFails, ReasmFails",
	  "FragFails or ReasmFails > 0 since boot -> warning", "METHODOLOGY ST-NET-02 [S9]", check_fragmentation },
	{ "ST-NET-03", "Listen backlog", "/proc/sys/net/core/somaxconn, tcp_max_syn_backlog, /proc/net/netstat",
	  "ListenOverflows or ListenDrops > 0 since boot -> warning; somaxconn < 1024 -> info",
	  "METHODOLOGY ST-NET-03 [S15 snmp_counter.rst, ip-sysctl.rst, S11]", check_listen_backlog },
	{ "ST-NET-04", "TCP congestion control and qdisc",
	  "/proc/sys/net/ipv4/tcp_congestion_control, /proc/sys/net/core/default_qdisc",
	  "reno -> info (slow recovery on long or lossy paths)", "METHODOLOGY ST-NET-04 [S15 ip-sysctl]",
	  check_congestion_control },
	{ "ST-NET-05", "Socket buffers", "/proc/sys/net/core/{rmem,wmem}_max, /proc/sys/net/ipv4/tcp_{rmem,wmem,mem}, /proc/net/sockstat",
	  "TCP pages >= tcp_mem pressure -> warning; tcp_rmem/tcp_wmem max < 16 MiB -> info",
	  "METHODOLOGY ST-NET-05 [S11]", check_socket_buffers },
	{ "ST-NET-06", "TCP slow start after idle", "/proc/sys/net/ipv4/tcp_slow_start_after_idle",
	  "1 -> info (Netflix sets 0)", "METHODOLOGY ST-NET-06 [S11, S15 ip-sysctl]", check_slow_start_idle },
	{ "ST-NET-07", "Ephemeral ports and TIME_WAIT", "/proc/sys/net/ipv4/ip_local_port_range, /proc/net/sockstat",
	  "TIME_WAIT sockets > 50% of the port range -> warning", "METHODOLOGY ST-NET-07 [S9, S11], 50% [heur]",
	  check_ephemeral_ports },
	{ "ST-NET-08", "IP forwarding", "/proc/sys/net/ipv4/ip_forward",
	  "1 on a non-router -> info (a container host forwards by design)",
	  "METHODOLOGY ST-NET-08 [S8 2.5.17]", check_ip_forward },
	{ "ST-NET-09", "Connection tracking table", "/proc/sys/net/netfilter/nf_conntrack_{count,max}",
	  "count > 80% of max -> warning", "METHODOLOGY ST-NET-09 [heur]", check_conntrack },
	{ "ST-NET-10", "Input backlog (softnet)", "/proc/net/softnet_stat, /proc/sys/net/core/netdev_max_backlog",
	  "dropped > 0 since boot -> warning; time_squeeze > 0 -> info",
	  "METHODOLOGY ST-NET-10 [S15 net-procfs.c, S11]", check_softnet },
	/* Processes, limits, cgroups */
	{ "ST-LIM-01", "System file descriptors", "/proc/sys/fs/file-nr",
	  "allocated > 80% of file-max -> warning", "METHODOLOGY ST-LIM-01 [S6, S7], 80% [heur]", check_file_nr },
	{ "ST-LIM-01b", "Per-process file descriptors", "/proc/PID/limits Max open files, /proc/PID/fd",
	  "a process using > 80% of its soft limit -> warning", "METHODOLOGY ST-LIM-01 [S6, S7], 80% [heur]",
	  check_process_fds },
	{ "ST-LIM-02", "Task capacity", "/proc/sys/kernel/{pid_max,threads-max}, /proc/loadavg",
	  "pid_max or threads-max < 30000 -> warning; tasks > 80% of either -> warning",
	  "METHODOLOGY ST-LIM-02 [S7, S21], 80% [heur]", check_task_limits },
	{ "ST-LIM-03", "cgroup pids limits", "v1 and v2 pids.{max,current,events}",
	  "pids.events max > 0 -> critical; current > 80% of max -> warning",
	  "METHODOLOGY ST-LIM-02 [S15 cgroup-v2], 80% [heur]", check_cgroup_pids },
	/* Kernel state and tool readiness */
	{ "ST-KERN-01", "Kernel taint", "/proc/sys/kernel/tainted",
	  "M, L or D bits -> critical; W and other bits -> warning (decoded)", "METHODOLOGY ST-KERN-01 [S15 kernel.rst]",
	  check_taint },
	{ "P-03", "perf_event_paranoid", "/proc/sys/kernel/perf_event_paranoid, /proc/self/status CapEff",
	  ">= 2 without CAP_PERFMON or CAP_SYS_ADMIN -> warning", "METHODOLOGY P-03 [S15 kernel.rst]",
	  check_perf_paranoid },
	{ "P-04", "Kernel lockdown", "/sys/kernel/security/lockdown",
	  "[confidentiality] -> warning; [integrity] -> info", "METHODOLOGY P-04 [S15 lockdown.c]", check_lockdown },
	{ "P-05", "kptr_restrict", "/proc/sys/kernel/kptr_restrict, /proc/self/status CapEff",
	  "2, or 1 without CAP_SYSLOG -> warning", "METHODOLOGY P-05 [S15 kernel.rst]", check_kptr_restrict },
	{ "P-06", "BPF readiness (BTF)", "/sys/kernel/btf/vmlinux",
	  "absent -> warning (CO-RE collectors cannot load)", "METHODOLOGY P-06 [S1, S20]", check_btf },
	/* Past errors */
	{ "ERR-01..13", "Past errors in the kernel log", "/dev/kmsg from the start of the buffer",
	  "each pattern of METHODOLOGY 4.5 seen -> a finding with count, first and last time, one example",
	  "METHODOLOGY ERR-01..ERR-13 [S5, S7, S15, S22, S27]", check_kernel_log },
	{ NULL },
};

size_t static_check_count(void)
{
	size_t n = 0;

	while (static_checks[n].id)
		n++;
	return n;
}

static const char *const check_result_names[] = { "ran", "not_applicable", "failed" };

/* Past-error scans have ids ERR-...; the "past_errors" step runs them and
 * "static_checks" the rest, so each lands in its own step of the report. */
static bool in_group(const struct check *c, enum check_group group)
{
	bool past = str_starts(c->id, "ERR-");

	return group == CHECKS_ALL || (group == CHECKS_PAST_ERRORS) == past;
}

int run_checks(struct check_ctx *ctx, enum check_group group)
{
	json_t *log = report_get(ctx->report, "checks");
	int nr_run = 0;

	for (size_t i = 0; static_checks[i].id && !friday_stop_requested; i++) {
		const struct check *c = &static_checks[i];
		size_t before, found;
		char reason[256] = "";
		enum check_result res;

		if (!in_group(c, group))
			continue;
		before = json_array_size(report_get(ctx->report, "findings"));
		res = c->run(ctx, reason, sizeof(reason));
		found = json_array_size(report_get(ctx->report, "findings")) - before;
		nr_run++;
		json_array_append_new(log, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
			"id", c->id, "title", c->title, "reads", c->reads, "rule", c->rule,
			"source", c->source, "result", check_result_names[res],
			"reason", reason, "findings", (int)found));
	}
	return nr_run;
}

int run_static_checks(struct check_ctx *ctx)
{
	return run_checks(ctx, CHECKS_ALL);
}
