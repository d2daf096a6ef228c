/* engine.c: loads, validates and runs playbooks (see playbook.h). Each step
 * gets a budget from what is left of -d, shared out by the steps' weights,
 * so time a quick step does not use goes to the steps after it. */
#include "playbooks/playbook.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

const char *const week_stages[] = { "monday", "tuesday", "wednesday", "thursday", "friday" };
const size_t week_nr_stages = ARRAY_SIZE(week_stages);

const struct step_kind *step_kind_find(const char *name)
{
	for (size_t i = 0; step_kinds[i].name; i++)
		if (!strcmp(step_kinds[i].name, name))
			return &step_kinds[i];
	return NULL;
}

static bool is_week_stage(const char *id)
{
	for (size_t i = 0; i < week_nr_stages; i++)
		if (!strcmp(week_stages[i], id))
			return true;
	return false;
}

static void known_step_kinds(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; step_kinds[i].name && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", step_kinds[i].name);
}

static int validate_step(json_t *step, const char *origin, const char *stage, size_t idx,
			 char *err, size_t err_len)
{
	const char *id = json_string_value(json_object_get(step, "id"));
	const char *run = json_string_value(json_object_get(step, "run"));
	json_t *weight = json_object_get(step, "weight");
	char known[512];

	if (!json_is_object(step) || !id || !run) {
		snprintf(err, err_len, "%s: stage %s, step %zu: needs string fields \"id\" and \"run\"",
			 origin, stage, idx + 1);
		return -EINVAL;
	}
	if (!step_kind_find(run)) {
		known_step_kinds(known, sizeof(known));
		snprintf(err, err_len, "%s: stage %s, step %s: unknown step \"%s\"; known steps: %s",
			 origin, stage, id, run, known);
		return -EINVAL;
	}
	if (weight && (!json_is_number(weight) || json_number_value(weight) < 0)) {
		snprintf(err, err_len, "%s: stage %s, step %s: \"weight\" must be a number >= 0",
			 origin, stage, id);
		return -EINVAL;
	}
	return 0;
}

int playbook_validate(json_t *pb, const char *origin, char *err, size_t err_len)
{
	json_t *stages = json_object_get(pb, "stages"), *stage, *steps, *step;
	size_t i, j;

	if (!json_is_object(pb) || !json_is_string(json_object_get(pb, "name"))) {
		snprintf(err, err_len, "%s: a playbook is an object with a string \"name\"", origin);
		return -EINVAL;
	}
	if (!json_is_array(stages) || json_array_size(stages) == 0) {
		snprintf(err, err_len, "%s: \"stages\" must be a non-empty array", origin);
		return -EINVAL;
	}
	json_array_foreach(stages, i, stage) {
		const char *id = json_string_value(json_object_get(stage, "id"));

		if (!id || !is_week_stage(id)) {
			snprintf(err, err_len, "%s: stage %zu: \"id\" must be one of monday, tuesday, "
				 "wednesday, thursday, friday", origin, i + 1);
			return -EINVAL;
		}
		steps = json_object_get(stage, "steps");
		if (!json_is_array(steps)) {
			snprintf(err, err_len, "%s: stage %s: \"steps\" must be an array", origin, id);
			return -EINVAL;
		}
		json_array_foreach(steps, j, step)
			if (validate_step(step, origin, id, j, err, err_len))
				return -EINVAL;
	}
	return 0;
}

