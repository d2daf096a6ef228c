/* profile_writer.c: the profile writer: for every entry of
 * report.profiles[] it renders the folded blob into the SVG flame graph and
 * the gzipped pprof the entry names; plus the profiles' section of
 * report.html (links to the graphs, totals, the top leaf frames). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "reports/flamegraph.h"
#include "reports/writers.h"

static const char *jstr(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static bool is_cpu(json_t *p)
{
	return !strcmp(jstr(p, "kind", ""), "cpu");
}

static int write_svg(json_t *p, const struct report_blob *b, struct out_files *out)
{
	struct flame_opts fo = {
		.title = jstr(p, "title", "Flame Graph"),
		.unit = jstr(p, "unit", "samples"),
		.palette = is_cpu(p) ? FLAME_HOT : FLAME_BLUE,
	};
	size_t len;
	char *svg = flamegraph_svg(b->data, b->len, &fo, &len);

	if (!svg)
		return -ENOMEM;
	return out_files_add(out, jstr(p, "svg", "profiles/unnamed.svg"), svg, len);
}

static int write_pprof(json_t *p, const struct report_blob *b, struct out_files *out)
{
	json_int_t freq = json_integer_value(json_object_get(p, "frequency_hz"));
	struct pprof_opts po = {
		.sample_type = is_cpu(p) ? "samples" : jstr(p, "kind", "offcpu"),
		.sample_unit = is_cpu(p) ? "count" : "microseconds",
		.period_type = is_cpu(p) ? "cpu" : NULL,
		.period_unit = "nanoseconds",
		.period = is_cpu(p) && freq > 0 ? 1000000000LL / freq : 0,
		.duration_ns = (long long)(json_number_value(json_object_get(p, "window_s")) * 1e9),
	};
	size_t len;
	char *gz;
	int err = pprof_encode_gz(b->data, b->len, &po, &gz, &len);

	if (err)
		return err;
	return out_files_add(out, jstr(p, "pprof", "profiles/unnamed.pb.gz"), gz, len);
}

int write_profiles(struct report *r, struct out_files *out)
{
	json_t *p;
	size_t i;
	int err = 0;

	json_array_foreach(report_get(r, "profiles"), i, p) {
		const struct report_blob *b = report_find_blob(r, jstr(p, "folded", ""));

		if (!b)
			continue;
		if ((err = write_svg(p, b, out)) || (err = write_pprof(p, b, out)))
			return err;
	}
	return 0;
}

static void html_top_leaves(struct strbuf *sb, json_t *p)
{
	json_t *leaves = json_object_get(p, "top_leaves"), *l;
	size_t i;

	if (!json_array_size(leaves))
		return;
	sb_append(sb, "<table><tr><th>leaf frame</th><th>");
	sb_html(sb, jstr(p, "unit", ""));
	sb_append(sb, "</th><th>share</th></tr>\n");
	json_array_foreach(leaves, i, l) {
		if (i == 10)
			break;
		sb_append(sb, "<tr><td><code>");
		sb_html(sb, jstr(l, "function", "?"));
		sb_printf(sb, "</code></td><td>%lld</td><td>%.1f%%</td></tr>\n",
			  (long long)json_integer_value(json_object_get(l, "value")),
			  json_number_value(json_object_get(l, "pct")));
	}
	sb_append(sb, "</table>\n");
}

void html_profiles(struct strbuf *sb, struct report *r)
{
	json_t *profiles = report_get(r, "profiles"), *p;
	size_t i;

	if (!json_array_size(profiles))
		return;
	sb_append(sb, "<h2>Flame graphs</h2>\n");
	json_array_foreach(profiles, i, p) {
		sb_append(sb, "<h3>");
		sb_html(sb, jstr(p, "title", jstr(p, "name", "profile")));
		sb_append(sb, "</h3>\n<p>");
		sb_printf(sb, "%lld %s in %.1f s, %lld distinct stacks, target ",
			  (long long)json_integer_value(json_object_get(p, "total")),
			  jstr(p, "unit", ""), json_number_value(json_object_get(p, "window_s")),
			  (long long)json_integer_value(json_object_get(p, "distinct_stacks")));
		sb_html(sb, jstr(p, "target", "whole host"));
		sb_append(sb, ". <a href=\"");
		sb_html(sb, jstr(p, "svg", ""));
		sb_append(sb, "\">flame graph (SVG)</a>, <a href=\"");
		sb_html(sb, jstr(p, "folded", ""));
		sb_append(sb, "\">folded</a>, <a href=\"");
		sb_html(sb, jstr(p, "pprof", ""));
		sb_append(sb, "\">pprof</a></p>\n");
		html_top_leaves(sb, p);
	}
}
