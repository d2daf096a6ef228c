/* profile_model.c: profiles in the report model. A collector hands over
 * folded stacks; the entry in report.profiles[] names the folded blob and
 * the pprof and SVG files the profile writer (reports/profile_writer.c)
 * renders from it, all relative to the folder of report.json. */
#include <stdio.h>

#include "reports/report.h"

json_t *report_add_profile(struct report *r, const char *name, const char *kind,
			   const char *unit, unsigned long long total, char *folded,
			   size_t folded_len)
{
	char folded_path[128], pprof_path[128], svg_path[128];
	json_t *p;

	snprintf(folded_path, sizeof(folded_path), "profiles/%s.folded", name);
	snprintf(pprof_path, sizeof(pprof_path), "profiles/%s.pb.gz", name);
	snprintf(svg_path, sizeof(svg_path), "profiles/%s.svg", name);
	if (report_add_blob_owned(r, folded_path, folded, folded_len))
		return NULL;
	p = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "name", name, "kind", kind,
		      "unit", unit, "total", (json_int_t)total, "folded", folded_path,
		      "pprof", pprof_path, "svg", svg_path);
	if (p)
		json_array_append_new(report_get(r, "profiles"), p);
	return p;
}
