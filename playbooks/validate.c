/* validate.c: loads playbooks (embedded or a user's file) and refuses a bad
 * one before anything runs, naming FILE:LINE:COL and what is wrong. The rules
 * are the ones docs/playbook.schema.json states, plus what a schema cannot
 * say: step kinds that exist, step ids that are unique, "ran" conditions
 * that only look back (no cycles), and budgets that can be met. */
#include "playbooks/playbook.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/collector.h"
#include "lib/util.h"
#include "playbooks/jsonpos.h"
#include "reports/jsonread.h"

#define MAX_WEIGHT 1000.0
#define MAX_DURATION_S 86400.0   /* the largest -d run accepts */

struct vctx {
	const char *origin;
	json_t *positions;
	char *err;
	size_t err_len;
	json_t *step_ids;     /* id -> index in playbook order, as steps are seen */
	size_t nr_steps;
	double min_s_sum;
};

static const char *const top_keys[] = { "$schema", "name", "description", "stages", NULL };
static const char *const stage_keys[] = { "id", "title", "summary", "steps", NULL };
static const char *const when_keys[] = { "verdict", "ran", "match", NULL };

/* Formats "ORIGIN:LINE:COL: what" for the value at pointer (or its key when
 * at_key) and returns -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
vfail(struct vctx *v, const char *pointer, bool at_key, const char *fmt, ...)
{
	char key[1100];
	int line = 0, col = 0, off;
	va_list ap;

	snprintf(key, sizeof(key), "%s%s", at_key ? "key:" : "", pointer);
	json_position_of(v->positions, key, &line, &col);
	off = snprintf(v->err, v->err_len, "%s:%d:%d: ", v->origin, line, col);
	if (off < 0 || (size_t)off >= v->err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(v->err + off, v->err_len - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Builds a JSON Pointer; truncation only shortens a position lookup. */
