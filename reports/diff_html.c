/* diff_html.c: diff.html, the comparison of two archives as one offline
 * page in report.html's style (its stylesheet and script, inlined; a
 * Content-Security-Policy forbids every request): the notes, verdicts,
 * findings that appeared or went away, figures with their change, and a
 * differential flame graph per profile kind drawn on a canvas from the
 * merged call tree of both sides (reports/flame.c): a frame's width is the
 * mean of its two shares, its colour the change, red for more, blue for
 * less, so paths that vanished still show. Also the baseline section of
 * report.html. Reads the diff model only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "reports/compare.h"
#include "reports/flame.h"
#include "reports/jsonread.h"

extern const char asset_report_css[];
extern const char asset_report_js[];

#define HTML_FUNCTIONS 20

static void num_cell(struct strbuf *sb, json_t *v)
{
	if (!json_is_number(v)) {
		sb_append(sb, "<td class=\"num\">-</td>");
		return;
	}
	sb_append(sb, "<td class=\"num\">");
	html_number(sb, json_number_value(v));
	sb_append(sb, "</td>");
}

static void html_sides(struct strbuf *sb, json_t *diff)
{
	static const char *const sides[] = { "before", "after" };
	json_t *n;
	size_t i;

	sb_append(sb, "<table class=\"sides\"><tr><th></th><th>archive</th><th>host</th>"
		  "<th>started</th><th class=\"num\">s</th><th>friday</th><th>target</th></tr>");
	for (size_t k = 0; k < 2; k++) {
		json_t *s = json_object_get(diff, sides[k]);
		static const char *const keys[] = { "archive", "host", "started" };

		sb_printf(sb, "<tr><th>%s</th>", sides[k]);
		for (size_t j = 0; j < 3; j++) {
			sb_append(sb, "<td>");
			sb_html(sb, jstr(s, keys[j], "?"));
			sb_append(sb, "</td>");
		}
		sb_printf(sb, "<td class=\"num\">%.0f</td><td>", jnum(s, "duration_s"));
		sb_html(sb, jstr(s, "version", "?"));
		sb_append(sb, "</td><td>");
		sb_html(sb, jstr(s, "target", ""));
		sb_append(sb, "</td></tr>");
	}
	sb_append(sb, "</table>\n");
	json_array_foreach(json_object_get(diff, "notes"), i, n) {
		sb_append(sb, "<p class=\"note diff-note\">");
		sb_html(sb, json_string_value(n));
		sb_append(sb, "</p>\n");
	}
}

static void html_verdicts(struct strbuf *sb, json_t *diff)
{
	json_t *v;
	size_t i;

	sb_append(sb, "<section id=\"diff-verdicts\"><h2>Verdicts</h2>");
	if (!json_array_size(json_object_get(diff, "verdicts"))) {
		sb_append(sb, "<p>Neither archive has verdicts (see the notes).</p></section>\n");
		return;
	}
	sb_append(sb, "<table><tr><th>subsystem</th>"
		  "<th>before</th><th>after</th><th>change</th></tr>");
	json_array_foreach(json_object_get(diff, "verdicts"), i, v) {
		sb_printf(sb, "<tr class=\"%s\"><td>%s</td><td class=\"%s\">%s</td><td class=\"%s\">%s"
			  "</td><td>%s</td></tr>",
			  json_is_true(json_object_get(v, "changed")) ? "changed" : "same",
			  jstr(v, "subsystem", "?"), jstr(v, "before", "?"), jstr(v, "before", "?"),
			  jstr(v, "after", "?"), jstr(v, "after", "?"), jstr(v, "change", ""));
	}
	sb_append(sb, "</table></section>\n");
}

static void html_findings(struct strbuf *sb, json_t *diff)
{
	static const char *const lists[] = { "appeared", "gone" };
	json_t *fs = json_object_get(diff, "findings"), *f;
	size_t i;

	sb_append(sb, "<section id=\"diff-findings\"><h2>Findings</h2>");
	for (size_t k = 0; k < 2; k++) {
		sb_printf(sb, "<h3>%s (%zu)</h3>", k ? "Went away" : "Appeared",
			  json_array_size(json_object_get(fs, lists[k])));
		if (!json_array_size(json_object_get(fs, lists[k])))
			continue;
		sb_printf(sb, "<table class=\"findings-%s\">", lists[k]);
		json_array_foreach(json_object_get(fs, lists[k]), i, f) {
			sb_printf(sb, "<tr><td><span class=\"sev sev-%s\">%s</span></td><td><code>",
				  jstr(f, "severity", "info"), jstr(f, "severity", "info"));
			sb_html(sb, jstr(f, "id", "?"));
			sb_append(sb, "</code></td><td>");
			sb_html(sb, jstr(f, "title", ""));
			sb_append(sb, "<br><small>");
			sb_html(sb, jstr(f, "detail", ""));
			sb_append(sb, "</small></td></tr>");
		}
		sb_append(sb, "</table>");
	}
	json_array_foreach(json_object_get(fs, "severity_changed"), i, f) {
		sb_append(sb, "<p><code>");
		sb_html(sb, jstr(f, "id", "?"));
		sb_printf(sb, "</code>: %s &rarr; %s</p>", jstr(f, "before", "?"), jstr(f, "after", "?"));
	}
	sb_append(sb, "</section>\n");
}

static void figure_row(struct strbuf *sb, json_t *f)
{
	json_t *pct = json_object_get(f, "change_pct");

	sb_printf(sb, "<tr class=\"dir-%s\"><td><code>", jstr(f, "direction", "same"));
	sb_html(sb, jstr(f, "name", "?"));
	sb_append(sb, "</code></td><td>");
	sb_html(sb, jstr(f, "unit", ""));
	sb_append(sb, "</td>");
	num_cell(sb, json_object_get(f, "before"));
	num_cell(sb, json_object_get(f, "after"));
	if (json_is_number(pct))
		sb_printf(sb, "<td class=\"num\">%+.0f%%</td>", json_number_value(pct));
	else
		sb_append(sb, "<td class=\"num\">-</td>");
	sb_printf(sb, "<td>%s</td></tr>", jstr(f, "direction", ""));
}

static void html_figures(struct strbuf *sb, json_t *diff)
{
	json_t *f;
	size_t i, moved = 0;

	json_array_foreach(json_object_get(diff, "figures"), i, f)
		moved += json_is_true(json_object_get(f, "moved"));
	sb_printf(sb, "<section id=\"diff-figures\"><h2>Figures (%zu moved by 10%% or more)</h2>",
		  moved);
	if (!json_array_size(json_object_get(diff, "figures"))) {
		sb_append(sb, "<p>No figure that both archives could hold (see the notes).</p>"
			  "</section>\n");
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		sb_append(sb, pass ? "<details><summary>The figures that did not move</summary>" : "");
		sb_append(sb, "<table><tr><th>figure</th><th>unit</th><th class=\"num\">before</th>"
			  "<th class=\"num\">after</th><th class=\"num\">change</th><th></th></tr>");
		json_array_foreach(json_object_get(diff, "figures"), i, f)
			if (json_is_true(json_object_get(f, "moved")) == !pass)
				figure_row(sb, f);
		sb_append(sb, pass ? "</table></details>" : "</table>");
	}
	sb_append(sb, "</section>\n");
}

static void html_shares(struct strbuf *sb, json_t *list, const char *what, size_t max)
{
	json_t *f;
	size_t i;

	sb_printf(sb, "<table class=\"shares\"><tr><th>%s</th><th class=\"num\">before</th>"
		  "<th class=\"num\">after</th><th class=\"num\">change (points)</th></tr>", what);
	json_array_foreach(list, i, f) {
		double ch = jnum(f, "change_pts");

		if (i >= max)
			break;
		sb_printf(sb, "<tr class=\"%s\"><td class=\"fn\">", ch > 0 ? "more" : ch < 0 ? "less" : "");
		sb_html(sb, jstr(f, "name", "?"));
		sb_printf(sb, "%s</td><td class=\"num\">%.1f%%</td><td class=\"num\">%.1f%%</td>"
			  "<td class=\"num\">%+.1f</td></tr>",
			  json_is_true(json_object_get(f, "vanished")) ? " <em>(gone)</em>" :
			  json_is_true(json_object_get(f, "new")) ? " <em>(new)</em>" : "",
			  jnum(f, "before_pct"), jnum(f, "after_pct"), ch);
	}
	sb_append(sb, "</table>");
}

static void html_paths(struct strbuf *sb, json_t *p, const char *key, const char *title)
{
	json_t *s;
	size_t i;

	if (!json_array_size(json_object_get(p, key)))
		return;
	sb_printf(sb, "<details class=\"%s\"><summary>%s</summary><table>", key, title);
	json_array_foreach(json_object_get(p, key), i, s) {
		sb_printf(sb, "<tr><td class=\"num\">%.2f%%</td><td class=\"fn\">", jnum(s, "pct"));
		sb_html(sb, jstr(s, "stack", ""));
		sb_append(sb, "</td></tr>");
	}
	sb_append(sb, "</table></details>");
}

static void html_profile(struct strbuf *sb, json_t *p, size_t idx, bool canvas)
{
	const char *kind = jstr(p, "kind", "cpu");

	sb_printf(sb, "<h3 id=\"diff-%s\">%s differential flame graph <small class=\"meta\">"
		  "before %lld, after %lld ", kind, strcmp(kind, "cpu") ? "Off-CPU" : "CPU",
		  (long long)json_integer_value(json_object_get(p, "before_total")),
		  (long long)json_integer_value(json_object_get(p, "after_total")));
	sb_html(sb, jstr(p, "unit", "samples"));
	sb_append(sb, "; <a href=\"");
	sb_html(sb, jstr(p, "diff_folded", ""));
	sb_append(sb, "\">differential folded</a></small></h3>\n");
	if (canvas)
		sb_printf(sb, "<p class=\"meta\">Width: the mean of a frame's share before and after "
			  "(each of its own profile's total), so vanished paths still show. "
			  "Colour: <span class=\"more\">red for more</span>, <span class=\"less\">"
			  "blue for less</span>, grey unchanged.</p><div class=\"flame\" "
			  "data-flame=\"%zu\"></div>\n", idx);
	html_shares(sb, json_object_get(p, "functions"), "function (on the stack)", HTML_FUNCTIONS);
	html_shares(sb, json_object_get(p, "processes"), "process", HTML_FUNCTIONS);
	html_paths(sb, p, "vanished_paths", "Paths that vanished (share before)");
	html_paths(sb, p, "new_paths", "Paths that appeared (share after)");
}

static const char diff_css[] =
	"tr.changed td{background:#fff3d6}.more,tr.more td:last-child,tr.dir-worse td:last-child"
	"{color:#b00}.less,tr.less td:last-child,tr.dir-better td:last-child{color:#0b4fad}"
	".sides td{word-break:break-all}\n";

static void html_body(struct strbuf *sb, json_t *diff, bool canvas)
{
	json_t *p;
	size_t i;

	html_sides(sb, diff);
	html_verdicts(sb, diff);
	html_findings(sb, diff);
	html_figures(sb, diff);
	sb_append(sb, "<section id=\"diff-profiles\"><h2>Profiles</h2>");
	if (!json_array_size(json_object_get(diff, "profiles")))
		sb_append(sb, "<p>No profile to compare (see the notes).</p>");
	json_array_foreach(json_object_get(diff, "profiles"), i, p)
		html_profile(sb, p, i, canvas);
	sb_append(sb, "</section>\n");
}

void diff_html_section(struct strbuf *sb, json_t *diff)
{
	sb_append(sb, "<section id=\"baseline\"><h2>Compared with the baseline</h2>"
		  "<p class=\"meta\">friday run --baseline: this run (after) against the "
		  "baseline archive (before). The differential flame graphs are in "
		  "<a href=\"diff/diff.html\">diff/diff.html</a>.</p>\n<style>");
	sb_append(sb, diff_css);
	sb_append(sb, "</style>\n");
	html_body(sb, diff, false);
	sb_append(sb, "</section>\n");
}

/* The frame tables the script draws, one per compared profile. */
static int html_data(struct strbuf *sb, json_t *diff, const struct diff_side *b,
		     const struct diff_side *a)
{
	json_t *p;
	size_t i;
	int err = 0;

	sb_append(sb, "<script type=\"application/json\" id=\"friday-data\">{\"profiles\":[");
	json_array_foreach(json_object_get(diff, "profiles"), i, p) {
		const struct report_blob *fb = diff_side_blob(b, jstr(p, "before_folded", NULL));
		const struct report_blob *fa = diff_side_blob(a, jstr(p, "after_folded", NULL));
		struct strbuf t = { 0 };

		sb_printf(sb, "%s{\"kind\":\"%s\",\"unit\":\"ppm\",\"diff\":true,\"t\":", i ? "," : "",
			  strcmp(jstr(p, "kind", ""), "cpu") ? "offcpu" : "cpu");
		if (fb && fa && !err)
			err = flame_diff_table_json(fb->data, fb->len, fa->data, fa->len, &t, NULL);
		sb_script_json(sb, t.buf && !err ? t.buf : "null");
		sb_free(&t);
		sb_append(sb, "}");
	}
	sb_append(sb, "],\"heatmaps\":[]}</script>\n");
	return err;
}

char *diff_render_html(json_t *diff, const struct diff_side *before,
		       const struct diff_side *after, size_t *len)
{
	struct strbuf sb = { 0 };
	char *text;

	html_page_start(&sb);
	sb_append(&sb, "friday diff</title>\n<style>\n");
	sb_append(&sb, asset_report_css);
	sb_append(&sb, diff_css);
	sb_append(&sb, "</style></head><body>\n<header><h1>friday diff: what changed</h1>"
		  "</header>\n");
	html_body(&sb, diff, true);
	sb_append(&sb, "<footer>Written by friday " FRIDAY_VERSION ". This page makes no request: "
		  "everything it shows is inside it.</footer>\n");
	if (html_data(&sb, diff, before, after)) {
		sb_free(&sb);
		return NULL;
	}
	sb_append(&sb, "<script>\n");
	sb_append(&sb, asset_report_js);
	sb_append(&sb, "</script>\n</body></html>\n");
	text = sb_take(&sb, len);
	return text;
}
