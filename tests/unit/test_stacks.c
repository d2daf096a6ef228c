/* test_stacks.c: folded stacks (aggregation, parsing), the SVG flame
 * graph (widths, palette, empty input), the pprof encoder read back by
 * `go tool pprof` (Go from Debian's golang-go). */
#include "tests/unit/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/stackfold.h"
#include "lib/strbuf.h"
#include "reports/flamegraph.h"

static const char sample_folded[] =
	"proc;main;outer;inner_[i];leaf 5\n"
	"proc;main;sys_read_[k] 3\n"
	"proc;main;outer;inner_[i];other 2\n";

static void test_fold_aggregates_and_sorts(void **state)
{
	struct fold_table t = { 0 };
	struct strbuf sb = { 0 };
	size_t len;
	char *text;

	assert_int_equal(fold_add(&t, "b;x", 3, 2), 0);
	assert_int_equal(fold_add(&t, "a;y", 3, 1), 0);
	assert_int_equal(fold_add(&t, "b;x", 3, 5), 0);
	assert_int_equal(t.nr_stacks, 2);
	assert_int_equal(t.total, 8);
	text = fold_render(&t, &len);
	assert_string_equal(text, "a;y 1\nb;x 7\n");
	assert_int_equal(len, strlen(text));
	free(text);
	fold_free(&t);
	/* A process name cannot split a frame; text from the symbolizer may
	 * hold several frames. Control characters never reach the file. */
	fold_append_frame(&sb, "we;ird\tname", true);
	fold_append_frame(&sb, "outer;inlined_[i]", false);
	text = sb_take(&sb, NULL);
	assert_string_equal(text, "we_ird_name;outer;inlined_[i]");
	free(text);
}

static void test_fold_parse_line(void **state)
{
	const char *l1 = "Web Content;a b;c 42";
	size_t n;
	uint64_t v;

	assert_true(fold_parse_line(l1, strlen(l1), &n, &v));
	assert_int_equal(v, 42);
	assert_int_equal(n, strlen("Web Content;a b;c"));
	assert_false(fold_parse_line("no count", 8, &n, &v));
	assert_false(fold_parse_line(" 5", 2, &n, &v));
	assert_false(fold_parse_line("x;y 12a", 7, &n, &v));
}

static void test_flamegraph_svg(void **state)
{
	struct flame_opts hot = { .title = "T<1>", .unit = "samples", .palette = FLAME_HOT };
	struct flame_opts blue = { .title = "off", .unit = "us", .palette = FLAME_BLUE };
	size_t len;
	char *svg = flamegraph_svg(sample_folded, strlen(sample_folded), &hot, &len), *p;

	assert_non_null(svg);
	assert_int_equal(len, strlen(svg));
	assert_non_null(strstr(svg, "<title>T&lt;1&gt;") == NULL ? strstr(svg, "T&lt;1&gt;") : svg);
	/* 1200 px wide, 10 px padding: 1180 px for 10 samples. */
	assert_non_null(strstr(svg, "fw=\"1180.00\" fy=\"1"));
	assert_non_null(strstr(svg, "fw=\"590.00\""));
	assert_non_null(strstr(svg, "<title>leaf (5 samples, 50.00%)</title>"));
	assert_non_null(strstr(svg, "<title>sys_read_[k] (3 samples, 30.00%)</title>"));
	assert_non_null(strstr(svg, "function search("));
	assert_non_null(strstr(svg, "function zoom("));
	/* Nothing is fetched from elsewhere: the only URL is the namespace. */
	for (p = strstr(svg, "http"); p; p = strstr(p + 1, "http"))
		assert_true(!strncmp(p, "http://www.w3.org/2000/svg", 26));
	free(svg);

	svg = flamegraph_svg(sample_folded, strlen(sample_folded), &blue, &len);
	for (p = strstr(svg, "fill=\"rgb("); p; p = strstr(p + 1, "fill=\"rgb(")) {
		int r, g, b;

		assert_int_equal(sscanf(p, "fill=\"rgb(%d,%d,%d)", &r, &g, &b), 3);
		assert_true(b >= 190 && r <= 140);
	}
	assert_non_null(strstr(svg, "(5 us, 50.00%)"));
	free(svg);

	svg = flamegraph_svg("", 0, &hot, &len);
	assert_non_null(strstr(svg, "No stacks were recorded"));
	free(svg);
}

