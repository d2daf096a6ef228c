/* static_cpu.c: Monday's static checks of the CPUs (ST-CPU-xx, ST-VIRT-01,
 * ERR-10's sysfs counters): frequency governor and caps, idle states, SMT,
 * online and isolated CPUs, speculative-execution mitigations, clocksource,
 * scheduler tunables, virtualization and thermal throttling. Each reads
 * sysfs through check_path() and adds a finding only when it has something
 * to say; cgroup CPU quotas are in static_cgroup.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/static_impl.h"
#include "lib/util.h"

#define CPU_DIR "/sys/devices/system/cpu"

static char (*cpu_names(const struct check_ctx *ctx, int *nr))[CK_NAME_LEN]
{
	char (*names)[CK_NAME_LEN] = calloc(CK_MAX_NAMES, CK_NAME_LEN);

	*nr = names ? ck_dir_names(ctx, CPU_DIR, "cpu", true, names, CK_MAX_NAMES) : -ENOMEM;
	return names;
}

/* Adds one to the count of text in a JSON object of counts. */
static void count_value(json_t *counts, const char *text)
{
	json_int_t n = json_integer_value(json_object_get(counts, text));

	json_object_set_new(counts, text, json_integer(n + 1));
}

CHECK_FN(check_governor)
{
	char (*cpus)[CK_NAME_LEN];
	char path[128], gov[64], driver[64] = "", first[64] = "";
	json_t *counts = json_object();
	int nr, nr_powersave = 0, nr_dynamic = 0, nr_read = 0;

	cpus = cpu_names(ctx, &nr);
	for (int i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), CPU_DIR "/%.64s/cpufreq/scaling_governor", cpus[i]);
		if (ck_line(ctx, path, gov, sizeof(gov)) || !gov[0])
			continue;
		if (!nr_read++) {
			snprintf(first, sizeof(first), "%s", gov);
			snprintf(path, sizeof(path), CPU_DIR "/%.64s/cpufreq/scaling_driver", cpus[i]);
			ck_line(ctx, path, driver, sizeof(driver));
		}
		count_value(counts, gov);
		nr_powersave += !strcmp(gov, "powersave");
		nr_dynamic += !strcmp(gov, "ondemand") || !strcmp(gov, "conservative") ||
			      !strcmp(gov, "schedutil");
	}
	free(cpus);
	if (!nr_read) {
		json_decref(counts);
		snprintf(reason, len, "no cpufreq scaling_governor (fixed frequency, or a guest)");
		return CHECK_NOT_APPLICABLE;
	}
	/* intel_pstate's (and amd-pstate's) own "powersave" is a dynamic
	 * algorithm, not the generic governor that pins the minimum. */
	if (nr_powersave && !strstr(driver, "pstate"))
		report_add_finding(ctx->report, "cpu.governor_powersave", SEV_WARNING,
			json_pack("{s:o, s:s, s:s}", "governors", counts, "driver", driver,
				  "reference", "performance (Velocity 2015, TuneD throughput-performance)"),
			"%d CPU(s) run the generic powersave governor (driver %s), which pins "
			"the lowest frequency.", nr_powersave, driver[0] ? driver : "unknown");
	else if (nr_powersave || nr_dynamic)
		report_add_finding(ctx->report, "cpu.governor_dynamic", SEV_INFO,
			json_pack("{s:o, s:s, s:s}", "governors", counts, "driver", driver,
				  "reference", "performance (Velocity 2015, TuneD throughput-performance)"),
			"%d CPU(s) scale frequency dynamically (governor %s, driver %s): "
			"bursts start at a low clock.", nr_powersave + nr_dynamic, first,
			driver[0] ? driver : "unknown");
	else
		json_decref(counts);
	return CHECK_RAN;
}

/* Caps that silently lower the CPU's ceiling: each adds a reason. */
static int freq_cap_reasons(const struct check_ctx *ctx, json_t *why)
{
	int64_t v, cur, max;
	char (*cpus)[CK_NAME_LEN], path[128];
	int nr, nr_capped = 0, found = 0;

	if (!ck_s64(ctx, CPU_DIR "/intel_pstate/no_turbo", &v) && ++found && v == 1)
		json_array_append_new(why, json_string("intel_pstate/no_turbo=1"));
	if (!ck_s64(ctx, CPU_DIR "/intel_pstate/max_perf_pct", &v) && ++found && v < 100)
		json_array_append_new(why, json_sprintf("intel_pstate/max_perf_pct=%lld", (long long)v));
	if (!ck_s64(ctx, CPU_DIR "/cpufreq/boost", &v) && ++found && v == 0)
		json_array_append_new(why, json_string("cpufreq/boost=0"));
	cpus = cpu_names(ctx, &nr);
	for (int i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), CPU_DIR "/%.64s/cpufreq/scaling_max_freq", cpus[i]);
		if (ck_s64(ctx, path, &cur))
			continue;
		snprintf(path, sizeof(path), CPU_DIR "/%.64s/cpufreq/cpuinfo_max_freq", cpus[i]);
		if (ck_s64(ctx, path, &max))
			continue;
		found++;
		nr_capped += cur < max;
	}
	free(cpus);
	if (nr_capped)
		json_array_append_new(why, json_sprintf("scaling_max_freq < cpuinfo_max_freq on %d CPU(s)",
							nr_capped));
	return found;
}

