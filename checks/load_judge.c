/* load_judge.c: the judging half of Monday's load snapshot (see load.h).
 * Each rule reads report.load, never /proc, and adds findings of the table
 * in checks/load_findings.c with their evidence: the figures, the threshold
 * and its source. Thresholds are data, in one table, with the METHODOLOGY.md
 * id they come from; [heur] marks the ones METHODOLOGY itself picked. The
 * rules are quiet on an idle host: every threshold is a level of load, never
 * "any non-zero" of a counter an idle host ticks. */
#include "checks/load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "lib/util.h"

struct threshold {
	const char *name;
	double value;
	const char *rule;      /* in words, for the evidence */
	const char *source;
};

enum {
	TH_RUNQ_SUSTAINED, TH_SYS, TH_STEAL_WARN, TH_STEAL_CRIT, TH_HOT_CPU, TH_HOT_MEAN,
	TH_LOAD_AVG, TH_CPU_PSI, TH_SWAP_SUSTAINED, TH_MEM_AVAIL, TH_MEM_PSI_SOME,
	TH_MEM_PSI_FULL, TH_DISK_UTIL, TH_DISK_UTIL_SAT, TH_DISK_AQU, TH_DISK_R_AWAIT,
	TH_DISK_MIN_READS, TH_IO_PSI_FULL, TH_RETRANS_SUSTAINED, TH_RETRANS_PCT,
	TH_RETRANS_MIN_SEGS, TH_SUSTAINED, TH_MIN_SAMPLES, TH_STEAL_SUSTAINED,
};

static const struct threshold thresholds[] = {
	[TH_RUNQ_SUSTAINED] = { "runq_sustained_fraction", 0.5,
		"procs_running > CPUs in at least half the samples (5 of 10) -> critical",
		"METHODOLOGY T60-03 [S5, S15 proc.rst]; 5 of 10 [heur]" },
	[TH_SYS] = { "sys_pct", 20, "vmstat sy (sys+irq+softirq) > 20% of CPU time -> warning",
		"METHODOLOGY T60-05 [S5]" },
	[TH_STEAL_WARN] = { "steal_pct", 1,
		"steal >= 1% over the window and > 0 in at least half the intervals -> warning",
		"METHODOLOGY T60-06 [S5]; 1% floor for 'sustained' [heur]" },
	[TH_STEAL_CRIT] = { "steal_critical_pct", 10, "steal > 10% -> critical",
		"METHODOLOGY T60-06 [heur]" },
	[TH_HOT_CPU] = { "hot_cpu_util_pct", 90, "one CPU > 90% busy while the mean < 50%",
		"METHODOLOGY T60-09 [S5; heur]" },
	[TH_HOT_MEAN] = { "mean_util_pct", 50, "mean of all CPUs < 50%", "METHODOLOGY T60-09 [heur]" },
	[TH_LOAD_AVG] = { "load_avg_per_cpu", 1, "1-minute load average > CPU count -> info",
		"METHODOLOGY T60-01 [S5, S16]" },
	[TH_CPU_PSI] = { "cpu_some_pct", 10, "PSI cpu some > 10% of the window -> info",
		"METHODOLOGY USE-CPU-S, USE-PSI [S15 psi.rst]; 10% [heur]" },
	[TH_SWAP_SUSTAINED] = { "swap_sustained_fraction", 0.5,
		"si or so > 0 -> warning; in at least half the intervals -> critical",
		"METHODOLOGY T60-08 [S5]; half the intervals [heur]" },
	[TH_MEM_AVAIL] = { "available_pct", 10, "MemAvailable < 10% of MemTotal -> warning",
		"METHODOLOGY USE-MEM-U [heur]" },
	[TH_MEM_PSI_SOME] = { "memory_some_pct", 15, "PSI memory some >= 15% of the window -> warning",
		"METHODOLOGY USE-PSI [S15 psi.rst: 150 ms per 1 s]" },
	[TH_MEM_PSI_FULL] = { "memory_full_sustained_fraction", 0.5,
		"PSI memory full > 0 in at least half the intervals -> warning (thrashing)",
		"METHODOLOGY USE-PSI [S15 psi.rst]; half the intervals [heur]" },
	[TH_DISK_UTIL] = { "util_pct", 60, "%util > 60% -> warning",
		"METHODOLOGY T60-11, USE-DISK-U [S5, S8 2.5.9]" },
	[TH_DISK_UTIL_SAT] = { "util_saturated_pct", 95,
		"%util >= 95% (about 100%) with aqu-sz > 1 -> critical",
		"METHODOLOGY T60-11 [S5]" },
	[TH_DISK_AQU] = { "aqu_sz", 1, "aqu-sz > 1 -> warning", "METHODOLOGY T60-11, USE-DISK-S [S5, S6]" },
	[TH_DISK_R_AWAIT] = { "r_await_ms", 10, "r_await > 10 ms under load -> warning",
		"METHODOLOGY T60-11 [S8 2.5.4]" },
	[TH_DISK_MIN_READS] = { "min_reads", 10, "'under load': at least 10 reads in the window",
		"METHODOLOGY T60-11 [heur]" },
	[TH_IO_PSI_FULL] = { "io_full_pct", 5, "PSI io full >= 5% of the window -> warning",
		"METHODOLOGY USE-PSI [S15 psi.rst: 50 ms per 1 s]" },
	[TH_RETRANS_SUSTAINED] = { "retrans_sustained_fraction", 0.5,
		"retransmits in at least half the intervals -> warning",
		"METHODOLOGY T60-14 [S5]; half the intervals [heur]" },
	[TH_RETRANS_PCT] = { "retrans_pct", 1, "RetransSegs/OutSegs > 1% -> critical",
		"METHODOLOGY T60-14 [heur]" },
	[TH_RETRANS_MIN_SEGS] = { "min_out_segs", 100, "the ratio counts from 100 segments sent",
		"METHODOLOGY T60-14 [heur]" },
	[TH_SUSTAINED] = { "any", 0, "any increase over the window -> warning",
		"METHODOLOGY USE-NIC-S, USE-NIC-E [S6, S7]" },
	[TH_MIN_SAMPLES] = { "min_samples", 3, "'sustained' needs at least 3 samples",
		"METHODOLOGY 2.2 [heur]" },
	[TH_STEAL_SUSTAINED] = { "steal_sustained_fraction", 0.5,
		"steal > 0 in at least half the intervals", "METHODOLOGY T60-06 [heur]" },
};