json_t *playbook_load(const char *name_or_file, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *pb = NULL;
	const char *origin = name_or_file;

	for (size_t i = 0; embedded_playbooks[i].name; i++) {
		if (!strcmp(embedded_playbooks[i].name, name_or_file)) {
			origin = embedded_playbooks[i].path;
			pb = json_loads(embedded_playbooks[i].json, 0, &jerr);
			break;
		}
	}
	if (!pb && origin == name_or_file) {
		if (!strchr(name_or_file, '/') && !strstr(name_or_file, ".json")) {
			snprintf(err, err_len, "no playbook named '%s' (see: friday list playbooks)",
				 name_or_file);
			return NULL;
		}
		pb = json_load_file(name_or_file, 0, &jerr);
	}
	if (!pb) {
		snprintf(err, err_len, "%s:%d:%d: %s", origin, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (playbook_validate(pb, origin, err, err_len)) {
		json_decref(pb);
		return NULL;
	}
	return pb;
}

static bool stage_selected(const struct run_opts *opts, const char *stage)
{
	const char *p = opts->stages;
	size_t n = strlen(stage);

	if (!p || !*p)
		return true;
	while ((p = strstr(p, stage))) {
		bool start_ok = p == opts->stages || p[-1] == ',';
		bool end_ok = p[n] == '\0' || p[n] == ',';

		if (start_ok && end_ok)
			return true;
		p += n;
	}
	return false;
}

static double step_weight(json_t *step)
{
	json_t *w = json_object_get(step, "weight");

	return w ? json_number_value(w) : 1.0;
}

/* Sum of the weights of the steps that will still run, this one included. */
static double weights_left(json_t *pb, const struct run_opts *opts, size_t from_stage,
			   size_t from_step)
{
	json_t *stage, *step;
	double sum = 0;
	size_t i, j;

	json_array_foreach(json_object_get(pb, "stages"), i, stage) {
		if (i < from_stage || !stage_selected(opts, json_string_value(json_object_get(stage, "id"))))
			continue;
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			if (i > from_stage || j >= from_step)
				sum += step_weight(step);
	}
	return sum;
}

static void run_step(json_t *step, const char *stage, const struct run_opts *opts,
		     struct report *r, double budget_s, uint64_t run_deadline_ns)
{
	const char *id = json_string_value(json_object_get(step, "id"));
	const struct step_kind *kind = step_kind_find(json_string_value(json_object_get(step, "run")));
	const char *title = json_string_value(json_object_get(step, "title"));
	struct step_ctx ctx = { .report = r, .opts = opts, .args = step, .budget_s = budget_s };
	uint64_t start = now_mono_ns();
	enum step_status st;
	double elapsed;

	ctx.deadline_ns = start + (uint64_t)(budget_s * 1e9);
	if (ctx.deadline_ns > run_deadline_ns)
		ctx.deadline_ns = run_deadline_ns;
	report_step_begin(r, stage, id, title ? title : kind->summary);
	if (friday_stop_requested) {
		report_step_end(r, STEP_SKIPPED, 0, "stopped before it ran (signal or deadline)");
		return;
	}
	log_info("%s: %s (%.1f s budget)", stage, id, budget_s);
	st = kind->run(&ctx);
	elapsed = (now_mono_ns() - start) / 1e9;
	/* A step that ran past its deadline is recorded as such, whatever it said. */
	if (st == STEP_OK && now_mono_ns() > ctx.deadline_ns + 2000000000ull) {
		st = STEP_TIMEOUT;
		snprintf(ctx.reason, sizeof(ctx.reason), "ran %.1f s over a %.1f s budget",
			 elapsed - budget_s, budget_s);
	}
	report_step_end(r, st, elapsed, "%s", ctx.reason);
}

int playbook_run(json_t *pb, const struct run_opts *opts, struct report *r)
{
	uint64_t run_deadline = now_mono_ns() + (uint64_t)opts->duration_s * 1000000000ull;
	json_t *stage, *step;
	size_t i, j;

	json_array_foreach(json_object_get(pb, "stages"), i, stage) {
		const char *sid = json_string_value(json_object_get(stage, "id"));

		if (!stage_selected(opts, sid))
			continue;
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			uint64_t now = now_mono_ns();
			double left_s = now < run_deadline ? (run_deadline - now) / 1e9 : 0;
			double wsum = weights_left(pb, opts, i, j);
			double budget = wsum > 0 ? left_s * step_weight(step) / wsum : 0;

			run_step(step, sid, opts, r, budget, run_deadline);
		}
	}
	return 0;
}
