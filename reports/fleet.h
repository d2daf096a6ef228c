/* fleet.h: several archives read together (`friday show A B C...`): one
 * record per host, the findings that several hosts share and those only
 * one host has, and the subsystems whose verdicts differ between hosts, so
 * the odd host out stands out. The summary is JSON (schema friday.fleet/1,
 * docs/report-schema.md), the text view is rendered from it. */
#ifndef FRIDAY_FLEET_H
#define FRIDAY_FLEET_H

#include <jansson.h>
#include <stddef.h>

#define FLEET_SCHEMA "friday.fleet/1"

/* Reads report.json from each archive (in the order given) and builds the
 * summary. An archive that is missing or damaged gets a host record with
 * "ok": false and the reason; the others are summarized without it.
 * NULL only when out of memory. */
json_t *fleet_summarize(const char *const *archives, size_t nr_archives);

/* The same from report.json documents already parsed (borrowed; NULL for
 * an unreadable one, whose reason is in errors[i]). */
json_t *fleet_summarize_docs(const char *const *archives, json_t *const *docs,
			     const char *const *errors, size_t nr);

/* The text view: one line per host (verdicts as one letter per subsystem,
 * the top finding), then the shared findings, the findings of one host,
 * and the verdicts that differ. malloc'd, NULL when out of memory. */
char *fleet_render_text(json_t *summary);

/* Archives that could not be read. */
size_t fleet_nr_unreadable(json_t *summary);

#endif
