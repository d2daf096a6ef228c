/* caps.c: the capability table and the trials behind it (see caps.h). */
#include "bpf/caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static bool probe_root(char *why, size_t len)
{
	if (geteuid() == 0) {
		snprintf(why, len, "running as root");
		return true;
	}
	snprintf(why, len, "not root: BPF collectors need root (or CAP_BPF, CAP_PERFMON and "
		 "CAP_SYS_ADMIN); static checks still run");
	return false;
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

/* tracefs is needed by classic tracepoints (their ids); mount it when absent. */
static bool probe_tracefs(char *why, size_t len)
{
	if (path_exists("/sys/kernel/tracing/events")) {
		snprintf(why, len, "mounted at /sys/kernel/tracing");
		return true;
	}
	if (path_exists("/sys/kernel/debug/tracing/events")) {
		snprintf(why, len, "mounted at /sys/kernel/debug/tracing");
		return true;
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0) {
		snprintf(why, len, "was not mounted; friday mounted it at /sys/kernel/tracing");
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

const struct capability capability_table[] = {
	{ "root", "running as root (or with CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN)", probe_root },
	{ "btf", "kernel BTF at /sys/kernel/btf/vmlinux (CO-RE, tp_btf)", probe_btf },
	{ "tracefs", "tracefs mounted (mounted by friday when absent)", probe_tracefs },
	{ "cgroup_v1", "cgroup v1 controllers", probe_cgroup_v1 },
	{ "cgroup_v2", "cgroup v2 hierarchy", probe_cgroup_v2 },
	{ "psi", "pressure stall information (/proc/pressure)", probe_psi },
	{ "lockdown", "kernel lockdown does not block tracing", probe_lockdown },
	{ NULL },
};

int caps_probe_all(struct report *r)
{
	int nr_ok = 0;

	for (size_t i = 0; capability_table[i].name; i++) {
		char why[512] = "";
		bool ok = capability_table[i].probe(why, sizeof(why));

		report_set_capability(r, capability_table[i].name, ok, why);
		nr_ok += ok;
	}
	return nr_ok;
}
