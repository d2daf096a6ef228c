/* compare.h: `friday diff` and `friday run --baseline`: two report models
 * compared into one diff model (schema friday.diff/1, documented in
 * docs/report-schema.md), and its writers: terminal text, JSON, diff.html
 * and the differential folded files. Comparing reads the two models only;
 * nothing here measures. */
#ifndef FRIDAY_COMPARE_H
#define FRIDAY_COMPARE_H

#include <jansson.h>
#include <stddef.h>

#include "reports/report.h"
#include "reports/writers.h"

#define DIFF_SCHEMA "friday.diff/1"

/* One side of a comparison: a report.json and the folded profiles it
 * names, read from an archive or borrowed from the run in memory. */
struct diff_side {
	char *label;                 /* the archive's path, or "this run" */
	json_t *doc;                 /* report.json */
	struct report_blob *blobs;   /* profiles/NAME.folded read back */
	size_t nr_blobs;
	bool borrowed;               /* doc and blobs belong to a live report */
};

/* Reads report.json and the CPU and off-CPU folded files of an archive
 * with libarchive. 0, or -errno with err saying what is missing or
 * damaged (a missing folded file is not an error: the diff says so). */
int diff_side_load(const char *archive, struct diff_side *s, char *err, size_t err_len);
/* The run in memory (for --baseline): borrows the model and its blobs. */
void diff_side_from_report(struct report *r, const char *label, struct diff_side *s);
void diff_side_free(struct diff_side *s);
/* The side's blob named name (a profile's "folded"), or NULL. */
const struct report_blob *diff_side_blob(const struct diff_side *s, const char *name);

/* The diff model: notes, verdicts, findings, figures and profiles, see
 * docs/report-schema.md. The differential folded files are added to out
 * (when not NULL) under prefix, e.g. "diff/" -> diff/cpu.diff.folded.
 * NULL on OOM. */
json_t *diff_compare(const struct diff_side *before, const struct diff_side *after,
		     struct out_files *out, const char *prefix);

/* The diff as text for an 80-column terminal (and summary files). */
char *diff_render_text(json_t *diff, size_t *len);
/* diff.html: offline, no request (Content-Security-Policy), with the
 * differential flame graphs drawn from both sides' folded files.
 * NULL on OOM. */
char *diff_render_html(json_t *diff, const struct diff_side *before,
		       const struct diff_side *after, size_t *len);
/* diff.json, diff.txt and diff.html under prefix, added to out. */
int diff_render_files(json_t *diff, const struct diff_side *before,
		      const struct diff_side *after, struct out_files *out, const char *prefix);
/* friday run --baseline: compares the run in memory (after) with the
 * baseline archive (before), sets report.json "baseline" to the diff and
 * adds diff/diff.html, diff/diff.json, diff/diff.txt and diff/KIND.diff.folded
 * to the archive. 0 or -ENOMEM. */
int report_attach_baseline(struct report *r, const struct diff_side *baseline);
/* The HTML section of a baseline diff inside report.html. */
struct strbuf;
void diff_html_section(struct strbuf *sb, json_t *diff);

#endif