/* True when over of nr samples is "sustained": at least the fraction of
 * threshold th, out of enough samples to speak of a pattern at all. */
static bool sustained(double over, double nr, int th)
{
	return nr >= thresholds[TH_MIN_SAMPLES].value && over >= nr * thresholds[th].value;
}

/* ---- reading report.load ------------------------------------------------------ */

/* The number at a dotted path ("cpu.steal_pct"); false when absent. */
static bool num_at(json_t *o, const char *path, double *v)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	o = json_object_get(o, path);
	if (!json_is_number(o))
		return false;
	*v = json_number_value(o);
	return true;
}

/* How many intervals have key > above; *nr_out gets how many have the key. */
static size_t intervals_over(json_t *load, const char *key, double above, size_t *nr_out)
{
	json_t *row;
	size_t i, over = 0, nr = 0;
	double v;

	json_array_foreach(json_object_get(load, "intervals"), i, row) {
		if (!num_at(row, key, &v))
			continue;
		nr++;
		over += v > above;
	}
	*nr_out = nr;
	return over;
}

/* Evidence: the figures (owned), plus the threshold's rule and source. */
static json_t *evidence(json_t *figures, int th)
{
	json_object_set_new(figures, "threshold", json_pack("{s:s, s:f, s:s}",
		"name", thresholds[th].name, "value", thresholds[th].value,
		"rule", thresholds[th].rule));
	json_object_set_new(figures, "source", json_string(thresholds[th].source));
	return figures;
}

