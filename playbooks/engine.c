/* engine.c: runs playbooks (see playbook.h), a stage at a time. Each step
 * gets a budget from what is left of -d, shared out by the weights of the
 * steps still to come, so time a quick or skipped step does not use goes to
 * the steps after it. A step's "when" is judged against the report as it is
 * when the step would run, so Thursday follows Tuesday's verdicts; the step
 * record says why it ran, or why it was skipped.
 *
 * Budgets: a step with a weight gets its share of what is left of -d; a
 * step of weight 0 (checks, judging) gets QUICK_STEP_BUDGET_S and may run
 * into the RUN_GRACE_S after -d, so the run can still be judged; "budget_s"
 * in the playbook sets a step's budget outright. A step that returns past
 * its deadline is recorded as timed out, and the run goes on. Steps honour
 * their deadline themselves; in `friday run` a watchdog (SIGALRM, which also
 * interrupts a blocked system call) asks everything to wind down once -d
 * plus the grace has passed, so a run ends within -d plus a few seconds. */
#include "playbooks/playbook.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/caps.h"
#include "lib/util.h"
#include "reports/jsonread.h"

/* A weight-0 step (inventory, checks, judging) must be quick: this long at most. */
#define QUICK_STEP_BUDGET_S 5.0
/* How far past -d quick steps may run, so a run that used its whole budget
 * collecting can still be judged. The watchdog fires at -d plus this. */
#define RUN_GRACE_S 2.0
/* A step that returns this much past its deadline is recorded as timed out. */
#define OVERRUN_SLACK_S 2.0
/* Collection windows end this share of -d (at most CLOSE_RESERVE_MAX_S)
 * before -d, so the last window's harvest (symbolizing stacks), judging and
 * the archive still fit in -d plus the grace on a busy host. */
#define CLOSE_RESERVE_FRAC 0.2
#define CLOSE_RESERVE_MAX_S 1.5

const char *const week_stages[] = { "monday", "tuesday", "wednesday", "thursday", "friday" };
const size_t week_nr_stages = ARRAY_SIZE(week_stages);

const struct step_kind *step_kind_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; step_kinds[i].name; i++)
		if (!strcmp(step_kinds[i].name, name))
			return &step_kinds[i];
	return NULL;
}

