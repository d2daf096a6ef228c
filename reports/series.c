/* series.c: the raw series beside the page: each histogram, heat map and
 * outlier table of the report as its own JSON file (histograms/NAME.json,
 * heatmaps/NAME.json, outliers/NAME.json), for tools that want the numbers
 * without the whole report. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/writers.h"

static const char *const series_keys[] = { "histograms", "heatmaps", "outliers" };

/* A name safe as a file name inside the archive. */
static void safe_name(const char *name, size_t idx, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = name ? name : ""; *p && n + 1 < len; p++)
		out[n++] = isalnum((unsigned char)*p) || strchr("-_.", *p) ? *p : '_';
	out[n] = '\0';
	if (!n || out[0] == '.')
		snprintf(out, len, "series-%zu", idx);
}

int write_raw_series(struct report *r, struct out_files *out)
{
	char path[512], name[200];
	json_t *item;
	size_t i;
	int err;

	for (size_t k = 0; k < sizeof(series_keys) / sizeof(series_keys[0]); k++) {
		json_t *arr = json_object_get(r->doc, series_keys[k]);

		json_array_foreach(arr, i, item) {
			char *text;

			safe_name(json_string_value(json_object_get(item, "name")), i, name, sizeof(name));
			snprintf(path, sizeof(path), "%s/%s.json", series_keys[k], name);
			if (report_find_blob(r, path) || out_files_find(out, path))
				continue;
			text = json_dumps(item, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
			if (!text)
				return -1;
			err = out_files_add(out, path, text, strlen(text));
			if (err)
				return err;
		}
	}
	return 0;
}
