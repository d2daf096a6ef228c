/* rules.h: the rules that judge. A rule reads measurements from the report
 * model (Monday's load snapshot in report.load, collectors' results in
 * report.measurements) and writes findings and per-subsystem verdicts. It
 * never measures. Each rule is a row in the table of checks/rules.c. */
#ifndef FRIDAY_RULES_H
#define FRIDAY_RULES_H

#include "reports/report.h"

struct rule {
	const char *id;          /* e.g. "cpu-health" */
	const char *subsystem;
	const char *summary;
	/* Judges what the report holds; must set a verdict for its subsystem
	 * (unknown, with the reason, when its measurements are missing). */
	void (*judge)(struct report *r);
};

extern const struct rule rule_table[];   /* NULL-id terminated */

/* Runs every rule whose subsystem is listed (NULL: all). */
void rules_judge(struct report *r, json_t *subsystems, json_t *rules);

#endif