/* "spin_a1 (pid 123) 98%, ..." from the top-process list. */
static void top_names(json_t *load, char *buf, size_t len, size_t max)
{
	struct strbuf sb = { 0 };
	json_t *p;
	size_t i;
	char *s;

	json_array_foreach(json_object_get(load, "top_processes"), i, p) {
		if (i >= max)
			break;
		sb_printf(&sb, "%s%s (pid %lld) %.0f%%", i ? ", " : "",
			  json_string_value(json_object_get(p, "comm")),
			  (long long)json_integer_value(json_object_get(p, "pid")),
			  json_number_value(json_object_get(p, "cpu_pct")));
	}
	s = sb_take(&sb, NULL);
	snprintf(buf, len, "%s", s && *s ? s : "none measured");
	free(s);
}

/* ---- cpu ------------------------------------------------------------------------ */

static size_t judge_runqueue(struct report *r, json_t *load)
{
	double cpus, over, nr, avg, max;
	char top[256];
	enum severity sev;

	if (!num_at(load, "runq.cpus", &cpus) || !num_at(load, "runq.samples_over_cpus", &over) ||
	    !num_at(load, "runq.nr_samples", &nr) || !num_at(load, "runq.procs_running_avg", &avg) ||
	    !num_at(load, "runq.procs_running_max", &max) || over == 0 || nr == 0)
		return 0;
	sev = sustained(over, nr, TH_RUNQ_SUSTAINED) ? SEV_CRITICAL : SEV_INFO;
	top_names(load, top, sizeof(top), 3);
	report_add_finding(r, "cpu.runqueue_saturated", sev,
		evidence(json_pack("{s:O, s:f, s:f, s:f, s:f, s:f}",
			"procs_running", json_object_get(json_object_get(load, "runq"), "procs_running"),
			"procs_running_avg", avg, "procs_running_max", max, "cpus", cpus,
			"samples_over_cpus", over, "nr_samples", nr), TH_RUNQ_SUSTAINED),
		"%s: procs_running averaged %.1f (max %.0f) on %.0f CPUs, above the CPU count "
		"in %.0f of %.0f samples. Threads waited for a CPU. Top by CPU: %s.",
		sev == SEV_CRITICAL ? "CPU saturation" : "Brief CPU saturation",
		avg, max, cpus, over, nr, top);
	return 1;
}

static size_t judge_sys(struct report *r, json_t *load)
{
	double sy, sys, irq, soft;

	if (!num_at(load, "cpu.vmstat_sy_pct", &sy) || sy <= thresholds[TH_SYS].value)
		return 0;
	num_at(load, "cpu.sys_pct", &sys);
	num_at(load, "cpu.irq_pct", &irq);
	num_at(load, "cpu.softirq_pct", &soft);
	report_add_finding(r, "cpu.sys_time_high", SEV_WARNING,
		evidence(json_pack("{s:f, s:f, s:f, s:f}", "vmstat_sy_pct", sy, "sys_pct", sys,
				   "irq_pct", irq, "softirq_pct", soft), TH_SYS),
		"The kernel used %.1f%% of all CPU time (sys %.1f%%, irq %.1f%%, softirq %.1f%%): "
		"perhaps the kernel is processing I/O inefficiently.", sy, sys, irq, soft);
	return 1;
}

static size_t judge_steal(struct report *r, json_t *load)
{
	double steal;
	size_t nr, with = intervals_over(load, "steal_pct", 0, &nr);
	enum severity sev;

	if (!num_at(load, "cpu.steal_pct", &steal) || nr == 0)
		return 0;
	if (steal > thresholds[TH_STEAL_CRIT].value)
		sev = SEV_CRITICAL;
	else if (steal >= thresholds[TH_STEAL_WARN].value && sustained(with, nr, TH_STEAL_SUSTAINED))
		sev = SEV_WARNING;
	else
		return 0;
	report_add_finding(r, "cpu.steal", sev,
		evidence(json_pack("{s:f, s:I, s:I}", "steal_pct", steal,
				   "intervals_with_steal", (json_int_t)with, "nr_intervals", (json_int_t)nr),
			 sev == SEV_CRITICAL ? TH_STEAL_CRIT : TH_STEAL_WARN),
		"The hypervisor took %.1f%% of CPU time (steal in %zu of %zu intervals): "
		"other guests, or the host itself, compete for these CPUs.", steal, with, nr);
	return 1;
}

