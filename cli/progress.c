/* progress.c: the progress display (see progress.h). On a terminal a small
 * thread redraws the line four times a second, so the time left moves even
 * while a step sleeps in its collection window; log lines clear it first
 * (util.c's log hook) so they never land in the middle of it. */
#include "cli/progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define TICK_NS 250000000L

static struct progress *active;   /* the one display the log hook clears */

static bool no_color_env(void)
{
	const char *v = getenv("NO_COLOR");

	return v && *v;   /* no-color.org: set and not empty */
}

bool progress_want_color(int fd)
{
	return isatty(fd) && !no_color_env();
}

const char *progress_color(const struct progress *p, const char *what)
{
	return term_color(p && p->color, what);
}

const char *term_color(bool on, const char *what)
{
	static const struct { const char *name, *esc; } colors[] = {
		{ "stage", "\033[1;36m" }, { "ok", "\033[32m" }, { "skipped", "\033[33m" },
		{ "bad", "\033[31m" }, { "bold", "\033[1m" }, { "dim", "\033[2m" },
		{ "implicated", "\033[1;31m" }, { "suspect", "\033[33m" },
		{ "exonerated", "\033[32m" }, { "reset", "\033[0m" },
	};

	if (!on)
		return "";
	for (size_t i = 0; i < ARRAY_SIZE(colors); i++)
		if (!strcmp(colors[i].name, what))
			return colors[i].esc;
	return "";
}

static double secs_left(uint64_t deadline_ns)
{
	uint64_t now = now_mono_ns();

	return deadline_ns > now ? (deadline_ns - now) / 1e9 : 0;
}

/* Caller holds the lock. */
static void draw(struct progress *p)
{
	if (!p->step_active)
		return;
	fprintf(p->out, "\r\033[K%s[%s]%s %s%s%s: %s  %s%.0f s left in the step, %.0f s in the run%s",
		progress_color(p, "stage"), p->stage, progress_color(p, "reset"),
		progress_color(p, "bold"), p->step, progress_color(p, "reset"), p->title,
		progress_color(p, "dim"), secs_left(p->step_deadline_ns),
		secs_left(p->run_deadline_ns), progress_color(p, "reset"));
	fflush(p->out);
}

static void clear(struct progress *p)
{
	if (p->tty && p->step_active) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
}

static void *tick(void *arg)
{
	struct progress *p = arg;
	struct timespec ts = { 0, TICK_NS };

	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->stop_ticker) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		draw(p);
		pthread_mutex_unlock(&p->lock);
		nanosleep(&ts, NULL);
	}
}

static void on_log(bool before)
{
	if (!active)
		return;
	if (before) {
		pthread_mutex_lock(&active->lock);
		clear(active);
	} else {
		if (active->tty)
			draw(active);
		pthread_mutex_unlock(&active->lock);
	}
}

static void step_begin(void *arg, const char *stage, const char *step, const char *title,
		       double budget_s, uint64_t run_deadline_ns)
{
	struct progress *p = arg;

	pthread_mutex_lock(&p->lock);
	snprintf(p->stage, sizeof(p->stage), "%s", stage);
	snprintf(p->step, sizeof(p->step), "%s", step);
	snprintf(p->title, sizeof(p->title), "%s", title);
	p->step_deadline_ns = now_mono_ns() + (uint64_t)(budget_s * 1e9);
	if (p->step_deadline_ns > run_deadline_ns)
		p->step_deadline_ns = run_deadline_ns;
	p->run_deadline_ns = run_deadline_ns;
	p->step_active = true;
	if (p->tty)
		draw(p);
	else
		fprintf(p->out, "friday: [%s] %s: %s (%.1f s budget, %.0f s left in the run)\n",
			stage, step, title, budget_s, secs_left(run_deadline_ns));
	pthread_mutex_unlock(&p->lock);
}

static const char *elapsed_str(enum step_status st, double elapsed_s, char *buf, size_t len)
{
	if (st == STEP_SKIPPED)
		return "";
	snprintf(buf, len, " after %.1f s", elapsed_s);
	return buf;
}

static void step_end(void *arg, const char *stage, const char *step, enum step_status st,
		     double elapsed_s, const char *reason)
{
	struct progress *p = arg;
	const char *name = step_status_name(st);
	char when[32];

	pthread_mutex_lock(&p->lock);
	clear(p);
	p->step_active = false;
	/* On a terminal the in-place line is enough for steps that went well. */
	if (!p->tty || st != STEP_OK)
		fprintf(p->out, "friday: [%s] %s: %s%s%s%s%s%s\n", stage, step,
			progress_color(p, st == STEP_OK ? "ok" : st == STEP_SKIPPED ? "skipped" : "bad"),
			name, progress_color(p, "reset"), elapsed_str(st, elapsed_s, when, sizeof(when)),
			reason && *reason ? ": " : "", reason ? reason : "");
	fflush(p->out);
	pthread_mutex_unlock(&p->lock);
}

void progress_init(struct progress *p)
{
	memset(p, 0, sizeof(*p));
	p->out = stderr;
	p->tty = isatty(STDERR_FILENO);
	p->color = progress_want_color(STDERR_FILENO);
	pthread_mutex_init(&p->lock, NULL);
	p->hooks.step_begin = step_begin;
	p->hooks.step_end = step_end;
	p->hooks.arg = p;
	active = p;
	log_hook = on_log;
	if (p->tty && pthread_create(&p->ticker, NULL, tick, p) == 0)
		p->ticker_running = true;
}

void progress_done(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop_ticker = true;
	clear(p);
	p->step_active = false;
	pthread_mutex_unlock(&p->lock);
	if (p->ticker_running)
		pthread_join(p->ticker, NULL);
	p->ticker_running = false;
	log_hook = NULL;
	active = NULL;
}
