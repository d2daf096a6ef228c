/* cmd_diff.c: `friday diff BEFORE AFTER`: reads two archives (as `friday
 * show` reads one) and prints what changed: verdicts, findings, figures
 * and the shares of the CPU and off-CPU profiles; --json prints the diff
 * model, -o writes diff.html (or a folder with diff.html, diff.json,
 * diff.txt and the differential folded files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "lib/util.h"
#include "reports/compare.h"

struct diff_args {
	const char *before, *after, *output;
	bool as_json;
};

static int parse_diff_args(int argc, char **argv, struct diff_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->as_json = true;
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
			if (++i >= argc)
				return usage_error("diff", "-o needs a FILE.html or a FOLDER");
			a->output = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("diff", "unknown option '%s'", argv[i]);
		} else if (!a->before) {
			a->before = argv[i];
		} else if (!a->after) {
			a->after = argv[i];
		} else {
			return usage_error("diff", "takes two archives, BEFORE and AFTER");
		}
	}
	if (!a->after)
		return usage_error("diff", "needs two archives, BEFORE and AFTER");
	return 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* -o FILE.html writes the page alone; anything else is a folder. */
static int write_output(const char *output, json_t *diff, const struct diff_side *b,
			const struct diff_side *a, struct out_files *files)
{
	char err[1024];
	int ret;

	if (ends_with(output, ".html")) {
		size_t len;
		char *html = diff_render_html(diff, b, a, &len);

		if (!html)
			return -ENOMEM;
		ret = write_file_atomic(output, html, len, err, sizeof(err));
		free(html);
	} else {
		ret = diff_render_files(diff, b, a, files, "");
		if (!ret)
			ret = out_files_write_dir(files, output, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "out of memory");
	}
	if (ret)
		fprintf(stderr, "friday: diff: %s\n", err);
	else
		fprintf(stderr, "friday: diff: wrote %s\n", output);
	return ret;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args args = { 0 };
	struct diff_side b, a;
	struct out_files files = { 0 };
	char err[1024];
	json_t *diff;
	char *text;
	int ret;

	ret = parse_diff_args(argc, argv, &args);
	if (ret)
		return ret;
	if (diff_side_load(args.before, &b, err, sizeof(err))) {
		fprintf(stderr, "friday: diff: before: %s\n", err);
		return EXIT_FAILURE_;
	}
	if (diff_side_load(args.after, &a, err, sizeof(err))) {
		fprintf(stderr, "friday: diff: after: %s\n", err);
		diff_side_free(&b);
		return EXIT_FAILURE_;
	}
	diff = diff_compare(&b, &a, &files, "");
	ret = diff ? 0 : -ENOMEM;
	if (!ret) {
		size_t len = 0;

		text = args.as_json ? json_dumps(diff, JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
		       diff_render_text(diff, &len);
		if (text)
			printf("%s%s", text, args.as_json ? "\n" : "");
		free(text);
	}
	if (!ret && args.output)
		ret = write_output(args.output, diff, &b, &a, &files);
	json_decref(diff);
	out_files_free(&files);
	diff_side_free(&b);
	diff_side_free(&a);
	return ret ? EXIT_FAILURE_ : 0;
}
