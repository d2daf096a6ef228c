/* html.c: report.html, one self-contained page that works offline from
 * file:// and prints. A Content-Security-Policy forbids every request;
 * style and script are inlined from reports/assets/. From top to bottom:
 * the verdict (problem, one tile per subsystem, the three most important
 * findings), the week as a timeline, the findings by severity with their
 * evidence, flame graphs (canvas, from compact frame tables built by
 * flame.c), latency histograms, heat maps and outliers, events, the checks,
 * capabilities, collectors and friday's own overhead. Everything that can
 * be rendered here is, so the page reads without its script; the script
 * draws what needs a canvas. It reads the report model only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "reports/compare.h"
#include "reports/flame.h"
#include "reports/jsonread.h"
#include "reports/writers.h"

extern const char asset_report_css[];
extern const char asset_report_js[];

#define TOP_FINDINGS 3
#define MAX_EVENT_ROWS 500
#define MAX_OUTLIER_ROWS 200

static const char *const week_order[] = { "monday", "tuesday", "wednesday", "thursday", "friday" };

static void html_text(struct strbuf *sb, const char *tag, const char *cls, const char *text)
{
	if (cls)
		sb_printf(sb, "<%s class=\"%s\">", tag, cls);
	else
		sb_printf(sb, "<%s>", tag);
	sb_html(sb, text);
	sb_printf(sb, "</%s>", tag);
}

void html_number(struct strbuf *sb, double d)
{
	if (fabs(d) >= 100 || d == floor(d))
		sb_printf(sb, "%.0f", d);
	else
		sb_printf(sb, "%.3g", d);
}

/* A JSON value as short text: strings bare, the rest compact JSON. */
static void html_value(struct strbuf *sb, json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		sb_html(sb, json_string_value(v));
		return;
	}
	if (json_is_real(v)) {
		html_number(sb, json_real_value(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	sb_html(sb, text ? text : "");
	free(text);
}

void html_page_start(struct strbuf *sb)
{
	sb_append(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		  "style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'; "
		  "connect-src 'none'; form-action 'none'; base-uri 'none'\">\n"
		  "<meta name=\"referrer\" content=\"no-referrer\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
}

static void html_head(struct strbuf *sb, struct report *r)
{
	json_t *host = report_get(r, "host");

	html_page_start(sb);
	sb_append(sb, "friday report: ");
	sb_html(sb, jstr(host, "hostname", "host"));
	sb_append(sb, "</title>\n<style>\n");
	sb_append(sb, asset_report_css);
	sb_append(sb, "</style></head><body>\n");
}

static void html_cut_note(struct strbuf *sb, json_t *run)
{
	json_t *c;
	size_t i;

	if (json_string_value(json_object_get(run, "over_cap"))) {
		sb_append(sb, "<p class=\"note\" id=\"over-cap\">");
		sb_html(sb, json_string_value(json_object_get(run, "over_cap")));
		sb_append(sb, "</p>\n");
	}
	if (!json_array_size(json_object_get(run, "cut")))
		return;
	sb_append(sb, "<div class=\"note\" id=\"cut\"><b>Cut from this archive:</b><ul>");
	json_array_foreach(json_object_get(run, "cut"), i, c) {
		sb_append(sb, "<li><code>");
		sb_html(sb, jstr(c, "path", ""));
		sb_printf(sb, "</code> (%.1f MiB): ",
			  json_integer_value(json_object_get(c, "bytes")) / 1048576.0);
		sb_html(sb, jstr(c, "reason", ""));
		sb_append(sb, "</li>");
	}
	sb_append(sb, "</ul></div>\n");
}

static void html_redaction_note(struct strbuf *sb, json_t *run)
{
	json_t *red = json_object_get(run, "redaction"), *n;
	const char *kind;
	size_t total = 0;

	if (!red)
		return;
	if (!json_is_true(json_object_get(red, "enabled"))) {
		sb_append(sb, "<p class=\"note\" id=\"redaction\">Not redacted (--no-redact): this "
			  "archive may hold passwords, tokens and host names.</p>\n");
		return;
	}
	sb_append(sb, "<p class=\"meta\" id=\"redaction\">Redacted (");
	json_object_foreach(json_object_get(red, "counts"), kind, n)
		if (json_integer_value(n))
			sb_printf(sb, "%s%s %lld", total++ ? ", " : "", kind,
				  (long long)json_integer_value(n));
	if (!total)
		sb_append(sb, "nothing looked like a secret");
	sb_append(sb, "); manifest.json lists the counts, never the values.</p>\n");
}

/* The target's command line and environment (-p), folded away. */
static void html_target_process(struct strbuf *sb, json_t *tp)
{
	static const char *const lists[] = { "argv", "environ" };
	json_t *s;
	size_t i;

	if (!tp)
		return;
	sb_printf(sb, "<details id=\"target\"><summary>Target process %lld (",
		  (long long)json_integer_value(json_object_get(tp, "pid")));
	sb_html(sb, jstr(tp, "comm", "?"));
	sb_append(sb, "): command line and environment</summary>");
	for (size_t k = 0; k < 2; k++) {
		sb_printf(sb, "<pre class=\"%s\">", lists[k]);
		json_array_foreach(json_object_get(tp, lists[k]), i, s) {
			sb_append(sb, i ? (k ? "\n" : " ") : "");
			sb_html(sb, json_string_value(s));
		}
		sb_append(sb, "</pre>");
	}
	sb_append(sb, "</details>\n");
}

static void html_header(struct strbuf *sb, struct report *r)
{
	json_t *host = report_get(r, "host"), *run = report_get(r, "run");

	sb_append(sb, "<header><h1>friday report: ");
	sb_html(sb, jstr(host, "hostname", "host"));
	sb_append(sb, "</h1>\n<p class=\"meta\">");
	sb_printf(sb, "kernel %s, %lld CPUs, %.1f GiB; started %s, %.0f s; playbook %s; target ",
		  jstr(host, "kernel", "?"), (long long)json_integer_value(json_object_get(host, "cpus")),
		  json_integer_value(json_object_get(host, "memory_bytes")) / 1073741824.0,
		  jstr(run, "started", "?"), json_number_value(json_object_get(run, "duration_s")),
		  jstr(run, "playbook", "?"));
	sb_html(sb, jstr(run, "target", "whole host"));
	sb_append(sb, "</p>\n");
	if (json_is_true(json_object_get(run, "partial"))) {
		sb_append(sb, "<p class=\"note\">Partial report: ");
		sb_html(sb, jstr(run, "partial_reason", "the run was cut short"));
		sb_append(sb, "</p>\n");
	}
	html_target_process(sb, json_object_get(run, "target_process"));
	html_redaction_note(sb, run);
	html_cut_note(sb, run);
	sb_append(sb, "</header>\n");
}

static void html_tile(struct strbuf *sb, const char *subsystem, json_t *h)
{
	const char *verdict = h ? jstr(h, "verdict", "unknown") : "unknown";
	json_t *ev = json_array_get(json_object_get(h, "evidence"), 0);

	sb_printf(sb, "<a class=\"tile %s\" href=\"#sub-%s\" data-subsystem=\"%s\" "
		  "data-verdict=\"%s\"><b>%s</b><span>%s</span>", verdict, subsystem, subsystem,
		  verdict, subsystem, verdict);
	sb_append(sb, "<small>");
	sb_html(sb, json_string_value(ev) ? json_string_value(ev) :
		    h ? "no evidence recorded" : "not measured in this run");
	sb_append(sb, "</small></a>\n");
}

/* Findings, most severe first, in report order within a severity. */
static size_t findings_sorted(struct report *r, json_t **out, size_t max)
{
	json_t *f;
	size_t i, n = 0;

	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--)
		json_array_foreach(report_get(r, "findings"), i, f)
			if (n < max && severity_from_name(jstr(f, "severity", "")) == sev)
				out[n++] = f;
	return n;
}

static void html_verdict(struct strbuf *sb, struct report *r)
{
	json_t *run = report_get(r, "run"), *top[TOP_FINDINGS];
	size_t n = findings_sorted(r, top, TOP_FINDINGS);

	sb_append(sb, "<section id=\"verdict\"><h2>Verdict</h2>\n<p class=\"problem\"><b>Problem:</b> ");
	sb_html(sb, jstr(run, "problem", "no problem statement was given (friday run --problem TEXT "
			 "records one); this run looked at the whole host."));
	sb_append(sb, "</p>\n<div class=\"tiles\">\n");
	for (size_t i = 0; i < report_nr_subsystems; i++)
		html_tile(sb, report_subsystems[i],
			  jfind(report_get(r, "health"), "subsystem", report_subsystems[i]));
	sb_append(sb, "</div>\n");
	if (!n) {
		sb_append(sb, "<p id=\"top3\">No finding: every check that ran had nothing to report.</p>\n");
	} else {
		sb_printf(sb, "<h3>The %zu most important findings</h3>\n<ol class=\"top3\" id=\"top3\">", n);
		for (size_t i = 0; i < n; i++) {
			json_t *next = json_array_get(json_object_get(top[i], "next_steps"), 0);

			sb_printf(sb, "<li data-id=\"%s\"><span class=\"sev sev-%s\">%s</span> <b>",
				  jstr(top[i], "id", ""), jstr(top[i], "severity", "info"),
				  jstr(top[i], "severity", "info"));
			sb_html(sb, jstr(top[i], "title", ""));
			sb_append(sb, "</b>: ");
			sb_html(sb, jstr(top[i], "detail", ""));
			if (json_string_value(next) && *json_string_value(next)) {
				sb_append(sb, "<br><i>Next:</i> ");
				sb_html(sb, json_string_value(next));
			}
			sb_append(sb, "</li>");
		}
		sb_append(sb, "</ol>\n");
	}
	sb_append(sb, "</section>\n");
}

/* One row per day, each step a segment placed where it ran in the run. */
static void html_week_bars(struct strbuf *sb, struct report *r)
{
	double total = 0, start = 0;
	json_t *stage, *step;
	size_t i, j;

	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			total += json_number_value(json_object_get(step, "elapsed_s"));
	sb_append(sb, "<div class=\"week\">");
	for (size_t d = 0; d < sizeof(week_order) / sizeof(week_order[0]); d++) {
		stage = jfind(report_get(r, "stages"), "id", week_order[d]);
		sb_printf(sb, "<div class=\"wrow\"><b>%s</b><div class=\"wbar\">"
			  "<div style=\"width:%.2f%%\"></div>", week_order[d],
			  stage && total > 0 ? 100 * start / total : 0);
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			double s = json_number_value(json_object_get(step, "elapsed_s"));

			sb_printf(sb, "<div class=\"seg %s\" style=\"width:%.2f%%\" title=\"",
				  jstr(step, "status", ""), total > 0 ? 100 * s / total : 0);
			sb_html(sb, jstr(step, "id", ""));
			sb_printf(sb, ": %s, %.2f s\"></div>", jstr(step, "status", ""), s);
			start += s;
		}
		if (!stage)
			sb_append(sb, "<small>&nbsp;not run</small>");
		sb_append(sb, "</div></div>");
	}
	sb_append(sb, "</div>\n");
}

static void html_week(struct strbuf *sb, struct report *r)
{
	json_t *stage, *step;
	size_t i, j;

	sb_append(sb, "<section id=\"week\"><h2>The week</h2>\n");
	html_week_bars(sb, r);
	sb_append(sb, "<table><tr><th>Stage</th><th>Step</th><th>Status</th><th class=\"num\">Time</th>"
		  "<th>What ran, or why not</th></tr>\n");
	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			sb_append(sb, "<tr><td>");
			sb_html(sb, jstr(stage, "id", ""));
			sb_append(sb, "</td><td>");
			sb_html(sb, jstr(step, "title", jstr(step, "id", "")));
			sb_printf(sb, "</td><td class=\"st-%s\">%s</td><td class=\"num\">%.2f s</td><td>",
				  jstr(step, "status", ""), jstr(step, "status", ""),
				  json_number_value(json_object_get(step, "elapsed_s")));
			sb_html(sb, jstr(step, "reason", ""));
			sb_append(sb, "</td></tr>\n");
		}
	sb_append(sb, "</table></section>\n");
}