static size_t judge_hot_cpu(struct report *r, json_t *load)
{
	json_t *c, *hot = NULL;
	double mean, hot_util = 0;
	size_t i;

	if (!num_at(load, "cpu.util_pct", &mean) || mean >= thresholds[TH_HOT_MEAN].value ||
	    json_array_size(json_object_get(json_object_get(load, "cpu"), "per_cpu")) < 2)
		return 0;
	json_array_foreach(json_object_get(json_object_get(load, "cpu"), "per_cpu"), i, c) {
		double u = json_number_value(json_object_get(c, "util_pct"));

		if (u > thresholds[TH_HOT_CPU].value && u > hot_util) {
			hot = c;
			hot_util = u;
		}
	}
	if (!hot)
		return 0;
	report_add_finding(r, "cpu.single_hot_cpu", SEV_WARNING,
		evidence(json_pack("{s:I, s:f, s:f}", "cpu", json_integer_value(json_object_get(hot, "cpu")),
				   "cpu_util_pct", hot_util, "mean_util_pct", mean), TH_HOT_CPU),
		"CPU %lld was %.0f%% busy while all CPUs averaged %.0f%%: a single hot CPU can be "
		"a single-threaded application, or interrupts bound to one CPU.",
		(long long)json_integer_value(json_object_get(hot, "cpu")), hot_util, mean);
	return 1;
}

static size_t judge_load_average(struct report *r, json_t *load)
{
	double a1, a5, a15, cpus;
	const char *trend;

	if (!num_at(load, "loadavg.avg1", &a1) || !num_at(load, "loadavg.avg5", &a5) ||
	    !num_at(load, "loadavg.avg15", &a15) || !num_at(load, "cpus", &cpus) ||
	    a1 <= cpus * thresholds[TH_LOAD_AVG].value)
		return 0;
	trend = a1 > a15 * 1.5 ? "rising: the load is recent" :
		a1 < a15 / 1.5 ? "falling: the peak may have passed" : "steady";
	report_add_finding(r, "cpu.load_average_high", SEV_INFO,
		evidence(json_pack("{s:f, s:f, s:f, s:f, s:s}", "avg1", a1, "avg5", a5, "avg15", a15,
				   "cpus", cpus, "trend", trend), TH_LOAD_AVG),
		"Load average %.2f %.2f %.2f on %.0f CPUs, %s. Linux load includes tasks blocked "
		"on I/O, so it is not a CPU measure by itself.", a1, a5, a15, cpus, trend);
	return 1;
}

static size_t judge_cpu_psi(struct report *r, json_t *load)
{
	double some, avg10;

	if (!num_at(load, "pressure.cpu.some.window_pct", &some) ||
	    some <= thresholds[TH_CPU_PSI].value)
		return 0;
	num_at(load, "pressure.cpu.some.avg10_pct", &avg10);
	report_add_finding(r, "cpu.pressure", SEV_INFO,
		evidence(json_pack("{s:f, s:f}", "cpu_some_pct", some, "avg10_pct", avg10), TH_CPU_PSI),
		"Some runnable task waited for a CPU %.0f%% of the window (PSI cpu some).", some);
	return 1;
}

/* ---- memory --------------------------------------------------------------------- */

static size_t judge_swapping(struct report *r, json_t *load)
{
	double si = 0, so = 0;
	size_t nr, in = intervals_over(load, "swapin_pages", 0, &nr);
	size_t out = intervals_over(load, "swapout_pages", 0, &nr);
	size_t with = in > out ? in : out;
	enum severity sev;

	num_at(load, "memory.swapin_pages_per_s", &si);
	num_at(load, "memory.swapout_pages_per_s", &so);
	if (si <= 0 && so <= 0)
		return 0;
	sev = sustained(with, nr, TH_SWAP_SUSTAINED) ? SEV_CRITICAL : SEV_WARNING;
	report_add_finding(r, "memory.swap_active", sev,
		evidence(json_pack("{s:f, s:f, s:I, s:I}", "swapin_pages_per_s", si,
				   "swapout_pages_per_s", so, "intervals_swapping", (json_int_t)with,
				   "nr_intervals", (json_int_t)nr), TH_SWAP_SUSTAINED),
		"The host swapped (si %.1f, so %.1f pages/s, in %zu of %zu intervals): "
		"it is out of memory for what runs on it.", si, so, with, nr);
	return 1;
}

