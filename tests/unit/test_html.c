/* test_html.c: report.html and summary.txt from a full report model: a
 * CPU profile (folded stacks as a blob), histograms, a heat map, outliers,
 * findings and steps. Checks the frame table, the page's sections and
 * offline policy, the summary's 80 columns and the size cap's cut note.
 *
 * It is also the fixture of the browser test and the page benchmark: with
 * FRIDAY_HTML_OUT=DIR it writes the rendered files into DIR, and
 * FRIDAY_HTML_FRAMES=N sets the profile's size in frames (default 3000). */
#include "tests/unit/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/strbuf.h"
#include "reports/flame.h"
#include "reports/writers.h"

#define NEEDLE "h_needle_frame"

static const char *const vocab[] = {
	"main", "run_loop", "handle_request", "parse_query", "execute_plan", "hash_join",
	"index_scan", "btree_search", "memcpy", "malloc", "free", "json_encode", "compress_block",
	"deflate_slow", "send_response", "tcp_sendmsg", "ip_output", "dev_queue_xmit",
	"__x64_sys_write", "vfs_write", "ext4_file_write_iter", "read_page", "lock_acquire",
	"spin_lock", "schedule", "pick_next_task_fair", "update_curr", "sort_rows", "qsort_r",
	"strcmp", "render_template", "log_line", "vsnprintf", "crc32c", "aes_encrypt",
};

/* A call tree of about nr_frames nodes, grown breadth first with random
 * fan-out, written as folded stacks. One subtree is rooted at NEEDLE. */
static char *synthetic_folded(size_t nr_frames, size_t *len)
{
	size_t cap = nr_frames + 64, n = 1, head = 0;
	unsigned *parent = calloc(cap, sizeof(*parent)), *name = calloc(cap, sizeof(*name));
	unsigned *kids = calloc(cap, sizeof(*kids)), seed = 42;
	struct strbuf sb = { 0 };
	char path[8192];

	name[0] = 0;
	while (head < n) {
		size_t id = head++, fan;

		seed = seed * 1103515245u + 12345u;
		fan = (seed >> 16) % 100 < 8 ? 0 : (seed >> 16) % 100 < 60 ? 1 : (seed >> 16) % 100 < 88 ? 2 : 4;
		seed = seed * 1103515245u + 12345u;
		for (size_t k = 0; k < fan && n < nr_frames; k++) {
			parent[n] = (unsigned)id;
			/* siblings get different names, so no two merge */
			name[n] = ((seed >> 16) + 7 * k) % (sizeof(vocab) / sizeof(vocab[0])) + 1;
			if (n == 40)
				name[n] = 0xffff;   /* the needle: shallow, a few % of samples */
			kids[id]++;
			n++;
		}
	}
	for (size_t id = 1; id < n; id++) {
		size_t pos = sizeof(path) - 1;
		unsigned cur = (unsigned)id;

		if (kids[id])
			continue;
		path[pos] = '\0';
		while (cur) {
			const char *s = name[cur] == 0xffff ? NEEDLE : vocab[name[cur] - 1];
			size_t l = strlen(s);

			if (pos < l + 2)
				break;
			pos -= l;
			memcpy(path + pos, s, l);
			path[--pos] = ';';
			cur = parent[cur];
		}
		seed = seed * 1103515245u + 12345u;
		sb_printf(&sb, "app%s %u\n", path + pos, 1 + (seed >> 16) % 40);
	}
	free(parent);
	free(name);
	free(kids);
	return sb_take(&sb, len);
}

static void add_steps(struct report *r)
{
	static const struct { const char *stage, *step; enum step_status st; double s; const char *why; }
	steps[] = {
		{ "monday", "inventory", STEP_OK, 0.05, "" },
		{ "monday", "static_checks", STEP_OK, 0.4, "21 checks" },
		{ "tuesday", "health", STEP_OK, 10.0, "9 of 11 collectors ran" },
		{ "wednesday", "cpu_profile", STEP_OK, 8.0, "99 Hz, 1585 samples" },
		{ "wednesday", "offcpu_profile", STEP_UNAVAILABLE, 0.01, "needs kprobes: off in this kernel" },
		{ "thursday", "disk_drilldown", STEP_SKIPPED, 0, "disk exonerated on Tuesday" },
		{ "friday", "efficiency", STEP_OK, 1.2, "" },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		report_step_begin(r, steps[i].stage, steps[i].step, NULL);
		report_step_end(r, steps[i].st, steps[i].s, "%s", steps[i].why);
	}
}

