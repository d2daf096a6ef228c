/* rules.c: the table of rules (see rules.h) and the "judge" step that runs
 * them. Playbook args: {"subsystems": ["cpu", ...]} and {"rules":
 * ["dns-health", ...]} (default: all); a rule runs when both lists, where
 * given, name it. A step that measured one thing judges only its rule, so
 * the other rules of that subsystem do not report their findings twice. */
#include "checks/rules.h"

#include <stdio.h>
#include <string.h>

#include "checks/tuesday.h"
#include "playbooks/playbook.h"
#include "reports/jsonread.h"

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
	return !json_is_array(subsystems) || jcontains(subsystems, name);
}

void rules_judge(struct report *r, json_t *subsystems, json_t *rules)
{
	for (size_t i = 0; rule_table[i].id; i++)
		if (listed(subsystems, rule_table[i].subsystem) && listed(rules, rule_table[i].id))
			rule_table[i].judge(r);
}

/* The first name in rules that no rule has, or NULL. */
static const char *unknown_rule(json_t *rules)
{
	json_t *name;
	size_t i;

	json_array_foreach(rules, i, name) {
		size_t k = 0;

		while (rule_table[k].id && (!json_is_string(name) ||
					    strcmp(rule_table[k].id, json_string_value(name))))
			k++;
		if (!rule_table[k].id)
			return json_is_string(name) ? json_string_value(name) : "(not a string)";
	}
	return NULL;
}

enum step_status step_judge(struct step_ctx *ctx)
{
	const char *bad = unknown_rule(json_object_get(ctx->args, "rules"));

	if (bad) {
		size_t off = (size_t)snprintf(ctx->reason, sizeof(ctx->reason),
					      "unknown rule \"%s\"; known:", bad);

		for (size_t i = 0; rule_table[i].id && off < sizeof(ctx->reason); i++)
			off += (size_t)snprintf(ctx->reason + off, sizeof(ctx->reason) - off, " %s",
						rule_table[i].id);
		return STEP_FAILED;
	}
	rules_judge(ctx->report, json_object_get(ctx->args, "subsystems"),
		    json_object_get(ctx->args, "rules"));
	snprintf(ctx->reason, sizeof(ctx->reason), "%zu verdicts",
		 json_array_size(report_get(ctx->report, "health")));
	return STEP_OK;
}