/* The graph does not depend on the order of the lines: sorted input takes
 * the path-merging mode, other orders the hash map, and orders that look
 * sorted byte by byte but not frame by frame ("b" then "b2" then "b;c")
 * or repeat a stack must still merge every frame into one node. */
static void test_flamegraph_any_order(void **state)
{
	static const char *orders[] = {
		"p;a;b 1\np;a;b;c 2\np;a;b;d 3\np;a;b2;c 4\np;e 5\n",   /* frame-wise sorted */
		"p;e 5\np;a;b;d 3\np;a;b2;c 4\np;a;b 1\np;a;b;c 2\n",   /* shuffled */
		"p;a;b 1\np;a;b2;c 4\np;a;b;c 2\np;a;b;d 3\np;e 5\n",   /* byte-wise sorted */
		"p;a;b;c 1\np;a;b;c 1\np;a;b;d 3\np;a;b2;c 4\np;e 5\np;a;b 1\n",  /* repeats */
	};
	struct flame_opts o = { .title = "order", .unit = "samples" };
	char *first = NULL;

	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		size_t len;
		char *svg = flamegraph_svg(orders[i], strlen(orders[i]), &o, &len);

		assert_non_null(svg);
		/* One "b" frame holding 1 + 2 + 3 samples, one "a" with 10. */
		assert_non_null(strstr(svg, "<title>b (6 samples, 40.00%)</title>"));
		assert_null(strstr(strstr(svg, "<title>b (6 samples") + 1, "<title>b ("));
		assert_non_null(strstr(svg, "<title>a (10 samples, 66.67%)</title>"));
		if (!first)
			first = svg;
		else {
			assert_string_equal(svg, first);
			free(svg);
		}
	}
	free(first);
}

static char *run_capture(const char *cmd)
{
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	if (!p)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sb_appendn(&sb, buf, n);
	if (pclose(p) != 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_take(&sb, NULL);
}

static void test_pprof_read_by_go(void **state)
{
	struct pprof_opts o = { .sample_type = "samples", .sample_unit = "count",
				.period_type = "cpu", .period_unit = "nanoseconds",
				.period = 10101010, .duration_ns = 5000000000LL };
	char dir[] = "/tmp/friday-pprof-e.XXXXXX", path[128], cmd[512], *gz, *out;
	size_t len;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(pprof_encode_gz(sample_folded, strlen(sample_folded), &o, &gz, &len), 0);
	assert_true(len > 20 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
	snprintf(path, sizeof(path), "%s/p.pb.gz", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(gz, 1, len, f), len);
	fclose(f);
	free(gz);
	snprintf(cmd, sizeof(cmd), "HOME=%s GOCACHE=%s/cache go tool pprof -raw %s 2>/dev/null",
		 dir, dir, path);
	out = run_capture(cmd);
	if (!out)
		fail_msg("go tool pprof -raw could not read the profile (is golang-go installed?)");
	assert_non_null(strstr(out, "PeriodType: cpu nanoseconds"));
	assert_non_null(strstr(out, "samples/count"));
	assert_non_null(strstr(out, "leaf :0"));
	assert_non_null(strstr(out, "sys_read [kernel]:0"));
	free(out);
	snprintf(cmd, sizeof(cmd), "HOME=%s GOCACHE=%s/cache go tool pprof -traces %s 2>/dev/null",
		 dir, dir, path);
	out = run_capture(cmd);
	assert_non_null(out);
	/* Leaf first, inlined frames marked, counts kept. */
	assert_non_null(strstr(out, "5   leaf\n             inner (inline)\n             outer\n"));
	assert_non_null(strstr(out, "3   sys_read\n             main\n             proc\n"));
	assert_non_null(strstr(out, "2   other\n"));
	free(out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_aggregates_and_sorts),
		cmocka_unit_test(test_fold_parse_line),
		cmocka_unit_test(test_flamegraph_svg),
		cmocka_unit_test(test_flamegraph_any_order),
		cmocka_unit_test(test_pprof_read_by_go),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