static void __attribute__((format(printf, 3, 4))) subptr(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static void join(const char *const *list, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; (n ? i < n : list[i] != NULL) && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", list[i]);
}

static int check_keys(struct vctx *v, json_t *obj, const char *pointer,
		      const char *const *allowed, const char *what)
{
	const char *key;
	json_t *val;
	char ptr[1024], known[256];

	json_object_foreach(obj, key, val) {
		if (in_list(allowed, key))
			continue;
		join(allowed, 0, known, sizeof(known));
		subptr(ptr, sizeof(ptr), "%s/%s", pointer, key);
		return vfail(v, ptr, true, "unknown field \"%s\" in %s (known: %s)", key, what, known);
	}
	return 0;
}

static void known_step_kinds(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; step_kinds[i].name && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", step_kinds[i].name);
}

static int week_index(const char *id)
{
	for (size_t i = 0; i < week_nr_stages; i++)
		if (!strcmp(week_stages[i], id))
			return (int)i;
	return -1;
}

static bool is_subsystem(const char *s)
{
	for (size_t i = 0; i < report_nr_subsystems; i++)
		if (!strcmp(report_subsystems[i], s))
			return true;
	return false;
}

static int validate_verdicts(struct vctx *v, json_t *verdict, const char *ptr)
{
	char p[1100], known[256];
	const char *sub;
	json_t *list, *name;
	size_t i;

	if (!json_is_object(verdict) || json_object_size(verdict) == 0)
		return vfail(v, ptr, false, "\"verdict\" must be an object such as "
			     "{\"cpu\": [\"implicated\", \"suspect\"]}");
	json_object_foreach(verdict, sub, list) {
		subptr(p, sizeof(p), "%s/%s", ptr, sub);
		if (!is_subsystem(sub)) {
			join(report_subsystems, report_nr_subsystems, known, sizeof(known));
			return vfail(v, p, true, "unknown subsystem \"%s\" (known: %s)", sub, known);
		}
		if (!json_is_array(list) || json_array_size(list) == 0)
			return vfail(v, p, false, "the verdicts for %s must be a non-empty array", sub);
		json_array_foreach(list, i, name) {
			subptr(p, sizeof(p), "%s/%s/%zu", ptr, sub, i);
			if (!json_is_string(name) || verdict_from_name(json_string_value(name)) < 0)
				return vfail(v, p, false, "unknown verdict (known: implicated, suspect, "
					     "exonerated, unknown)");
		}
	}
	return 0;
}

/* "ran" names steps that must have run before this one: only earlier steps,
 * so the triggers can never form a cycle. */
static int validate_ran(struct vctx *v, json_t *ran, const char *ptr, const char *self)
{
	char p[1100];
	json_t *id;
	size_t i;

	if (!json_is_array(ran) || json_array_size(ran) == 0)
		return vfail(v, ptr, false, "\"ran\" must be a non-empty array of step ids");
	json_array_foreach(ran, i, id) {
		const char *s = json_string_value(id);

		subptr(p, sizeof(p), "%s/%zu", ptr, i);
		if (!s)
			return vfail(v, p, false, "\"ran\" holds step ids (strings)");
		if (!strcmp(s, self))
			return vfail(v, p, false, "step \"%s\" waits for itself: a cycle in the "
				     "triggers", self);
		if (!json_object_get(v->step_ids, s))
			return vfail(v, p, false, "step \"%s\" waits for \"%s\", which does not run "
				     "before it (a trigger must name an earlier step; a later one "
				     "would make a cycle)", self, s);
	}
	return 0;
}

static int validate_when(struct vctx *v, json_t *when, const char *ptr, const char *self)
{
	json_t *match = json_object_get(when, "match");
	char p[1100];
	int ret;

	if (!json_is_object(when) || json_object_size(when) == 0)
		return vfail(v, ptr, false, "\"when\" must be an object with \"verdict\" and/or \"ran\"");
	ret = check_keys(v, when, ptr, when_keys, "\"when\"");
	if (ret)
		return ret;
	if (match && (!json_is_string(match) || (strcmp(json_string_value(match), "any") &&
						  strcmp(json_string_value(match), "all")))) {
		subptr(p, sizeof(p), "%s/match", ptr);
		return vfail(v, p, false, "\"match\" is \"any\" or \"all\"");
	}
	if (json_object_get(when, "verdict")) {
		subptr(p, sizeof(p), "%s/verdict", ptr);
		ret = validate_verdicts(v, json_object_get(when, "verdict"), p);
		if (ret)
			return ret;
	}
	if (json_object_get(when, "ran")) {
		subptr(p, sizeof(p), "%s/ran", ptr);
		ret = validate_ran(v, json_object_get(when, "ran"), p, self);
		if (ret)
			return ret;
	}
	if (!json_object_get(when, "verdict") && !json_object_get(when, "ran"))
		return vfail(v, ptr, false, "\"when\" needs \"verdict\" or \"ran\"");
	return 0;
}

static int validate_number(struct vctx *v, json_t *step, const char *key, const char *ptr,
			   double max, double *out)
{
	json_t *val = json_object_get(step, key);
	char p[1100];
	double d;

	if (!val)
		return 0;
	subptr(p, sizeof(p), "%s/%s", ptr, key);
	d = json_number_value(val);
	if (!json_is_number(val) || !isfinite(d) || d < 0 || d > max)
		return vfail(v, p, false, "\"%s\" must be a number from 0 to %g", key, max);
	*out = d;
	return 0;
}

/* Time shares: a step that needs time must get some, and the playbook's
 * minimums must fit in the longest run. */
static int validate_budget(struct vctx *v, json_t *step, const char *ptr, const char *id)
{
	double weight = 1.0, min_s = 0, budget_s = 0;
	char p[1100];
	int ret;

	ret = validate_number(v, step, "weight", ptr, MAX_WEIGHT, &weight);
	if (!ret)
		ret = validate_number(v, step, "min_s", ptr, MAX_DURATION_S, &min_s);
	if (!ret)
		ret = validate_number(v, step, "budget_s", ptr, MAX_DURATION_S, &budget_s);
	if (ret)
		return ret;
	subptr(p, sizeof(p), "%s/min_s", ptr);
	if (min_s > 0 && weight == 0)
		return vfail(v, p, false, "impossible budget: step \"%s\" needs %g s but its "
			     "weight is 0, so it gets no time", id, min_s);
	v->min_s_sum += min_s;
	if (v->min_s_sum > MAX_DURATION_S)
		return vfail(v, p, false, "impossible budget: the steps up to \"%s\" need %g s, "
			     "more than the longest run (-d %g)", id, v->min_s_sum, MAX_DURATION_S);
	return 0;
}

/* A knob's value against its kind and range (bpf/collector.h). */
static int validate_knob(struct vctx *v, const char *cname, const struct collector_knob *k,
			 json_t *val, const char *p)
{
	double d = json_number_value(val);

	if (k->kind == KNOB_FLAG) {
		if (!json_is_boolean(val))
			return vfail(v, p, false, "knob \"%s\" of %s is a flag: true or false",
				     k->name, cname);
		return 0;
	}
	if ((k->kind == KNOB_INTEGER && !json_is_integer(val)) || !json_is_number(val) ||
	    !isfinite(d) || d < k->min || d > k->max)
		return vfail(v, p, false, "knob \"%s\" of %s is a %snumber from %.10g to %.10g",
			     k->name, cname, k->kind == KNOB_INTEGER ? "whole " : "", k->min, k->max);
	return 0;
}

static void known_knobs(const struct collector_ops *ops, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (const struct collector_knob *k = ops->knobs; k && k->name && off < len; k++)
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", k->name);
}

/* One collector's knobs. A collector this friday lacks is left to the run
 * (report.collectors says so), so that a playbook written for a newer
 * friday still runs the rest. */
static int validate_knobs_of(struct vctx *v, const char *cname, json_t *knobs, const char *ptr)
{
	const struct collector_ops *ops = collector_find(cname);
	const struct collector_knob *k;
	char p[1100], known[256];
	const char *key;
	json_t *val;
	int ret;

	if (!json_is_object(knobs))
		return vfail(v, ptr, false, "the knobs of %s are an object: {\"KNOB\": value}",
			     cname);
	if (!ops)
		return 0;
	json_object_foreach(knobs, key, val) {
		subptr(p, sizeof(p), "%s/%s", ptr, key);
		k = collector_knob_find(ops, key);
		if (!k) {
			known_knobs(ops, known, sizeof(known));
			return vfail(v, p, true, "unknown knob \"%s\" of %s (its knobs: %s; see "
				     "friday list collectors)", key, cname, known);
		}
		ret = validate_knob(v, cname, k, val, p);
		if (ret)
			return ret;
	}
	return 0;
}

/* A collect step: "collectors", a list of names, and "knobs" for
 * collectors of that list only, each a knob the collector reads, with a
 * value of its kind: a misspelt knob would otherwise leave the default
 * quietly in place. */
static int validate_collect(struct vctx *v, json_t *step, const char *ptr)
{
	json_t *names = json_object_get(step, "collectors"), *knobs = json_object_get(step, "knobs");
	json_t *val;
	char p[1100];
	const char *cname;
	size_t i;
	int ret;

	subptr(p, sizeof(p), "%s/collectors", ptr);
	if (!json_is_array(names) || !json_array_size(names))
		return vfail(v, names ? p : ptr, false, "a collect step names its collectors: "
			     "\"collectors\": [\"runqlat\", ...] (see friday list collectors)");
	json_array_foreach(names, i, val) {
		subptr(p, sizeof(p), "%s/collectors/%zu", ptr, i);
		if (!json_is_string(val))
			return vfail(v, p, false, "a collector is named by a string");
	}
	if (!knobs)
		return 0;
	subptr(p, sizeof(p), "%s/knobs", ptr);
	if (!json_is_object(knobs))
		return vfail(v, p, false, "\"knobs\" is an object: {\"COLLECTOR\": {\"KNOB\": "
			     "value}}");
	json_object_foreach(knobs, cname, val) {
		subptr(p, sizeof(p), "%s/knobs/%s", ptr, cname);
		if (!jcontains(names, cname))
			return vfail(v, p, true, "knobs for %s, which this step does not run (not "
				     "in its \"collectors\")", cname);
		ret = validate_knobs_of(v, cname, val, p);
		if (ret)
			return ret;
	}
	return 0;
}

/* What a step kind's own arguments must be, where a kind says more than
 * the schema's common fields. */
static const struct {
	const char *kind;
	int (*validate)(struct vctx *v, json_t *step, const char *ptr);
} kind_args[] = {
	{ "collect", validate_collect },
};

static int validate_kind_args(struct vctx *v, json_t *step, const char *kind, const char *ptr)
{
	for (size_t i = 0; i < sizeof(kind_args) / sizeof(kind_args[0]); i++)
		if (!strcmp(kind_args[i].kind, kind))
			return kind_args[i].validate(v, step, ptr);
	return 0;
}

static int validate_step(struct vctx *v, json_t *step, const char *ptr)
{
	json_t *idv = json_object_get(step, "id"), *runv = json_object_get(step, "run");
	json_t *title = json_object_get(step, "title");
	char p[1100], known[1024];
	const char *id;
	int ret;

	if (!json_is_object(step))
		return vfail(v, ptr, false, "a step is an object with \"id\" and \"run\"");
	subptr(p, sizeof(p), "%s/id", ptr);
	if (!idv)
		return vfail(v, ptr, false, "this step has no \"id\"");
	id = json_string_value(idv);
	if (!id || !*id)
		return vfail(v, p, false, "\"id\" must be a non-empty string");
	if (json_object_get(v->step_ids, id))
		return vfail(v, p, false, "step id \"%s\" is used twice (ids are unique in a "
			     "playbook)", id);
	subptr(p, sizeof(p), "%s/run", ptr);
	if (!runv)
		return vfail(v, ptr, false, "step \"%s\" has no \"run\" (the step kind)", id);
	if (!json_is_string(runv))
		return vfail(v, p, false, "\"run\" must be a string naming a step kind");
	if (!step_kind_find(json_string_value(runv))) {
		known_step_kinds(known, sizeof(known));
		return vfail(v, p, false, "unknown step \"%s\"; known steps: %s",
			     json_string_value(runv), known);
	}
	subptr(p, sizeof(p), "%s/title", ptr);
	if (title && !json_is_string(title))
		return vfail(v, p, false, "\"title\" must be a string");
	ret = validate_budget(v, step, ptr, id);
	if (!ret)
		ret = validate_kind_args(v, step, json_string_value(runv), ptr);
	if (ret)
		return ret;
	if (json_object_get(step, "when")) {
		subptr(p, sizeof(p), "%s/when", ptr);
		ret = validate_when(v, json_object_get(step, "when"), p, id);
		if (ret)
			return ret;
	}
	json_object_set_new(v->step_ids, id, json_integer((json_int_t)v->nr_steps++));
	return 0;
}

static int validate_stage(struct vctx *v, json_t *stage, const char *ptr, int *last_week)
{
	json_t *idv = json_object_get(stage, "id"), *steps = json_object_get(stage, "steps"), *step;
	char p[1100];
	const char *id;
	size_t j;
	int ret, w;

	if (!json_is_object(stage))
		return vfail(v, ptr, false, "a stage is an object with \"id\" and \"steps\"");
	ret = check_keys(v, stage, ptr, stage_keys, "a stage");
	if (ret)
		return ret;
	subptr(p, sizeof(p), "%s/id", ptr);
	id = json_string_value(idv);
	w = id ? week_index(id) : -1;
	if (w < 0)
		return vfail(v, idv ? p : ptr, false, "a stage \"id\" is one of monday, tuesday, "
			     "wednesday, thursday, friday");
	if (w <= *last_week)
		return vfail(v, p, false, "stage %s comes after %s: stages follow the week, each "
			     "once", id, week_stages[*last_week]);
	*last_week = w;
	subptr(p, sizeof(p), "%s/title", ptr);
	if (json_object_get(stage, "title") && !json_is_string(json_object_get(stage, "title")))
		return vfail(v, p, false, "\"title\" must be a string");
	subptr(p, sizeof(p), "%s/steps", ptr);
	if (!json_is_array(steps) || json_array_size(steps) == 0)
		return vfail(v, steps ? p : ptr, false, "stage %s needs \"steps\", a non-empty array", id);
	json_array_foreach(steps, j, step) {
		subptr(p, sizeof(p), "%s/steps/%zu", ptr, j);
		ret = validate_step(v, step, p);
		if (ret)
			return ret;
	}
	return 0;
}

int playbook_validate(json_t *pb, json_t *positions, const char *origin, char *err,
		      size_t err_len)
{
	struct vctx v = { .origin = origin, .positions = positions, .err = err,
			  .err_len = err_len, .step_ids = json_object() };
	json_t *stages = json_object_get(pb, "stages"), *stage, *name;
	int ret, last_week = -1;
	char p[64];
	size_t i;

	if (!json_is_object(pb)) {
		ret = vfail(&v, "", false, "a playbook is a JSON object");
		goto out;
	}
	ret = check_keys(&v, pb, "", top_keys, "the playbook");
	if (ret)
		goto out;
	name = json_object_get(pb, "name");
	if (!json_is_string(name) || !*json_string_value(name)) {
		ret = vfail(&v, name ? "/name" : "", false, "a playbook needs \"name\", a non-empty string");
		goto out;
	}
	if (json_object_get(pb, "description") && !json_is_string(json_object_get(pb, "description"))) {
		ret = vfail(&v, "/description", false, "\"description\" must be a string");
		goto out;
	}
	if (!json_is_array(stages) || json_array_size(stages) == 0) {
		ret = vfail(&v, stages ? "/stages" : "", false, "\"stages\" must be a non-empty array");
		goto out;
	}
	json_array_foreach(stages, i, stage) {
		subptr(p, sizeof(p), "/stages/%zu", i);
		ret = validate_stage(&v, stage, p, &last_week);
		if (ret)
			goto out;
	}
out:
	json_decref(v.step_ids);
	return ret;
}

json_t *playbook_parse(const char *text, const char *origin, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *pb, *positions;

	pb = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!pb) {
		snprintf(err, err_len, "%s:%d:%d: %s", origin, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	positions = json_positions(text);
	if (playbook_validate(pb, positions, origin, err, err_len)) {
		json_decref(pb);
		pb = NULL;
	}
	json_decref(positions);
	return pb;
}

json_t *playbook_load(const char *name_or_file, char *err, size_t err_len)
{
	json_t *pb;
	size_t len;
	char *text;

	for (size_t i = 0; embedded_playbooks[i].name; i++)
		if (!strcmp(embedded_playbooks[i].name, name_or_file))
			return playbook_parse(embedded_playbooks[i].json, embedded_playbooks[i].path,
					      err, err_len);
	if (!strchr(name_or_file, '/') && !strstr(name_or_file, ".json")) {
		char known[512] = "";
		size_t off = 0;

		for (size_t i = 0; embedded_playbooks[i].name && off < sizeof(known); i++)
			off += snprintf(known + off, sizeof(known) - off, "%s%s", i ? ", " : "",
					embedded_playbooks[i].name);
		snprintf(err, err_len, "no playbook named '%s' (known: %s; or give a FILE.json)",
			 name_or_file, known);
		return NULL;
	}
	text = read_file_alloc(name_or_file, &len);
	if (!text) {
		snprintf(err, err_len, "%s: cannot read: %s", name_or_file, strerror(errno));
		return NULL;
	}
	if (strlen(text) != len) {
		snprintf(err, err_len, "%s:1:1: a playbook is JSON text, and this file holds a NUL byte",
			 name_or_file);
		free(text);
		return NULL;
	}
	pb = playbook_parse(text, name_or_file, err, err_len);
	free(text);
	return pb;
}