bool playbook_stage_selected(const char *stages, const char *stage)
{
	size_t n = strlen(stage);
	const char *p = stages;

	if (!p || !*p)
		return true;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, stage, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static const char *stage_id(json_t *stage)
{
	return json_string_value(json_object_get(stage, "id"));
}

static double json_num_or(json_t *obj, const char *key, double dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

int playbook_check_run(json_t *pb, const struct run_opts *opts, char *err, size_t err_len)
{
	const char *name = json_string_value(json_object_get(pb, "name"));
	char have[128] = "", tok[64];
	const char *p = opts->stages;
	double min_s = 0;
	json_t *stage, *step;
	size_t i, j, off = 0;

	json_array_foreach(json_object_get(pb, "stages"), i, stage)
		off += snprintf(have + off, sizeof(have) - off, "%s%s", i ? "," : "", stage_id(stage));
	while (p && *p) {
		size_t len = strcspn(p, ",");
		bool found = false;

		snprintf(tok, sizeof(tok), "%.*s", (int)(len < sizeof(tok) ? len : sizeof(tok) - 1), p);
		json_array_foreach(json_object_get(pb, "stages"), i, stage)
			found |= !strcmp(stage_id(stage), tok);
		if (!found) {
			snprintf(err, err_len, "--stages %s: playbook %s has no stage %s (it has: %s)",
				 opts->stages, name, tok, have);
			return -EINVAL;
		}
		p += len + (p[len] == ',');
	}
	json_array_foreach(json_object_get(pb, "stages"), i, stage) {
		if (!playbook_stage_selected(opts->stages, stage_id(stage)))
			continue;
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			min_s += json_num_or(step, "min_s", 0);
	}
	if (min_s > opts->duration_s) {
		snprintf(err, err_len, "impossible budget: playbook %s needs at least %g s (the "
			 "min_s of its steps) but -d gives %d s", name, min_s, opts->duration_s);
		return -EINVAL;
	}
	return 0;
}

/* The status of the step with this id in the report so far, or NULL. */
static const char *step_status_in_report(struct report *r, const char *id)
{
	json_t *stage, *step;
	size_t i, j;

	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			if (!strcmp(json_string_value(json_object_get(step, "id")), id))
				return json_string_value(json_object_get(step, "status"));
	return NULL;
}

struct when_eval {
	bool any;           /* "match": "any" (default) or "all" */
	int nr_true, nr_false;
	char held[256];     /* what held, for the step record */
	char failed[256];   /* what did not, for the skip reason */
};

static void note(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t off = strlen(buf);

	if (off < len)
		snprintf(buf + off, len - off, fmt, off ? "; " : "", a, b);
}

static void eval_verdicts(json_t *verdict, struct report *r, struct when_eval *e)
{
	const char *sub;
	json_t *list, *want;
	size_t i;

	json_object_foreach(verdict, sub, list) {
		const char *now = verdict_name(report_get_verdict(r, sub));
		bool hit = false;

		json_array_foreach(list, i, want)
			hit |= !strcmp(json_string_value(want), now);
		if (hit) {
			e->nr_true++;
			note(e->held, sizeof(e->held), "%s%s is %s", sub, now);
		} else {
			e->nr_false++;
			note(e->failed, sizeof(e->failed), "%s%s is %s", sub, now);
		}
	}
}

static void eval_ran(json_t *ran, struct report *r, struct when_eval *e)
{
	json_t *id;
	size_t i;

	json_array_foreach(ran, i, id) {
		const char *st = step_status_in_report(r, json_string_value(id));

		if (st && !strcmp(st, "ok")) {
			e->nr_true++;
			note(e->held, sizeof(e->held), "%sstep %s ran%s", json_string_value(id), "");
		} else {
			e->nr_false++;
			note(e->failed, sizeof(e->failed), "%sstep %s %s", json_string_value(id),
			     st ? st : "did not run");
		}
	}
}

bool playbook_when_holds(json_t *when, struct report *r, char *why, size_t why_len)
{
	struct when_eval e = { .any = true };
	const char *match = json_string_value(json_object_get(when, "match"));
	bool holds;

	if (!when) {
		snprintf(why, why_len, "always runs in this playbook");
		return true;
	}
	e.any = !match || strcmp(match, "all");
	eval_verdicts(json_object_get(when, "verdict"), r, &e);
	eval_ran(json_object_get(when, "ran"), r, &e);
	holds = e.any ? e.nr_true > 0 : e.nr_false == 0;
	if (holds)
		snprintf(why, why_len, "its condition holds: %s", e.held);
	else
		snprintf(why, why_len, "its condition does not hold (%s of it): %s",
			 e.any ? "none" : "not all", e.failed);
	return holds;
}

static double step_weight(json_t *step)
{
	return json_num_or(step, "weight", 1.0);
}

/* Sum of the weights of the steps that may still run, this one included. */
static bool forced(json_t *force, const char *id)
{
	return jcontains(force, "*") || jcontains(force, id);
}

/* Whether a later step of the stage now running will run, as far as can be
 * told now: its condition holds on the verdicts so far, or it is forced. */
static bool will_run_now(struct playbook_exec *x, json_t *step)
{
	json_t *when = json_object_get(step, "when");
	char why[512];

	return !when || forced(x->force, json_string_value(json_object_get(step, "id"))) ||
	       playbook_when_holds(when, x->report, why, sizeof(why));
}

/* The weights of the steps that may still run, this one included. The
 * drill-downs of a later stage (steps with "when") are alternatives of
 * which few fire: together they reserve the largest of their weights, not
 * the sum, so they do not starve the stages before them. In the stage now
 * running their conditions can be judged, so only those that hold count. */
static double later_stages_weights(struct playbook_exec *x, size_t after_stage)
{
	json_t *stage, *step;
	double sum = 0, drill_max;
	size_t i, j;

	json_array_foreach(json_object_get(x->pb, "stages"), i, stage) {
		if (i <= after_stage || !playbook_stage_selected(x->opts->stages, stage_id(stage)))
			continue;
		drill_max = 0;
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			if (!json_object_get(step, "when"))
				sum += step_weight(step);
			else if (step_weight(step) > drill_max)
				drill_max = step_weight(step);
		}
		sum += drill_max;
	}
	return sum;
}

/* The weights of the steps from_step on in stage stage_idx that will run
 * as far as can be told now; from_step itself always counts (it is about
 * to run). */
static double stage_weights_now(struct playbook_exec *x, size_t stage_idx, size_t from_step,
				bool count_first)
{
	json_t *stage = json_array_get(json_object_get(x->pb, "stages"), stage_idx), *step;
	double sum = 0;
	size_t j;

	json_array_foreach(json_object_get(stage, "steps"), j, step)
		if (j >= from_step && ((count_first && j == from_step) || will_run_now(x, step)))
			sum += step_weight(step);
	return sum;
}

static double weights_left(struct playbook_exec *x, size_t from_stage, size_t from_step)
{
	return stage_weights_now(x, from_stage, from_step, true) +
	       later_stages_weights(x, from_stage);
}

static void hook_end(struct playbook_exec *x, const char *stage, const char *id,
		     enum step_status st, double elapsed_s, const char *reason)
{
	if (x->hooks && x->hooks->step_end)
		x->hooks->step_end(x->hooks->arg, stage, id, st, elapsed_s, reason);
}

/* When the weighted steps' windows must end: -d less the closing reserve. */
static uint64_t windows_end_ns(struct playbook_exec *x)
{
	double reserve_s = x->opts->duration_s * CLOSE_RESERVE_FRAC;

	if (reserve_s > CLOSE_RESERVE_MAX_S)
		reserve_s = CLOSE_RESERVE_MAX_S;
	return x->deadline_ns - (uint64_t)(reserve_s * 1e9);
}

/* Seconds from now until the monotonic time end_ns, 0 once it passed. */
static double seconds_until(uint64_t end_ns)
{
	uint64_t now = now_mono_ns();

	return now < end_ns ? (end_ns - now) / 1e9 : 0;
}

/* The step's budget and deadline, from its "budget_s", its weight's
 * share of the time left for windows, or the quick-step budget. Returns
 * false when no time is left for it. */
static bool step_budget(struct playbook_exec *x, json_t *step, size_t stage_idx,
			size_t step_idx, double *budget_s, uint64_t *deadline_ns)
{
	json_t *fixed = json_object_get(step, "budget_s");
	uint64_t now = now_mono_ns(), limit;
	double weight = step_weight(step), wsum;
	bool quick = fixed || weight == 0;

	if (quick) {
		/* quick steps may use the grace after -d, to close the run */
		limit = x->deadline_ns + (uint64_t)(RUN_GRACE_S * 1e9);
		*budget_s = fixed ? json_number_value(fixed) : QUICK_STEP_BUDGET_S;
	} else {
		limit = windows_end_ns(x);
		wsum = weights_left(x, stage_idx, step_idx);
		*budget_s = wsum > 0 ? seconds_until(limit) * weight / wsum : 0;
	}
	*deadline_ns = now;
	if (now >= limit)
		return false;
	if (*budget_s > (limit - now) / 1e9)
		*budget_s = (limit - now) / 1e9;
	*deadline_ns = now + (uint64_t)(*budget_s * 1e9);
	return quick || *budget_s > 0;
}

/* Records a step that did not run, and why. */
static bool not_run(struct playbook_exec *x, const char *stage, const char *id,
		    enum step_status st, const char *why)
{
	report_step_end(x->report, st, 0, "%s", why);
	hook_end(x, stage, id, st, 0, why);
	return false;
}

/* Runs one step, or records why it did not run. Returns true when it ran. */
static bool run_step(struct playbook_exec *x, json_t *step, const char *stage, bool has_time,
		     double budget_s, uint64_t deadline_ns, json_t *force)
{
	const char *id = json_string_value(json_object_get(step, "id"));
	const char *run = json_string_value(json_object_get(step, "run"));
	const struct step_kind *kind = step_kind_find(run);
	const char *title = json_string_value(json_object_get(step, "title"));
	struct step_ctx ctx = { .report = x->report, .opts = x->opts, .args = step,
				.budget_s = budget_s, .deadline_ns = deadline_ns };
	uint64_t start = now_mono_ns();
	char why[600], blocked[256];
	json_t *rec;
	enum step_status st;
	bool holds;
	double elapsed;

	holds = playbook_when_holds(json_object_get(step, "when"), x->report, why, sizeof(why));
	rec = report_step_begin(x->report, stage, id, title ? title : kind->summary);
	json_object_set_new(rec, "run", json_string(run));
	if (friday_stop_requested) {
		snprintf(blocked, sizeof(blocked), "not run: %s", friday_stop_reason());
		return not_run(x, stage, id, STEP_SKIPPED, blocked);
	}
	if (!holds && !forced(force, id))
		return not_run(x, stage, id, STEP_SKIPPED, why);
	if (!has_time)
		return not_run(x, stage, id, STEP_SKIPPED, "not run: no time was left of the -d budget");
	if ((kind->needs & STEP_NEEDS_BPF) && !caps_bpf_privileged()) {
		snprintf(blocked, sizeof(blocked), "needs BPF, which the kernel refuses to uid %d "
			 "without %s: run friday as root", (int)geteuid(), caps_missing_privileges());
		if (kind->refused)
			kind->refused(&ctx, blocked);
		return not_run(x, stage, id, STEP_UNAVAILABLE, blocked);
	}
	if (!holds)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "; run anyway: chosen by the "
			 "person in guide mode");
	json_object_set_new(rec, "why", json_string(why));
	log_info("%s: %s (%.1f s budget): %s", stage, id, budget_s, why);
	if (x->hooks && x->hooks->step_begin)
		x->hooks->step_begin(x->hooks->arg, stage, id, title ? title : kind->summary, budget_s,
				     x->deadline_ns);
	st = kind->run(&ctx);
	elapsed = (now_mono_ns() - start) / 1e9;
	/* A step that ran past its deadline is recorded as such, whatever it said. */
	if (st == STEP_OK && now_mono_ns() > ctx.deadline_ns + (uint64_t)(OVERRUN_SLACK_S * 1e9)) {
		char said[sizeof(ctx.reason)];

		/* what the step said (what it did, what the overhead budget cut) stays */
		snprintf(said, sizeof(said), "%s", ctx.reason);
		st = STEP_TIMEOUT;
		snprintf(ctx.reason, sizeof(ctx.reason), "ran %.1f s, %.1f s over its %.1f s budget%s%.*s",
			 elapsed, elapsed - budget_s, budget_s, said[0] ? "; " : "",
			 (int)(sizeof(ctx.reason) - 64), said);
	}
	report_step_end(x->report, st, elapsed, "%s", ctx.reason);
	hook_end(x, stage, id, st, elapsed, ctx.reason);
	return true;
}

