/* html.c: report.html, one self-contained page that works offline from
 * file:// (a Content-Security-Policy forbids every request): verdicts
 * first, then the findings, the week's steps, the checks and the host's
 * capabilities. It reads the report model only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "reports/writers.h"

static const char *jstr(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : dflt;
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<style>\n"
	"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#222}\n"
	"h1{font-size:1.5em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\n"
	".meta{color:#555}.tiles{display:flex;flex-wrap:wrap;gap:.5em}\n"
	".tile{border-radius:6px;padding:.5em .8em;min-width:9em;border:1px solid #aaa}\n"
	".tile b{display:block;text-transform:capitalize}\n"
	".implicated{background:#f8d0d0;border-color:#c33}.suspect{background:#fbe8c0;border-color:#c90}\n"
	".exonerated{background:#d6f0d6;border-color:#393}.unknown{background:#eee;border-color:#999}\n"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\n"
	"th{background:#f4f4f4}.sev-critical{color:#b00;font-weight:bold}.sev-warning{color:#a60;font-weight:bold}.sev-info{color:#357}\n"
	".st-ok{color:#393}.st-failed,.st-timeout{color:#b00}.st-skipped,.st-unavailable{color:#777}\n"
	"code,pre{font-family:ui-monospace,monospace;font-size:12px}pre{background:#f6f6f6;padding:.5em;overflow:auto}\n"
	"@media print{h2{page-break-after:avoid}.tile{break-inside:avoid}}\n"
	"</style>\n";

static void html_header(struct strbuf *sb, struct report *r)
{
	json_t *host = report_get(r, "host"), *run = report_get(r, "run");

	sb_append(sb, "<title>friday report: ");
	sb_html(sb, jstr(host, "hostname", "host"));
	sb_append(sb, "</title></head><body>\n<h1>friday report: ");
	sb_html(sb, jstr(host, "hostname", "host"));
	sb_append(sb, "</h1>\n<p class=\"meta\">");
	sb_printf(sb, "kernel %s, %lld CPUs, %.1f GiB; window %s, %.0f s; playbook %s; target ",
		  jstr(host, "kernel", "?"), (long long)json_integer_value(json_object_get(host, "cpus")),
		  json_integer_value(json_object_get(host, "memory_bytes")) / 1073741824.0,
		  jstr(run, "started", "?"), json_number_value(json_object_get(run, "duration_s")),
		  jstr(run, "playbook", "?"));
	sb_html(sb, jstr(run, "target", "whole host"));
	sb_append(sb, "</p>\n");
	if (json_string_value(json_object_get(run, "problem"))) {
		sb_append(sb, "<p><b>Problem:</b> ");
		sb_html(sb, jstr(run, "problem", ""));
		sb_append(sb, "</p>\n");
	}
	if (json_is_true(json_object_get(run, "partial"))) {
		sb_append(sb, "<p class=\"sev-warning\">Partial report: ");
		sb_html(sb, jstr(run, "partial_reason", "the run was cut short"));
		sb_append(sb, "</p>\n");
	}
}

static void html_verdicts(struct strbuf *sb, struct report *r)
{
	json_t *h;
	size_t i;

	sb_append(sb, "<h2>Verdicts</h2>\n<div class=\"tiles\">\n");
	if (json_array_size(report_get(r, "health")) == 0)
		sb_append(sb, "<p>No health probe ran in this run; see the week below.</p>\n");
	json_array_foreach(report_get(r, "health"), i, h) {
		json_t *ev = json_array_get(json_object_get(h, "evidence"), 0);

		sb_printf(sb, "<div class=\"tile %s\"><b>", jstr(h, "verdict", "unknown"));
		sb_html(sb, jstr(h, "subsystem", "?"));
		sb_append(sb, "</b>");
		sb_html(sb, jstr(h, "verdict", "unknown"));
		if (json_string_value(ev)) {
			sb_append(sb, "<br><small>");
			sb_html(sb, json_string_value(ev));
			sb_append(sb, "</small>");
		}
		sb_append(sb, "</div>\n");
	}
	sb_append(sb, "</div>\n");
}

static void html_findings(struct strbuf *sb, struct report *r)
{
	json_t *f;
	size_t i;

	sb_printf(sb, "<h2>Findings (%zu)</h2>\n", json_array_size(report_get(r, "findings")));
	if (json_array_size(report_get(r, "findings")) == 0) {
		sb_append(sb, "<p>No finding: every check that ran had nothing to report.</p>\n");
		return;
	}
	sb_append(sb, "<table><tr><th>Severity</th><th>Finding</th><th>Detail and evidence</th>"
		      "<th>Next step</th></tr>\n");
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--) {
		json_array_foreach(report_get(r, "findings"), i, f) {
			char *ev;

			if (severity_from_name(jstr(f, "severity", "")) != sev)
				continue;
			sb_printf(sb, "<tr id=\"%s\"><td class=\"sev-%s\">%s</td><td><b>", jstr(f, "id", ""),
				  severity_name(sev), severity_name(sev));
			sb_html(sb, jstr(f, "title", ""));
			sb_append(sb, "</b><br><code>");
			sb_html(sb, jstr(f, "id", ""));
			sb_append(sb, "</code><br><small>source: ");
			sb_html(sb, jstr(f, "source", ""));
			sb_append(sb, "</small></td><td>");
			sb_html(sb, jstr(f, "detail", ""));
			ev = json_dumps(json_object_get(f, "evidence"), JSON_COMPACT | JSON_PRESERVE_ORDER);
			sb_append(sb, "<pre>");
			sb_html(sb, ev ? ev : "{}");
			sb_append(sb, "</pre></td><td>");
			free(ev);
			sb_html(sb, json_string_value(json_array_get(json_object_get(f, "next_steps"), 0)));
			sb_append(sb, "</td></tr>\n");
		}
	}
	sb_append(sb, "</table>\n");
}

static void html_week(struct strbuf *sb, struct report *r)
{
	json_t *stage, *step;
	size_t i, j;

	sb_append(sb, "<h2>The week</h2>\n<table><tr><th>Stage</th><th>Step</th><th>Status</th>"
		      "<th>Time</th><th>Why</th></tr>\n");
	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			sb_append(sb, "<tr><td>");
			sb_html(sb, jstr(stage, "id", ""));
			sb_append(sb, "</td><td>");
			sb_html(sb, jstr(step, "title", jstr(step, "id", "")));
			sb_printf(sb, "</td><td class=\"st-%s\">%s</td><td>%.2f s</td><td>",
				  jstr(step, "status", ""), jstr(step, "status", ""),
				  json_number_value(json_object_get(step, "elapsed_s")));
			sb_html(sb, jstr(step, "reason", ""));
			sb_append(sb, "</td></tr>\n");
		}
	sb_append(sb, "</table>\n");
}

static void html_checks(struct strbuf *sb, struct report *r)
{
	json_t *c;
	size_t i;

	sb_printf(sb, "<h2>Configuration checked (%zu checks)</h2>\n<table><tr><th>Check</th>"
		  "<th>Reads</th><th>Rule</th><th>Result</th></tr>\n",
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
	sb_append(sb, "</table>\n");
}

static void html_capabilities(struct strbuf *sb, struct report *r)
{
	const char *name;
	json_t *c;

	sb_append(sb, "<h2>Capabilities of this host</h2>\n<table><tr><th>Capability</th>"
		      "<th>Works</th><th>Why</th></tr>\n");
	json_object_foreach(report_get(r, "capabilities"), name, c) {
		sb_append(sb, "<tr><td>");
		sb_html(sb, name);
		sb_printf(sb, "</td><td class=\"%s\">%s</td><td>",
			  json_is_true(json_object_get(c, "ok")) ? "st-ok" : "st-failed",
			  json_is_true(json_object_get(c, "ok")) ? "yes" : "no");
		sb_html(sb, jstr(c, "reason", ""));
		sb_append(sb, "</td></tr>\n");
	}
	sb_append(sb, "</table>\n");
}

static void html_overhead(struct strbuf *sb, struct report *r)
{
	char *text = json_dumps(report_get(r, "overhead"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	sb_append(sb, "<h2>friday's own overhead</h2>\n<pre>");
	sb_html(sb, text ? text : "{}");
	sb_append(sb, "</pre>\n");
	free(text);
}

int write_report_html(struct report *r, struct out_files *out)
{
	struct strbuf sb = { 0 };
	size_t len;
	char *text;

	sb_append(&sb, html_head);
	html_header(&sb, r);
	html_verdicts(&sb, r);
	html_findings(&sb, r);
	html_profiles(&sb, r);
	html_week(&sb, r);
	html_checks(&sb, r);
	html_capabilities(&sb, r);
	html_overhead(&sb, r);
	sb_append(&sb, "<p class=\"meta\">Written by friday ");
	sb_html(&sb, jstr(report_get(r, "tool"), "version", ""));
	sb_append(&sb, ". Files: report.json (data), summary.txt (ticket text), manifest.json "
		       "(every file with its sha256).</p>\n</body></html>\n");
	text = sb_take(&sb, &len);
	if (!text)
		return -1;
	return out_files_add(out, "report.html", text, len);
}
