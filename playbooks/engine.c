/* engine.c: runs playbooks (see playbook.h), a stage at a time. Each step
 * gets a budget from what is left of -d, shared out by the weights of the
 * steps still to come, so time a quick or skipped step does not use goes to
 * the steps after it. A step's "when" is judged against the report as it is
 * when the step would run, so Thursday follows Tuesday's verdicts; the step
 * record says why it ran, or why it was skipped. */
#include "playbooks/playbook.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

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
static double weights_left(struct playbook_exec *x, size_t from_stage, size_t from_step)
{
	json_t *stage, *step;
	double sum = 0;
	size_t i, j;

	json_array_foreach(json_object_get(x->pb, "stages"), i, stage) {
		if (i < from_stage || !playbook_stage_selected(x->opts->stages, stage_id(stage)))
			continue;
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			if (i > from_stage || j >= from_step)
				sum += step_weight(step);
	}
	return sum;
}

static bool forced(json_t *force, const char *id)
{
	json_t *f;
	size_t i;

	json_array_foreach(force, i, f)
		if (!strcmp(json_string_value(f), "*") || !strcmp(json_string_value(f), id))
			return true;
	return false;
}

static void hook_end(struct playbook_exec *x, const char *stage, const char *id,
		     enum step_status st, double elapsed_s, const char *reason)
{
	if (x->hooks && x->hooks->step_end)
		x->hooks->step_end(x->hooks->arg, stage, id, st, elapsed_s, reason);
}

/* Runs one step, or records why it did not run. Returns true when it ran. */
static bool run_step(struct playbook_exec *x, json_t *step, const char *stage, double budget_s,
		     json_t *force)
{
	const char *id = json_string_value(json_object_get(step, "id"));
	const char *run = json_string_value(json_object_get(step, "run"));
	const struct step_kind *kind = step_kind_find(run);
	const char *title = json_string_value(json_object_get(step, "title"));
	struct step_ctx ctx = { .report = x->report, .opts = x->opts, .args = step,
				.budget_s = budget_s };
	uint64_t start = now_mono_ns();
	char why[600];
	json_t *rec;
	enum step_status st;
	bool holds;
	double elapsed;

	ctx.deadline_ns = start + (uint64_t)(budget_s * 1e9);
	if (ctx.deadline_ns > x->deadline_ns)
		ctx.deadline_ns = x->deadline_ns;
	holds = playbook_when_holds(json_object_get(step, "when"), x->report, why, sizeof(why));
	rec = report_step_begin(x->report, stage, id, title ? title : kind->summary);
	json_object_set_new(rec, "run", json_string(run));
	if (friday_stop_requested) {
		report_step_end(x->report, STEP_SKIPPED, 0, "stopped before it ran (signal or deadline)");
		hook_end(x, stage, id, STEP_SKIPPED, 0, "stopped");
		return false;
	}
	if (!holds && !forced(force, id)) {
		report_step_end(x->report, STEP_SKIPPED, 0, "%s", why);
		hook_end(x, stage, id, STEP_SKIPPED, 0, why);
		return false;
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
	if (st == STEP_OK && now_mono_ns() > ctx.deadline_ns + 2000000000ull) {
		st = STEP_TIMEOUT;
		snprintf(ctx.reason, sizeof(ctx.reason), "ran %.1f s over a %.1f s budget",
			 elapsed - budget_s, budget_s);
	}
	report_step_end(x->report, st, elapsed, "%s", ctx.reason);
	hook_end(x, stage, id, st, elapsed, ctx.reason);
	return true;
}

double playbook_stage_budget_s(struct playbook_exec *x, size_t stage_idx)
{
	json_t *stage = json_array_get(json_object_get(x->pb, "stages"), stage_idx), *step;
	uint64_t now = now_mono_ns();
	double left_s = now < x->deadline_ns ? (x->deadline_ns - now) / 1e9 : 0;
	double wsum = weights_left(x, stage_idx, 0), mine = 0;
	size_t j;

	json_array_foreach(json_object_get(stage, "steps"), j, step)
		mine += step_weight(step);
	return wsum > 0 ? left_s * mine / wsum : 0;
}

void playbook_exec_init(struct playbook_exec *x, json_t *pb, const struct run_opts *opts,
			struct report *r, const struct playbook_hooks *hooks)
{
	x->pb = pb;
	x->opts = opts;
	x->report = r;
	x->hooks = hooks;
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
	json_array_foreach(json_object_get(stage, "steps"), j, step) {
		uint64_t now = now_mono_ns();
		double left_s = now < x->deadline_ns ? (x->deadline_ns - now) / 1e9 : 0;
		double wsum = weights_left(x, stage_idx, j);
		double budget = wsum > 0 ? left_s * step_weight(step) / wsum : 0;

		nr_ran += run_step(x, step, sid, budget, force);
	}
	return nr_ran;
}

int playbook_run(json_t *pb, const struct run_opts *opts, struct report *r,
		 const struct playbook_hooks *hooks)
{
	struct playbook_exec x;
	json_t *stage;
	size_t i;

	playbook_exec_init(&x, pb, opts, r, hooks);
	json_array_foreach(json_object_get(pb, "stages"), i, stage)
		if (playbook_stage_selected(opts->stages, stage_id(stage)))
			playbook_run_stage(&x, i, NULL);
	return 0;
}
