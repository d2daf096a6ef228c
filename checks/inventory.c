/* inventory.c: ST-00, what this host is: name, kernel, CPUs, memory,
 * virtualization, boot command line. It goes into report.host and answers
 * the problem statement's "what is the environment?". */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "checks/check.h"
#include "checks/monday.h"
#include "lib/util.h"

static void host_virtualization(char *out, size_t len)
{
	char cpuinfo[65536];

	if (read_line("/sys/hypervisor/type", out, len) == 0 && out[0])
		return;
	if (read_file("/proc/cpuinfo", cpuinfo, sizeof(cpuinfo)) > 0 && strstr(cpuinfo, " hypervisor"))
		snprintf(out, len, "guest (hypervisor flag)");
	else
		snprintf(out, len, "none detected");
}

void inventory_fill(struct report *r)
{
	json_t *host = report_get(r, "host"), *tool = report_get(r, "tool");
	char hostname[256] = "unknown", virt[128], cmdline[4096] = "", product[256] = "";
	struct utsname u;
	struct sysinfo si;

	gethostname(hostname, sizeof(hostname) - 1);
	uname(&u);
	sysinfo(&si);
	host_virtualization(virt, sizeof(virt));
	read_line("/proc/cmdline", cmdline, sizeof(cmdline));
	read_line("/sys/class/dmi/id/product_name", product, sizeof(product));

	json_object_set_new(tool, "name", json_string("friday"));
	json_object_set_new(tool, "version", json_string(FRIDAY_VERSION));
	json_object_set_new(host, "hostname", json_string(hostname));
	json_object_set_new(host, "kernel", json_string(u.release));
	json_object_set_new(host, "kernel_version", json_string(u.version));
	json_object_set_new(host, "machine", json_string(u.machine));
	json_object_set_new(host, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(host, "cpus_configured", json_integer(sysconf(_SC_NPROCESSORS_CONF)));
	json_object_set_new(host, "memory_bytes", json_integer((json_int_t)si.totalram * si.mem_unit));
	json_object_set_new(host, "uptime_s", json_integer(si.uptime));
	json_object_set_new(host, "virtualization", json_string(virt));
	json_object_set_new(host, "product", json_string(product));
	json_object_set_new(host, "cmdline", json_string(cmdline));
}

enum step_status step_inventory(struct step_ctx *ctx)
{
	inventory_fill(ctx->report);
	return STEP_OK;
}

enum step_status step_static_checks(struct step_ctx *ctx)
{
	struct check_ctx cc = { .report = ctx->report, .opts = ctx->opts, .root = "" };

	int nr = run_checks(&cc, CHECKS_STATIC);

	snprintf(ctx->reason, sizeof(ctx->reason), "%d checks", nr);
	return STEP_OK;
}

/* ERR-01..13: the kernel log and error counters. The step is ok when the
 * log was read; unavailable (with the reason) when it could not be. */
enum step_status step_past_errors(struct step_ctx *ctx)
{
	struct check_ctx cc = { .report = ctx->report, .opts = ctx->opts, .root = "" };
	json_t *log = report_get(ctx->report, "checks"), *row;
	size_t before = json_array_size(log);

	run_checks(&cc, CHECKS_PAST_ERRORS);
	for (size_t i = before; (row = json_array_get(log, i)); i++) {
		if (strcmp(json_string_value(json_object_get(row, "id")), "ERR-01..13"))
			continue;
		snprintf(ctx->reason, sizeof(ctx->reason), "%s",
			 json_string_value(json_object_get(row, "reason")));
		if (strcmp(json_string_value(json_object_get(row, "result")), "ran"))
			return STEP_UNAVAILABLE;
	}
	return STEP_OK;
}
