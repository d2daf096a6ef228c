/* diff_text.c: a diff model (reports/compare.c) as text for an 80-column
 * terminal: the notes, verdicts that changed, findings that appeared or
 * went away, figures that moved, and per profile the functions whose share
 * moved most and the paths that vanished or appeared. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/strbuf.h"
#include "reports/compare.h"
#include "reports/jsonread.h"

#define TEXT_FUNCTIONS 8
#define TEXT_PATHS 3
#define NAME_COLS 34
#define MIN_TEXT_PTS 0.1   /* smaller moves are sampling noise here */

/* name cut to cols, keeping its end (the leaf of a stack, a function's
 * distinctive tail) after an ellipsis. */
static void put_name(struct strbuf *sb, const char *name, int cols)
{
	size_t n = strlen(name);

	if (n <= (size_t)cols)
		sb_printf(sb, "%-*s", cols, name);
	else
		sb_printf(sb, "..%s", name + n - (cols - 2));
}

/* The same at the end of a line: no padding. */
static void put_last(struct strbuf *sb, const char *name, int cols)
{
	if (strlen(name) <= (size_t)cols)
		sb_append(sb, name);
	else
		put_name(sb, name, cols);
}

static void text_side(struct strbuf *sb, const char *label, json_t *s)
{
	char line[512];

	snprintf(line, sizeof(line), "%s, %s, %.0f s, friday %s, %s", jstr(s, "host", "?"),
		 jstr(s, "started", "?"), jnum(s, "duration_s"), jstr(s, "version", "?"),
		 jstr(s, "target", "whole host"));
	sb_printf(sb, "  %-7s %.70s\n    ", label, line);
	put_last(sb, jstr(s, "archive", "?"), 76);
	sb_append(sb, "\n");
}

static void text_verdicts(struct strbuf *sb, json_t *diff)
{
	json_t *v;
	size_t i, n = 0;

	sb_append(sb, "\nVerdicts that changed:\n");
	json_array_foreach(json_object_get(diff, "verdicts"), i, v) {
		if (!json_is_true(json_object_get(v, "changed")))
			continue;
		sb_printf(sb, "  %-11s %-11s -> %-11s %s\n", jstr(v, "subsystem", "?"),
			  jstr(v, "before", "?"), jstr(v, "after", "?"), jstr(v, "change", ""));
		n++;
	}
	if (!n)
		sb_append(sb, "  none\n");
}

static void text_findings(struct strbuf *sb, json_t *diff)
{
	static const char *const lists[] = { "appeared", "gone" };
	static const char *const marks[] = { "+", "-" };
	json_t *f, *fs = json_object_get(diff, "findings");
	size_t i;

	for (size_t k = 0; k < 2; k++) {
		sb_printf(sb, "\nFindings that %s:\n", k ? "went away" : "appeared");
		json_array_foreach(json_object_get(fs, lists[k]), i, f) {
			sb_printf(sb, "  %s %-8s ", marks[k], jstr(f, "severity", "?"));
			put_name(sb, jstr(f, "id", "?"), 30);
			sb_append(sb, " ");
			put_last(sb, jstr(f, "title", ""), 34);
			sb_append(sb, "\n");
		}
		if (!json_array_size(json_object_get(fs, lists[k])))
			sb_append(sb, "  none\n");
	}
	json_array_foreach(json_object_get(fs, "severity_changed"), i, f)
		sb_printf(sb, "  ~ %-30s %s -> %s\n", jstr(f, "id", "?"), jstr(f, "before", "?"),
			  jstr(f, "after", "?"));
}

static void fmt_num(char *buf, size_t len, json_t *v)
{
	double d = json_number_value(v);

	if (!json_is_number(v))
		snprintf(buf, len, "-");
	else if (fabs(d) >= 1e9)
		snprintf(buf, len, "%.3g", d);   /* 10 columns at most */
	else if (fabs(d) >= 100 || d == floor(d))
		snprintf(buf, len, "%.0f", d);
	else
		snprintf(buf, len, "%.3g", d);
}