CHECK_FN(check_freq_caps)
{
	json_t *why = json_array();
	char *text;

	if (!freq_cap_reasons(ctx, why)) {
		json_decref(why);
		snprintf(reason, len, "no intel_pstate, boost or cpufreq limits in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	if (!json_array_size(why)) {
		json_decref(why);
		return CHECK_RAN;
	}
	text = json_dumps(why, JSON_COMPACT);
	report_add_finding(ctx->report, "cpu.frequency_capped", SEV_WARNING,
			   json_pack("{s:o}", "caps", why),
			   "The CPU frequency is capped: %s. Unless this is deliberate (benchmarking), "
			   "throughput is silently lower.", text ? text : "");
	free(text);
	return CHECK_RAN;
}

CHECK_FN(check_cstates)
{
	char names[16][CK_NAME_LEN], path[160], name[64];
	json_t *deep = json_array();
	int nr = ck_dir_names(ctx, CPU_DIR "/cpu0/cpuidle", "state", true, names, 16);
	int64_t lat_us, disabled, worst_us = 0;

	if (nr <= 0) {
		json_decref(deep);
		snprintf(reason, len, "no cpuidle states for cpu0");
		return CHECK_NOT_APPLICABLE;
	}
	for (int i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), CPU_DIR "/cpu0/cpuidle/%.64s/latency", names[i]);
		if (ck_s64(ctx, path, &lat_us))
			continue;
		snprintf(path, sizeof(path), CPU_DIR "/cpu0/cpuidle/%.64s/disable", names[i]);
		if (!ck_s64(ctx, path, &disabled) && disabled)
			continue;
		snprintf(path, sizeof(path), CPU_DIR "/cpu0/cpuidle/%.64s/name", names[i]);
		if (ck_line(ctx, path, name, sizeof(name)))
			snprintf(name, sizeof(name), "%.63s", names[i]);
		if (lat_us > 100) {
			json_array_append_new(deep, json_pack("{s:s, s:I}", "state", name,
							      "exit_latency_us", (json_int_t)lat_us));
			worst_us = lat_us > worst_us ? lat_us : worst_us;
		}
	}
	if (json_array_size(deep))
		report_add_finding(ctx->report, "cpu.deep_cstates", SEV_INFO,
			json_pack("{s:o, s:i, s:s}", "states", deep, "threshold_us", 100,
				  "reference", "TuneD latency-performance holds /dev/cpu_dma_latency"),
			"%zu enabled idle state(s) take over 100 us to exit (worst %lld us): "
			"wake-ups of an idle CPU add that to tail latency.",
			json_array_size(deep), (long long)worst_us);
	else
		json_decref(deep);
	return CHECK_RAN;
}

