/* profile_model.c: profiles in the report model. A collector hands over
 * folded stacks; the entry in report.profiles[] names the folded blob and
 * the pprof and SVG files the profile writer (reports/profile_writer.c)
 * renders from it, all relative to the folder of report.json. */
#include <stdio.h>
#include <string.h>

#include "reports/report.h"

static bool profile_named(struct report *r, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(report_get(r, "profiles"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "name")), name))
			return true;
	return false;
}

json_t *report_add_profile(struct report *r, const char *name, const char *kind,
			   const char *unit, unsigned long long total, char *folded,
			   size_t folded_len)
{
	char folded_path[128], pprof_path[128], svg_path[128], unique[64];
	json_t *p;

	/* A drill-down may run a collector again (Wednesday's profile, then
	 * Thursday's): each run keeps its own files, cpu, cpu-2, ... */
	snprintf(unique, sizeof(unique), "%s", name);
	for (int n = 2; profile_named(r, unique); n++)
		snprintf(unique, sizeof(unique), "%s-%d", name, n);
	name = unique;
	snprintf(folded_path, sizeof(folded_path), "profiles/%s.folded", name);
	snprintf(pprof_path, sizeof(pprof_path), "profiles/%s.pb.gz", name);
	snprintf(svg_path, sizeof(svg_path), "profiles/%s.svg", name);
	if (report_add_blob_owned(r, folded_path, folded, folded_len))
		return NULL;
	p = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "name", name, "kind", kind,
		      "unit", unit, "total", (json_int_t)total, "folded", folded_path,
		      "pprof", pprof_path, "svg", svg_path);
	if (p && r->step) {
		json_object_set_new(p, "stage", json_string(r->stage));
		json_object_set(p, "step", json_object_get(r->step, "id"));
	}
	if (p)
		json_array_append_new(report_get(r, "profiles"), p);
	return p;
}