static size_t judge_direct_reclaim(struct report *r, json_t *load)
{
	double direct;

	if (!num_at(load, "memory.pgscan_direct_per_s", &direct) || direct <= 0)
		return 0;
	report_add_finding(r, "memory.direct_scan", SEV_WARNING,
		evidence(json_pack("{s:f}", "pgscan_direct_per_s", direct), TH_SUSTAINED),
		"Allocating tasks scanned %.0f pages/s themselves (direct reclaim): "
		"they stall until memory is freed.", direct);
	return 1;
}

static size_t judge_available(struct report *r, json_t *load)
{
	double avail, total, avail_kb;

	if (!num_at(load, "memory.available_pct", &avail) || !num_at(load, "memory.total_kb", &total) ||
	    !num_at(load, "memory.available_kb", &avail_kb) || avail >= thresholds[TH_MEM_AVAIL].value)
		return 0;
	report_add_finding(r, "memory.available_low", SEV_WARNING,
		evidence(json_pack("{s:f, s:f, s:f}", "available_pct", avail, "available_kb", avail_kb,
				   "total_kb", total), TH_MEM_AVAIL),
		"Only %.1f%% of memory is available (%.0f MiB of %.0f MiB).", avail,
		avail_kb / 1024, total / 1024);
	return 1;
}

static size_t judge_memory_psi(struct report *r, json_t *load)
{
	double some = 0, full = 0;
	size_t nr, with = intervals_over(load, "memory_full_stall_us", 0, &nr);
	bool some_hit, full_hit;

	if (!num_at(load, "pressure.memory.some.window_pct", &some))
		return 0;
	num_at(load, "pressure.memory.full.window_pct", &full);
	some_hit = some >= thresholds[TH_MEM_PSI_SOME].value;
	full_hit = sustained(with, nr, TH_MEM_PSI_FULL);
	if (!some_hit && !full_hit)
		return 0;
	report_add_finding(r, "memory.pressure", SEV_WARNING,
		evidence(json_pack("{s:f, s:f, s:I, s:I}", "memory_some_pct", some, "memory_full_pct", full,
				   "intervals_with_full", (json_int_t)with, "nr_intervals", (json_int_t)nr),
			 some_hit ? TH_MEM_PSI_SOME : TH_MEM_PSI_FULL),
		"Tasks stalled on memory %.1f%% of the window (some), all tasks %.1f%% (full, in "
		"%zu of %zu intervals)%s.", some, full, with, nr, full_hit ? ": thrashing" : "");
	return 1;
}

/* ---- disk --------------------------------------------------------------------- */

static size_t judge_one_disk(struct report *r, json_t *d)
{
	const char *name = json_string_value(json_object_get(d, "name"));
	double util = 0, aqu = 0, r_await = 0, reads = 0, iops = 0;
	size_t n = 0;
	json_t *figs;

	num_at(d, "util_pct", &util);
	num_at(d, "aqu_sz", &aqu);
	num_at(d, "r_await_ms", &r_await);
	num_at(d, "reads", &reads);
	num_at(d, "iops", &iops);
	figs = json_pack("{s:s, s:f, s:f, s:f, s:f}", "device", name ? name : "?", "util_pct", util,
			 "aqu_sz", aqu, "r_await_ms", r_await, "iops", iops);
	if (util > thresholds[TH_DISK_UTIL].value) {
		bool sat = util >= thresholds[TH_DISK_UTIL_SAT].value && aqu > thresholds[TH_DISK_AQU].value;

		report_add_finding(r, "disk.utilization_high", sat ? SEV_CRITICAL : SEV_WARNING,
			evidence(json_deep_copy(figs), sat ? TH_DISK_UTIL_SAT : TH_DISK_UTIL),
			"%s was busy %.0f%% of the window (%.0f IOPS, aqu-sz %.2f)%s. A logical device "
			"over many disks can show 100%% without being saturated.", name, util, iops, aqu,
			sat ? ": saturated" : "");
		n++;
	}
	if (aqu > thresholds[TH_DISK_AQU].value) {
		report_add_finding(r, "disk.queue_saturated", SEV_WARNING,
			evidence(json_deep_copy(figs), TH_DISK_AQU),
			"%s had %.2f requests queued or in service on average: evidence of saturation.",
			name, aqu);
		n++;
	}
	if (r_await > thresholds[TH_DISK_R_AWAIT].value && reads >= thresholds[TH_DISK_MIN_READS].value) {
		json_object_set_new(figs, "reads", json_real(reads));
		report_add_finding(r, "disk.read_latency_high", SEV_WARNING,
			evidence(json_deep_copy(figs), TH_DISK_R_AWAIT),
			"Reads on %s took %.1f ms on average over %.0f reads: a slow or overloaded disk.",
			name, r_await, reads);
		n++;
	}
	json_decref(figs);
	return n;
}

