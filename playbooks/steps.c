/* steps.c: the table of step kinds a playbook can name. Adding a step is
 * one row here and one function in the module that does the work. */
#include <stdio.h>

#include "bpf/caps.h"
#include "checks/monday.h"
#include "playbooks/playbook.h"

enum step_status step_collect(struct step_ctx *ctx);
enum step_status step_judge(struct step_ctx *ctx);

static enum step_status step_capabilities(struct step_ctx *ctx)
{
	int nr_ok = caps_probe_all(ctx->report);

	snprintf(ctx->reason, sizeof(ctx->reason), "%d capabilities work", nr_ok);
	return STEP_OK;
}

const struct step_kind step_kinds[] = {
	{ "inventory", "What this host is (ST-00)", step_inventory },
	{ "capabilities", "What this host supports, by trial", step_capabilities },
	{ "static_checks", "Static configuration checks (ST-xx)", step_static_checks },
	{ "load_snapshot", "Load snapshot: USE figures from /proc over 1 s intervals (T60-xx)",
	  step_load_snapshot },
	{ "collect", "Run BPF collectors together in one window", step_collect },
	{ "judge", "Turn measurements into findings and verdicts", step_judge },
	{ NULL, NULL, NULL },
};