static void add_series(struct report *r)
{
	json_t *b = json_array(), *counts = json_array(), *xs = json_array(), *ys = json_array();
	unsigned seed = 7;

	for (int i = 0; i < 16; i++)
		json_array_append_new(b, json_pack("{s:i, s:i, s:i}", "lo", i ? 1 << i : 0,
						   "hi", (1 << (i + 1)) - 1, "count",
						   i < 3 ? 0 : (i < 9 ? 40 * i : 2000 >> i)));
	json_array_append_new(report_get(r, "histograms"),
			      json_pack("{s:s, s:s, s:o}", "name", "runqlat", "unit", "us", "buckets", b));
	for (int y = 0; y < 20; y++)
		json_array_append_new(ys, json_integer(1 << y));
	for (int x = 0; x < 60; x++) {
		json_t *col = json_array();

		json_array_append_new(xs, json_integer(x));
		for (int y = 0; y < 20; y++) {
			seed = seed * 1103515245u + 12345u;
			json_array_append_new(col, json_integer(y > 4 && y < 10 + x % 7 ?
							       (seed >> 16) % (200 / (y + 1)) : 0));
		}
		json_array_append_new(counts, col);
	}
	json_object_set_new(r->doc, "heatmaps", json_pack("[{s:s, s:s, s:s, s:o, s:o, s:o}]",
		"name", "biolatency", "x_unit", "s", "y_unit", "us", "x", xs, "y", ys, "counts", counts));
	json_object_set_new(r->doc, "outliers", json_pack("[{s:s, s:[s,s,s], s:[[s,i,i],[s,i,i]]}]",
		"name", "slowest disk I/O", "columns", "process", "pid", "latency_us",
		"rows", "postgres", 812, 48211, "kworker/u4:2", 91, 20480));
}

static struct report *rich_report(size_t nr_frames)
{
	struct report *r = report_new();
	size_t len;
	char *folded = synthetic_folded(nr_frames, &len);
	json_t *f;

	json_object_set_new(report_get(r, "tool"), "version", json_string("test"));
	json_object_set_new(report_get(r, "host"), "hostname", json_string("fixture-host"));
	json_object_set_new(report_get(r, "host"), "kernel", json_string("6.18.0"));
	json_object_set_new(report_get(r, "host"), "cpus", json_integer(2));
	json_object_set_new(report_get(r, "host"), "memory_bytes", json_integer(25769803776));
	json_object_set_new(report_get(r, "run"), "problem",
			    json_string("checkout latency doubled since Tuesday's deploy"));
	json_object_set_new(report_get(r, "run"), "started", json_string("2026-11-22T02:00:00Z"));
	json_object_set_new(report_get(r, "run"), "duration_s", json_real(21.5));
	json_object_set_new(report_get(r, "run"), "target_process", json_pack(
		"{s:i, s:s, s:[s,s,s,s], s:[s,s]}", "pid", 4242, "comm", "java",
		"argv", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
		"-Xmx16g-and-a-very-long-option-that-does-not-fit-in-eighty-columns-at-all-in-any-terminal",
		"--db-password=hunter2", "-jar",
		"environ", "JAVA_OPTS=-XX:+UseG1GC", "API_TOKEN=tok-123"));
	add_steps(r);
	report_set_health(r, "cpu", VERDICT_IMPLICATED, "run queue p99 12 ms > 1 ms");
	report_set_health(r, "memory", VERDICT_SUSPECT, "THP compaction stalls");
	report_set_health(r, "disk", VERDICT_EXONERATED, "biolatency p99 0.9 ms");
	f = report_add_finding(r, "memory.thp_always", SEV_CRITICAL,
			       json_pack("{s:s, s:s, s:s}", "enabled", "[always]", "threshold", "!= always",
					 "source", "ST-MEM-01"), "THP is [always]; compaction in the profile");
	report_finding_add_artifact(f, "profiles/cpu.folded");
	report_add_finding(r, "memory.swappiness_high", SEV_WARNING, NULL, "vm.swappiness is 60");
	report_add_finding(r, "network.ip_forwarding", SEV_INFO, NULL, "net.ipv4.ip_forward is 1");
	report_add_blob_owned(r, "profiles/cpu.folded", folded, len);
	json_array_append_new(report_get(r, "profiles"),
			      json_pack("{s:s, s:s, s:i, s:s}", "kind", "cpu", "unit", "samples",
					"total", 1585, "folded", "profiles/cpu.folded"));
	add_series(r);
	report_add_event(r, 3.25, "signal", "nginx", json_pack("{s:s, s:i}", "signal", "SIGTERM", "from", 1));
	json_object_set_new(report_get(r, "collectors"), "runqlat",
			    json_pack("{s:s, s:s, s:f, s:i}", "status", "ok", "reason", "",
				      "window_s", 9.0, "lost_events", 0));
	json_object_set_new(report_get(r, "overhead"), "tool_cpu_s", json_real(0.42));
	return r;
}

