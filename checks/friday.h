/* friday.h: Friday's rules (checks/rules_friday.c): efficiency figures
 * into report.efficiency and the unnecessary-work findings, run by the
 * playbook step kind "friday_judge". */
#ifndef FRIDAY_FRIDAY_H
#define FRIDAY_FRIDAY_H

#include "checks/findings.h"
#include "reports/report.h"

void judge_friday(struct report *r);

extern const struct finding_def friday_rule_findings[];

#endif
