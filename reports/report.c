/* report.c: the in-memory report model that every step writes and every
 * writer reads (see report.h). */
#include "reports/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks/findings.h"
#include "lib/util.h"

static const char *const severity_names[] = { "info", "warning", "critical" };
static const char *const verdict_names[] = { "unknown", "exonerated", "suspect", "implicated" };
static const char *const step_status_names[] = { "ok", "skipped", "unavailable", "failed", "timeout" };

const char *const report_subsystems[] = {
	"cpu", "memory", "disk", "network", "locks", "syscalls", "processes", "filesystem",
};
const size_t report_nr_subsystems = ARRAY_SIZE(report_subsystems);

const char *severity_name(enum severity sev)
{
	return (unsigned)sev < ARRAY_SIZE(severity_names) ? severity_names[sev] : "info";
}

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "unknown";
}

const char *step_status_name(enum step_status st)
{
	return (unsigned)st < ARRAY_SIZE(step_status_names) ? step_status_names[st] : "failed";
}

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

int verdict_from_name(const char *name)
{
	return name_index(verdict_names, ARRAY_SIZE(verdict_names), name);
}

int severity_from_name(const char *name)
{
	return name_index(severity_names, ARRAY_SIZE(severity_names), name);
}

/* Keys of the contract that hold arrays; the rest are objects. */
static const char *const array_keys[] = {
	"stages", "health", "findings", "profiles", "histograms", "events", "checks", "outliers",
};
static const char *const object_keys[] = {
	"tool", "host", "run", "capabilities", "overhead", "load", "measurements", "collectors",
};

struct report *report_new(void)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->doc = json_object();
	json_object_set_new(r->doc, "schema", json_string(REPORT_SCHEMA));
	for (size_t i = 0; i < ARRAY_SIZE(object_keys); i++)
		json_object_set_new(r->doc, object_keys[i], json_object());
	for (size_t i = 0; i < ARRAY_SIZE(array_keys); i++)
		json_object_set_new(r->doc, array_keys[i], json_array());
	return r;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	json_decref(r->doc);
	for (size_t i = 0; i < r->nr_blobs; i++) {
		free(r->blobs[i].name);
		free(r->blobs[i].data);
	}
	free(r->blobs);
	free(r);
}

json_t *report_get(struct report *r, const char *key)
{
	json_t *v = json_object_get(r->doc, key);

	if (!v) {
		v = json_object();
		json_object_set_new(r->doc, key, v);
	}
	return v;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (!fmt || vasprintf(&s, fmt, ap) < 0)
		return strdup("");
	return s;
}

json_t *report_add_finding(struct report *r, const char *id, enum severity sev,
			   json_t *evidence, const char *detail_fmt, ...)
{
	const struct finding_def *def = finding_def_find(id);
	json_t *f;
	va_list ap;
	char *detail;

	if (!def) {
		/* A finding outside the catalogue is a programming error: the
		 * id would be missing from docs/findings.md. Tests catch it. */
		log_warn("finding '%s' is not in the catalogue; dropped", id);
		json_decref(evidence);
		return NULL;
	}
	va_start(ap, detail_fmt);
	detail = vformat(detail_fmt, ap);
	va_end(ap);

	f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[s], s:[]}",
		      "id", def->id,
		      "stage", r->stage ? r->stage : "monday",
		      "subsystem", def->subsystem,
		      "severity", severity_name(sev),
		      "title", def->title,
		      "detail", detail,
		      "source", def->source,
		      "evidence", evidence ? evidence : json_object(),
		      "next_steps", def->next_step ? def->next_step : "",
		      "artifacts");
	free(detail);
	if (!f)
		return NULL;
	if (r->step)
		json_object_set(f, "step", json_object_get(r->step, "id"));
	json_array_append_new(report_get(r, "findings"), f);
	return f;
}

void report_finding_add_next_step(json_t *finding, const char *text)
{
	if (finding)
		json_array_append_new(json_object_get(finding, "next_steps"), json_string(text));
}

void report_finding_add_artifact(json_t *finding, const char *path)
{
	if (finding)
		json_array_append_new(json_object_get(finding, "artifacts"), json_string(path));
}

size_t report_count_findings(struct report *r, const char *id_prefix, enum severity min_sev)
{
	json_t *f;
	size_t i, n = 0;

	json_array_foreach(report_get(r, "findings"), i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		int sev = severity_from_name(json_string_value(json_object_get(f, "severity")));

		if (id && str_starts(id, id_prefix) && sev >= (int)min_sev)
			n++;
	}
	return n;
}

static json_t *health_entry(struct report *r, const char *subsystem)
{
	json_t *health = report_get(r, "health"), *h;
	size_t i;

	json_array_foreach(health, i, h)
		if (!strcmp(json_string_value(json_object_get(h, "subsystem")), subsystem))
			return h;
	h = json_pack("{s:s, s:s, s:[], s:[]}", "subsystem", subsystem,
		      "verdict", verdict_name(VERDICT_UNKNOWN), "evidence", "next_steps");
	json_array_append_new(health, h);
	return h;
}

json_t *report_set_health(struct report *r, const char *subsystem, enum verdict v,
			  const char *evidence_fmt, ...)
{
	json_t *h = health_entry(r, subsystem);
	int old = verdict_from_name(json_string_value(json_object_get(h, "verdict")));
	va_list ap;

	if ((int)v > old)
		json_object_set_new(h, "verdict", json_string(verdict_name(v)));
	if (evidence_fmt) {
		char *ev;

		va_start(ap, evidence_fmt);
		ev = vformat(evidence_fmt, ap);
		va_end(ap);
		json_array_append_new(json_object_get(h, "evidence"), json_string(ev));
		free(ev);
	}
	return h;
}