static bool is_threshold_key(const char *key)
{
	return strstr(key, "threshold") || strstr(key, "limit") || strstr(key, "source");
}

static void html_evidence(struct strbuf *sb, json_t *ev)
{
	const char *key;
	json_t *v;

	if (!json_object_size(ev))
		return;
	sb_append(sb, "<table class=\"ev\">");
	json_object_foreach(ev, key, v) {
		sb_printf(sb, "<tr%s><td>", is_threshold_key(key) ? " class=\"thr\"" : "");
		sb_html(sb, key);
		sb_append(sb, "</td><td>");
		html_value(sb, v);
		sb_append(sb, "</td></tr>");
	}
	sb_append(sb, "</table>");
}

static void html_finding(struct strbuf *sb, json_t *f, size_t idx)
{
	json_t *s;
	size_t i;

	sb_printf(sb, "<div class=\"finding\" id=\"finding-%zu\" data-id=\"%s\" data-severity=\"%s\">"
		  "<h3><span class=\"sev sev-%s\">%s</span> ", idx, jstr(f, "id", ""),
		  jstr(f, "severity", ""), jstr(f, "severity", "info"), jstr(f, "severity", "info"));
	sb_html(sb, jstr(f, "title", ""));
	sb_append(sb, " <code>");
	sb_html(sb, jstr(f, "id", ""));
	sb_append(sb, "</code></h3><p>");
	sb_html(sb, jstr(f, "detail", ""));
	sb_append(sb, "</p>");
	html_evidence(sb, json_object_get(f, "evidence"));
	sb_append(sb, "<p class=\"meta\">");
	sb_html(sb, jstr(f, "subsystem", ""));
	sb_append(sb, ", ");
	sb_html(sb, jstr(f, "stage", ""));
	if (json_string_value(json_object_get(f, "step"))) {
		sb_append(sb, "/");
		sb_html(sb, jstr(f, "step", ""));
	}
	sb_append(sb, "; threshold source: ");
	sb_html(sb, jstr(f, "source", "none given"));
	sb_append(sb, "</p>");
	if (json_array_size(json_object_get(f, "next_steps"))) {
		sb_append(sb, "<b>Next steps</b><ul>");
		json_array_foreach(json_object_get(f, "next_steps"), i, s)
			if (json_string_length(s))
				html_text(sb, "li", NULL, json_string_value(s));
		sb_append(sb, "</ul>");
	}
	json_array_foreach(json_object_get(f, "artifacts"), i, s) {
		sb_append(sb, i ? ", " : "<p>Artifacts: ");
		sb_append(sb, "<a href=\"");
		sb_html(sb, json_string_value(s));
		sb_append(sb, "\">");
		sb_html(sb, json_string_value(s));
		sb_append(sb, "</a>");
		if (i + 1 == json_array_size(json_object_get(f, "artifacts")))
			sb_append(sb, "</p>");
	}
	sb_append(sb, "</div>\n");
}

