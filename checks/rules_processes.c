/* rules_processes.c: the processes health rule. Reads proclife's results
 * (report.measurements.proclife): a parent spawning processes at a high
 * rate (usually short-lived: the execsnoop question of TH-09) implicates
 * process churn; a high exec rate host-wide makes it suspect. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

enum { TH_PARENT_IMPLICATED, TH_PARENT_SUSPECT, TH_HOST_SUSPECT };

static const struct threshold proc_thresholds[] = {
	[TH_PARENT_IMPLICATED] = { "parent_spawns_per_s_implicated", 200,
		"measured on process churn (a shell loop of /bin/true: 590 execs/s from one sh on "
		"2 CPUs); parallel builds on the same host: at most 52 per parent" },
	[TH_PARENT_SUSPECT] = { "parent_spawns_per_s_suspect", 50,
		"measured: above what one parent of a parallel build spawned here (52/s at most)" },
	[TH_HOST_SUSPECT] = { "host_execs_per_s_suspect", 100,
		"measured: an idle host execs under 5/s, parallel builds 20-100/s; TH-09 asks "
		"for short-lived processes (execsnoop)" },
};

const struct finding_def processes_rule_findings[] = {
	{ "processes.churn", "processes", "Processes created at a high rate (churn)",
	  "TH-09 [S14 execsnoop]; threshold measured on process churn",
	  "Find why the parent spawns (a loop, a cron job, a health check); do it less "
	  "or reuse processes" },
	{ NULL },
};

/* The program the parent runs most: the top program whose parent it is. */
static json_t *program_of(json_t *m, int parent_pid)
{
	json_t *progs = json_object_get(m, "top_programs"), *p;
	size_t i;

	json_array_foreach(progs, i, p)
		if ((int)jpath_num(p, "parent_pid") == parent_pid)
			return p;
	return json_array_get(progs, 0);
}

void judge_processes(struct report *r)
{
	json_t *m = rule_measurement(r, "proclife", "processes"), *parent, *prog, *health, *ev;
	double spawn_rate, host_rate;
	enum verdict v;
	const char *pcomm, *prog_comm;
	int ppid;

	if (!m)
		return;
	parent = json_array_get(json_object_get(m, "top_parents"), 0);
	spawn_rate = parent ? jpath_num(parent, "forks_per_s") : 0;
	if (jpath_num(parent, "execs_per_s") > spawn_rate)
		spawn_rate = jpath_num(parent, "execs_per_s");
	host_rate = jpath_num(m, "rates.execs_per_s");
	pcomm = jpath_str(parent, "comm") ? jpath_str(parent, "comm") : "?";
	ppid = (int)jpath_num(parent, "pid");
	prog = program_of(m, ppid);
	prog_comm = jpath_str(prog, "comm") ? jpath_str(prog, "comm") : "?";
	v = spawn_rate >= proc_thresholds[TH_PARENT_IMPLICATED].value ? VERDICT_IMPLICATED :
	    spawn_rate >= proc_thresholds[TH_PARENT_SUSPECT].value ||
	    host_rate >= proc_thresholds[TH_HOST_SUSPECT].value ? VERDICT_SUSPECT :
	    VERDICT_EXONERATED;
	health = report_set_health(r, "processes", v, "%.1f execs/s, %.1f forks/s, %.1f exits/s "
				   "(proclife, %s); %.0f of %.0f exits lived under %.0f s",
				   host_rate, jpath_num(m, "rates.forks_per_s"), jpath_num(m, "rates.exits_per_s"),
				   jpath_str(m, "attach"), jpath_num(m, "short_lived"), jpath_num(m, "exits"),
				   jpath_num(m, "short_lived_under_s"));
	if (parent)
		report_set_health(r, "processes", VERDICT_EXONERATED, "top parent: %s (pid %d, "
				  "parent %d) spawned %.1f/s, mostly %s; implicated from %.0f/s, "
				  "suspect from %.0f/s (measured on process churn)", pcomm, ppid,
				  (int)jpath_num(parent, "ppid"), spawn_rate, prog_comm,
				  proc_thresholds[TH_PARENT_IMPLICATED].value,
				  proc_thresholds[TH_PARENT_SUSPECT].value);
	if (v == VERDICT_EXONERATED)
		return;
	ev = rule_evidence(&proc_thresholds[v == VERDICT_IMPLICATED ? TH_PARENT_IMPLICATED :
			   TH_PARENT_SUSPECT], spawn_rate, "spawns/s", "proclife");
	json_object_set_new(ev, "host_execs_per_s", json_real(host_rate));
	json_object_set_new(ev, "parent", json_pack("{s:s, s:i, s:i, s:f, s:f, s:f}",
				"comm", pcomm, "pid", ppid, "ppid", (int)jpath_num(parent, "ppid"),
				"execs_per_s", jpath_num(parent, "execs_per_s"),
				"forks_per_s", jpath_num(parent, "forks_per_s"),
				"short_lived", jpath_num(parent, "short_lived")));
	json_object_set_new(ev, "program", json_pack("{s:s, s:f, s:f}", "comm", prog_comm,
				"execs_per_s", jpath_num(prog, "execs_per_s"),
				"mean_lifetime_ms", jpath_num(prog, "mean_lifetime_ms")));
	report_add_finding(r, "processes.churn", v == VERDICT_IMPLICATED ? SEV_WARNING : SEV_INFO,
			   ev, "%s (pid %d) spawns %.0f processes/s, mostly %s living %.1f ms on "
			   "average; the host runs %.0f execs/s.", pcomm, ppid, spawn_rate, prog_comm,
			   jpath_num(prog, "mean_lifetime_ms"), host_rate);
	report_health_add_next_step(health, "Thursday: execsnoop-style log of the spawned "
				    "commands and their parent (TH-09)");
	report_health_add_next_step(health, "Wednesday: CPU flame graph (W-01): fork and exec "
				    "cost shows in the kernel's share");
}
