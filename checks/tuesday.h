/* tuesday.h: the Tuesday health rules over the probes' measurements, one
 * judge function and one finding table per subsystem (checks/rules_*.c),
 * registered in rule_table (checks/rules.c) and finding_tables
 * (checks/findings.c). */
#ifndef FRIDAY_TUESDAY_H
#define FRIDAY_TUESDAY_H

#include "checks/findings.h"
#include "checks/rules.h"

void judge_cpu(struct report *r);
void judge_processes(struct report *r);
void judge_syscalls(struct report *r);
void judge_locks(struct report *r);
void judge_network(struct report *r);
void judge_filesystem(struct report *r);
void judge_dns(struct report *r);
void judge_memory(struct report *r);
void judge_disk(struct report *r);

extern const struct finding_def cpu_rule_findings[];
extern const struct finding_def processes_rule_findings[];
extern const struct finding_def syscalls_rule_findings[];
extern const struct finding_def locks_rule_findings[];
extern const struct finding_def network_rule_findings[];
extern const struct finding_def filesystem_rule_findings[];
extern const struct finding_def dns_rule_findings[];

#endif