static void html_findings(struct strbuf *sb, struct report *r)
{
	size_t total = json_array_size(report_get(r, "findings")), n;
	json_t **all = calloc(total + 1, sizeof(*all));

	sb_printf(sb, "<section id=\"findings\"><h2>Findings (%zu)</h2>\n", total);
	for (size_t s = 0; s < report_nr_subsystems; s++)
		sb_printf(sb, "<a id=\"sub-%s\"></a>", report_subsystems[s]);
	if (!total)
		sb_append(sb, "<p>No finding: every check that ran had nothing to report.</p>\n");
	n = all ? findings_sorted(r, all, total) : 0;
	for (size_t i = 0; i < n; i++)
		html_finding(sb, all[i], i);
	free(all);
	sb_append(sb, "</section>\n");
}

/* The leaf frames with the largest share, as the profiler counted them:
 * readable in print and without the script. */
static void html_top_leaves(struct strbuf *sb, json_t *p)
{
	json_t *leaves = json_object_get(p, "top_leaves"), *l;
	size_t i;

	if (!json_array_size(leaves))
		return;
	sb_append(sb, "<details class=\"leaves\"><summary>Top leaf frames</summary><table><tr>"
		  "<th>Leaf frame</th><th class=\"num\">");
	sb_html(sb, jstr(p, "unit", ""));
	sb_append(sb, "</th><th class=\"num\">Share</th></tr>\n");
	json_array_foreach(leaves, i, l) {
		if (i == 10)
			break;
		sb_append(sb, "<tr><td class=\"fn\">");
		sb_html(sb, jstr(l, "function", "?"));
		sb_printf(sb, "</td><td class=\"num\">%lld</td><td class=\"num\">%.1f%%</td></tr>\n",
			  (long long)json_integer_value(json_object_get(l, "value")),
			  json_number_value(json_object_get(l, "pct")));
	}
	sb_append(sb, "</table></details>\n");
}

