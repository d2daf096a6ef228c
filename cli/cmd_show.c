/* cmd_show.c: `friday show`: one archive's summary.txt, its file list
 * (--files), or several archives read together (reports/fleet.c): one line
 * per host, the findings they share and the ones only one host has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "reports/fleet.h"
#include "reports/writers.h"

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* show --files: the manifest as a person reads it: each file and its
 * size, what redaction replaced (counts), what was cut and why. */
static int show_files(const char *archive)
{
	char err[1024], *text = NULL;
	json_t *m, *f, *n;
	const char *kind;
	size_t i;

	if (archive_read_member(archive, "manifest.json", &text, NULL, err, sizeof(err))) {
		fprintf(stderr, "friday: show: %s\n", err);
		return EXIT_FAILURE_;
	}
	m = json_loads(text, 0, NULL);
	free(text);
	if (!m) {
		fprintf(stderr, "friday: show: %s: manifest.json is not JSON\n", archive);
		return EXIT_FAILURE_;
	}
	json_array_foreach(json_object_get(m, "files"), i, f)
		printf("%12lld  %s\n", (long long)json_integer_value(json_object_get(f, "size")),
		       jstr(f, "path"));
	printf("redaction: %s", json_is_true(json_object_get(json_object_get(m, "redaction"),
							      "enabled")) ? "on" : "off");
	json_object_foreach(json_object_get(json_object_get(m, "redaction"), "counts"), kind, n)
		printf(", %s %lld", kind, (long long)json_integer_value(n));
	printf("\n");
	json_array_foreach(json_object_get(m, "cut"), i, f)
		printf("cut: %s (%lld bytes): %s\n", jstr(f, "path"),
		       (long long)json_integer_value(json_object_get(f, "bytes")), jstr(f, "reason"));
	json_decref(m);
	return 0;
}

/* One archive: the summary.txt written with it, byte for byte. */
static int show_summary(const char *archive)
{
	char err[1024], *text = NULL;
	size_t len;

	if (archive_read_member(archive, "summary.txt", &text, &len, err, sizeof(err))) {
		fprintf(stderr, "friday: show: %s\n", err);
		return EXIT_FAILURE_;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

/* Several archives (or --json): every readable one is summarized even
 * when others are missing or damaged; those get their own line and make
 * the exit status 1. */
static int show_fleet(const char *const *archives, size_t nr, bool as_json)
{
	json_t *summary = fleet_summarize(archives, nr);
	bool printed;
	size_t nr_bad;
	char *text;

	if (!summary) {
		fprintf(stderr, "friday: show: out of memory\n");
		return EXIT_FAILURE_;
	}
	if (as_json)
		text = json_dumps(summary, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else
		text = fleet_render_text(summary);
	printed = text != NULL;
	if (printed)
		printf("%s%s", text, as_json ? "\n" : "");
	free(text);
	nr_bad = fleet_nr_unreadable(summary);
	if (nr_bad)
		fprintf(stderr, "friday: show: %zu of %zu archives could not be read%s\n", nr_bad, nr,
			as_json ? " (hosts[].error says why)" : "");
	json_decref(summary);
	return printed && !nr_bad ? 0 : EXIT_FAILURE_;
}

int cmd_show(int argc, char **argv)
{
	const char **archives = calloc(argc, sizeof(*archives));
	bool files = false, as_json = false;
	size_t nr = 0;
	int rc;

	if (!archives)
		return EXIT_FAILURE_;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--files"))
			files = true;
		else if (!strcmp(argv[a], "--json"))
			as_json = true;
		else if (argv[a][0] == '-' && argv[a][1])
			return free(archives), usage_error("show", "unknown option '%s'", argv[a]);
		else
			archives[nr++] = argv[a];
	}
	if (nr == 0)
		rc = usage_error("show", "needs at least one ARCHIVE");
	else if (files && (nr > 1 || as_json))
		rc = usage_error("show", "--files takes one ARCHIVE and no --json");
	else if (files)
		rc = show_files(archives[0]);
	else if (nr == 1 && !as_json)
		rc = show_summary(archives[0]);
	else
		rc = show_fleet(archives, nr, as_json);
	free(archives);
	return rc;
}