static void text_figures(struct strbuf *sb, json_t *diff)
{
	char b[32], a[32], c[32];
	json_t *f;
	size_t i, n = 0;

	sb_append(sb, "\nFigures that moved (10% or more):\n");
	json_array_foreach(json_object_get(diff, "figures"), i, f) {
		json_t *pct = json_object_get(f, "change_pct");

		if (!json_is_true(json_object_get(f, "moved")))
			continue;
		if (!n++)
			sb_printf(sb, "  %-*s %10s %10s %8s\n", NAME_COLS - 2, "figure", "before",
				  "after", "change");
		fmt_num(b, sizeof(b), json_object_get(f, "before"));
		fmt_num(a, sizeof(a), json_object_get(f, "after"));
		if (json_is_number(pct))
			snprintf(c, sizeof(c), "%+.0f%%", json_number_value(pct));
		else
			snprintf(c, sizeof(c), "new");
		sb_append(sb, "  ");
		put_name(sb, jstr(f, "name", "?"), NAME_COLS - 2);
		sb_printf(sb, " %10s %10s %8s %s\n", b, a, c, jstr(f, "direction", ""));
	}
	if (!n)
		sb_append(sb, "  none\n");
}

static void text_shares(struct strbuf *sb, json_t *list, const char *what)
{
	json_t *f;
	size_t i;

	sb_printf(sb, "  %-*s %7s %7s %10s\n", NAME_COLS + 8, what, "before", "after", "change");
	json_array_foreach(list, i, f) {
		if (i >= TEXT_FUNCTIONS || fabs(jnum(f, "change_pts")) < MIN_TEXT_PTS) {
			if (!i)
				sb_printf(sb, "  no share moved by %.1f points or more\n", MIN_TEXT_PTS);
			break;
		}
		sb_append(sb, "  ");
		put_name(sb, jstr(f, "name", "?"), NAME_COLS + 8);
		sb_printf(sb, " %6.1f%% %6.1f%% %+6.1f pts%s\n", jnum(f, "before_pct"),
			  jnum(f, "after_pct"), jnum(f, "change_pts"),
			  json_is_true(json_object_get(f, "vanished")) ? " gone" :
			  json_is_true(json_object_get(f, "new")) ? " new" : "");
	}
}

static void text_paths(struct strbuf *sb, json_t *p, const char *key, const char *count,
		       const char *what)
{
	json_t *s;
	size_t i;

	if (!json_integer_value(json_object_get(p, count)))
		return;
	sb_printf(sb, "  %lld paths %s, the largest:\n",
		  (long long)json_integer_value(json_object_get(p, count)), what);
	json_array_foreach(json_object_get(p, key), i, s) {
		if (i >= TEXT_PATHS)
			break;
		sb_printf(sb, "    %5.1f%% ", jnum(s, "pct"));
		put_last(sb, jstr(s, "stack", "?"), 68);
		sb_append(sb, "\n");
	}
}

static void text_profiles(struct strbuf *sb, json_t *diff)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(diff, "profiles"), i, p) {
		char line[256];

		/* totals in us can be long: wrapped, so no line passes 80 columns */
		snprintf(line, sizeof(line), "%s flame graph, shares of each total (before %lld, "
			 "after %lld %s):", !strcmp(jstr(p, "kind", ""), "cpu") ? "CPU" : "Off-CPU",
			 (long long)json_integer_value(json_object_get(p, "before_total")),
			 (long long)json_integer_value(json_object_get(p, "after_total")),
			 jstr(p, "unit", "samples"));
		sb_append(sb, "\n");
		sb_wrap(sb, line, 80, 0, 2);
		sb_append(sb, "\n");
		text_shares(sb, json_object_get(p, "functions"), "function (on the stack)");
		text_shares(sb, json_object_get(p, "processes"), "process");
		text_paths(sb, p, "vanished_paths", "nr_vanished_paths", "vanished");
		text_paths(sb, p, "new_paths", "nr_new_paths", "appeared");
	}
}

char *diff_render_text(json_t *diff, size_t *len)
{
	struct strbuf sb = { 0 };
	json_t *n;
	size_t i;

	sb_printf(&sb, "friday diff: what changed from before to after\n");
	text_side(&sb, "before", json_object_get(diff, "before"));
	text_side(&sb, "after", json_object_get(diff, "after"));
	json_array_foreach(json_object_get(diff, "notes"), i, n) {
		sb_append(&sb, "note: ");
		sb_wrap(&sb, json_string_value(n), 80, 6, 6);
		sb_append(&sb, "\n");
	}
	text_verdicts(&sb, diff);
	text_findings(&sb, diff);
	text_figures(&sb, diff);
	text_profiles(&sb, diff);
	return sb_take(&sb, len);
}