static void html_profile(struct strbuf *sb, struct report *r, json_t *p, size_t idx,
			 bool *drawable)
{
	static const char *const links[] = { "folded", "pprof", "svg" };
	const char *folded = jstr(p, "folded", NULL);

	sb_append(sb, "<h3>");
	sb_html(sb, jstr(p, "title", jstr(p, "kind", "profile")));
	sb_append(sb, " <small class=\"meta\">");
	html_value(sb, json_object_get(p, "total"));
	sb_append(sb, " ");
	sb_html(sb, jstr(p, "unit", "samples"));
	if (!strcmp(jstr(p, "unit", ""), "us") && json_number_value(json_object_get(p, "total")) >= 1e6)
		sb_printf(sb, " (%.1f s)", json_number_value(json_object_get(p, "total")) / 1e6);
	if (json_is_number(json_object_get(p, "window_s")))
		sb_printf(sb, " in %.1f s", json_number_value(json_object_get(p, "window_s")));
	if (json_is_integer(json_object_get(p, "distinct_stacks")))
		sb_printf(sb, ", %lld distinct stacks",
			  (long long)json_integer_value(json_object_get(p, "distinct_stacks")));
	/* DWARF unwinding: how many user stacks, and how many were cut short. */
	if (json_integer_value(json_object_get(json_object_get(p, "unwind"), "stacks")) > 0)
		sb_printf(sb, ", %lld user stacks unwound with DWARF (%lld truncated)",
			  (long long)json_integer_value(json_object_get(json_object_get(p, "unwind"), "stacks")),
			  (long long)json_integer_value(json_object_get(json_object_get(p, "unwind"), "truncated")));
	if (json_string_value(json_object_get(p, "target")) || json_string_value(json_object_get(p, "process"))) {
		sb_append(sb, ", ");
		sb_html(sb, jstr(p, "target", jstr(p, "process", "")));
	}
	for (size_t k = 0; k < 3; k++) {
		const char *path = jstr(p, links[k], NULL);

		if (!path)
			continue;
		sb_printf(sb, "; <a href=\"");
		sb_html(sb, path);
		sb_printf(sb, "\">%s</a>", links[k]);
	}
	sb_append(sb, "</small></h3>\n");
	*drawable = folded && report_find_blob(r, folded);
	if (*drawable)
		sb_printf(sb, "<div class=\"flame\" data-flame=\"%zu\"></div>\n", idx);
	else
		sb_append(sb, "<p class=\"note\">No stacks in this archive for this profile"
			  " (see the week and the cut list above).</p>\n");
	html_top_leaves(sb, p);
}

static void html_flames(struct strbuf *sb, struct report *r, json_t *data)
{
	json_t *profiles = report_get(r, "profiles"), *p, *list = json_array();
	size_t i;

	json_object_set_new(data, "profiles", list);
	sb_printf(sb, "<section id=\"profiles\"><h2>Flame graphs (%zu)</h2>\n", json_array_size(profiles));
	if (!json_array_size(profiles))
		sb_append(sb, "<p>No profile in this run (Wednesday's step did not run or found no "
			  "samples; see the week).</p>\n");
	else
		sb_append(sb, "<p class=\"meta\">Root at the top. Click a frame to zoom, Reset to go back; search takes "
			  "a regular expression and shows the share of samples it matches. The URL "
			  "keeps the view.</p>\n");
	json_array_foreach(profiles, i, p) {
		bool drawable;

		html_profile(sb, r, p, i, &drawable);
		json_array_append_new(list, json_pack("{s:s, s:s}", "kind", jstr(p, "kind", "cpu"),
						      "unit", jstr(p, "unit", "samples")));
	}
	sb_append(sb, "</section>\n");
}

/* ---- histograms ---- */

struct bucket {
	double lo, hi, count;
};

static double num_of(json_t *o, const char *const *keys, double dflt)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(o, *keys);

		if (json_is_number(v))
			return json_number_value(v);
	}
	return dflt;
}

/* Buckets as objects {lo, hi, count} (or low/high, min/max, le), or as
 * plain counts of power-of-two buckets when "scale" is "log2". */
static size_t read_buckets(json_t *h, struct bucket **out)
{
	static const char *const lo_keys[] = { "lo", "low", "min", "from", NULL };
	static const char *const hi_keys[] = { "hi", "high", "max", "le", "to", NULL };
	static const char *const n_keys[] = { "count", "n", "value", NULL };
	json_t *bs = json_object_get(h, "buckets"), *b;
	bool log2 = !strcmp(jstr(h, "scale", ""), "log2");
	size_t i, n = 0;

	*out = calloc(json_array_size(bs) + 1, sizeof(**out));
	if (!*out)
		return 0;
	json_array_foreach(bs, i, b) {
		struct bucket *k = &(*out)[n++];
		double prev_hi = n > 1 ? (*out)[n - 2].hi : 0;

		if (json_is_number(b)) {
			k->lo = log2 ? (i ? ldexp(1, (int)i) : 0) : (double)i;
			k->hi = log2 ? ldexp(1, (int)i + 1) - 1 : (double)i + 1;
			k->count = json_number_value(b);
		} else {
			k->lo = num_of(b, lo_keys, prev_hi);
			k->hi = num_of(b, hi_keys, k->lo);
			k->count = num_of(b, n_keys, 0);
		}
	}
	return n;
}

