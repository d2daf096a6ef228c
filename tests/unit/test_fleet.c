/* test_fleet.c: unit tests for `friday show` over several archives
 * (reports/fleet.c): archives written here with the project's own report
 * model, renderer and archive writer, then read back together: findings
 * shared by several hosts against those of one host, the hosts that lack a
 * shared finding, verdicts that differ, repeated host names, and archives
 * that are missing or damaged beside readable ones. */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/fleet.h"
#include "reports/report.h"
#include "reports/writers.h"

struct host_spec {
	const char *file;              /* archive file name in the scratch folder */
	const char *hostname;
	const char *findings[6];       /* "severity:id", NULL-terminated */
	const char *verdicts[4];       /* "subsystem:verdict", NULL-terminated */
};

static char scratch[] = "/tmp/friday-test-fleet.XXXXXX";
static char paths[8][4200];

static const char *path_of(int i, const char *file)
{
	snprintf(paths[i], sizeof(paths[i]), "%s/%s", scratch, file);
	return paths[i];
}

static void add_spec(struct report *r, const struct host_spec *h)
{
	for (size_t i = 0; h->findings[i]; i++) {
		char sev[16];
		const char *id = strchr(h->findings[i], ':') + 1;

		snprintf(sev, sizeof(sev), "%.*s", (int)(id - 1 - h->findings[i]), h->findings[i]);
		assert_non_null(report_add_finding(r, id, severity_from_name(sev), NULL, "on %s",
						   h->hostname));
	}
	for (size_t i = 0; h->verdicts[i]; i++) {
		char sub[32];
		const char *v = strchr(h->verdicts[i], ':') + 1;

		snprintf(sub, sizeof(sub), "%.*s", (int)(v - 1 - h->verdicts[i]), h->verdicts[i]);
		assert_non_null(report_set_health(r, sub, verdict_from_name(v), "measured on %s",
						  h->hostname));
	}
}

/* Writes the archive of one host the way `friday run` does: the model,
 * rendered (report.json, summary.txt, report.html, manifest), packed. */
static const char *write_host_archive(int slot, const struct host_spec *h)
{
	struct report *r = report_new();
	struct out_files o = { 0 };
	const char *path = path_of(slot, h->file);
	char err[512];

	assert_non_null(r);
	json_object_set_new(report_get(r, "host"), "hostname", json_string(h->hostname));
	json_object_set_new(report_get(r, "host"), "kernel", json_string("6.18.0-test"));
	json_object_set_new(report_get(r, "run"), "playbook", json_string("quick"));
	json_object_set_new(report_get(r, "run"), "started", json_string("2026-12-06T10:00:00Z"));
	json_object_set_new(report_get(r, "run"), "duration_s", json_real(5.0));
	add_spec(r, h);
	assert_int_equal(report_render(r, &o), 0);
	assert_int_equal(archive_write(&o, path, err, sizeof(err)), 0);
	out_files_free(&o);
	report_free(r);
	return path;
}

/* An archive whose report.json is the given text (packed, not rendered). */
static const char *write_raw_archive(int slot, const char *file, const char *report_json)
{
	struct out_files o = { 0 };
	const char *path = path_of(slot, file);
	char err[512];

	assert_int_equal(out_files_add(&o, "report.json", strdup(report_json), strlen(report_json)), 0);
	assert_int_equal(archive_write(&o, path, err, sizeof(err)), 0);
	out_files_free(&o);
	return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* The first len bytes of an archive, as a copy cut short in transfer. */
static const char *write_truncated_copy(int slot, const char *file, const char *from, size_t len)
{
	char buf[4096];
	FILE *f = fopen(from, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len < sizeof(buf) ? len : sizeof(buf), f);
	fclose(f);
	assert_true(n > 0);
	write_file(path_of(slot, file), buf, n);
	return paths[slot];
}

static const struct host_spec web1 = {
	"web1.tar.gz", "web1",
	{ "critical:cpu.runqueue_latency", "warning:memory.thp_always", "info:disk.io_scheduler", NULL },
	{ "cpu:implicated", "memory:exonerated", "disk:exonerated", NULL },
};
static const struct host_spec web2 = {
	"web2.tar.gz", "web2",
	{ "warning:memory.thp_always", "info:memory.thp_always", "info:disk.io_scheduler", NULL },
	{ "cpu:exonerated", "memory:exonerated", "disk:exonerated", NULL },
};
static const struct host_spec web3 = {
	"web3.tar.gz", "web3",
	{ "info:memory.thp_always", "info:network.slow_start_after_idle", NULL },
	{ "cpu:exonerated", "memory:exonerated", "disk:exonerated", NULL },
};

static json_t *find_by(json_t *list, const char *key, const char *value)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, key)) ?: "", value))
			return e;
	return NULL;
}

