/* static_kernel.c: Monday's checks of kernel-wide limits and state, and of
 * what later stages need (ST-LIM-01/02, ST-KERN-01, P-03..P-06): file
 * descriptors system-wide and per process, task capacity, kernel taint
 * decoded bit by bit, perf_event_paranoid, lockdown, kptr_restrict and BTF.
 * These also run unprivileged: a non-root `friday check` reports what it
 * can see and says what it could not. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/static_impl.h"
#include "lib/procfs.h"
#include "lib/util.h"

#define CAP_SYS_ADMIN_NR 21
#define CAP_SYSLOG_NR 34
#define CAP_PERFMON_NR 38
#define MAX_PROCESSES_SCANNED 8192

CHECK_FN(check_file_nr)
{
	char text[128];
	long long alloc, unused, max;

	if (ck_line(ctx, "/proc/sys/fs/file-nr", text, sizeof(text)) ||
	    sscanf(text, "%lld %lld %lld", &alloc, &unused, &max) != 3 || max <= 0) {
		snprintf(reason, len, "no readable /proc/sys/fs/file-nr");
		return CHECK_NOT_APPLICABLE;
	}
	if (alloc * 10 > max * 8)
		report_add_finding(ctx->report, "processes.file_max_near", SEV_WARNING,
			json_pack("{s:I, s:I, s:i}", "allocated", (json_int_t)alloc, "file_max", (json_int_t)max,
				  "warning_pct", 80),
			"%lld of the system's %lld file handles are allocated (%lld%%): open() "
			"fails with ENFILE when they run out.", alloc, max, alloc * 100 / max);
	return CHECK_RAN;
}

/* Soft "Max open files" of a process, -1 when unlimited or unreadable. */
static long long fd_soft_limit(const struct check_ctx *ctx, const char *pid)
{
	char path[64], *limits, *line;
	long long soft = -1;

	snprintf(path, sizeof(path), "/proc/%s/limits", pid);
	limits = ck_alloc(ctx, path);
	line = limits ? strstr(limits, "Max open files") : NULL;
	if (line && sscanf(line + strlen("Max open files"), "%lld", &soft) != 1)
		soft = -1;
	free(limits);
	return soft;
}

/* Open descriptors of a process, counting no further than stop; -1 when
 * the fd directory is not ours to read. */
