/* profile_writer.c: the profile writer: for every entry of
 * report.profiles[] it renders the folded blob into the SVG flame graph and
 * the gzipped pprof the entry names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reports/flamegraph.h"
#include "reports/jsonread.h"
#include "reports/writers.h"

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
