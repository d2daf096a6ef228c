/* static.c: the table of Monday's static checks and the runner that walks
 * it. Each check is one short function; the rules' sources are in the
 * table and in METHODOLOGY.md. */
#include "checks/check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

const char *check_path(const struct check_ctx *ctx, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", ctx->root ? ctx->root : "", path);
	return buf;
}

static int check_read_line(const struct check_ctx *ctx, const char *path, char *buf, size_t len)
{
	char p[512];

	return read_line(check_path(ctx, path, p, sizeof(p)), buf, len);
}

static enum check_result check_thp(struct check_ctx *ctx, char *reason, size_t len)
{
	char text[128], enabled[32] = "", defrag[32] = "";

	if (check_read_line(ctx, "/sys/kernel/mm/transparent_hugepage/enabled", text, sizeof(text)) ||
	    sysfs_bracket_choice(text, enabled, sizeof(enabled))) {
		snprintf(reason, len, "no transparent_hugepage in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	if (!check_read_line(ctx, "/sys/kernel/mm/transparent_hugepage/defrag", text, sizeof(text)))
		sysfs_bracket_choice(text, defrag, sizeof(defrag));
	if (!strcmp(enabled, "always") || !strcmp(defrag, "always"))
		report_add_finding(ctx->report, "memory.thp_always", SEV_WARNING,
				   json_pack("{s:s, s:s, s:s}", "enabled", enabled, "defrag", defrag,
					     "reference", "madvise (Netflix 2017), never (TuneD network-latency)"),
				   "Transparent huge pages: enabled=[%s], defrag=[%s]. With [always], "
				   "allocations can stall in direct compaction and reclaim, adding latency.",
				   enabled, defrag);
	return CHECK_RAN;
}

static enum check_result check_swappiness(struct check_ctx *ctx, char *reason, size_t len)
{
	char text[32], swaps[4096], p[512];
	long swappiness;
	int nr_swaps = 0;

	if (check_read_line(ctx, "/proc/sys/vm/swappiness", text, sizeof(text))) {
		snprintf(reason, len, "no /proc/sys/vm/swappiness");
		return CHECK_NOT_APPLICABLE;
	}
	swappiness = strtol(text, NULL, 10);
	if (read_file(check_path(ctx, "/proc/swaps", p, sizeof(p)), swaps, sizeof(swaps)) > 0)
		for (char *s = strchr(swaps, '\n'); s && s[1]; s = strchr(s + 1, '\n'))
			nr_swaps++;
	if (swappiness >= 60 && nr_swaps > 0)
		report_add_finding(ctx->report, "memory.swappiness_high", SEV_INFO,
				   json_pack("{s:I, s:i, s:s}", "swappiness", (json_int_t)swappiness,
					     "swap_devices", nr_swaps, "reference", "Netflix 0, TuneD 10"),
				   "vm.swappiness is %ld with %d swap device(s) active: the kernel "
				   "swaps anonymous memory readily, which hurts latency-sensitive servers.",
				   swappiness, nr_swaps);
	return CHECK_RAN;
}

static enum check_result check_ip_forward(struct check_ctx *ctx, char *reason, size_t len)
{
	char text[32];

	if (check_read_line(ctx, "/proc/sys/net/ipv4/ip_forward", text, sizeof(text))) {
		snprintf(reason, len, "no /proc/sys/net/ipv4/ip_forward");
		return CHECK_NOT_APPLICABLE;
	}
	if (atoi(text) == 1)
		report_add_finding(ctx->report, "network.ip_forwarding", SEV_INFO,
				   json_pack("{s:i}", "ip_forward", 1),
				   "IP forwarding is on: this host routes packets. That is right for "
				   "a router or a container host, and a mistake on a plain server.");
	return CHECK_RAN;
}

const struct check static_checks[] = {
	{ "ST-MEM-01", "Transparent huge pages",
	  "/sys/kernel/mm/transparent_hugepage/{enabled,defrag}",
	  "enabled or defrag = [always] -> warning", "METHODOLOGY ST-MEM-01 [S11, S12, S21]",
	  check_thp },
	{ "ST-MEM-02", "Swap configuration", "/proc/sys/vm/swappiness, /proc/swaps",
	  "swappiness >= 60 with swap active -> info", "METHODOLOGY ST-MEM-02 [S11, S12, S15]",
	  check_swappiness },
	{ "ST-NET-08", "IP forwarding", "/proc/sys/net/ipv4/ip_forward",
	  "1 on a non-router -> info (a container host forwards by design)",
	  "METHODOLOGY ST-NET-08 [S8 2.5.17]", check_ip_forward },
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

int run_static_checks(struct check_ctx *ctx)
{
	json_t *log = report_get(ctx->report, "checks");

	for (size_t i = 0; static_checks[i].id; i++) {
		const struct check *c = &static_checks[i];
		size_t before = json_array_size(report_get(ctx->report, "findings"));
		char reason[256] = "";
		enum check_result res = c->run(ctx, reason, sizeof(reason));
		size_t found = json_array_size(report_get(ctx->report, "findings")) - before;

		json_array_append_new(log, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
			"id", c->id, "title", c->title, "reads", c->reads, "rule", c->rule,
			"source", c->source, "result", check_result_names[res],
			"reason", reason, "findings", (int)found));
	}
	return 0;
}
