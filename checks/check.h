/* check.h: Monday's static checks. Each check is a row in a table: an id
 * from METHODOLOGY.md, what it reads, its rule and the rule's source, and a
 * function that reads the host and adds findings only when it has something
 * to say. Paths go through check_path() so tests can point a check at a
 * fixture tree instead of the live /proc and /sys. */
#ifndef FRIDAY_CHECK_H
#define FRIDAY_CHECK_H

#include <stddef.h>

#include "lib/options.h"
#include "reports/report.h"

struct check_ctx {
	struct report *report;
	const struct run_opts *opts;  /* may be NULL in tests */
	const char *root;             /* "" for the live host, else a fixture tree */
};

/* Result of one check: ran (findings, if any, are in the report), or not
 * applicable on this host (reason given). */
enum check_result { CHECK_RAN, CHECK_NOT_APPLICABLE, CHECK_FAILED };

struct check {
	const char *id;       /* METHODOLOGY.md id, e.g. "ST-MEM-01" */
	const char *title;
	const char *reads;    /* the files it reads */
	const char *rule;     /* the rule in one line, with its thresholds */
	const char *source;   /* where the rule comes from */
	enum check_result (*run)(struct check_ctx *ctx, char *reason, size_t reason_len);
};

/* The table of static checks and past-error scans, NULL-id terminated. */
extern const struct check static_checks[];
size_t static_check_count(void);

/* Prefixes path with the context's root: "/proc/meminfo" -> "ROOT/proc/meminfo". */
const char *check_path(const struct check_ctx *ctx, const char *path, char *buf, size_t len);

enum check_group { CHECKS_ALL, CHECKS_STATIC, CHECKS_PAST_ERRORS };

/* Runs the checks of a group (past errors are the ERR-... rows), recording
 * each in report "checks"; returns how many ran. */
int run_checks(struct check_ctx *ctx, enum check_group group);
/* Runs every check of the table (friday check). */
int run_static_checks(struct check_ctx *ctx);

#endif
