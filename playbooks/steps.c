/* steps.c: the table of step kinds a playbook can name. Adding a step is
 * one row here and one function in the module that does the work. */
#include <stdio.h>

#include "bpf/caps.h"
#include "checks/friday.h"
#include "checks/monday.h"
#include "lib/util.h"
#include "playbooks/playbook.h"

enum step_status step_collect(struct step_ctx *ctx);
void step_collect_refused(struct step_ctx *ctx, const char *why);
enum step_status step_judge(struct step_ctx *ctx);

/* Probes every capability within the step's budget; rows it could not
 * reach are recorded as not tried, and the step as timed out. */
static enum step_status step_capabilities(struct step_ctx *ctx)
{
	size_t nr_tried, nr_caps = 0;
	double t0 = now_mono_s();
	int nr_ok = caps_probe_all(ctx->report, ctx->deadline_ns, &nr_tried);

	while (capability_table[nr_caps].name)
		nr_caps++;
	json_object_set_new(report_get(ctx->report, "overhead"), "capabilities_probe_s",
			    json_real(now_mono_s() - t0));
	if (nr_tried < nr_caps) {
		snprintf(ctx->reason, sizeof(ctx->reason), "its %.3f s budget ran out after %zu of "
			 "%zu trials (%d work); the rest are not in the report, and collectors try "
			 "them as they load", ctx->budget_s, nr_tried, nr_caps, nr_ok);
		return STEP_TIMEOUT;
	}
	snprintf(ctx->reason, sizeof(ctx->reason), "%d of %zu capabilities work", nr_ok, nr_caps);
	return STEP_OK;
}

/* Friday's efficiency figures and unnecessary-work findings. */
static enum step_status step_friday_judge(struct step_ctx *ctx)
{
	judge_friday(ctx->report);
	snprintf(ctx->reason, sizeof(ctx->reason), "%zu findings so far",
		 json_array_size(report_get(ctx->report, "findings")));
	return STEP_OK;
}

const struct step_kind step_kinds[] = {
	{ "inventory", "What this host is (ST-00)", step_inventory, STEP_NEEDS_NOTHING, NULL },
	/* tries BPF itself, and says per capability why it is refused */
	{ "capabilities", "What this host supports, by trial", step_capabilities, STEP_NEEDS_NOTHING,
	  NULL },
	{ "static_checks", "Static configuration checks (ST-xx, P-xx)", step_static_checks,
	  STEP_NEEDS_NOTHING, NULL },
	{ "load_snapshot", "Load snapshot: USE figures from /proc over 1 s intervals (T60-xx)",
	  step_load_snapshot, STEP_NEEDS_NOTHING, NULL },
	{ "past_errors", "Past errors: kernel log and error counters (ERR-xx)", step_past_errors,
	  STEP_NEEDS_NOTHING, NULL },
	{ "collect", "Run BPF collectors together in one window", step_collect, STEP_NEEDS_BPF,
	  step_collect_refused },
	{ "judge", "Turn measurements into findings and verdicts", step_judge, STEP_NEEDS_NOTHING,
	  NULL },
	{ "friday_judge", "Efficiency figures and unnecessary work (F-01, F-05, F-07)",
	  step_friday_judge, STEP_NEEDS_NOTHING, NULL },
	{ NULL, NULL, NULL, STEP_NEEDS_NOTHING, NULL },
};
