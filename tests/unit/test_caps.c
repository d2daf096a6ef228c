/* test_caps.c: unit tests for the capability table and its trials: the
 * table is well formed and documented, every trial frees what it opened
 * (file descriptors: programs, maps, links, perf events, ring buffers),
 * a spent budget leaves untried rows out, and errno texts name the
 * errno and the likely cause. */
#include "tests/unit/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/caps.h"
#include "bpf/caps_trials.h"
#include "lib/util.h"
#include "reports/report.h"

static size_t nr_capabilities(void)
{
	size_t n = 0;

	while (capability_table[n].name)
		n++;
	return n;
}

static void test_table_well_formed(void **state)
{
	for (size_t i = 0; capability_table[i].name; i++) {
		const struct capability *c = &capability_table[i];

		assert_non_null(c->summary);
		assert_non_null(c->instead);
		/* exactly one way to try it */
		assert_true(!c->probe != !c->trial);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(capability_table[j].name, c->name);
	}
	assert_true(nr_capabilities() >= 20);
}

/* Every name has its row in docs/report-schema.md's capabilities section. */
static void test_table_matches_docs(void **state)
{
	char *doc = read_file_alloc(FIXTURES "/../../docs/report-schema.md", NULL), *sec, *end;
	char needle[64];

	assert_non_null(doc);
	sec = strstr(doc, "\n## capabilities\n");
	assert_non_null(sec);
	end = strstr(sec + 1, "\n## ");
	if (end)
		*end = '\0';
	for (size_t i = 0; capability_table[i].name; i++) {
		snprintf(needle, sizeof(needle), "| `%s` |", capability_table[i].name);
		if (!strstr(sec, needle))
			fail_msg("capability %s is not in docs/report-schema.md", capability_table[i].name);
	}
	free(doc);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Twice, so a leak shows even if the first run opened something lazily. */
static void test_trials_free_everything(void **state)
{
	struct report *r = report_new();
	int before, after;

	if (geteuid() != 0)
		skip();
	caps_probe_all(r, 0, NULL);
	before = count_fds();
	caps_probe_all(r, 0, NULL);
	after = count_fds();
	assert_int_equal(before, after);
	assert_true(report_capability_ok(r, "raw_tp"));
	report_free(r);
}

/* A spent budget tries nothing, and claims nothing: no row says "no". */
static void test_spent_budget_tries_nothing(void **state)
{
	struct report *r = report_new();
	size_t tried = 99;

	assert_int_equal(caps_probe_all(r, 1, &tried), 0);
	assert_int_equal(tried, 0);
	assert_int_equal(json_object_size(report_get(r, "capabilities")), 0);
	report_free(r);
}

static void test_errno_text(void **state)
{
	char buf[256];

	caps_explain_errno(buf, sizeof(buf), -ENOENT, "CONFIG_KPROBES off?");
	assert_string_equal(buf, "ENOENT (No such file or directory): CONFIG_KPROBES off?");
	caps_explain_errno(buf, sizeof(buf), 524, NULL);
	assert_string_equal(buf, "ENOTSUPP (operation not supported by this kernel)");
	caps_explain_errno(buf, sizeof(buf), 4095, NULL);
	assert_non_null(strstr(buf, "errno 4095"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_well_formed),
		cmocka_unit_test(test_table_matches_docs),
		cmocka_unit_test(test_trials_free_everything),
		cmocka_unit_test(test_spent_budget_tries_nothing),
		cmocka_unit_test(test_errno_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
