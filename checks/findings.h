/* findings.h: the finding catalogue. Every finding friday can emit has a
 * stable dotted id, a subsystem, a title, the source of its rule and a
 * default next step. `friday list findings` and docs/findings.md come from
 * these tables; a test checks that the two agree. */
#ifndef FRIDAY_FINDINGS_H
#define FRIDAY_FINDINGS_H

#include <stddef.h>

struct finding_def {
	const char *id;         /* e.g. "cpu.runqueue_latency" */
	const char *subsystem;  /* one of report_subsystems, or "host" */
	const char *title;
	const char *source;     /* METHODOLOGY.md id and its source keys */
	const char *next_step;
};

/* NULL-terminated list of tables; each module owns one table. */
extern const struct finding_def *const finding_tables[];

/* Tables, one per module (each ends with a { NULL } row). */
extern const struct finding_def memory_health_findings[];
extern const struct finding_def disk_health_findings[];
extern const struct finding_def load_findings[];        /* checks/load_findings.c */
extern const struct finding_def static_check_findings[];  /* checks/static_findings.c */
extern const struct finding_def past_error_findings[];    /* checks/static_findings.c */

const struct finding_def *finding_def_find(const char *id);
size_t finding_def_count(void);
/* Calls fn for every definition, in table order. */
void finding_def_each(void (*fn)(const struct finding_def *def, void *arg), void *arg);

#endif