CHECK_FN(check_smt)
{
	char control[32], active[8] = "";

	if (ck_line(ctx, CPU_DIR "/smt/control", control, sizeof(control))) {
		snprintf(reason, len, "no smt/control in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	ck_line(ctx, CPU_DIR "/smt/active", active, sizeof(active));
	if (!strcmp(control, "off") || !strcmp(control, "forceoff"))
		report_add_finding(ctx->report, "cpu.smt_off", SEV_INFO,
			json_pack("{s:s, s:s}", "control", control, "active", active),
			"SMT (hyper-threading) is %s: the host has half the logical CPUs it "
			"could; saturation math must use the online CPU count.", control);
	return CHECK_RAN;
}

CHECK_FN(check_online_cpus)
{
	char online[256], present[256], isolated[256] = "", nohz[256] = "", isolcpus[256];
	int nr_online, nr_present;

	if (ck_line(ctx, CPU_DIR "/online", online, sizeof(online)) ||
	    ck_line(ctx, CPU_DIR "/present", present, sizeof(present)) ||
	    (nr_online = cpulist_count(online)) < 0 || (nr_present = cpulist_count(present)) < 0) {
		snprintf(reason, len, "no readable cpu/online and cpu/present");
		return CHECK_NOT_APPLICABLE;
	}
	if (nr_online < nr_present)
		report_add_finding(ctx->report, "cpu.cpus_offline", SEV_WARNING,
			json_pack("{s:s, s:s, s:i, s:i}", "online", online, "present", present,
				  "nr_online", nr_online, "nr_present", nr_present),
			"%d of %d present CPUs are online (online %s): the others were taken "
			"offline, a software limit on CPU capacity.", nr_online, nr_present, online);
	ck_line(ctx, CPU_DIR "/isolated", isolated, sizeof(isolated));
	ck_line(ctx, CPU_DIR "/nohz_full", nohz, sizeof(nohz));
	cmdline_option(ctx, "isolcpus", isolcpus, sizeof(isolcpus));
	if (!strcmp(nohz, "(null)"))
		nohz[0] = '\0';
	if (isolated[0] || nohz[0] || isolcpus[0])
		report_add_finding(ctx->report, "cpu.cpus_isolated", SEV_INFO,
			json_pack("{s:s, s:s, s:s}", "isolated", isolated, "nohz_full", nohz,
				  "isolcpus", isolcpus),
			"CPUs are set apart from the scheduler (isolated \"%s\", nohz_full \"%s\"): "
			"only tasks pinned there run on them.", isolated, nohz);
	return CHECK_RAN;
}

CHECK_FN(check_mitigations)
{
	char names[64][CK_NAME_LEN], path[160], state[256], mitig[64];
	json_t *all = json_object(), *vulnerable = json_array();
	int nr = ck_dir_names(ctx, CPU_DIR "/vulnerabilities", "", false, names, 64);
	bool pti = false;
	int nr_mitigated = 0;

	if (nr <= 0) {
		json_decref(all);
		json_decref(vulnerable);
		snprintf(reason, len, "no cpu/vulnerabilities in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	for (int i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), CPU_DIR "/vulnerabilities/%.64s", names[i]);
		if (ck_line(ctx, path, state, sizeof(state)))
			continue;
		json_object_set_new(all, names[i], json_string(state));
		nr_mitigated += str_starts(state, "Mitigation");
		if (str_starts(state, "Vulnerable"))
			json_array_append_new(vulnerable, json_string(names[i]));
		if (!strcmp(names[i], "meltdown") && strstr(state, "PTI"))
			pti = true;
	}
	cmdline_option(ctx, "mitigations", mitig, sizeof(mitig));
	/* Recorded, never judged: friday does not advise turning them off. */
	if (pti || json_array_size(vulnerable) || !strcmp(mitig, "off"))
		report_add_finding(ctx->report, "syscalls.cpu_mitigations", SEV_INFO,
			json_pack("{s:o, s:o, s:b, s:s, s:i}", "vulnerabilities", all, "vulnerable", vulnerable,
				  "kpti", pti, "cmdline_mitigations", mitig, "nr_mitigated", nr_mitigated),
			"Speculative-execution state: %d mitigation(s) active%s, %zu entr%s reported "
			"Vulnerable%s. Mitigations add cost to syscalls and context switches; measure "
			"the syscall rate before attributing time to them.",
			nr_mitigated, pti ? " including KPTI (page-table isolation)" : "",
			json_array_size(vulnerable), json_array_size(vulnerable) == 1 ? "y" : "ies",
			!strcmp(mitig, "off") ? ", mitigations=off on the command line" : "");
	else {
		json_decref(all);
		json_decref(vulnerable);
	}
	return CHECK_RAN;
}

CHECK_FN(check_clocksource)
{
	char cur[64], avail[256];
	static const char *const slow[] = { "hpet", "acpi_pm", "xen", "jiffies", "refined-jiffies" };
	bool slow_cur = false, tsc_avail;

	if (ck_line(ctx, "/sys/devices/system/clocksource/clocksource0/current_clocksource", cur, sizeof(cur))) {
		snprintf(reason, len, "no current_clocksource in sysfs");
		return CHECK_NOT_APPLICABLE;
	}
	if (ck_line(ctx, "/sys/devices/system/clocksource/clocksource0/available_clocksource", avail,
		    sizeof(avail)))
		avail[0] = '\0';
	str_trim(cur);
	tsc_avail = strstr(avail, "tsc") != NULL;
	for (size_t i = 0; i < ARRAY_SIZE(slow); i++)
		slow_cur |= !strcmp(cur, slow[i]);
	if ((tsc_avail && strcmp(cur, "tsc")) || slow_cur)
		report_add_finding(ctx->report, "cpu.clocksource_slow", SEV_WARNING,
			json_pack("{s:s, s:s, s:s}", "current", cur, "available", avail,
				  "reference", "tsc (Netflix EC2 2017, ClickHouse)"),
			"The clocksource is %s%s: every clock_gettime() may take a slow path "
			"(xen -> tsc cut p95 by 30%% at Heap).", cur,
			tsc_avail ? " while tsc is available" : "");
	return CHECK_RAN;
}

CHECK_FN(check_sched_tunables)
{
	static const char *const legacy[] = { "sched_min_granularity_ns", "sched_wakeup_granularity_ns",
					      "sched_latency_ns", "sched_migration_cost_ns" };
	json_t *ev = json_object(), *notes = json_array();
	int64_t autogroup = -1, rt_runtime = 0, v;
	char path[128];
	int found = 0;

	found += !ck_s64(ctx, "/proc/sys/kernel/sched_autogroup_enabled", &autogroup);
	found += !ck_s64(ctx, "/proc/sys/kernel/sched_rt_runtime_us", &rt_runtime);
	for (size_t i = 0; i < ARRAY_SIZE(legacy); i++) {
		snprintf(path, sizeof(path), "/proc/sys/kernel/%s", legacy[i]);
		if (!ck_s64(ctx, path, &v) && ++found)
			json_object_set_new(ev, legacy[i], json_integer(v));
	}
	if (!ck_s64(ctx, "/sys/kernel/debug/sched/base_slice_ns", &v) && ++found)
		json_object_set_new(ev, "base_slice_ns", json_integer(v));
	if (!found) {
		json_decref(ev);
		json_decref(notes);
		snprintf(reason, len, "no scheduler tunables readable");
		return CHECK_NOT_APPLICABLE;
	}
	if (autogroup == 1)
		json_array_append_new(notes, json_string("sched_autogroup_enabled=1: CPU is shared per "
							 "session, not per task, on this server"));
	if (rt_runtime == -1)
		json_array_append_new(notes, json_string("sched_rt_runtime_us=-1: real-time tasks may "
							 "take whole CPUs with no throttling"));
	if (json_array_size(notes)) {
		json_object_set_new(ev, "sched_autogroup_enabled", json_integer(autogroup));
		json_object_set_new(ev, "sched_rt_runtime_us", json_integer(rt_runtime));
		json_object_set_new(ev, "notes", notes);
		report_add_finding(ctx->report, "cpu.sched_tunables", SEV_INFO, ev,
				   "Scheduler tunables differ from a server's usual settings: %s.",
				   json_string_value(json_array_get(notes, 0)));
	} else {
		json_decref(ev);
		json_decref(notes);
	}
	return CHECK_RAN;
}

CHECK_FN(check_virtualization)
{
	char type[64] = "", vendor[128] = "", *cpuinfo = ck_alloc(ctx, "/proc/cpuinfo");
	bool flag = cpuinfo && strstr(cpuinfo, " hypervisor");

	free(cpuinfo);
	ck_line(ctx, "/sys/hypervisor/type", type, sizeof(type));
	ck_line(ctx, "/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	if (!cpuinfo && !type[0]) {
		snprintf(reason, len, "neither /proc/cpuinfo nor /sys/hypervisor/type readable");
		return CHECK_NOT_APPLICABLE;
	}
	if (flag || type[0])
		report_add_finding(ctx->report, "cpu.virtualized", SEV_INFO,
			json_pack("{s:s, s:b, s:s}", "hypervisor_type", type, "cpuinfo_hypervisor_flag", flag,
				  "dmi_sys_vendor", vendor),
			"This host is a virtual machine (%s): watch steal time, expect no or "
			"few hardware counters, and check the clocksource.",
			type[0] ? type : vendor[0] ? vendor : "hypervisor flag in /proc/cpuinfo");
	return CHECK_RAN;
}

CHECK_FN(check_thermal_counters)
{
	static const char *const kinds[] = { "core_throttle_count", "package_throttle_count" };
	char (*cpus)[CK_NAME_LEN], path[160];
	json_t *per_cpu = json_object();
	int nr, found = 0;
	int64_t total = 0, v;

	cpus = cpu_names(ctx, &nr);
	for (int i = 0; i < nr; i++)
		for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
			snprintf(path, sizeof(path), CPU_DIR "/%s/thermal_throttle/%.64s", cpus[i], kinds[k]);
			if (ck_s64(ctx, path, &v))
				continue;
			found++;
			if (v > 0) {
				char key[CK_NAME_LEN * 2 + 8];

				snprintf(key, sizeof(key), "%.64s/%.64s", cpus[i], kinds[k]);
				json_object_set_new(per_cpu, key, json_integer(v));
				total += v;
			}
		}
	free(cpus);
	if (!found) {
		json_decref(per_cpu);
		snprintf(reason, len, "no thermal_throttle counters (not x86 hardware, or a guest)");
		return CHECK_NOT_APPLICABLE;
	}
	if (total > 0)
		report_add_finding(ctx->report, "cpu.thermal_throttled", SEV_WARNING,
			json_pack("{s:o, s:I}", "counts", per_cpu, "total", (json_int_t)total),
			"The CPUs were thermally throttled %lld time(s) since boot: an invisible "
			"frequency loss.", (long long)total);
	else
		json_decref(per_cpu);
	return CHECK_RAN;
}