/* A bucket bound as a person reads it: 1048576, not 1.04858e+06. */
static void sb_num(struct strbuf *sb, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		sb_printf(sb, "%.0f", v);
	else
		sb_printf(sb, "%.4g", v);
}

/* The upper bound of the bucket that holds the q-th quantile. */
static double bucket_quantile(const struct bucket *b, size_t n, double total, double q)
{
	double seen = 0;

	for (size_t i = 0; i < n; i++) {
		seen += b[i].count;
		if (seen >= q * total)
			return b[i].hi;
	}
	return n ? b[n - 1].hi : 0;
}

static void html_histogram(struct strbuf *sb, json_t *h)
{
	static const struct { const char *name; double q; } qs[] = {
		{ "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p99.9", 0.999 },
	};
	struct bucket *b;
	size_t n = read_buckets(h, &b), first = 0, last = 0;
	double total = 0, max = 0;
	const char *unit = jstr(h, "unit", "");

	for (size_t i = 0; i < n; i++) {
		total += b[i].count;
		if (b[i].count > max)
			max = b[i].count;
		if (b[i].count && !last++)
			first = i;
		if (b[i].count)
			last = i + 1;
	}
	sb_append(sb, "<h3>");
	sb_html(sb, jstr(h, "title", jstr(h, "name", "histogram")));
	sb_printf(sb, " <small class=\"meta\">%.0f events</small></h3>\n<div class=\"pcts\">", total);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]) && total > 0; k++) {
		json_t *given = json_object_get(h, qs[k].name);

		if (!given)
			given = json_object_get(json_object_get(h, "percentiles"), qs[k].name);

		sb_printf(sb, "<span>%s <b>", qs[k].name);
		if (given)
			html_value(sb, given);
		else {
			sb_append(sb, "&le; ");
			sb_num(sb, bucket_quantile(b, n, total, qs[k].q));
		}
		sb_append(sb, "</b> ");
		sb_html(sb, unit);
		sb_append(sb, "</span>");
	}
	if (json_is_number(json_object_get(h, "max"))) {
		sb_append(sb, "<span>max <b>");
		html_value(sb, json_object_get(h, "max"));
		sb_append(sb, "</b> ");
		sb_html(sb, unit);
		sb_append(sb, "</span>");
	}
	sb_append(sb, "</div><div class=\"hist\">");
	for (size_t i = first; total > 0 && i < last; i++) {
		sb_append(sb, "<div class=\"hrow\"><span>");
		sb_num(sb, b[i].lo);
		sb_append(sb, " &ndash; ");
		sb_num(sb, b[i].hi);
		sb_printf(sb, "</span><i style=\"width:%.1f%%\"></i><em>%.0f</em></div>",
			  70 * b[i].count / max, b[i].count);
	}
	sb_append(sb, "</div>\n");
	free(b);
}

static void html_outliers(struct strbuf *sb, json_t *o)
{
	json_t *cols = json_object_get(o, "columns"), *rows = json_object_get(o, "rows"), *row, *c;
	size_t i, j;

	sb_append(sb, "<h3>");
	sb_html(sb, jstr(o, "title", jstr(o, "name", "outliers")));
	sb_append(sb, "</h3><table><tr>");
	if (!json_array_size(cols) && json_is_object(json_array_get(rows, 0))) {
		const char *key;

		cols = json_array();
		json_object_foreach(json_array_get(rows, 0), key, c)
			json_array_append_new(cols, json_string(key));
	} else {
		json_incref(cols);
	}
	json_array_foreach(cols, j, c)
		html_text(sb, "th", NULL, json_string_value(c));
	sb_append(sb, "</tr>\n");
	json_array_foreach(rows, i, row) {
		if (i == MAX_OUTLIER_ROWS)
			break;
		sb_append(sb, "<tr>");
		json_array_foreach(cols, j, c) {
			json_t *v = json_is_object(row) ? json_object_get(row, json_string_value(c))
						       : json_array_get(row, j);

			sb_append(sb, json_is_number(v) ? "<td class=\"num\">" : "<td>");
			html_value(sb, v);
			sb_append(sb, "</td>");
		}
		sb_append(sb, "</tr>\n");
	}
	sb_append(sb, "</table>\n");
	json_decref(cols);
}

