/* playbook.h: playbooks are data (JSON in playbooks/, embedded at build
 * time). A playbook is stages of steps; each step names a step kind from
 * the table in playbooks/steps.c and a share of the run's time budget.
 * The engine runs them, records each step's status, and writes nothing
 * itself: the report model holds what the steps learned. */
#ifndef FRIDAY_PLAYBOOK_H
#define FRIDAY_PLAYBOOK_H

#include <jansson.h>
#include <stdbool.h>
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

/* What a step kind needs from the host; the engine marks a step
 * "unavailable", with the reason, when this process cannot have it. */
enum step_needs {
	STEP_NEEDS_NOTHING = 0,
	STEP_NEEDS_BPF = 1,      /* loads BPF: root, or CAP_BPF with CAP_PERFMON */
};

struct step_kind {
	const char *name;
	const char *summary;
	enum step_status (*run)(struct step_ctx *ctx);
	enum step_needs needs;
	/* May be NULL. Called instead of run when the engine refuses the step
	 * for what it needs, so the step can record why item by item (e.g.
	 * each collector, for the verdicts that wait on them). */
	void (*refused)(struct step_ctx *ctx, const char *why);
};


/* What a person (or a script) sees while a playbook runs: cli/progress.c
 * draws these; the engine only calls them. Any may be NULL. */
struct playbook_hooks {
	void (*step_begin)(void *arg, const char *stage, const char *step, const char *title,
			   double budget_s, uint64_t run_deadline_ns);
	void (*step_end)(void *arg, const char *stage, const char *step, enum step_status st,
			 double elapsed_s, const char *reason);
	void *arg;
};

/* One run of a playbook, a stage at a time (`run` walks them all, `guide`
 * asks between stages). deadline_ns is the end of the whole -d budget; the
 * guide moves it on by the time it waited for the person. */
struct playbook_exec {
	json_t *pb;
	const struct run_opts *opts;
	struct report *report;
	uint64_t deadline_ns;
	const struct playbook_hooks *hooks;
	json_t *force;            /* the stage now running: steps run whatever "when" says */
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
/* Parses and validates a playbook's text; origin names it in errors. */
json_t *playbook_parse(const char *text, const char *origin, char *err, size_t err_len);
/* Validates a parsed playbook; 0 or -EINVAL with err filled as
 * "ORIGIN:LINE:COL: what" (positions from json_positions(), or 0:0 when
 * positions is NULL). */
int playbook_validate(json_t *pb, json_t *positions, const char *origin, char *err,
		      size_t err_len);

/* The stage filter (--stages a,b): true when stage is selected. */
bool playbook_stage_selected(const char *stages, const char *stage);
/* Checks --stages against the playbook and -d against the steps' min_s
 * before anything runs; 0 or -EINVAL with err filled. */
int playbook_check_run(json_t *pb, const struct run_opts *opts, char *err, size_t err_len);

/* Evaluates a step's "when" against the report's health[] and steps as
 * they are now; says why in why (what held, or what did not). A NULL when
 * always holds. */
bool playbook_when_holds(json_t *when, struct report *r, char *why, size_t why_len);

void playbook_exec_init(struct playbook_exec *x, json_t *pb, const struct run_opts *opts,
			struct report *r, const struct playbook_hooks *hooks);
/* Runs stage stage_idx (an index into the playbook's stages). force is
 * NULL, or an array of step ids to run whatever their "when" says (the
 * string "*" forces every step). Returns the number of steps that ran. */
int playbook_run_stage(struct playbook_exec *x, size_t stage_idx, json_t *force);

/* The share of the time left that stage stage_idx would get now. */
double playbook_stage_budget_s(struct playbook_exec *x, size_t stage_idx);

/* Runs every selected stage into the report, honouring opts->duration_s,
 * the stage filter and stop requests. Returns 0 (steps' failures are
 * recorded, not returned). */
int playbook_run(json_t *pb, const struct run_opts *opts, struct report *r,
		 const struct playbook_hooks *hooks);

#endif
