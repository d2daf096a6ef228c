/* playbook.h: playbooks are data (JSON in playbooks/, embedded at build
 * time). A playbook is stages of steps; each step names a step kind from
 * the table in playbooks/steps.c and a share of the run's time budget.
 * The engine runs them, records each step's status, and writes nothing
 * itself: the report model holds what the steps learned. */
#ifndef FRIDAY_PLAYBOOK_H
#define FRIDAY_PLAYBOOK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/options.h"
#include "reports/report.h"

struct embedded_playbook {
	const char *name;
	const char *path;
	const char *json;
};
extern const struct embedded_playbook embedded_playbooks[];

/* What a step gets: the report to write into, the options, its own JSON
 * arguments from the playbook, and its deadline. */
struct step_ctx {
	struct report *report;
	const struct run_opts *opts;
	json_t *args;             /* the step object of the playbook */
	uint64_t deadline_ns;     /* monotonic; the step must return by then */
	double budget_s;
	char reason[256];         /* why, when the step is not ok */
};

struct step_kind {
	const char *name;
	const char *summary;
	enum step_status (*run)(struct step_ctx *ctx);
};

/* The table of step kinds (playbooks/steps.c), NULL-name terminated. */
extern const struct step_kind step_kinds[];
const struct step_kind *step_kind_find(const char *name);

/* The stage ids of the week, in order. */
extern const char *const week_stages[];
extern const size_t week_nr_stages;

/* Loads a playbook by embedded name or by file path, validates it, and
 * returns it; on error returns NULL with err filled as "FILE:LINE:COL: what". */
json_t *playbook_load(const char *name_or_file, char *err, size_t err_len);
/* Validates a parsed playbook; 0 or -EINVAL with err filled. */
int playbook_validate(json_t *pb, const char *origin, char *err, size_t err_len);

/* Runs the playbook into the report, honouring opts->duration_s, the
 * stage filter and stop requests. Returns 0 (steps' failures are recorded,
 * not returned). */
int playbook_run(json_t *pb, const struct run_opts *opts, struct report *r);

#endif