static size_t judge_disks(struct report *r, json_t *load)
{
	json_t *d;
	size_t i, n = 0;

	json_array_foreach(json_object_get(load, "disks"), i, d)
		n += judge_one_disk(r, d);
	return n;
}

static size_t judge_io_psi(struct report *r, json_t *load)
{
	double full, some = 0;

	if (!num_at(load, "pressure.io.full.window_pct", &full) ||
	    full < thresholds[TH_IO_PSI_FULL].value)
		return 0;
	num_at(load, "pressure.io.some.window_pct", &some);
	report_add_finding(r, "disk.io_pressure", SEV_WARNING,
		evidence(json_pack("{s:f, s:f}", "io_full_pct", full, "io_some_pct", some), TH_IO_PSI_FULL),
		"All non-idle tasks stalled on I/O %.1f%% of the window (PSI io full; some %.1f%%).",
		full, some);
	return 1;
}

/* ---- network --------------------------------------------------------------------- */

static size_t judge_retransmits(struct report *r, json_t *load)
{
	double retrans = 0, out = 0, ratio = 0;
	size_t nr, with = intervals_over(load, "retrans_segs", 0, &nr);
	enum severity sev;
	int th;

	if (!num_at(load, "network.tcp.retrans_segs", &retrans) || retrans <= 0)
		return 0;
	num_at(load, "network.tcp.out_segs", &out);
	num_at(load, "network.tcp.retrans_pct", &ratio);
	if (ratio > thresholds[TH_RETRANS_PCT].value && out >= thresholds[TH_RETRANS_MIN_SEGS].value) {
		sev = SEV_CRITICAL;
		th = TH_RETRANS_PCT;
	} else if (sustained(with, nr, TH_RETRANS_SUSTAINED)) {
		sev = SEV_WARNING;
		th = TH_RETRANS_SUSTAINED;
	} else {
		sev = SEV_INFO;
		th = TH_RETRANS_SUSTAINED;
	}
	report_add_finding(r, "network.tcp_retransmits", sev,
		evidence(json_pack("{s:f, s:f, s:f, s:I, s:I}", "retrans_segs", retrans, "out_segs", out,
				   "retrans_pct", ratio, "intervals_with_retrans", (json_int_t)with,
				   "nr_intervals", (json_int_t)nr), th),
		"TCP retransmitted %.0f of %.0f segments (%.2f%%), in %zu of %zu intervals: "
		"an unreliable network, or an overloaded server dropping packets.",
		retrans, out, ratio, with, nr);
	return 1;
}

static size_t judge_listen(struct report *r, json_t *load)
{
	double ovf = 0, drops = 0;

	num_at(load, "network.tcp.listen_overflows", &ovf);
	num_at(load, "network.tcp.listen_drops", &drops);
	if (ovf <= 0 && drops <= 0)
		return 0;
	report_add_finding(r, "network.listen_drops", SEV_WARNING,
		evidence(json_pack("{s:f, s:f}", "listen_overflows", ovf, "listen_drops", drops),
			 TH_SUSTAINED),
		"%.0f listen-queue overflows and %.0f listen drops in the window: connections were "
		"refused or delayed because the application did not accept fast enough.", ovf, drops);
	return 1;
}

