/* caps.c: the capability table (see caps.h), the probes that need no BPF
 * (privilege, files, mounts, sysctls), and the loop that runs them all.
 * The BPF trials live in caps_trials.c. */
#include "bpf/caps.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf/caps_trials.h"
#include "lib/util.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

static const struct {
	const char *name;
	int bit;
} bpf_privileges[] = {
	{ "CAP_SYS_ADMIN", CAP_SYS_ADMIN_BIT }, { "CAP_BPF", CAP_BPF_BIT },
	{ "CAP_PERFMON", CAP_PERFMON_BIT },
};

/* The effective capability set of this process (CapEff), 0 if unreadable. */
static uint64_t cap_effective(void)
{
	char buf[4096], *p;
	uint64_t eff = 0;

	if (read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\nCapEff:");
	if (p)
		sscanf(p + strlen("\nCapEff:"), "%" SCNx64, &eff);
	return eff;
}

static bool has_cap(uint64_t eff, int bit)
{
	return eff >> bit & 1;
}

bool caps_bpf_privileged(void)
{
	uint64_t eff = cap_effective();

	return has_cap(eff, CAP_SYS_ADMIN_BIT) ||
	       (has_cap(eff, CAP_BPF_BIT) && has_cap(eff, CAP_PERFMON_BIT));
}

const char *caps_missing_privileges(void)
{
	static char missing[64];
	uint64_t eff = cap_effective();
	size_t off = 0;

	missing[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(bpf_privileges); i++)
		if (!has_cap(eff, bpf_privileges[i].bit))
			off += snprintf(missing + off, sizeof(missing) - off, "%s%s", off ? ", " : "",
					bpf_privileges[i].name);
	return missing;
}

static bool probe_root(char *why, size_t len)
{
	if (geteuid() == 0) {
		snprintf(why, len, "running as root (uid 0)");
		return true;
	}
	snprintf(why, len, "running as uid %d, not root", (int)geteuid());
	return false;
}

/* P-02: tracing BPF needs CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (5.8+). */
static bool probe_process_caps(char *why, size_t len)
{
	uint64_t eff = cap_effective();
	const char *missing = caps_missing_privileges();
	bool ok = caps_bpf_privileged();

	if (!missing[0])
		snprintf(why, len, "CapEff %016" PRIx64 " has CAP_SYS_ADMIN, CAP_BPF and CAP_PERFMON",
			 eff);
	else
		snprintf(why, len, "CapEff %016" PRIx64 " lacks %s%s", eff, missing,
			 ok ? " (CAP_SYS_ADMIN covers them)" :
			 ": BPF tracing needs CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON");
	return ok;
}

static bool probe_btf(char *why, size_t len)
{
	char buf[16];

	if (read_file("/sys/kernel/btf/vmlinux", buf, sizeof(buf)) > 0) {
		snprintf(why, len, "/sys/kernel/btf/vmlinux is readable");
		return true;
	}
	snprintf(why, len, "/sys/kernel/btf/vmlinux missing or unreadable: no CO-RE, "
		 "no tp_btf (kernel built without CONFIG_DEBUG_INFO_BTF?)");
	return false;
}

/* Where friday mounted tracefs, to unmount it when the run ends. */
static const char *tracefs_mounted_at;

void caps_release(void)
{
	if (!tracefs_mounted_at)
		return;
	if (umount2(tracefs_mounted_at, 0) && umount2(tracefs_mounted_at, MNT_DETACH))
		log_warn("cannot unmount the tracefs friday mounted at %s: %s", tracefs_mounted_at,
			 strerror(errno));
	tracefs_mounted_at = NULL;
}

/* tracefs is needed by classic tracepoints (their ids); mount it when
 * absent, for the run only (caps_release unmounts it). */
static bool probe_tracefs(char *why, size_t len)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char events[64];
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(events, sizeof(events), "%s/events", dirs[i]);
		if (stat(events, &st) == 0) {
			snprintf(why, len, "mounted at %s", dirs[i]);
			return true;
		}
		if (errno == EACCES) {
			snprintf(why, len, "%s is not readable by uid %d (it is root's)", dirs[i],
				 (int)geteuid());
			return false;
		}
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0) {
		tracefs_mounted_at = "/sys/kernel/tracing";
		snprintf(why, len, "was not mounted; friday mounted it at /sys/kernel/tracing for "
			 "the run");
		return true;
	}
	snprintf(why, len, "not mounted, and mounting it failed: %s", strerror(errno));
	return false;
}

