/* report.h: the report model. Every step writes what it learns here; the
 * writers in reports/ only read it. The model is the report.json document
 * itself (jansson), plus raw artifacts (blobs) that go into the archive. */
#ifndef FRIDAY_REPORT_H
#define FRIDAY_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define REPORT_SCHEMA "friday.report/1"

enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };
enum verdict { VERDICT_UNKNOWN, VERDICT_EXONERATED, VERDICT_SUSPECT, VERDICT_IMPLICATED };
enum step_status { STEP_OK, STEP_SKIPPED, STEP_UNAVAILABLE, STEP_FAILED, STEP_TIMEOUT };

const char *severity_name(enum severity sev);
const char *verdict_name(enum verdict v);
const char *step_status_name(enum step_status st);
int verdict_from_name(const char *name);   /* -1 when unknown */
int severity_from_name(const char *name);  /* -1 when unknown */

/* The subsystems of DESIGN.md, in report order. */
extern const char *const report_subsystems[];
extern const size_t report_nr_subsystems;

struct report_blob {
	char *name;        /* path inside the archive's top folder */
	char *data;
	size_t len;
};

struct report {
	json_t *doc;                /* report.json, built as the run goes */
	const char *stage;          /* stage of the step now running */
	json_t *step;               /* step record now running, or NULL */
	struct report_blob *blobs;  /* artifacts besides report.json */
	size_t nr_blobs;
};

struct report *report_new(void);
void report_free(struct report *r);

/* Top-level arrays and objects of the contract: "findings", "health",
 * "capabilities", "overhead", "profiles", "histograms", "events", "load", ... */
json_t *report_get(struct report *r, const char *key);

/* Adds a finding whose id is in the catalogue (checks/findings.h); the title,
 * subsystem, source and default next step come from there. Takes ownership
 * of evidence (may be NULL). Returns the finding object (borrowed). */
json_t *report_add_finding(struct report *r, const char *id, enum severity sev,
			   json_t *evidence, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));
void report_finding_add_next_step(json_t *finding, const char *text);
void report_finding_add_artifact(json_t *finding, const char *path);
/* Findings already present with this id (for rules that read earlier ones). */
size_t report_count_findings(struct report *r, const char *id_prefix, enum severity min_sev);

/* Sets the verdict for a subsystem; a later call only ever raises it
 * (unknown < exonerated < suspect < implicated), and evidence accumulates. */
json_t *report_set_health(struct report *r, const char *subsystem, enum verdict v,
			  const char *evidence_fmt, ...) __attribute__((format(printf, 4, 5)));
void report_health_add_next_step(json_t *health, const char *text);
int report_get_verdict(struct report *r, const char *subsystem);

void report_set_capability(struct report *r, const char *name, bool ok, const char *reason);
bool report_capability_ok(struct report *r, const char *name);

/* Stage and step records, kept by the playbook engine. */
json_t *report_step_begin(struct report *r, const char *stage, const char *step,
			  const char *title);
void report_step_end(struct report *r, enum step_status st, double elapsed_s,
		     const char *reason_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Adds an event on the run's timeline (events[]), kept in time order:
 * time (wall clock, seconds since the epoch) and time_iso (UTC, ISO 8601).
 * Takes ownership of detail. An oom_kill already on the timeline (same pid
 * within 2 s: memhealth and events both see OOM victims) is not added twice. */
void report_add_event(struct report *r, double time_s, const char *kind,
		      const char *process, json_t *detail);
/* The same, with t_s: seconds from the start of the collect window that
 * saw it (the field is left out when t_s is negative). */
void report_add_event_at(struct report *r, double time_s, double t_s, const char *kind,
			 const char *process, json_t *detail);

/* Raw artifacts. The data is copied (or taken, for _owned). */
int report_add_blob(struct report *r, const char *name, const void *data, size_t len);
int report_add_blob_owned(struct report *r, const char *name, char *data, size_t len);
const struct report_blob *report_find_blob(const struct report *r, const char *name);

/* Adds a profile (reports/profile_model.c): its folded stacks become the
 * blob profiles/NAME.folded and an entry of report.profiles[] names it with
 * the files the writers derive from it (NAME.pb.gz, NAME.svg). kind is
 * "cpu", "offcpu", "wakeup"...; unit "samples" or "us". Takes ownership of
 * folded. Returns the entry (borrowed) for the caller's extra fields. */
json_t *report_add_profile(struct report *r, const char *name, const char *kind,
			   const char *unit, unsigned long long total, char *folded,
			   size_t folded_len);

#endif
