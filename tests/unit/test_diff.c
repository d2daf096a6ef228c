/* test_diff.c: unit tests of comparing two runs: folded stacks diffed by
 * shares (lib/folddiff.c), the differential frame table (reports/flame.c),
 * and report models compared (reports/compare.c): verdicts, findings,
 * figures, notes for archives of other versions or missing sections, and
 * archives read back from disk, damaged or missing. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/folddiff.h"
#include "lib/strbuf.h"
#include "reports/compare.h"
#include "reports/flame.h"
#include "reports/writers.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static const struct fold_share *find_share(const struct fold_share *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* Shares are of each side's own total: 100 samples and 1000 compare. */
static void test_fold_shares(void **state)
{
	const char *before = "app;main;hot 75\napp;main;cold 25\n";
	const char *after = "app;main;hot 430\napp;main;cold 570\n";
	struct fold_diff d;
	const struct fold_share *hot, *main_fn;

	assert_int_equal(fold_diff_compute(before, strlen(before), after, strlen(after), &d), 0);
	assert_int_equal(d.before_total, 100);
	assert_int_equal(d.after_total, 1000);
	hot = find_share(d.fns, d.nr_fns, "hot");
	assert_non_null(hot);
	NEAR(hot->before_pct, 75);
	NEAR(hot->after_pct, 43);
	NEAR(hot->self_before_pct, 75);
	main_fn = find_share(d.fns, d.nr_fns, "main");
	NEAR(main_fn->before_pct, 100);
	NEAR(main_fn->after_pct, 100);
	/* the largest |change| first: hot and cold tie at 32 points, hot is bigger */
	assert_string_equal(d.fns[0].name, "hot");
	assert_string_equal(d.fns[1].name, "cold");
	/* the process is not a function; it has its own list */
	assert_null(find_share(d.fns, d.nr_fns, "app"));
	NEAR(find_share(d.procs, d.nr_procs, "app")->after_pct, 100);
	assert_int_equal(d.nr_vanished, 0);
	assert_int_equal(d.nr_appeared, 0);
	/* difffolded style, BEFORE scaled to AFTER's total (x10) */
	assert_non_null(strstr(d.folded, "app;main;hot 750 430\n"));
	assert_non_null(strstr(d.folded, "app;main;cold 250 570\n"));
	fold_diff_free(&d);
}

/* Recursion counts once; vanished and new stacks and functions show. */
static void test_fold_vanished_and_recursion(void **state)
{
	const char *before = "p;f;f;f 10\np;gone 10\nnot a folded line\n";
	const char *after = "p;f 5\np;new;leaf 15\n";
	struct fold_diff d;
	const struct fold_share *f, *gone, *fresh;

	assert_int_equal(fold_diff_compute(before, strlen(before), after, strlen(after), &d), 0);
	assert_int_equal(d.before_total, 20);
	f = find_share(d.fns, d.nr_fns, "f");
	NEAR(f->before_pct, 50);    /* not 150: f on a stack thrice counts once */
	NEAR(f->after_pct, 25);
	gone = find_share(d.fns, d.nr_fns, "gone");
	NEAR(gone->before_pct, 50);
	NEAR(gone->after_pct, 0);
	fresh = find_share(d.fns, d.nr_fns, "new");
	NEAR(fresh->before_pct, 0);
	NEAR(fresh->after_pct, 75);
	assert_int_equal(d.nr_vanished, 2);
	assert_int_equal(d.nr_appeared, 2);
	assert_string_equal(d.appeared[0].stack, "p;new;leaf");
	NEAR(d.appeared[0].pct, 75);
	assert_non_null(strstr(d.folded, "p;gone 10 0\n"));   /* both totals 20 */
	assert_non_null(strstr(d.folded, "p;new;leaf 0 15\n"));
	fold_diff_free(&d);
	/* an empty side: everything appeared, nothing divides by zero */
	assert_int_equal(fold_diff_compute("", 0, after, strlen(after), &d), 0);
	assert_int_equal(d.nr_appeared, 2);
	NEAR(find_share(d.fns, d.nr_fns, "new")->before_pct, 0);
	fold_diff_free(&d);
}

/* The page's differential table: widths are mean shares (root 1e6 ppm),
 * "b" and "a" each side's share, a vanished path keeps half its width. */
static void test_flame_diff_table(void **state)
{
	const char *before = "p;gone 50\np;kept 50\n";
	const char *after = "p;kept 10\n";
	struct strbuf sb = { 0 };
	json_t *t, *names, *v, *b, *a;
	size_t gone = 0;

	assert_int_equal(flame_diff_table_json(before, strlen(before), after, strlen(after), &sb,
					       NULL), 0);
	t = json_loads(sb.buf, 0, NULL);
	assert_non_null(t);
	names = json_object_get(t, "names");
	v = json_object_get(t, "v");
	b = json_object_get(t, "b");
	a = json_object_get(t, "a");
	assert_int_equal(json_array_size(v), 4);   /* all, p, gone, kept */
	NEAR(json_number_value(json_array_get(v, 0)), 1e6);
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t name = json_integer_value(json_array_get(json_object_get(t, "n"), i));

		if (!strcmp(json_string_value(json_array_get(names, name)), "gone"))
			gone = i;
	}
	assert_true(gone > 0);
	NEAR(json_number_value(json_array_get(b, gone)), 5e5);
	NEAR(json_number_value(json_array_get(a, gone)), 0);
	NEAR(json_number_value(json_array_get(v, gone)), 2.5e5);
	json_decref(t);
	sb_free(&sb);
}