double playbook_stage_budget_s(struct playbook_exec *x, size_t stage_idx)
{
	double left_s = seconds_until(windows_end_ns(x));
	double mine = stage_weights_now(x, stage_idx, 0, false);
	double wsum = mine + later_stages_weights(x, stage_idx);

	return wsum > 0 ? left_s * mine / wsum : 0;
}

void playbook_exec_init(struct playbook_exec *x, json_t *pb, const struct run_opts *opts,
			struct report *r, const struct playbook_hooks *hooks)
{
	x->pb = pb;
	x->opts = opts;
	x->report = r;
	x->hooks = hooks;
	x->force = NULL;
	x->deadline_ns = now_mono_ns() + (uint64_t)opts->duration_s * 1000000000ull;
}

int playbook_run_stage(struct playbook_exec *x, size_t stage_idx, json_t *force)
{
	json_t *stage = json_array_get(json_object_get(x->pb, "stages"), stage_idx), *step;
	const char *sid = stage_id(stage);
	int nr_ran = 0;
	size_t j;

	if (!stage)
		return 0;
	x->force = force;
	json_array_foreach(json_object_get(stage, "steps"), j, step) {
		double budget = 0;
		uint64_t deadline = 0;
		bool has_time = step_budget(x, step, stage_idx, j, &budget, &deadline);

		nr_ran += run_step(x, step, sid, has_time, budget, deadline, force);
	}
	x->force = NULL;
	return nr_ran;
}

