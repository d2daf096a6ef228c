/* week.h: what `run` and `guide` share: their options, loading and checking
 * the playbook before anything runs, and writing the archive at the end
 * (also a partial one after a stop). cli/cmd_run.c holds them. */
#ifndef FRIDAY_WEEK_H
#define FRIDAY_WEEK_H

#include <limits.h>

#include "lib/options.h"
#include "playbooks/playbook.h"
#include "reports/compare.h"
#include "reports/report.h"

struct week {
	struct run_opts *opts;
	json_t *pb;
	struct report *report;
	char archive[PATH_MAX];
	double t0_s;
	struct diff_side baseline;  /* --baseline, read before the run */
	bool have_baseline;
};

#define DEFAULT_DURATION_S 60
#define DEFAULT_FREQ_HZ 99

/* Parses run's (and guide's) options; 0 or EXIT_USAGE after saying why. */
int parse_run_opts(int argc, char **argv, struct run_opts *opts, const char *cmd);
/* Loads and checks the playbook, the stage filter and the budget, makes
 * the report and fills report.run; 0, or an exit code after saying why. */
int week_begin(struct week *w, struct run_opts *opts, const char *cmd);
/* Records the run's duration and whether it is partial (partial_reason not
 * NULL), writes the archive, frees the week; returns the exit code. */
int week_finish(struct week *w, const char *partial_reason);
/* Sets report.run.target from opts (pid, cgroup or the whole host). */
void week_set_target(struct week *w);
void install_stop_handlers(void);
/* `run`: the whole week without asking. */
int run_week(struct run_opts *opts, const char *cmd);

#endif