static void html_latency(struct strbuf *sb, struct report *r, json_t *data)
{
	json_t *hs = report_get(r, "histograms"), *maps = json_object_get(r->doc, "heatmaps");
	json_t *outs = json_object_get(r->doc, "outliers"), *item;
	size_t i;

	sb_append(sb, "<section id=\"latency\"><h2>Latency</h2>\n");
	if (!json_array_size(hs) && !json_array_size(maps) && !json_array_size(outs))
		sb_append(sb, "<p>No latency distribution in this run (Thursday's drill-downs run "
			  "where Tuesday's verdicts point).</p>\n");
	json_array_foreach(hs, i, item)
		html_histogram(sb, item);
	json_array_foreach(maps, i, item) {
		sb_append(sb, "<h3>");
		sb_html(sb, jstr(item, "title", jstr(item, "name", "heat map")));
		sb_append(sb, " <small class=\"meta\">heat map: time across, latency up, colour by count"
			  "</small></h3>");
		sb_printf(sb, "<div class=\"heat\" data-heat=\"%zu\"></div>\n", i);
	}
	json_object_set(data, "heatmaps", maps ? maps : json_array());
	if (!maps)
		json_decref(json_object_get(data, "heatmaps"));
	json_array_foreach(outs, i, item)
		html_outliers(sb, item);
	sb_append(sb, "</section>\n");
}

/* A strip across the events' time span: one mark per event, coloured
 * by kind, its sentence as the tooltip. Plain HTML and CSS: no script. */
static void html_event_strip(struct strbuf *sb, json_t *evs)
{
	double first = json_number_value(json_object_get(json_array_get(evs, 0), "time"));
	double last = json_number_value(json_object_get(json_array_get(evs, json_array_size(evs) - 1),
							"time"));
	double span = last > first ? last - first : 1;
	char text[512], clock[32];
	json_t *e;
	size_t i;

	sb_printf(sb, "<div class=\"evstrip\" title=\"%.1f s\">", last - first);
	json_array_foreach(evs, i, e) {
		if (i == MAX_EVENT_ROWS)
			break;
		report_event_text(e, text, sizeof(text));
		report_event_clock(e, clock, sizeof(clock));
		sb_printf(sb, "<i class=\"evk-%s\" style=\"left:%.2f%%\" title=\"",
			  strspn(jstr(e, "kind", ""), "abcdefghijklmnopqrstuvwxyz_") ==
			  strlen(jstr(e, "kind", "")) ? jstr(e, "kind", "") : "other",
			  99.0 * (json_number_value(json_object_get(e, "time")) - first) / span);
		sb_html(sb, clock);
		sb_append(sb, " ");
		sb_html(sb, text);
		sb_append(sb, "\"></i>");
	}
	sb_append(sb, "</div>\n");
}

static void html_events(struct strbuf *sb, struct report *r)
{
	json_t *evs = report_get(r, "events"), *e;
	char text[512], clock[32];
	size_t i;

	if (!json_array_size(evs))
		return;
	sb_printf(sb, "<section id=\"events\"><h2>Events (%zu)</h2>\n<p class=\"meta\">Kernel and "
		  "application events on one timeline, UTC; +s is seconds from the start of the "
		  "window that saw it.</p>\n", json_array_size(evs));
	html_event_strip(sb, evs);
	sb_append(sb, "<table class=\"evtab\"><tr><th class=\"num\">Time (UTC)</th><th class=\"num\">+s</th>"
		  "<th>Kind</th><th>Process</th><th>What</th><th>Detail</th></tr>\n");
	json_array_foreach(evs, i, e) {
		if (i == MAX_EVENT_ROWS) {
			sb_printf(sb, "<tr><td colspan=\"6\">and %zu more in report.json</td></tr>",
				  json_array_size(evs) - i);
			break;
		}
		report_event_clock(e, clock, sizeof(clock));
		report_event_text(e, text, sizeof(text));
		sb_append(sb, "<tr><td class=\"num\">");
		sb_html(sb, clock);
		sb_append(sb, "</td><td class=\"num\">");
		if (json_is_number(json_object_get(e, "t_s")))
			sb_printf(sb, "%.3f", json_number_value(json_object_get(e, "t_s")));
		sb_append(sb, "</td><td>");
		sb_html(sb, jstr(e, "kind", ""));
		sb_append(sb, "</td><td>");
		sb_html(sb, jstr(e, "process", ""));
		sb_append(sb, "</td><td>");
		sb_html(sb, text);
		sb_append(sb, "</td><td><small>");
		html_value(sb, json_object_get(e, "detail"));
		sb_append(sb, "</small></td></tr>\n");
	}
	sb_append(sb, "</table></section>\n");
}

static void html_checks(struct strbuf *sb, struct report *r)
{
	json_t *c;
	size_t i;

	sb_printf(sb, "<section id=\"checks\"><h2>Configuration checked (%zu checks)</h2>\n<table><tr>"
		  "<th>Check</th><th>Reads</th><th>Rule</th><th>Result</th></tr>\n",
		  json_array_size(report_get(r, "checks")));
	json_array_foreach(report_get(r, "checks"), i, c) {
		sb_append(sb, "<tr><td><code>");
		sb_html(sb, jstr(c, "id", ""));
		sb_append(sb, "</code> ");
		sb_html(sb, jstr(c, "title", ""));
		sb_append(sb, "</td><td><code>");
		sb_html(sb, jstr(c, "reads", ""));
		sb_append(sb, "</code></td><td>");
		sb_html(sb, jstr(c, "rule", ""));
		sb_append(sb, " <small>(");
		sb_html(sb, jstr(c, "source", ""));
		sb_append(sb, ")</small></td><td>");
		if (json_integer_value(json_object_get(c, "findings")))
			sb_printf(sb, "%lld finding(s)",
				  (long long)json_integer_value(json_object_get(c, "findings")));
		else if (!strcmp(jstr(c, "result", ""), "ran"))
			sb_append(sb, "nothing to report");
		else {
			sb_html(sb, jstr(c, "result", ""));
			sb_append(sb, ": ");
			sb_html(sb, jstr(c, "reason", ""));
		}
		sb_append(sb, "</td></tr>\n");
	}
	sb_append(sb, "</table></section>\n");
}

