/* static_mem.c: Monday's static checks of memory (ST-MEM-xx, ST-FS-01's
 * dirty writeback, ERR-06's EDAC counters): THP, swap, overcommit, NUMA,
 * zone reclaim, reclaim headroom, huge page pool, dirty ratios and ECC.
 * /proc/meminfo and /proc/vmstat go through lib/procfs; cgroup memory
 * limits are in static_cgroup.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/static_impl.h"
#include "lib/procfs.h"
#include "lib/util.h"

/* meminfo or vmstat of the context's root; NULL with a reason. */
static char *proc_text(struct check_ctx *ctx, const char *name, char *reason, size_t len)
{
	char *text = procfs_read_alloc(ctx->root ? ctx->root : "", name);

	if (!text)
		snprintf(reason, len, "cannot read /proc/%s: %s", name, strerror(errno));
	return text;
}

CHECK_FN(check_thp)
{
	char text[128], enabled[32] = "", defrag[32] = "";

	if (ck_line(ctx, "/sys/kernel/mm/transparent_hugepage/enabled", text, sizeof(text)) ||
	    sysfs_bracket_choice(text, enabled, sizeof(enabled))) {
		snprintf(reason, len, "no transparent_hugepage in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	if (!ck_line(ctx, "/sys/kernel/mm/transparent_hugepage/defrag", text, sizeof(text)))
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

CHECK_FN(check_swappiness)
{
	char *swaps;
	int64_t swappiness;
	int nr_swaps = 0;

	if (ck_need_s64(ctx, "/proc/sys/vm/swappiness", &swappiness, reason, len))
		return CHECK_NOT_APPLICABLE;
	swaps = ck_alloc(ctx, "/proc/swaps");
	/* The first line is the header; each further line is a swap area. */
	for (char *s = swaps ? strchr(swaps, '\n') : NULL; s && s[1]; s = strchr(s + 1, '\n'))
		nr_swaps++;
	free(swaps);
	if (swappiness >= 60 && nr_swaps > 0)
		report_add_finding(ctx->report, "memory.swappiness_high", SEV_INFO,
				   json_pack("{s:I, s:i, s:s}", "swappiness", (json_int_t)swappiness,
					     "swap_devices", nr_swaps, "reference", "Netflix 0, TuneD 10"),
				   "vm.swappiness is %lld with %d swap device(s) active: the kernel "
				   "swaps anonymous memory readily, which hurts latency-sensitive servers.",
				   (long long)swappiness, nr_swaps);
	return CHECK_RAN;
}

CHECK_FN(check_swap_in_use)
{
	uint64_t swap_total, swap_free, avail, total;
	char *mi = proc_text(ctx, "meminfo", reason, len);
	int err;

	if (!mi)
		return CHECK_NOT_APPLICABLE;
	err = procfs_kv_get(mi, "SwapTotal", &swap_total) || procfs_kv_get(mi, "SwapFree", &swap_free) ||
	      procfs_kv_get(mi, "MemAvailable", &avail) || procfs_kv_get(mi, "MemTotal", &total);
	free(mi);
	if (err || total == 0 || swap_free > swap_total) {
		snprintf(reason, len, "/proc/meminfo lacks SwapTotal, SwapFree, MemAvailable or MemTotal");
		return CHECK_NOT_APPLICABLE;
	}
	if (swap_total && (swap_total - swap_free) * 10 > swap_total && avail * 2 > total)
		report_add_finding(ctx->report, "memory.swap_in_use", SEV_WARNING,
			json_pack("{s:I, s:I, s:I, s:I}", "swap_used_kb", (json_int_t)(swap_total - swap_free),
				  "swap_total_kb", (json_int_t)swap_total, "mem_available_kb", (json_int_t)avail,
				  "mem_total_kb", (json_int_t)total),
			"%llu MiB of swap is in use while %llu%% of memory is available: pages were "
			"pushed out earlier and will fault back in slowly when touched.",
			(unsigned long long)(swap_total - swap_free) / 1024,
			(unsigned long long)(avail * 100 / total));
	return CHECK_RAN;
}

CHECK_FN(check_overcommit)
{
	uint64_t limit_kb = 0, committed_kb = 0;
	int64_t mode;
	char *mi;

	if (ck_need_s64(ctx, "/proc/sys/vm/overcommit_memory", &mode, reason, len))
		return CHECK_NOT_APPLICABLE;
	if (mode != 2)
		return CHECK_RAN;
	mi = procfs_read_alloc(ctx->root ? ctx->root : "", "meminfo");
	if (mi) {
		procfs_kv_get(mi, "CommitLimit", &limit_kb);
		procfs_kv_get(mi, "Committed_AS", &committed_kb);
		free(mi);
	}
	if (limit_kb && committed_kb * 100 >= limit_kb * 95)
		report_add_finding(ctx->report, "memory.overcommit_never", SEV_CRITICAL,
			json_pack("{s:i, s:I, s:I, s:i}", "overcommit_memory", 2,
				  "committed_as_kb", (json_int_t)committed_kb, "commit_limit_kb", (json_int_t)limit_kb,
				  "threshold_pct", 95),
			"vm.overcommit_memory=2 and %llu%% of the commit limit is committed: "
			"fork() and malloc() are about to fail with ENOMEM.",
			(unsigned long long)(committed_kb * 100 / limit_kb));
	else
		report_add_finding(ctx->report, "memory.overcommit_never", SEV_WARNING,
			json_pack("{s:i, s:I, s:I}", "overcommit_memory", 2,
				  "committed_as_kb", (json_int_t)committed_kb, "commit_limit_kb", (json_int_t)limit_kb),
			"vm.overcommit_memory=2 (never overcommit): allocations fail with ENOMEM "
			"once Committed_AS reaches CommitLimit (%llu MiB).",
			(unsigned long long)limit_kb / 1024);
	return CHECK_RAN;
}

CHECK_FN(check_numa_balancing)
{
	char nodes[64][CK_NAME_LEN], path[160];
	int nr = ck_dir_names(ctx, "/sys/devices/system/node", "node", true, nodes, 64);
	int64_t balancing = 0, hit, miss, sum_hit = 0, sum_miss = 0;

	if (nr <= 0) {
		snprintf(reason, len, "no NUMA nodes in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	for (int i = 0; i < nr; i++) {
		char *stat;

		snprintf(path, sizeof(path), "/sys/devices/system/node/%.64s/numastat", nodes[i]);
		stat = ck_alloc(ctx, path);
		if (stat && !keyed_get(stat, "numa_hit", &hit) && !keyed_get(stat, "numa_miss", &miss)) {
			sum_hit += hit;
			sum_miss += miss;
		}
		free(stat);
	}
	if (nr < 2)
		return CHECK_RAN;  /* one node: nothing is remote */
	ck_s64(ctx, "/proc/sys/kernel/numa_balancing", &balancing);
	if (sum_hit > 0 && sum_miss * 10 > sum_hit)
		report_add_finding(ctx->report, "memory.numa_misses", SEV_WARNING,
			json_pack("{s:i, s:I, s:I, s:I}", "nodes", nr, "numa_hit", (json_int_t)sum_hit,
				  "numa_miss", (json_int_t)sum_miss, "numa_balancing", (json_int_t)balancing),
			"%lld%% of page allocations since boot missed their preferred NUMA node: "
			"remote memory costs latency.", (long long)(sum_miss * 100 / sum_hit));
	if (balancing > 0)
		report_add_finding(ctx->report, "memory.numa_balancing_on", SEV_INFO,
			json_pack("{s:i, s:I, s:s}", "nodes", nr, "numa_balancing", (json_int_t)balancing,
				  "reference", "0 (Netflix, TuneD network-latency) when tasks are bound to nodes"),
			"Automatic NUMA balancing is on across %d nodes: its page scans and "
			"migrations cost overhead, and it should be off for workloads already bound "
			"to nodes.", nr);
	return CHECK_RAN;
}

CHECK_FN(check_zone_reclaim)
{
	int64_t mode;

	if (ck_need_s64(ctx, "/proc/sys/vm/zone_reclaim_mode", &mode, reason, len))
		return CHECK_NOT_APPLICABLE;
	if (mode != 0)
		report_add_finding(ctx->report, "memory.zone_reclaim_on", SEV_WARNING,
			json_pack("{s:I, s:i}", "zone_reclaim_mode", (json_int_t)mode, "reference", 0),
			"vm.zone_reclaim_mode is %lld: the kernel reclaims node-local memory, page "
			"cache included, before allocating on another node. vm.rst: leave it off "
			"where caching matters more than locality.", (long long)mode);
	return CHECK_RAN;
}

CHECK_FN(check_reclaim_headroom)
{
	static const char *const direct[] = { "pgscan_direct", "pgscan_direct_throttle" };
	static const char *const kswapd[] = { "pgscan_kswapd" };
	static const char *const allocstalls[] = { "allocstall", "allocstall_dma", "allocstall_dma32",
						    "allocstall_normal", "allocstall_movable",
						    "allocstall_device" };
	uint64_t v, scan_direct = 0, scan_kswapd = 0, allocstall = 0;
	int64_t min_free_kb = -1, wsf = -1;
	char *vm = proc_text(ctx, "vmstat", reason, len);
	bool have = false;

	if (!vm)
		return CHECK_NOT_APPLICABLE;
	for (size_t i = 0; i < ARRAY_SIZE(direct); i++)
		if (!procfs_kv_get(vm, direct[i], &v))
			scan_direct += v, have = true;
	for (size_t i = 0; i < ARRAY_SIZE(kswapd); i++)
		if (!procfs_kv_get(vm, kswapd[i], &v))
			scan_kswapd += v;
	/* allocstall was split per zone in 4.x: sum what is there. */
	for (size_t i = 0; i < ARRAY_SIZE(allocstalls); i++)
		if (!procfs_kv_get(vm, allocstalls[i], &v))
			allocstall += v;
	free(vm);
	if (!have) {
		snprintf(reason, len, "/proc/vmstat has no pgscan_direct");
		return CHECK_NOT_APPLICABLE;
	}
	ck_s64(ctx, "/proc/sys/vm/min_free_kbytes", &min_free_kb);
	ck_s64(ctx, "/proc/sys/vm/watermark_scale_factor", &wsf);
	if (scan_direct > 0 && scan_direct * 10 > scan_direct + scan_kswapd)
		report_add_finding(ctx->report, "memory.direct_reclaim", SEV_WARNING,
			json_pack("{s:I, s:I, s:I, s:I, s:I}", "pgscan_direct", (json_int_t)scan_direct,
				  "pgscan_kswapd", (json_int_t)scan_kswapd, "allocstall", (json_int_t)allocstall,
				  "min_free_kbytes", (json_int_t)min_free_kb,
				  "watermark_scale_factor", (json_int_t)wsf),
			"%llu%% of page scans since boot were direct reclaim (allocstall %llu): "
			"application threads stalled reclaiming memory themselves, so kswapd's "
			"headroom is too small for the allocation bursts.",
			(unsigned long long)(scan_direct * 100 / (scan_direct + scan_kswapd)),
			(unsigned long long)allocstall);
	return CHECK_RAN;
}

CHECK_FN(check_hugepage_pool)
{
	uint64_t total_pages, free_pages, size_kb, mem_kb;
	char *mi = proc_text(ctx, "meminfo", reason, len);
	int err;

	if (!mi)
		return CHECK_NOT_APPLICABLE;
	err = procfs_kv_get(mi, "HugePages_Total", &total_pages) ||
	      procfs_kv_get(mi, "HugePages_Free", &free_pages) ||
	      procfs_kv_get(mi, "Hugepagesize", &size_kb) || procfs_kv_get(mi, "MemTotal", &mem_kb);
	free(mi);
	if (err || !mem_kb) {
		snprintf(reason, len, "/proc/meminfo has no HugePages_* lines");
		return CHECK_NOT_APPLICABLE;
	}
	if (free_pages * size_kb * 4 > mem_kb)
		report_add_finding(ctx->report, "memory.hugepages_unused", SEV_INFO,
			json_pack("{s:I, s:I, s:I, s:I}", "hugepages_total", (json_int_t)total_pages,
				  "hugepages_free", (json_int_t)free_pages, "hugepagesize_kb", (json_int_t)size_kb,
				  "mem_total_kb", (json_int_t)mem_kb),
			"%llu MiB of reserved huge pages are free (%llu%% of RAM): stranded from the "
			"page cache unless an application maps them.",
			(unsigned long long)(free_pages * size_kb / 1024),
			(unsigned long long)(free_pages * size_kb * 100 / mem_kb));
	return CHECK_RAN;
}

CHECK_FN(check_dirty_ratios)
{
	int64_t ratio, bg_ratio = -1, bytes = 0, bg_bytes = 0;
	uint64_t mem_kb = 0;
	char *mi;

	if (ck_need_s64(ctx, "/proc/sys/vm/dirty_ratio", &ratio, reason, len))
		return CHECK_NOT_APPLICABLE;
	ck_s64(ctx, "/proc/sys/vm/dirty_background_ratio", &bg_ratio);
	ck_s64(ctx, "/proc/sys/vm/dirty_bytes", &bytes);
	ck_s64(ctx, "/proc/sys/vm/dirty_background_bytes", &bg_bytes);
	mi = procfs_read_alloc(ctx->root ? ctx->root : "", "meminfo");
	if (mi)
		procfs_kv_get(mi, "MemTotal", &mem_kb);
	free(mi);
	/* dirty_bytes, when set, replaces the ratio: compare it as a ratio. */
	if (bytes > 0 && mem_kb)
		ratio = bytes / 1024 * 100 / (int64_t)mem_kb;
	if (ratio >= 40)
		report_add_finding(ctx->report, "filesystem.dirty_ratio_high", SEV_INFO,
			json_pack("{s:I, s:I, s:I, s:I, s:s}", "dirty_ratio_effective_pct", (json_int_t)ratio,
				  "dirty_background_ratio", (json_int_t)bg_ratio, "dirty_bytes", (json_int_t)bytes,
				  "dirty_background_bytes", (json_int_t)bg_bytes,
				  "reference", "20/10 default, 40/10 TuneD throughput, 10/3 TuneD latency"),
			"Up to %lld%% of memory may be dirty before writers are throttled: "
			"flushes come in large bursts and a writer that hits the limit waits long.",
			(long long)ratio);
	return CHECK_RAN;
}

CHECK_FN(check_edac)
{
	char mcs[64][CK_NAME_LEN], path[160];
	int nr = ck_dir_names(ctx, "/sys/devices/system/edac/mc", "mc", true, mcs, 64);
	int64_t ce = 0, ue = 0, v;
	json_t *per_mc = json_object();

	if (nr <= 0) {
		json_decref(per_mc);
		snprintf(reason, len, "no EDAC memory controllers in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	for (int i = 0; i < nr; i++) {
		int64_t mc_ce = 0, mc_ue = 0;

		snprintf(path, sizeof(path), "/sys/devices/system/edac/mc/%.64s/ce_count", mcs[i]);
		if (!ck_s64(ctx, path, &v))
			mc_ce = v;
		snprintf(path, sizeof(path), "/sys/devices/system/edac/mc/%.64s/ue_count", mcs[i]);
		if (!ck_s64(ctx, path, &v))
			mc_ue = v;
		if (mc_ce || mc_ue)
			json_object_set_new(per_mc, mcs[i], json_pack("{s:I, s:I}", "ce_count", (json_int_t)mc_ce,
								      "ue_count", (json_int_t)mc_ue));
		ce += mc_ce;
		ue += mc_ue;
	}
	if (ue > 0 || ce > 0)
		report_add_finding(ctx->report, "memory.ecc_errors", ue > 0 ? SEV_CRITICAL : SEV_WARNING,
			json_pack("{s:o, s:I, s:I}", "controllers", per_mc, "ce_total", (json_int_t)ce,
				  "ue_total", (json_int_t)ue),
			"EDAC counted %lld corrected and %lld uncorrected memory error(s) since boot%s.",
			(long long)ce, (long long)ue,
			ue > 0 ? ": uncorrected errors corrupt data or kill processes" : "");
	else
		json_decref(per_mc);
	return CHECK_RAN;
}