static size_t judge_nics(struct report *r, json_t *load)
{
	json_t *nic;
	size_t i, n = 0;

	json_array_foreach(json_object_get(json_object_get(load, "network"), "interfaces"), i, nic) {
		const char *name = json_string_value(json_object_get(nic, "name"));
		double rxd = 0, txd = 0, rxe = 0, txe = 0, rxf = 0, txf = 0;

		num_at(nic, "rx_drops", &rxd);
		num_at(nic, "tx_drops", &txd);
		num_at(nic, "rx_errors", &rxe);
		num_at(nic, "tx_errors", &txe);
		num_at(nic, "rx_fifo_errors", &rxf);
		num_at(nic, "tx_fifo_errors", &txf);
		if (rxd + txd > 0) {
			report_add_finding(r, "network.nic_drops", SEV_WARNING,
				evidence(json_pack("{s:s, s:f, s:f}", "interface", name, "rx_drops", rxd,
						   "tx_drops", txd), TH_SUSTAINED),
				"%s dropped %.0f received and %.0f sent packets in the window: drops are "
				"both saturation and errors.", name, rxd, txd);
			n++;
		}
		if (rxe + txe + rxf + txf > 0) {
			report_add_finding(r, "network.nic_errors", SEV_WARNING,
				evidence(json_pack("{s:s, s:f, s:f, s:f, s:f}", "interface", name,
						   "rx_errors", rxe, "tx_errors", txe, "rx_fifo_errors", rxf,
						   "tx_fifo_errors", txf), TH_SUSTAINED),
				"%s counted %.0f receive and %.0f transmit errors (fifo %.0f/%.0f) in the "
				"window.", name, rxe, txe, rxf, txf);
			n++;
		}
	}
	return n;
}

static size_t judge_softnet(struct report *r, json_t *load)
{
	double dropped = 0, squeezed = 0;

	if (!num_at(load, "network.softnet.dropped", &dropped))
		return 0;
	num_at(load, "network.softnet.time_squeeze", &squeezed);
	if (dropped <= 0 && squeezed <= 0)
		return 0;
	report_add_finding(r, "network.rx_backlog_drops", dropped > 0 ? SEV_WARNING : SEV_INFO,
		evidence(json_pack("{s:f, s:f}", "dropped", dropped, "time_squeeze", squeezed),
			 TH_SUSTAINED),
		"softirq packet processing dropped %.0f packets (backlog full) and ran out of "
		"budget %.0f times (time_squeeze) in the window.", dropped, squeezed);
	return 1;
}

const struct load_rule load_rules[] = {
	{ "T60-03 USE-CPU-S", "run queue above the CPU count", judge_runqueue },
	{ "T60-05", "system time above 20%", judge_sys },
	{ "T60-06", "steal time", judge_steal },
	{ "T60-09", "one hot CPU", judge_hot_cpu },
	{ "T60-01", "load average above the CPU count (info)", judge_load_average },
	{ "USE-PSI cpu", "CPU pressure (info)", judge_cpu_psi },
	{ "T60-08", "swapping", judge_swapping },
	{ "USE-MEM-S", "direct reclaim", judge_direct_reclaim },
	{ "USE-MEM-U", "MemAvailable below 10%", judge_available },
	{ "USE-PSI memory", "memory pressure", judge_memory_psi },
	{ "T60-11 USE-DISK", "disk utilization, queue and read latency", judge_disks },
	{ "USE-PSI io", "I/O pressure", judge_io_psi },
	{ "T60-14", "TCP retransmits", judge_retransmits },
	{ "RC-05", "listen queue overflows", judge_listen },
	{ "USE-NIC-S/E", "interface drops and errors", judge_nics },
	{ "USE-NIC-S softnet", "softnet drops and squeezes", judge_softnet },
	{ NULL },
};

size_t load_judge(struct report *r)
{
	json_t *load = report_get(r, "load");
	size_t n = 0;

	if (!json_object_get(load, "window_s"))
		return 0;
	for (size_t i = 0; load_rules[i].id; i++)
		n += load_rules[i].judge(r, load);
	return n;
}