static void on_run_deadline(int sig)
{
	if (!friday_stop_requested)
		friday_stop_requested = sig;
}

/* Arms a one-shot SIGALRM at the monotonic time at_ns; returns 0 or -errno. */
static int watchdog_arm(timer_t *timer, uint64_t at_ns)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	struct itimerspec its = { .it_value = { (time_t)(at_ns / 1000000000ull),
						(long)(at_ns % 1000000000ull) } };
	/* no SA_RESTART: a step blocked in a system call gets EINTR */
	struct sigaction sa = { .sa_handler = on_run_deadline };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	if (timer_create(CLOCK_MONOTONIC, &sev, timer))
		return -errno;
	if (timer_settime(*timer, TIMER_ABSTIME, &its, NULL)) {
		timer_delete(*timer);
		return -errno;
	}
	return 0;
}

int playbook_run(json_t *pb, const struct run_opts *opts, struct report *r,
		 const struct playbook_hooks *hooks)
{
	struct playbook_exec x;
	json_t *stage;
	timer_t watchdog;
	bool armed;
	size_t i;

	playbook_exec_init(&x, pb, opts, r, hooks);
	armed = !watchdog_arm(&watchdog, x.deadline_ns + (uint64_t)(RUN_GRACE_S * 1e9));
	json_array_foreach(json_object_get(pb, "stages"), i, stage)
		if (playbook_stage_selected(opts->stages, stage_id(stage)))
			playbook_run_stage(&x, i, NULL);
	if (armed)
		timer_delete(watchdog);
	return 0;
}
