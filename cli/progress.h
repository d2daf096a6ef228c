/* progress.h: what `run` and `guide` show while steps run: on a terminal
 * one line on stderr that updates in place (stage, step, time left), in
 * colour unless NO_COLOR is set; otherwise one plain line per step. */
#ifndef FRIDAY_PROGRESS_H
#define FRIDAY_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "playbooks/playbook.h"

struct progress {
	FILE *out;
	bool tty;                 /* redraw one line in place */
	bool color;               /* a tty and NO_COLOR unset */
	pthread_mutex_t lock;
	pthread_t ticker;
	bool ticker_running;
	bool stop_ticker;
	bool step_active;
	char stage[32];
	char step[64];
	char title[128];
	uint64_t step_deadline_ns;
	uint64_t run_deadline_ns;
	struct playbook_hooks hooks;
};

/* Sets up for stderr; the hooks go to playbook_run / playbook_exec_init. */
void progress_init(struct progress *p);
/* Clears the line and stops the ticker. */
void progress_done(struct progress *p);

/* Colour escapes (what: stage, ok, skipped, bad, bold, dim, reset, or a
 * verdict name), or "" when colour is off. */
const char *progress_color(const struct progress *p, const char *what);
const char *term_color(bool on, const char *what);
/* Colour on fd: a terminal, and NO_COLOR unset or empty (no-color.org). */
bool progress_want_color(int fd);

#endif
