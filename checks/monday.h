/* monday.h: the step functions of Monday (inventory, static checks, past
 * errors, load snapshot), called from the step table in playbooks/steps.c. */
#ifndef FRIDAY_MONDAY_H
#define FRIDAY_MONDAY_H

#include "playbooks/playbook.h"

/* Fills report.host and report.tool (ST-00 inventory). */
void inventory_fill(struct report *r);

enum step_status step_inventory(struct step_ctx *ctx);
enum step_status step_static_checks(struct step_ctx *ctx);
enum step_status step_load_snapshot(struct step_ctx *ctx);   /* checks/load.c */
enum step_status step_past_errors(struct step_ctx *ctx);

#endif