static long long fd_count(const struct check_ctx *ctx, const char *pid, long long stop)
{
	char rel[64], p[PATH_MAX];
	long long n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(rel, sizeof(rel), "/proc/%s/fd", pid);
	d = opendir(check_path(ctx, rel, p, sizeof(p)));
	if (!d)
		return -1;
	while ((de = readdir(d)) && n <= stop)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

CHECK_FN(check_process_fds)
{
	char (*pids)[CK_NAME_LEN] = calloc(MAX_PROCESSES_SCANNED, CK_NAME_LEN);
	int nr = pids ? ck_dir_names(ctx, "/proc", "", true, pids, MAX_PROCESSES_SCANNED) : -ENOMEM;
	int nr_seen = 0, nr_found = 0;

	for (int i = 0; i < nr && nr_found < CGROUP_MAX_FINDINGS; i++) {
		long long soft = fd_soft_limit(ctx, pids[i]), fds;
		char path[96], comm[64] = "?";

		if (soft <= 0 || (fds = fd_count(ctx, pids[i], soft)) < 0)
			continue;
		nr_seen++;
		if (fds * 10 <= soft * 8)
			continue;
		snprintf(path, sizeof(path), "/proc/%.64s/comm", pids[i]);
		ck_line(ctx, path, comm, sizeof(comm));
		nr_found++;
		report_add_finding(ctx->report, "processes.fd_limit", SEV_WARNING,
			json_pack("{s:I, s:s, s:I, s:I, s:i}", "pid", (json_int_t)atoll(pids[i]), "comm", comm,
				  "open_fds", (json_int_t)fds, "soft_limit", (json_int_t)soft, "warning_pct", 80),
			"%s (pid %s) has %lld open file descriptors of its soft limit %lld: "
			"the next open(), socket() or accept() fails with EMFILE.",
			comm, pids[i], fds, soft);
	}
	free(pids);
	if (!nr_seen) {
		snprintf(reason, len, "no process's /proc/PID/fd was readable");
		return CHECK_NOT_APPLICABLE;
	}
	snprintf(reason, len, "%d processes checked", nr_seen);
	return CHECK_RAN;
}

CHECK_FN(check_task_limits)
{
	struct proc_loadavg la;
	int64_t pid_max, threads_max;
	bool have_la;

	if (ck_s64(ctx, "/proc/sys/kernel/pid_max", &pid_max) ||
	    ck_s64(ctx, "/proc/sys/kernel/threads-max", &threads_max)) {
		snprintf(reason, len, "no readable kernel.pid_max and kernel.threads-max");
		return CHECK_NOT_APPLICABLE;
	}
	have_la = !procfs_read_loadavg(ctx->root ? ctx->root : "", &la);
	if (pid_max < 30000 || threads_max < 30000)
		report_add_finding(ctx->report, "processes.task_limits_low", SEV_WARNING,
			json_pack("{s:I, s:I, s:i}", "pid_max", (json_int_t)pid_max,
				  "threads_max", (json_int_t)threads_max, "threshold", 30000),
			"kernel.pid_max is %lld and kernel.threads-max %lld: below 30000, a busy "
			"server can run out of tasks (ClickHouse's rule).",
			(long long)pid_max, (long long)threads_max);
	if (have_la) {
		int64_t cap = pid_max < threads_max ? pid_max : threads_max;

		if ((int64_t)la.nr_threads * 10 > cap * 8)
			report_add_finding(ctx->report, "processes.tasks_near_limit", SEV_WARNING,
				json_pack("{s:I, s:I, s:I, s:i}", "tasks", (json_int_t)la.nr_threads,
					  "pid_max", (json_int_t)pid_max, "threads_max", (json_int_t)threads_max,
					  "warning_pct", 80),
				"%u tasks exist, over 80%% of the limit %lld: fork() and "
				"pthread_create() will fail with EAGAIN.", la.nr_threads, (long long)cap);
	}
	return CHECK_RAN;
}

/* Documentation/admin-guide/tainted-kernels.rst, bit by bit. */
static const struct taint_bit {
	int bit;
	char letter;
	enum severity sev;
	const char *meaning;
} taint_bits[] = {
	{ 0, 'P', SEV_INFO, "proprietary module loaded" },
	{ 1, 'F', SEV_INFO, "module force-loaded" },
	{ 2, 'S', SEV_WARNING, "kernel running on out-of-spec hardware" },
	{ 3, 'R', SEV_INFO, "module force-unloaded" },
	{ 4, 'M', SEV_CRITICAL, "machine check exception (hardware error)" },
	{ 5, 'B', SEV_CRITICAL, "bad page referenced or unexpected page flags" },
	{ 6, 'U', SEV_INFO, "taint requested by user space" },
	{ 7, 'D', SEV_CRITICAL, "kernel died recently (oops or BUG)" },
	{ 8, 'A', SEV_INFO, "ACPI table overridden" },
	{ 9, 'W', SEV_WARNING, "kernel issued a warning" },
	{ 10, 'C', SEV_INFO, "staging driver loaded" },
	{ 11, 'I', SEV_WARNING, "workaround for a platform firmware bug" },
	{ 12, 'O', SEV_INFO, "out-of-tree module loaded" },
	{ 13, 'E', SEV_INFO, "unsigned module loaded" },
	{ 14, 'L', SEV_CRITICAL, "soft lockup occurred" },
	{ 15, 'K', SEV_INFO, "kernel live-patched" },
	{ 16, 'X', SEV_INFO, "auxiliary taint (distribution defined)" },
	{ 17, 'T', SEV_INFO, "built with the struct randomization plugin" },
	{ 18, 'N', SEV_INFO, "in-kernel test run" },
};

CHECK_FN(check_taint)
{
	json_t *bits = json_array();
	int64_t tainted;
	int worst = -1;
	char letters[32] = "", first[96] = "";

	if (ck_s64(ctx, "/proc/sys/kernel/tainted", &tainted) || tainted < 0) {
		json_decref(bits);
		snprintf(reason, len, "no readable /proc/sys/kernel/tainted");
		return CHECK_NOT_APPLICABLE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(taint_bits); i++) {
		const struct taint_bit *t = &taint_bits[i];

		if (!(tainted & (INT64_C(1) << t->bit)))
			continue;
		json_array_append_new(bits, json_pack("{s:i, s:s#, s:s, s:s}", "bit", t->bit, "flag",
						      &t->letter, 1, "meaning", t->meaning,
						      "severity", severity_name(t->sev)));
		letters[strlen(letters)] = t->letter;
		if ((int)t->sev > worst) {
			worst = t->sev;
			snprintf(first, sizeof(first), "%s", t->meaning);
		}
	}
	if (tainted && worst < 0)
		worst = SEV_INFO;  /* bits newer than this table */
	if (tainted)
		report_add_finding(ctx->report, "cpu.kernel_tainted", worst,
			json_pack("{s:I, s:s, s:o}", "tainted", (json_int_t)tainted, "flags", letters, "bits", bits),
			"The kernel is tainted (%lld, flags %s)%s%s: evidence of past errors even "
			"after the kernel log has rotated.", (long long)tainted, letters[0] ? letters : "?",
			first[0] ? ", most serious: " : "", first);
	else
		json_decref(bits);
	return CHECK_RAN;
}

CHECK_FN(check_perf_paranoid)
{
	int64_t level;
	bool privileged = ck_has_cap(ctx, CAP_PERFMON_NR) || ck_has_cap(ctx, CAP_SYS_ADMIN_NR);

	if (ck_need_s64(ctx, "/proc/sys/kernel/perf_event_paranoid", &level, reason, len))
		return CHECK_NOT_APPLICABLE;
	if (level >= 2 && !privileged)
		report_add_finding(ctx->report, "syscalls.perf_restricted", SEV_WARNING,
			json_pack("{s:I, s:b}", "perf_event_paranoid", (json_int_t)level, "privileged", privileged),
			"kernel.perf_event_paranoid is %lld and this process lacks CAP_PERFMON and "
			"CAP_SYS_ADMIN: no kernel profiling, so CPU flame graphs (Wednesday) cannot "
			"run. Run as root.", (long long)level);
	return CHECK_RAN;
}

CHECK_FN(check_lockdown)
{
	char text[128], mode[32];

	if (ck_line(ctx, "/sys/kernel/security/lockdown", text, sizeof(text)) ||
	    sysfs_bracket_choice(text, mode, sizeof(mode))) {
		snprintf(reason, len, "no /sys/kernel/security/lockdown (LSM absent or securityfs unmounted)");
		return CHECK_NOT_APPLICABLE;
	}
	if (!strcmp(mode, "confidentiality"))
		report_add_finding(ctx->report, "syscalls.kernel_lockdown", SEV_WARNING,
			json_pack("{s:s}", "lockdown", mode),
			"Kernel lockdown is [confidentiality]: BPF may not read kernel memory, and "
			"kprobes, tracefs and unsafe perf are refused; kernel tracing comes back "
			"empty or fails.");
	else if (!strcmp(mode, "integrity"))
		report_add_finding(ctx->report, "syscalls.kernel_lockdown", SEV_INFO,
			json_pack("{s:s}", "lockdown", mode),
			"Kernel lockdown is [integrity]: some kernel tracing features may be "
			"refused; tracepoints still work.");
	return CHECK_RAN;
}

CHECK_FN(check_kptr_restrict)
{
	int64_t level;
	bool syslog = ck_has_cap(ctx, CAP_SYSLOG_NR);

	if (ck_need_s64(ctx, "/proc/sys/kernel/kptr_restrict", &level, reason, len))
		return CHECK_NOT_APPLICABLE;
	if (level >= 2 || (level == 1 && !syslog))
		report_add_finding(ctx->report, "syscalls.kptr_restricted", SEV_WARNING,
			json_pack("{s:I, s:b}", "kptr_restrict", (json_int_t)level, "cap_syslog", syslog),
			"kernel.kptr_restrict is %lld%s: /proc/kallsyms shows zero addresses, so "
			"kernel frames in stacks will not resolve to names.", (long long)level,
			level == 1 ? " and this process lacks CAP_SYSLOG" : "");
	return CHECK_RAN;
}

CHECK_FN(check_btf)
{
	char p[PATH_MAX], sys_kernel[PATH_MAX];

	if (!path_exists(check_path(ctx, "/sys/kernel", sys_kernel, sizeof(sys_kernel)))) {
		snprintf(reason, len, "no /sys/kernel");
		return CHECK_NOT_APPLICABLE;
	}
	if (!path_exists(check_path(ctx, "/sys/kernel/btf/vmlinux", p, sizeof(p))))
		report_add_finding(ctx->report, "syscalls.no_btf", SEV_WARNING,
			json_pack("{s:s}", "missing", "/sys/kernel/btf/vmlinux"),
			"The kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE BPF collectors "
			"cannot load, so Tuesday to Thursday fall back to what /proc can tell.");
	return CHECK_RAN;
}