static void html_capabilities(struct strbuf *sb, struct report *r)
{
	const char *name;
	json_t *c;

	sb_append(sb, "<section id=\"capabilities\"><h2>Capabilities of this host</h2>\n<table><tr>"
		  "<th>Capability</th><th>Works</th><th>Why</th></tr>\n");
	json_object_foreach(report_get(r, "capabilities"), name, c) {
		sb_append(sb, "<tr><td>");
		sb_html(sb, name);
		sb_printf(sb, "</td><td class=\"%s\">%s</td><td>",
			  json_is_true(json_object_get(c, "ok")) ? "st-ok" : "st-failed",
			  json_is_true(json_object_get(c, "ok")) ? "yes" : "no");
		sb_html(sb, jstr(c, "reason", ""));
		sb_append(sb, "</td></tr>\n");
	}
	sb_append(sb, "</table></section>\n");
}

/* An object whose values are all objects: {NAME: {a: 1, b: 2}, ...}. */
static bool is_table(json_t *v)
{
	const char *k;
	json_t *row;

	if (!json_is_object(v) || !json_object_size(v))
		return false;
	json_object_foreach(v, k, row)
		if (!json_is_object(row))
			return false;
	return true;
}

/* Such an object as a table: one row per name, one column per key. */
static void html_object_table(struct strbuf *sb, json_t *v)
{
	json_t *cols = json_object(), *row, *c;
	const char *name, *key;

	json_object_foreach(v, name, row)
		json_object_foreach(row, key, c)
			json_object_set(cols, key, json_true());
	sb_append(sb, "<table><tr><th></th>");
	json_object_foreach(cols, key, c)
		html_text(sb, "th", NULL, key);
	sb_append(sb, "</tr>");
	json_object_foreach(v, name, row) {
		sb_append(sb, "<tr><td>");
		sb_html(sb, name);
		sb_append(sb, "</td>");
		json_object_foreach(cols, key, c) {
			json_t *cell = json_object_get(row, key);

			sb_append(sb, json_is_number(cell) ? "<td class=\"num\">" : "<td>");
			if (cell)
				html_value(sb, cell);
			sb_append(sb, "</td>");
		}
		sb_append(sb, "</tr>");
	}
	sb_append(sb, "</table>");
	json_decref(cols);
}

/* The overhead budget in words: the cap, each window's cost against it,
 * and every collector it sampled down or stopped. */
static void html_budget(struct strbuf *sb, json_t *budget)
{
	json_t *w, *a;
	size_t i;

	if (!budget)
		return;
	sb_printf(sb, "<p id=\"budget\">Overhead budget: %.3g%% of %d CPUs (friday's CPU time "
		  "plus its BPF programs' run time), %s.", json_number_value(json_object_get(budget,
		  "max_overhead_pct")), (int)json_integer_value(json_object_get(budget, "cpus")),
		  json_is_false(json_object_get(budget, "held")) ? "<b class=\"st-failed\">exceeded"
		  "</b> in a window" : "held");
	json_array_foreach(json_object_get(budget, "windows"), i, w) {
		sb_append(sb, " ");
		sb_html(sb, jstr(w, "step", ""));
		sb_printf(sb, ": %.2f%% over %.1f s (peak second %.2f%%).",
			  json_number_value(json_object_get(w, "cost_pct")),
			  json_number_value(json_object_get(w, "window_s")),
			  json_number_value(json_object_get(w, "peak_interval_pct")));
	}
	sb_append(sb, "</p>\n");
	if (!json_array_size(json_object_get(budget, "actions")))
		return;
	sb_append(sb, "<ul>");
	json_array_foreach(json_object_get(budget, "actions"), i, a) {
		sb_append(sb, "<li>");
		sb_html(sb, jstr(a, "step", ""));
		sb_printf(sb, " at %.1f s: friday cost %.2f%%, ", json_number_value(json_object_get(a,
			  "at_s")), json_number_value(json_object_get(a, "cost_pct")));
		sb_html(sb, jstr(a, "collector", ""));
		sb_printf(sb, " %.2f%%: ", json_number_value(json_object_get(a, "collector_cost_pct")));
		sb_html(sb, jstr(a, "action", ""));
		sb_append(sb, "</li>");
	}
	sb_append(sb, "</ul>\n");
}

/* A collector's cost and what the budget did to it, for its row. */
static void html_collector_cost(struct strbuf *sb, json_t *c)
{
	json_t *cost = json_object_get(c, "cost_pct");

	sb_append(sb, "<td class=\"num\">");
	if (cost)
		sb_printf(sb, "%.2f%%", json_number_value(cost));
	sb_append(sb, "</td><td>");
	if (json_object_get(c, "sample_every"))
		sb_printf(sb, "sampled 1 in %lld ", json_integer_value(json_object_get(c,
			  "sample_every")));
	if (json_object_get(c, "stopped_early_s"))
		sb_printf(sb, "stopped after %.1f s", json_number_value(json_object_get(c,
			  "stopped_early_s")));
	sb_append(sb, "</td>");
}

/* friday's own cost: per collector (status, window, lost events, cost,
 * what the overhead budget did), the budget, the tool's CPU and memory. */