static void dump_files(const struct out_files *o, const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < o->n; i++) {
		FILE *fp;
		char *slash;

		snprintf(path, sizeof(path), "%s/%s", dir, o->v[i].name);
		for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		fp = fopen(path, "w");
		assert_non_null(fp);
		fwrite(o->v[i].data, 1, o->v[i].len, fp);
		fclose(fp);
	}
}

static void test_frame_table(void **state)
{
	static const char folded[] = "app;main;b 3\napp;main;a 2\napp;main;a;x 5\napp;other 1\nnoise\n";
	struct strbuf sb = { 0 };
	size_t nodes;
	json_t *t;

	assert_int_equal(flame_table_json(folded, strlen(folded), &sb, &nodes), 0);
	t = json_loads(sb.buf, 0, NULL);
	assert_non_null(t);
	/* all, app, main, a, x, b, other: pre-order, children by name */
	assert_int_equal(nodes, 7);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(t, "v"), 0)), 11);
	assert_string_equal(json_string_value(json_array_get(json_object_get(t, "names"),
		json_integer_value(json_array_get(json_object_get(t, "n"), 3)))), "a");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(t, "v"), 3)), 7);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(t, "d"), 4)), 4);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(t, "v"), 6)), 1);
	json_decref(t);
	sb_free(&sb);
}

static void test_page_and_summary(void **state)
{
	const char *frames_env = getenv("FRIDAY_HTML_FRAMES"), *dir = getenv("FRIDAY_HTML_OUT");
	struct report *r = rich_report(frames_env ? strtoul(frames_env, NULL, 10) : 3000);
	struct render_opts ro = { .redact_secrets = true, .free_bytes = -1 };
	struct out_files o = { 0 };
	const struct out_file *html, *sum;
	char *copy, *line, *save;

	assert_int_equal(report_render_opts(r, &ro, &o), 0);
	html = out_files_find(&o, "report.html");
	sum = out_files_find(&o, "summary.txt");
	assert_non_null(html);
	assert_non_null(strstr(html->data, "default-src 'none'"));
	assert_null(strstr(html->data, "http://"));
	assert_null(strstr(html->data, "https://"));
	assert_non_null(strstr(html->data, "data-verdict=\"implicated\""));
	assert_non_null(strstr(html->data, "data-flame=\"0\""));
	assert_non_null(strstr(html->data, "data-heat=\"0\""));
	assert_non_null(strstr(html->data, "48211"));
	assert_non_null(strstr(html->data, "p99"));
	assert_non_null(out_files_find(&o, "histograms/runqlat.json"));
	assert_non_null(strstr(sum->data, "Command: /usr/lib/jvm"));
	assert_null(strstr(sum->data, "hunter2"));
	assert_null(strstr(html->data, "tok-123"));
	assert_non_null(strstr(html->data, "JAVA_OPTS=-XX:+UseG1GC"));
	assert_non_null(out_files_find(&o, "heatmaps/biolatency.json"));
	copy = strdup(sum->data);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 80);
	free(copy);
	if (dir)
		dump_files(&o, dir);
	out_files_free(&o);
	report_free(r);
}

static void test_size_cap_cuts_biggest(void **state)
{
	struct report *r = rich_report(20000);
	struct render_opts ro = { .redact_secrets = true, .free_bytes = -1, .max_bytes = 300 << 10 };
	struct out_files o = { 0 };
	const struct out_file *sum, *man;

	assert_int_equal(report_render_opts(r, &ro, &o), 0);
	assert_null(out_files_find(&o, "profiles/cpu.folded"));
	sum = out_files_find(&o, "summary.txt");
	man = out_files_find(&o, "manifest.json");
	assert_non_null(strstr(sum->data, "profiles/cpu.folded"));
	assert_non_null(strstr(man->data, "\"cut\""));
	out_files_free(&o);

	/* a cap below the report's own files: written whole, and said */
	ro.max_bytes = 1;
	assert_int_equal(report_render_opts(r, &ro, &o), 0);
	assert_non_null(out_files_find(&o, "report.html"));
	assert_non_null(strstr(out_files_find(&o, "summary.txt")->data, "over the"));
	assert_non_null(strstr(out_files_find(&o, "report.html")->data, "id=\"over-cap\""));
	out_files_free(&o);

	/* too little free space for the report itself: a clear failure */
	ro.max_bytes = 0;
	ro.free_bytes = 1000;
	assert_int_equal(report_render_opts(r, &ro, &o), -28);
	assert_non_null(strstr(ro.err, "free"));
	out_files_free(&o);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_table),
		cmocka_unit_test(test_page_and_summary),
		cmocka_unit_test(test_size_cap_cuts_biggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