static json_t *model(const char *version, const char *cpu_verdict, const char *finding,
		     double p99, double util)
{
	json_t *doc = json_pack("{s:s, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:f, s:s}}",
				"schema", "friday.report/1", "tool", "name", "friday", "version", version,
				"host", "hostname", "h1", "run", "started", "2026-01-01T00:00:00Z",
				"duration_s", 10.0, "target", "whole host");

	json_object_set_new(doc, "health", json_pack("[{s:s, s:s, s:[s]}, {s:s, s:s, s:[]}]",
		"subsystem", "cpu", "verdict", cpu_verdict, "evidence", "runq", "subsystem", "disk",
		"verdict", "exonerated", "evidence"));
	json_object_set_new(doc, "findings", json_pack("[{s:s, s:s, s:s, s:s, s:s}]", "id", finding,
		"severity", "warning", "subsystem", "cpu", "title", "t", "detail", "d"));
	json_object_set_new(doc, "histograms", json_pack("[{s:s, s:s, s:f, s:f}]", "name",
		"cpu.runq_latency", "unit", "us", "p50", 10.0, "p99", p99));
	json_object_set_new(doc, "load", json_pack("{s:{s:f}}", "cpu", "util_pct", util));
	return doc;
}

static json_t *figure_named(json_t *diff, const char *name)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(diff, "figures"), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "name")), name))
			return f;
	return NULL;
}

static bool has_note(json_t *diff, const char *needle)
{
	json_t *n;
	size_t i;

	json_array_foreach(json_object_get(diff, "notes"), i, n)
		if (strstr(json_string_value(n), needle))
			return true;
	return false;
}

static void test_compare_models(void **state)
{
	struct diff_side b = { .label = strdup("b"), .doc = model("0.1.0", "exonerated", "cpu.a", 1000, 40) };
	struct diff_side a = { .label = strdup("a"), .doc = model("0.1.0", "implicated", "cpu.b", 1500, 41) };
	json_t *d = diff_compare(&b, &a, NULL, NULL), *v, *f;
	char *text;
	size_t len;

	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "schema")), DIFF_SCHEMA);
	v = json_array_get(json_object_get(d, "verdicts"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "subsystem")), "cpu");
	assert_string_equal(json_string_value(json_object_get(v, "change")), "worse");
	assert_true(json_is_true(json_object_get(v, "changed")));
	assert_false(json_is_true(json_object_get(json_array_get(json_object_get(d, "verdicts"), 1),
						  "changed")));
	f = json_object_get(d, "findings");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(f,
			    "appeared"), 0), "id")), "cpu.b");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(f,
			    "gone"), 0), "id")), "cpu.a");
	/* p99 1000 -> 1500 us: +50%, moved, worse (latency: lower is better) */
	f = figure_named(d, "cpu.runq_latency.p99");
	assert_non_null(f);
	NEAR(json_number_value(json_object_get(f, "change")), 500);
	NEAR(json_number_value(json_object_get(f, "change_pct")), 50);
	assert_string_equal(json_string_value(json_object_get(f, "direction")), "worse");
	/* 40 -> 41 %: under 10%, not moved */
	f = figure_named(d, "cpu.util_pct");
	assert_false(json_is_true(json_object_get(f, "moved")));
	assert_false(has_note(d, "versions"));
	assert_true(has_note(d, "neither archive has profiles"));
	text = diff_render_text(d, &len);
	assert_non_null(strstr(text, "cpu         exonerated  -> implicated  worse"));
	assert_non_null(strstr(text, "+ warning  cpu.b"));
	assert_non_null(strstr(text, "- warning  cpu.a"));
	assert_non_null(strstr(text, "cpu.runq_latency.p99"));
	for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		assert_true(nl - line <= 80);
	free(text);
	json_decref(d);
	diff_side_free(&b);
	diff_side_free(&a);
}

/* An archive of an older friday: another schema, no load, no histograms,
 * no health: compared where possible, notes say what was not. */