void report_health_add_next_step(json_t *health, const char *text)
{
	json_t *steps = json_object_get(health, "next_steps"), *s;
	size_t i;

	json_array_foreach(steps, i, s)
		if (!strcmp(json_string_value(s), text))
			return;
	json_array_append_new(steps, json_string(text));
}

int report_get_verdict(struct report *r, const char *subsystem)
{
	json_t *h;
	size_t i;

	json_array_foreach(report_get(r, "health"), i, h)
		if (!strcmp(json_string_value(json_object_get(h, "subsystem")), subsystem))
			return verdict_from_name(json_string_value(json_object_get(h, "verdict")));
	return VERDICT_UNKNOWN;
}

void report_set_capability(struct report *r, const char *name, bool ok, const char *reason)
{
	json_object_set_new(report_get(r, "capabilities"), name,
			    json_pack("{s:b, s:s}", "ok", ok, "reason", reason ? reason : ""));
}

bool report_capability_ok(struct report *r, const char *name)
{
	json_t *c = json_object_get(report_get(r, "capabilities"), name);

	return c && json_is_true(json_object_get(c, "ok"));
}

static json_t *stage_entry(struct report *r, const char *stage)
{
	json_t *stages = report_get(r, "stages"), *s;
	size_t i;

	json_array_foreach(stages, i, s)
		if (!strcmp(json_string_value(json_object_get(s, "id")), stage))
			return s;
	s = json_pack("{s:s, s:[]}", "id", stage, "steps");
	json_array_append_new(stages, s);
	return s;
}

json_t *report_step_begin(struct report *r, const char *stage, const char *step,
			  const char *title)
{
	json_t *st = stage_entry(r, stage), *rec;

	rec = json_pack("{s:s, s:s, s:s, s:s, s:f}", "id", step, "title", title ? title : step,
			"status", "failed", "reason", "still running", "elapsed_s", 0.0);
	json_array_append_new(json_object_get(st, "steps"), rec);
	r->stage = json_string_value(json_object_get(st, "id"));
	r->step = rec;
	return rec;
}

void report_step_end(struct report *r, enum step_status st, double elapsed_s,
		     const char *reason_fmt, ...)
{
	va_list ap;
	char *reason;

	if (!r->step)
		return;
	va_start(ap, reason_fmt);
	reason = vformat(reason_fmt, ap);
	va_end(ap);
	json_object_set_new(r->step, "status", json_string(step_status_name(st)));
	json_object_set_new(r->step, "reason", json_string(reason));
	json_object_set_new(r->step, "elapsed_s", json_real(elapsed_s));
	free(reason);
	r->step = NULL;
}

/* The same OOM victim seen by two probes in one window. */
static bool same_oom_kill(json_t *e, double time_s, json_t *detail)
{
	json_t *pid = json_object_get(detail, "pid");

	return pid && !strcmp(json_string_value(json_object_get(e, "kind")) ?: "", "oom_kill") &&
	       json_equal(json_object_get(json_object_get(e, "detail"), "pid"), pid) &&
	       fabs(json_number_value(json_object_get(e, "time")) - time_s) < 2;
}

void report_add_event_at(struct report *r, double time_s, double t_s, const char *kind,
			 const char *process, json_t *detail)
{
	json_t *evs = report_get(r, "events"), *ev;
	char iso[64];
	struct tm tm;
	time_t secs = (time_t)time_s;
	size_t i = json_array_size(evs);

	if (!detail)
		detail = json_object();
	if (!strcmp(kind, "oom_kill"))
		for (size_t k = 0; k < json_array_size(evs); k++)
			if (same_oom_kill(json_array_get(evs, k), time_s, detail)) {
				json_decref(detail);
				return;
			}
	gmtime_r(&secs, &tm);
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((time_s - (double)secs) * 1000) % 1000);
	ev = json_pack("{s:f, s:s, s:s, s:s, s:o}", "time", time_s, "time_iso", iso, "kind", kind,
		       "process", process ? process : "", "detail", detail);
	if (t_s >= 0)
		json_object_set_new(ev, "t_s", json_real(t_s));
	/* Most events arrive in order: walk back from the end. */
	while (i > 0 && json_number_value(json_object_get(json_array_get(evs, i - 1), "time")) > time_s)
		i--;
	json_array_insert_new(evs, i, ev);
}

void report_add_event(struct report *r, double time_s, const char *kind,
		      const char *process, json_t *detail)
{
	report_add_event_at(r, time_s, -1, kind, process, detail);
}

int report_add_blob_owned(struct report *r, const char *name, char *data, size_t len)
{
	struct report_blob *nb = realloc(r->blobs, (r->nr_blobs + 1) * sizeof(*nb));

	if (!nb) {
		free(data);
		return -ENOMEM;
	}
	r->blobs = nb;
	nb[r->nr_blobs].name = strdup(name);
	nb[r->nr_blobs].data = data;
	nb[r->nr_blobs].len = len;
	if (!nb[r->nr_blobs].name) {
		free(data);
		return -ENOMEM;
	}
	r->nr_blobs++;
	return 0;
}

int report_add_blob(struct report *r, const char *name, const void *data, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	return report_add_blob_owned(r, name, copy, len);
}

const struct report_blob *report_find_blob(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->nr_blobs; i++)
		if (!strcmp(r->blobs[i].name, name))
			return &r->blobs[i];
	return NULL;
}