static const char *str_at(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void assert_labels(json_t *list, const char *a, const char *b)
{
	assert_int_equal(json_array_size(list), b ? 2 : 1);
	assert_string_equal(json_string_value(json_array_get(list, 0)), a);
	if (b)
		assert_string_equal(json_string_value(json_array_get(list, 1)), b);
}

static void test_shared_and_unique(void **state)
{
	const char *archives[3] = {
		write_host_archive(0, &web1), write_host_archive(1, &web2), write_host_archive(2, &web3),
	};
	json_t *s = fleet_summarize(archives, 3), *g, *d, *top;

	assert_non_null(s);
	assert_string_equal(str_at(s, "schema"), "friday.fleet/1");
	assert_int_equal(json_integer_value(json_object_get(s, "nr_read")), 3);
	assert_int_equal(fleet_nr_unreadable(s), 0);
	/* On all three hosts; twice on web2 still counts web2 once; its
	 * severity is the worst seen. */
	g = find_by(json_object_get(s, "shared"), "id", "memory.thp_always");
	assert_non_null(g);
	assert_int_equal(json_integer_value(json_object_get(g, "nr_hosts")), 3);
	assert_int_equal(json_integer_value(json_object_get(g, "of")), 3);
	assert_string_equal(str_at(g, "severity"), "warning");
	assert_int_equal(json_array_size(json_object_get(g, "missing_on")), 0);
	/* On two of three: the one without it is named. */
	g = find_by(json_object_get(s, "shared"), "id", "disk.io_scheduler");
	assert_non_null(g);
	assert_int_equal(json_integer_value(json_object_get(g, "nr_hosts")), 2);
	assert_labels(json_object_get(g, "hosts"), "web1", "web2");
	assert_labels(json_object_get(g, "missing_on"), "web3", NULL);
	/* Most hosts first. */
	assert_string_equal(str_at(json_array_get(json_object_get(s, "shared"), 0), "id"),
			    "memory.thp_always");
	assert_int_equal(json_array_size(json_object_get(s, "shared")), 2);
	/* One host only: the odd host out, the worst first. */
	assert_int_equal(json_array_size(json_object_get(s, "unique")), 2);
	g = json_array_get(json_object_get(s, "unique"), 0);
	assert_string_equal(str_at(g, "id"), "cpu.runqueue_latency");
	assert_string_equal(str_at(g, "host"), "web1");
	assert_string_equal(str_at(g, "severity"), "critical");
	g = find_by(json_object_get(s, "unique"), "id", "network.slow_start_after_idle");
	assert_non_null(g);
	assert_string_equal(str_at(g, "host"), "web3");
	/* web1 is the only one whose cpu is implicated. */
	assert_int_equal(json_array_size(json_object_get(s, "verdicts_differ")), 1);
	d = json_array_get(json_object_get(s, "verdicts_differ"), 0);
	assert_string_equal(str_at(d, "subsystem"), "cpu");
	assert_labels(json_object_get(json_object_get(d, "verdicts"), "implicated"), "web1", NULL);
	assert_labels(json_object_get(json_object_get(d, "verdicts"), "exonerated"), "web2", "web3");
	/* Each host: its top finding and its verdicts. */
	top = json_object_get(json_array_get(json_object_get(s, "hosts"), 0), "top_finding");
	assert_string_equal(str_at(top, "id"), "cpu.runqueue_latency");
	top = json_object_get(json_array_get(json_object_get(s, "hosts"), 2), "top_finding");
	assert_string_equal(str_at(top, "id"), "memory.thp_always");
	assert_string_equal(str_at(json_object_get(json_array_get(json_object_get(s, "hosts"), 0),
						   "verdicts"), "cpu"), "implicated");
	json_decref(s);
}

static void test_text_view(void **state)
{
	const char *archives[3] = {
		write_host_archive(0, &web1), write_host_archive(1, &web2), write_host_archive(2, &web3),
	};
	json_t *s = fleet_summarize(archives, 3);
	char *text = fleet_render_text(s);

	assert_non_null(text);
	assert_non_null(strstr(text, "friday show: 3 archives, 3 read\n"));
	/* One letter per subsystem in report order: cpu memory disk network... */
	assert_non_null(strstr(text, "\nweb1  I E E - - - - -         3  critical cpu.runqueue_latency"));
	assert_non_null(strstr(text, "\nweb2  E E E - - - - -         3  warning memory.thp_always"));
	assert_non_null(strstr(text, "3 of 3  warning  memory.thp_always"));
	assert_non_null(strstr(text, "2 of 3  info     disk.io_scheduler"));
	assert_non_null(strstr(text, "(not on: web3)"));
	assert_non_null(strstr(text, "  web1: critical cpu.runqueue_latency"));
	assert_non_null(strstr(text, "cpu        implicated on web1; exonerated on web2, web3\n"));
	free(text);
	json_decref(s);
}

/* Two runs on one machine carry one host name: the file name tells them
 * apart, in the host lines and wherever a host is named. */
static void test_same_host_name(void **state)
{
	struct host_spec a = web1, b = web2;
	const char *archives[2];
	json_t *s;
	char *text;

	a.file = "node-a.tar.gz";
	a.hostname = "vm";
	b.file = "node-b.tar.gz";
	b.hostname = "vm";
	archives[0] = write_host_archive(0, &a);
	archives[1] = write_host_archive(1, &b);
	s = fleet_summarize(archives, 2);
	assert_string_equal(str_at(json_array_get(json_object_get(s, "hosts"), 0), "label"),
			    "vm (node-a.tar.gz)");
	assert_string_equal(str_at(json_array_get(json_object_get(s, "hosts"), 1), "label"),
			    "vm (node-b.tar.gz)");
	assert_string_equal(str_at(json_array_get(json_object_get(s, "hosts"), 1), "host"), "vm");
	text = fleet_render_text(s);
	assert_non_null(strstr(text, "\nvm (node-a.tar.gz)  I"));
	assert_non_null(strstr(text, "\nvm (node-b.tar.gz)  E"));
	assert_non_null(strstr(text, "  vm (node-a.tar.gz): critical cpu.runqueue_latency"));
	free(text);
	json_decref(s);
}

static void assert_unreadable(json_t *host, const char *file, const char *reason)
{
	assert_false(json_is_true(json_object_get(host, "ok")));
	assert_string_equal(str_at(host, "file"), file);
	assert_string_equal(str_at(host, "label"), file);
	assert_non_null(strstr(str_at(host, "error"), reason));
	assert_null(json_object_get(host, "top_finding"));
}

/* A missing archive has its line and reason; the others are summarized
 * as if it were not there (shared counts out of the hosts read). */
static void test_missing_archive(void **state)
{
	const char *archives[3] = {
		write_host_archive(0, &web1), path_of(1, "gone.tar.gz"), write_host_archive(2, &web2),
	};
	json_t *s = fleet_summarize(archives, 3), *g;
	char *text;

	assert_int_equal(json_integer_value(json_object_get(s, "nr_read")), 2);
	assert_int_equal(fleet_nr_unreadable(s), 1);
	assert_unreadable(json_array_get(json_object_get(s, "hosts"), 1), "gone.tar.gz",
			  "No such file or directory");
	g = find_by(json_object_get(s, "shared"), "id", "disk.io_scheduler");
	assert_int_equal(json_integer_value(json_object_get(g, "nr_hosts")), 2);
	assert_int_equal(json_integer_value(json_object_get(g, "of")), 2);
	text = fleet_render_text(s);
	assert_non_null(strstr(text, "friday show: 3 archives, 2 read, 1 unreadable\n"));
	assert_non_null(strstr(text, "\ngone.tar.gz  unreadable: cannot read "));
	assert_non_null(strstr(text, "\nweb1  I E E"));
	assert_non_null(strstr(text, "\nweb2  E E E"));
	free(text);
	json_decref(s);
}

/* Damaged in each way a transfer or a wrong file can: cut short, not an
 * archive at all, a report.json that is not JSON, or not friday's. */
static void test_damaged_archives(void **state)
{
	static const char garbage[] = "this is not a tar.gz archive\n";
	const char *archives[6];
	json_t *s, *hosts;
	char *text;

	archives[0] = write_host_archive(0, &web1);
	archives[1] = write_truncated_copy(1, "cut.tar.gz", archives[0], 300);
	write_file(path_of(2, "junk.tar.gz"), garbage, sizeof(garbage) - 1);
	archives[2] = paths[2];
	archives[3] = write_raw_archive(3, "notjson.tar.gz", "{\"schema\": \"friday.report/1\", ");
	archives[4] = write_raw_archive(4, "other.tar.gz", "{\"schema\": \"other/2\"}");
	archives[5] = write_host_archive(5, &web3);
	s = fleet_summarize(archives, 6);
	hosts = json_object_get(s, "hosts");
	assert_int_equal(json_integer_value(json_object_get(s, "nr_read")), 2);
	assert_int_equal(fleet_nr_unreadable(s), 4);
	assert_unreadable(json_array_get(hosts, 1), "cut.tar.gz", "cut.tar.gz");
	assert_unreadable(json_array_get(hosts, 2), "junk.tar.gz", "junk.tar.gz");
	assert_unreadable(json_array_get(hosts, 3), "notjson.tar.gz", "report.json is damaged");
	assert_unreadable(json_array_get(hosts, 4), "other.tar.gz", "not a friday report");
	assert_true(json_is_true(json_object_get(json_array_get(hosts, 0), "ok")));
	assert_true(json_is_true(json_object_get(json_array_get(hosts, 5), "ok")));
	assert_non_null(find_by(json_object_get(s, "shared"), "id", "memory.thp_always"));
	text = fleet_render_text(s);
	assert_non_null(strstr(text, "\ncut.tar.gz  unreadable: "));
	assert_non_null(strstr(text, "\nother.tar.gz  unreadable: "));
	assert_non_null(strstr(text, "\nweb3  "));
	free(text);
	json_decref(s);
}

/* Nothing readable at all: still a summary, every archive on its line. */
static void test_nothing_readable(void **state)
{
	const char *archives[1] = { path_of(0, "none.tar.gz") };
	json_t *s = fleet_summarize(archives, 1);
	char *text = fleet_render_text(s);

	assert_int_equal(fleet_nr_unreadable(s), 1);
	assert_int_equal(json_array_size(json_object_get(s, "shared")), 0);
	assert_int_equal(json_array_size(json_object_get(s, "unique")), 0);
	assert_int_equal(json_array_size(json_object_get(s, "verdicts_differ")), 0);
	assert_non_null(strstr(text, "none.tar.gz  unreadable: "));
	free(text);
	json_decref(s);
}

static int make_scratch(void **state)
{
	return mkdtemp(scratch) ? 0 : -1;
}

static int remove_scratch(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_and_unique),
		cmocka_unit_test(test_text_view),
		cmocka_unit_test(test_same_host_name),
		cmocka_unit_test(test_missing_archive),
		cmocka_unit_test(test_damaged_archives),
		cmocka_unit_test(test_nothing_readable),
	};

	return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