static void html_overhead(struct strbuf *sb, struct report *r)
{
	json_t *c, *v;
	const char *name;

	sb_append(sb, "<section id=\"overhead\"><h2>friday's own overhead and lost events</h2>\n");
	html_budget(sb, json_object_get(report_get(r, "overhead"), "budget"));
	if (json_object_size(report_get(r, "collectors"))) {
		sb_append(sb, "<table><tr><th>Collector</th><th>Status</th><th class=\"num\">Window</th>"
			  "<th class=\"num\">Lost events</th><th class=\"num\">Cost (host)</th>"
			  "<th>Budget</th><th>Why</th></tr>\n");
		json_object_foreach(report_get(r, "collectors"), name, c) {
			uint64_t lost = (uint64_t)json_integer_value(json_object_get(c, "lost_events"));

			sb_append(sb, "<tr><td>");
			sb_html(sb, name);
			sb_printf(sb, "</td><td class=\"st-%s\">", jstr(c, "status", ""));
			sb_html(sb, jstr(c, "status", ""));
			sb_printf(sb, "</td><td class=\"num\">%.1f s</td><td class=\"num%s\">%llu</td>",
				  json_number_value(json_object_get(c, "window_s")),
				  lost ? " st-failed" : "", (unsigned long long)lost);
			html_collector_cost(sb, c);
			sb_append(sb, "<td>");
			sb_html(sb, jstr(c, "reason", ""));
			sb_append(sb, "</td></tr>\n");
		}
		sb_append(sb, "</table>\n");
	}
	sb_append(sb, "<table class=\"ev\">");
	json_object_foreach(report_get(r, "overhead"), name, v) {
		sb_append(sb, "<tr><td>");
		sb_html(sb, name);
		sb_append(sb, "</td><td>");
		if (is_table(v))
			html_object_table(sb, v);
		else
			html_value(sb, v);
		sb_append(sb, "</td></tr>");
	}
	sb_append(sb, "</table></section>\n");
}

static void html_files(struct strbuf *sb, struct report *r)
{
	sb_append(sb, "<section id=\"files\"><h2>Files in this archive</h2>\n<p>"
		  "<a href=\"report.json\">report.json</a> (all data), "
		  "<a href=\"summary.txt\">summary.txt</a> (ticket text), "
		  "<a href=\"manifest.json\">manifest.json</a> (every file with its sha256, "
		  "redaction counts, what was cut)");
	for (size_t i = 0; i < r->nr_blobs; i++) {
		sb_append(sb, ", <a href=\"");
		sb_html(sb, r->blobs[i].name);
		sb_append(sb, "\">");
		sb_html(sb, r->blobs[i].name);
		sb_append(sb, "</a>");
	}
	sb_append(sb, ".</p></section>\n");
}

/* The data the script draws from: frame tables and heat map matrices. */
static int html_data(struct strbuf *sb, struct report *r, json_t *data)
{
	json_t *p;
	char *text;
	size_t i;
	int err = 0;

	sb_append(sb, "<script type=\"application/json\" id=\"friday-data\">{\"profiles\":[");
	json_array_foreach(report_get(r, "profiles"), i, p) {
		const struct report_blob *b = report_find_blob(r, jstr(p, "folded", ""));
		char *meta = json_dumps(json_array_get(json_object_get(data, "profiles"), i),
					JSON_COMPACT | JSON_ENSURE_ASCII);
		size_t len = meta ? strlen(meta) : 0;

		sb_append(sb, i ? "," : "");
		/* {"kind":..,"unit":..,"t":{frame table}} */
		if (meta && len > 1) {
			meta[len - 1] = '\0';
			sb_script_json(sb, meta);
			sb_append(sb, ",\"t\":");
		} else {
			sb_append(sb, "{\"t\":");
		}
		free(meta);
		if (b) {
			struct strbuf t = { 0 };

			err = flame_table_json(b->data, b->len, &t, NULL);
			sb_script_json(sb, t.buf ? t.buf : "null");
			sb_free(&t);
		} else {
			sb_append(sb, "null");
		}
		sb_append(sb, "}");
	}
	sb_append(sb, "],\"heatmaps\":");
	text = json_dumps(json_object_get(data, "heatmaps"), JSON_COMPACT | JSON_ENSURE_ASCII);
	sb_script_json(sb, text ? text : "[]");
	free(text);
	sb_append(sb, "}</script>\n");
	return err;
}

int write_report_html(struct report *r, struct out_files *out)
{
	struct strbuf sb = { 0 };
	json_t *data = json_object();
	size_t len;
	char *text;
	int err;

	html_head(&sb, r);
	html_header(&sb, r);
	html_verdict(&sb, r);
	html_week(&sb, r);
	html_findings(&sb, r);
	if (json_object_get(r->doc, "baseline"))
		diff_html_section(&sb, json_object_get(r->doc, "baseline"));
	html_flames(&sb, r, data);
	html_latency(&sb, r, data);
	html_events(&sb, r);
	html_checks(&sb, r);
	html_capabilities(&sb, r);
	html_overhead(&sb, r);
	html_files(&sb, r);
	sb_append(&sb, "<footer>Written by friday ");
	sb_html(&sb, jstr(report_get(r, "tool"), "version", ""));
	sb_append(&sb, ". This page makes no request: everything it shows is inside it.</footer>\n");
	err = html_data(&sb, r, data);
	json_decref(data);
	sb_append(&sb, "<script>\n");
	sb_append(&sb, asset_report_js);
	sb_append(&sb, "</script>\n</body></html>\n");
	text = sb_take(&sb, &len);
	if (!text || err) {
		free(text);
		return -1;
	}
	return out_files_add(out, "report.html", text, len);
}