static bool probe_cgroup_v2(char *why, size_t len)
{
	static const char *const paths[] = { "/sys/fs/cgroup/cgroup.controllers",
					     "/sys/fs/cgroup/unified/cgroup.controllers" };
	char ctrl[256];

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (read_line(paths[i], ctrl, sizeof(ctrl)) == 0) {
			snprintf(why, len, "%.*s (controllers: %s)",
				 (int)(strlen(paths[i]) - strlen("/cgroup.controllers")), paths[i],
				 ctrl[0] ? ctrl : "none");
			return true;
		}
	}
	snprintf(why, len, "no cgroup2 hierarchy mounted");
	return false;
}

static bool probe_cgroup_v1(char *why, size_t len)
{
	static const char *const ctrls[] = { "cpu", "memory", "blkio", "pids", "cpuset" };
	char path[64];
	size_t off = 0;

	why[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cgroup.procs", ctrls[i]);
		if (path_exists(path) && off < len)
			off += snprintf(why + off, len - off, "%s%s", off ? "," : "controllers: ",
					ctrls[i]);
	}
	if (off)
		return true;
	snprintf(why, len, "no cgroup v1 controllers mounted under /sys/fs/cgroup");
	return false;
}

static bool probe_psi(char *why, size_t len)
{
	char buf[256];

	if (read_file("/proc/pressure/cpu", buf, sizeof(buf)) > 0) {
		snprintf(why, len, "/proc/pressure/{cpu,memory,io} readable");
		return true;
	}
	snprintf(why, len, "/proc/pressure unreadable: %s (CONFIG_PSI off or psi=0 on the "
		 "kernel command line)", strerror(errno));
	return false;
}

static bool probe_lockdown(char *why, size_t len)
{
	char text[128], mode[32];

	if (read_line("/sys/kernel/security/lockdown", text, sizeof(text)) ||
	    sysfs_bracket_choice(text, mode, sizeof(mode))) {
		snprintf(why, len, "no lockdown LSM: tracing is not restricted by lockdown");
		return true;
	}
	if (!strcmp(mode, "none")) {
		snprintf(why, len, "lockdown is [none]");
		return true;
	}
	snprintf(why, len, "lockdown is [%s]: %s", mode,
		 !strcmp(mode, "confidentiality") ?
		 "BPF reading kernel memory, kprobes and tracefs are restricted" :
		 "some tracing features may be restricted");
	return !strcmp(mode, "integrity");
}

/* P-03: what kernel.perf_event_paranoid forbids to a process without
 * CAP_PERFMON (Documentation/admin-guide/sysctl/kernel.rst). */
static const char *paranoid_meaning(int64_t level)
{
	if (level >= 3)
		return "no perf_event_open at all without CAP_PERFMON (Debian's level 3)";
	if (level == 2)
		return "no kernel profiling, no CPU-wide events, no raw tracepoints without CAP_PERFMON";
	if (level == 1)
		return "no CPU-wide events and no raw tracepoints without CAP_PERFMON";
	if (level == 0)
		return "no raw tracepoints without CAP_PERFMON";
	return "no restriction";
}

static bool probe_perf_event_paranoid(char *why, size_t len)
{
	uint64_t eff = cap_effective();
	bool perfmon = has_cap(eff, CAP_PERFMON_BIT) || has_cap(eff, CAP_SYS_ADMIN_BIT);
	int64_t level;
	int err = read_s64("/proc/sys/kernel/perf_event_paranoid", &level);

	if (err) {
		snprintf(why, len, "/proc/sys/kernel/perf_event_paranoid unreadable: %s "
			 "(CONFIG_PERF_EVENTS off?)", strerror(-err));
		return false;
	}
	snprintf(why, len, "%" PRId64 ": %s; %s", level, paranoid_meaning(level),
		 perfmon ? "friday has CAP_PERFMON or CAP_SYS_ADMIN, so it is not limited" :
		 "friday lacks CAP_PERFMON, so this limits it");
	return perfmon || level < 2;
}

