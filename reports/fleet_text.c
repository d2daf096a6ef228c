/* fleet_text.c: the terminal view of a fleet summary (fleet.h), rendered
 * only from the JSON that `friday show --json` prints: one line per host
 * with one verdict letter per subsystem in aligned columns (so the odd
 * host's column stands out), then the findings several hosts share, those
 * of one host only, and the subsystems whose verdicts differ. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "reports/fleet.h"
#include "reports/jsonread.h"
#include "reports/report.h"

/* One letter per verdict; "-" when the host did not measure it at all. */
static char verdict_letter(const char *verdict)
{
	static const struct {
		const char *name;
		char letter;
	} letters[] = {
		{ "implicated", 'I' }, { "suspect", 'S' }, { "exonerated", 'E' }, { "unknown", '?' },
	};

	for (size_t i = 0; verdict && i < sizeof(letters) / sizeof(*letters); i++)
		if (!strcmp(verdict, letters[i].name))
			return letters[i].letter;
	return '-';
}

static int label_width(json_t *hosts)
{
	size_t w = 4, i;
	json_t *h;

	json_array_foreach(hosts, i, h)
		if (json_is_true(json_object_get(h, "ok")) && strlen(jstr(h, "label", "")) > w)
			w = strlen(jstr(h, "label", ""));
	return (int)w;
}

static void text_host_line(struct strbuf *sb, json_t *h, int width)
{
	json_t *top = json_object_get(h, "top_finding");

	if (!json_is_true(json_object_get(h, "ok"))) {
		sb_printf(sb, "%-*s  unreadable: %s\n", width, jstr(h, "label", "?"),
			  jstr(h, "error", "?"));
		return;
	}
	sb_printf(sb, "%-*s ", width, jstr(h, "label", "?"));
	for (size_t s = 0; s < report_nr_subsystems; s++)
		sb_printf(sb, " %c", verdict_letter(jstr(json_object_get(h, "verdicts"),
							  report_subsystems[s], NULL)));
	sb_printf(sb, "  %8lld  ", (long long)json_integer_value(json_object_get(h, "nr_findings")));
	if (json_is_object(top))
		sb_printf(sb, "%s %s: %s", jstr(top, "severity", "?"), jstr(top, "id", "?"),
			  jstr(top, "title", ""));
	else
		sb_append(sb, "none");
	if (json_is_true(json_object_get(h, "partial")))
		sb_append(sb, " (partial run)");
	sb_append(sb, "\n");
}

static void text_hosts(struct strbuf *sb, json_t *summary)
{
	json_t *hosts = json_object_get(summary, "hosts"), *h;
	int width = label_width(hosts);
	size_t i;

	sb_printf(sb, "%-*s ", width, "HOST");
	for (size_t s = 0; s < report_nr_subsystems; s++)
		sb_printf(sb, " %c", report_subsystems[s][0]);
	sb_append(sb, "  FINDINGS  TOP FINDING\n");
	json_array_foreach(hosts, i, h)
		text_host_line(sb, h, width);
	sb_append(sb, "Verdicts: I implicated, S suspect, E exonerated, ? unknown, - not measured;\n"
		      "columns:");
	for (size_t s = 0; s < report_nr_subsystems; s++)
		sb_printf(sb, " %s", report_subsystems[s]);
	sb_append(sb, ".\n");
}

/* "a, b, c" */
static void text_list(struct strbuf *sb, json_t *labels)
{
	json_t *l;
	size_t i;

	json_array_foreach(labels, i, l)
		sb_printf(sb, "%s%s", i ? ", " : "", json_string_value(l));
}

static int id_width(json_t *list)
{
	size_t w = 8, i;
	json_t *g;

	json_array_foreach(list, i, g)
		if (strlen(jstr(g, "id", "")) > w)
			w = strlen(jstr(g, "id", ""));
	return (int)w;
}

static void text_shared(struct strbuf *sb, json_t *summary)
{
	json_t *shared = json_object_get(summary, "shared"), *g;
	int width = id_width(shared);
	size_t i;

	sb_printf(sb, "\nFindings on several hosts (%zu):\n", json_array_size(shared));
	if (json_array_size(shared) == 0)
		sb_append(sb, "  none\n");
	json_array_foreach(shared, i, g) {
		json_t *missing = json_object_get(g, "missing_on");
		long long n = json_integer_value(json_object_get(g, "nr_hosts"));

		sb_printf(sb, "  %lld of %lld  %-8s %-*s %s", n,
			  (long long)json_integer_value(json_object_get(g, "of")),
			  jstr(g, "severity", "?"), width, jstr(g, "id", "?"), jstr(g, "title", ""));
		/* Only when the hosts that lack it are the fewer: then they are
		 * the odd ones out. */
		if (json_array_size(missing) > 0 && (long long)json_array_size(missing) < n) {
			sb_append(sb, " (not on: ");
			text_list(sb, missing);
			sb_append(sb, ")");
		}
		sb_append(sb, "\n");
	}
}

static void text_unique(struct strbuf *sb, json_t *summary)
{
	json_t *unique = json_object_get(summary, "unique"), *g;
	int width = id_width(unique);
	size_t i;

	sb_printf(sb, "\nFindings on one host only (%zu):\n", json_array_size(unique));
	if (json_array_size(unique) == 0)
		sb_append(sb, "  none\n");
	json_array_foreach(unique, i, g)
		sb_printf(sb, "  %s: %-8s %-*s %s\n", jstr(g, "host", "?"), jstr(g, "severity", "?"),
			  width, jstr(g, "id", "?"), jstr(g, "title", ""));
}

static void text_verdicts_differ(struct strbuf *sb, json_t *summary)
{
	json_t *differ = json_object_get(summary, "verdicts_differ"), *d, *labels;
	const char *verdict;
	size_t i;

	sb_printf(sb, "\nVerdicts that differ between hosts (%zu):\n", json_array_size(differ));
	if (json_array_size(differ) == 0)
		sb_append(sb, "  none\n");
	json_array_foreach(differ, i, d) {
		bool first = true;

		sb_printf(sb, "  %-11s", jstr(d, "subsystem", "?"));
		json_object_foreach(json_object_get(d, "verdicts"), verdict, labels) {
			sb_printf(sb, "%s%s on ", first ? "" : "; ", verdict);
			text_list(sb, labels);
			first = false;
		}
		sb_append(sb, "\n");
	}
}

char *fleet_render_text(json_t *summary)
{
	struct strbuf sb = { 0 };
	size_t nr = (size_t)json_integer_value(json_object_get(summary, "nr_archives"));
	size_t nr_bad = fleet_nr_unreadable(summary);

	sb_printf(&sb, "friday show: %zu archives, %zu read", nr, nr - nr_bad);
	if (nr_bad)
		sb_printf(&sb, ", %zu unreadable", nr_bad);
	sb_append(&sb, "\n\n");
	text_hosts(&sb, summary);
	text_shared(&sb, summary);
	text_unique(&sb, summary);
	text_verdicts_differ(&sb, summary);
	return sb_take(&sb, NULL);
}
