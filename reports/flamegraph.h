/* flamegraph.h: renderers of folded stacks (lib/stackfold.h format) into
 * the files a profile ships as: an SVG flame graph that opens alone in a
 * browser (search and zoom in inline JavaScript, no request leaves the
 * file), and a gzipped pprof protobuf that `go tool pprof` reads. Both
 * work from the folded text only, so they render any FlameGraph input. */
#ifndef FRIDAY_FLAMEGRAPH_H
#define FRIDAY_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>

enum flame_palette {
	FLAME_HOT,      /* on-CPU: reds and yellows; kernel orange, inlined aqua */
	FLAME_BLUE,     /* off-CPU and wakeup: blues, like flamegraph.pl --color=io */
};

struct flame_opts {
	const char *title;
	const char *unit;          /* "samples", "us" */
	enum flame_palette palette;
	int width_px;              /* 1200 by default */
	double min_width_px;       /* frames narrower are left out; 0.1 by default */
};

/* Renders folded text into an SVG document (malloc'd, NUL-ended). NULL on
 * out of memory; an empty profile gives a graph that says so. */
char *flamegraph_svg(const char *folded, size_t len, const struct flame_opts *o,
		     size_t *out_len);

struct pprof_opts {
	const char *sample_type;   /* "samples", "offcpu" */
	const char *sample_unit;   /* "count", "microseconds" */
	long long period;          /* e.g. 10101010 ns at 99 Hz; 0 when none */
	const char *period_type, *period_unit;
	long long duration_ns;
};

/* Encodes folded text as a pprof Profile and gzips it. 0 with a malloc'd
 * buffer, or -errno. Kernel frames (_[k]) get "[kernel]" as their file;
 * inlined frames (_[i]) become extra lines of their caller's location. */
int pprof_encode_gz(const char *folded, size_t len, const struct pprof_opts *o, char **out,
		    size_t *out_len);

#endif