/* Who sees real addresses in /proc/kallsyms (kernel/kallsyms.c). */
static const char *kptr_meaning(int64_t level)
{
	if (level >= 2)
		return "2 hides them whatever the privilege";
	if (level == 1)
		return "1 hides them without CAP_SYSLOG";
	return "0 shows them only with CAP_SYSLOG or perf_event_paranoid <= 1";
}

/* P-05: kernel frames resolve to names only when /proc/kallsyms shows
 * real addresses to this process; tried by reading it, not inferred. */
static bool probe_kptr_restrict(char *why, size_t len)
{
	char line[128];
	int64_t level = -1;
	unsigned long long addr = 0;

	read_s64("/proc/sys/kernel/kptr_restrict", &level);
	if (read_line("/proc/kallsyms", line, sizeof(line)) || sscanf(line, "%llx", &addr) != 1) {
		snprintf(why, len, "kptr_restrict %" PRId64 ", /proc/kallsyms unreadable", level);
		return false;
	}
	if (!addr) {
		snprintf(why, len, "kptr_restrict %" PRId64 ": /proc/kallsyms shows zero addresses to "
			 "this process (%s)", level, kptr_meaning(level));
		return false;
	}
	snprintf(why, len, "kptr_restrict %" PRId64 ": /proc/kallsyms shows real addresses to this "
		 "process, kernel frames resolve to names", level);
	return true;
}

const struct capability capability_table[] = {
	{ "root", "running as root", "friday runs the steps that need no privilege; BPF steps are "
	  "unavailable", probe_root, NULL },
	{ "process_caps", "CAP_SYS_ADMIN, CAP_BPF and CAP_PERFMON in this process's CapEff",
	  "re-run as root (sudo friday ...) or grant the missing capabilities", probe_process_caps, NULL },
	{ "btf", "kernel BTF at /sys/kernel/btf/vmlinux (CO-RE, tp_btf)",
	  "BTF-based programs (tp_btf, fentry, task storage) are unavailable", probe_btf, NULL },
	{ "tracefs", "tracefs mounted (mounted by friday when absent)",
	  "classic tracepoints are unavailable; friday uses tp_btf or raw_tp", probe_tracefs, NULL },
	{ "tracepoint", "classic tracepoints (perf_event + tracefs id), tried on sched_switch",
	  "friday uses tp_btf or raw_tp instead", NULL, &trial_tracepoint },
	{ "tp_btf", "BTF-typed tracepoints (tp_btf), tried on sched_switch",
	  "friday uses raw_tp, then classic tracepoints, instead", NULL, &trial_tp_btf },
	{ "raw_tp", "raw tracepoints (raw_tp), tried on sched_switch",
	  "friday uses tp_btf or classic tracepoints instead", NULL, &trial_raw_tp },
	{ "fentry", "fentry/fexit BPF trampolines, tried on vfs_read",
	  "friday uses tracepoints instead", NULL, &trial_fentry },
	{ "kprobe", "kprobes, tried on vfs_read",
	  "friday uses tracepoints instead; probes that only kprobes can place are unavailable",
	  NULL, &trial_kprobe },
	{ "uprobe", "uprobes, tried on a function of friday's own binary",
	  "user-space function tracing (e.g. slow DNS lookups) is unavailable", NULL, &trial_uprobe },
	{ "perf_sampling", "perf_event software CPU-clock sampling with a BPF program",
	  "no CPU profiles or flame graphs; CPU verdicts rest on /proc and scheduler tracepoints",
	  NULL, &trial_perf_sampling },
	{ "hw_counters", "hardware counters (PERF_COUNT_HW_CPU_CYCLES)",
	  "no IPC or cycle figures; friday reports CPU time from software clocks instead",
	  probe_hw_counters, NULL },
	{ "ringbuf", "BPF ring buffer, reserved from a program and read back",
	  "per-event streams (signals, exits, slow calls) are unavailable; in-kernel histograms "
	  "still work", NULL, &trial_ringbuf },
	{ "bpf_stats", "BPF run-time stats (BPF_ENABLE_STATS), run_cnt read back",
	  "the overhead section has no per-collector BPF run time", NULL, &trial_bpf_stats },
	{ "task_storage", "BPF task-local storage from a tp_btf program",
	  "per-task state must live in pid-keyed hash maps", NULL, &trial_task_storage },
	{ "stack_trace", "stack traces (bpf_get_stackid into a stack map) from a CPU sample",
	  "no flame graphs and no off-CPU stacks", NULL, &trial_stack_trace },
	{ "lock_contention", "the lock:contention_begin tracepoint, tried by attaching",
	  "kernel lock contention is not measured (locks verdict stays unknown)", NULL,
	  &trial_lock_contention },
	{ "perf_event_paranoid", "kernel.perf_event_paranoid lets friday profile the kernel",
	  "run as root, or lower kernel.perf_event_paranoid", probe_perf_event_paranoid, NULL },
	{ "kptr_restrict", "kernel.kptr_restrict lets friday read kernel symbol addresses",
	  "kernel frames stay addresses, not names", probe_kptr_restrict, NULL },
	{ "cgroup_v1", "cgroup v1 controllers", "no per-cgroup v1 figures", probe_cgroup_v1, NULL },
	{ "cgroup_v2", "cgroup v2 hierarchy", "no per-cgroup v2 figures", probe_cgroup_v2, NULL },
	{ "psi", "pressure stall information (/proc/pressure)",
	  "friday judges saturation from run queues and vmstat instead", probe_psi, NULL },
	{ "lockdown", "kernel lockdown does not block tracing",
	  "BPF tracing that reads kernel memory is unavailable", probe_lockdown, NULL },
	{ NULL },
};

