/* rules.c: the table of rules (see rules.h) and the "judge" step that runs
 * them. Playbook args: {"subsystems": ["cpu", ...]} (default: all). */
#include "checks/rules.h"

#include <stdio.h>
#include <string.h>

#include "checks/tuesday.h"
#include "playbooks/playbook.h"

void judge_memory(struct report *r);
void judge_disk(struct report *r);


const struct rule rule_table[] = {
	{ "memory-health", "memory", "Swapping, reclaim and compaction stalls, major faults, "
	  "OOM kills (memhealth)", judge_memory },
	{ "disk-health", "disk", "Block I/O latency before and in the device, queue, errors, "
	  "cgroup throttling (diskhealth, fslat)", judge_disk },
	{ "cpu-health", "cpu", "run-queue latency and runnable threads (TH-02, T60-03)",
	  judge_cpu },
	{ "processes-health", "processes", "process churn: spawn rates per parent (TH-09)",
	  judge_processes },
	{ "syscalls-health", "syscalls", "syscall rates and errors per process (F-05)",
	  judge_syscalls },
	{ "locks-health", "locks", "futex and kernel lock contention (USE-UMUTEX, USE-KMUTEX)",
	  judge_locks },
	{ "network-health", "network", "TCP retransmits, resets, listen overflows, drops by "
	  "reason, connect latency (T60-14, TH-05, ST-NET-03, USE-NIC-S)", judge_network },
	{ "filesystem-health", "filesystem", "read, write and fsync latency on regular files, "
	  "slow calls with files (TH-04, fslat)", judge_filesystem },
	{ "dns-health", "network", "name lookups through the C library: latency per process "
	  "(TH-05, dnslat)", judge_dns },
	{ NULL },
};

static bool listed(json_t *subsystems, const char *name)
{
	json_t *s;
	size_t i;

	if (!json_is_array(subsystems))
		return true;
	json_array_foreach(subsystems, i, s)
		if (!strcmp(json_string_value(s), name))
			return true;
	return false;
}

void rules_judge(struct report *r, json_t *subsystems)
{
	for (size_t i = 0; rule_table[i].id; i++)
		if (listed(subsystems, rule_table[i].subsystem))
			rule_table[i].judge(r);
}

enum step_status step_judge(struct step_ctx *ctx)
{
	rules_judge(ctx->report, json_object_get(ctx->args, "subsystems"));
	snprintf(ctx->reason, sizeof(ctx->reason), "%zu verdicts",
		 json_array_size(report_get(ctx->report, "health")));
	return STEP_OK;
}
