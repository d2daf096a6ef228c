/* load.h: Monday's load snapshot (METHODOLOGY 5.1 T60-xx and 5.2 USE-xx
 * from /proc): what vmstat, mpstat, iostat, sar -n DEV/TCP,ETCP and pidstat
 * would show over a short window. Two halves, one way:
 *
 *   load_collect()  reads /proc (under a root prefix) every interval and
 *                   writes the figures, as deltas over the window, into
 *                   report.load (schema: docs/report-schema.md "## load");
 *   load_judge()    reads report.load only, and adds the findings of the
 *                   table in checks/load_judge.c, each with its figure,
 *                   threshold and source.
 *
 * So a recorded report.load (a JSON fixture) can be judged in a unit test. */
#ifndef FRIDAY_LOAD_H
#define FRIDAY_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"

struct load_opts {
	const char *root;        /* "" for the live host, else a fixture tree */
	const char *root_after;  /* NULL, or a second tree for every snapshot
				  * after the first (tests: known deltas) */
	double window_s;         /* from the first snapshot to the last */
	double interval_s;       /* between snapshots; 1 s (METHODOLOGY 2.2) */
	size_t nr_top;           /* processes kept in top_processes */
};

/* Takes snapshots over the window and writes report.load. Returns 0, or a
 * negative errno when even /proc/stat could not be read twice (the reason
 * is written to why). Stops early, with what it has, on a stop request. */
int load_collect(struct report *r, const struct load_opts *opts, char *why, size_t why_len);

/* Judges report.load into findings; returns how many it added. */
size_t load_judge(struct report *r);

/* One row per rule of checks/load_judge.c, for `friday list` and docs. */
struct load_rule {
	const char *id;          /* METHODOLOGY.md id(s), e.g. "T60-03" */
	const char *summary;
	size_t (*judge)(struct report *r, json_t *load);
};
extern const struct load_rule load_rules[];   /* NULL-id terminated */

#endif