/* One row's trial and its outcome. BPF trials run each in a thread of its
 * own: most of a trial is waiting for the kernel (RCU grace periods when a
 * tracepoint or uprobe is attached or detached), so running them side by
 * side takes the time of the slowest one rather than of all of them. */
struct probe_job {
	const struct capability *c;
	pthread_t thread;
	bool threaded, tried, ok;
	double elapsed_ms;
	char why[768];
};

static void probe_one(struct probe_job *j)
{
	char got[384];
	double t0 = now_mono_s();

	j->ok = j->c->probe ? j->c->probe(got, sizeof(got)) :
			      bpf_trial_run(j->c->trial, got, sizeof(got));
	j->elapsed_ms = (now_mono_s() - t0) * 1e3;
	if (j->ok)
		snprintf(j->why, sizeof(j->why), "%s", got);
	else
		snprintf(j->why, sizeof(j->why), "%s; %s", got, j->c->instead);
	j->tried = true;
}

static void *probe_thread(void *arg)
{
	probe_one(arg);
	return NULL;
}

/* Starts the row: a BPF trial in a thread (signals stay with the main
 * thread), anything else here and now, in table order, so tracefs is
 * mounted before the tracepoint trial needs it. */
static void probe_start(struct probe_job *j)
{
	sigset_t all, old;

	if (j->c->trial) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		j->threaded = pthread_create(&j->thread, NULL, probe_thread, j) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (j->threaded)
			return;
	}
	probe_one(j);
}

int caps_probe_all(struct report *r, uint64_t deadline_ns, size_t *nr_tried)
{
	struct probe_job jobs[64];
	size_t i, n = 0, started;
	int nr_ok = 0;

	memset(jobs, 0, sizeof(jobs));
	while (capability_table[n].name)
		n++;
	if (n > ARRAY_SIZE(jobs))
		n = ARRAY_SIZE(jobs);
	for (i = 0; i < n; i++)
		jobs[i].c = &capability_table[i];
	for (started = 0; started < n; started++) {
		if (deadline_ns && now_mono_ns() > deadline_ns)
			break;
		probe_start(&jobs[started]);
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].threaded)
			pthread_join(jobs[i].thread, NULL);
		/* An untried row is left out: "no" would be a claim nobody
		 * tested, and collectors treat a missing row as "try it". */
		if (!jobs[i].tried)
			continue;
		log_info("caps: %s tried in %.1f ms", jobs[i].c->name, jobs[i].elapsed_ms);
		report_set_capability(r, jobs[i].c->name, jobs[i].ok, jobs[i].why);
		nr_ok += jobs[i].ok;
	}
	if (nr_tried)
		*nr_tried = started;
	return nr_ok;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (verbose_level < 1 || (level == LIBBPF_DEBUG && verbose_level < 2))
		return 0;
	fprintf(stderr, "friday: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void libbpf_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}