static void test_compare_other_version(void **state)
{
	struct diff_side b = { .label = strdup("old"), .doc = json_pack("{s:s, s:{s:s}, s:[]}",
		"schema", "friday.report/0", "tool", "version", "0.0.1", "findings") };
	struct diff_side a = { .label = strdup("new"), .doc = model("0.1.0", "suspect", "cpu.a", 9, 9) };
	json_t *d = diff_compare(&b, &a, NULL, NULL), *v;
	char *html;
	size_t len;

	assert_non_null(d);
	assert_true(has_note(d, "different report schemas"));
	assert_true(has_note(d, "different friday versions (before 0.0.1, after 0.1.0)"));
	assert_true(has_note(d, "before has no load snapshot"));
	assert_true(has_note(d, "before has no verdicts"));
	v = json_array_get(json_object_get(d, "verdicts"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "before")), "absent");
	assert_string_equal(json_string_value(json_object_get(v, "change")), "now measured");
	assert_string_equal(json_string_value(json_object_get(figure_named(d, "cpu.util_pct"),
							      "direction")), "only after");
	html = diff_render_html(d, &b, &a, &len);
	assert_non_null(html);
	assert_non_null(strstr(html, "default-src 'none'"));
	assert_non_null(strstr(html, "different friday versions"));
	free(html);
	json_decref(d);
	diff_side_free(&b);
	diff_side_free(&a);
}

static void write_archive_of(const char *path, const char *report_json, const char *folded)
{
	struct out_files o = { 0 };
	char err[256];

	assert_int_equal(out_files_add(&o, "report.json", strdup(report_json), strlen(report_json)), 0);
	if (folded)
		assert_int_equal(out_files_add(&o, "profiles/cpu.folded", strdup(folded),
					       strlen(folded)), 0);
	unlink(path);
	assert_int_equal(archive_write(&o, path, err, sizeof(err)), 0);
	out_files_free(&o);
}

/* Archives read back with libarchive: the profile's folded file comes
 * along; a profile named but missing is a note; damaged archives and
 * damaged report.json are clear errors. */
static void test_archives(void **state)
{
	char dir[] = "/tmp/friday-test-diff-XXXXXX", p1[256], p2[256], p3[256], p4[256], err[512];
	const char *rep = "{\"schema\":\"friday.report/1\",\"tool\":{\"version\":\"0.1.0\"},"
			  "\"profiles\":[{\"kind\":\"cpu\",\"unit\":\"samples\",\"folded\":"
			  "\"profiles/cpu.folded\"}]}";
	struct diff_side b, a;
	struct out_files files = { 0 };
	json_t *d, *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/b.tar.gz", dir);
	snprintf(p2, sizeof(p2), "%s/a.tar.gz", dir);
	snprintf(p3, sizeof(p3), "%s/cut.tar.gz", dir);
	snprintf(p4, sizeof(p4), "%s/bad.tar.gz", dir);
	write_archive_of(p1, rep, "x;hot 3\nx;cold 1\n");
	write_archive_of(p2, rep, "x;hot 1\nx;cold 3\n");
	assert_int_equal(diff_side_load(p1, &b, err, sizeof(err)), 0);
	assert_int_equal(diff_side_load(p2, &a, err, sizeof(err)), 0);
	d = diff_compare(&b, &a, &files, "diff/");
	p = json_array_get(json_object_get(d, "profiles"), 0);
	assert_non_null(p);
	for (size_t i = 0; i < 2; i++) {
		json_t *fn = json_array_get(json_object_get(p, "functions"), i);
		bool hot = !strcmp(json_string_value(json_object_get(fn, "name")), "hot");

		/* 75% -> 25% and back: both moved 50 points, the two largest */
		NEAR(json_number_value(json_object_get(fn, "change_pts")), hot ? -50 : 50);
	}
	assert_non_null(out_files_find(&files, "diff/cpu.diff.folded"));
	json_decref(d);
	out_files_free(&files);
	diff_side_free(&a);
	/* a profile named in report.json whose folded file is absent */
	write_archive_of(p2, rep, NULL);
	assert_int_equal(diff_side_load(p2, &a, err, sizeof(err)), 0);
	d = diff_compare(&b, &a, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(d, "profiles")), 0);
	assert_true(has_note(d, "no cpu flame graph diff: after has no cpu folded profile"));
	json_decref(d);
	diff_side_free(&a);
	diff_side_free(&b);
	/* damaged: cut in the middle; missing; report.json not JSON */
	f = fopen(p3, "w");
	fwrite("\x1f\x8b\x08\x00garbage", 1, 12, f);
	fclose(f);
	assert_true(diff_side_load(p3, &b, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, p3));
	unlink(p3);
	snprintf(p3, sizeof(p3), "%s/none.tar.gz", dir);
	assert_true(diff_side_load(p3, &b, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "none.tar.gz"));
	write_archive_of(p4, "{\"schema\": ", NULL);
	assert_int_equal(diff_side_load(p4, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "report.json is damaged"));
	write_archive_of(p4, "[1, 2]", NULL);
	assert_int_equal(diff_side_load(p4, &b, err, sizeof(err)), -EINVAL);
	unlink(p1);
	unlink(p2);
	unlink(p4);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_shares),
		cmocka_unit_test(test_fold_vanished_and_recursion),
		cmocka_unit_test(test_flame_diff_table),
		cmocka_unit_test(test_compare_models),
		cmocka_unit_test(test_compare_other_version),
		cmocka_unit_test(test_archives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
