/* test_rules_dns.c: unit tests for the DNS rule (checks/rules_dns.c) on
 * recorded dnslat results: tests/fixtures/tuesday/slow_dns.json is the
 * c_dnslat_xcheck.sh run (a resolver delaying its answers by 300 ms, four
 * lookups by c_resolve), dns_quiet.json a run where getent looked
 * localhost up from /etc/hosts fifteen times. */
#include "tests/unit/testutil.h"
#include "tests/unit/rules_fixture.h"

#include <stdio.h>
#include <string.h>

#include "checks/tuesday.h"
#include "reports/report.h"

static const char *slowest(json_t *f, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(f, "evidence"),
								 "slowest"), key));
}

static void test_slow_resolver(void **state)
{
	struct report *r = load_fixture("slow_dns");
	json_t *f, *ev;

	judge_dns(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_SUSPECT);
	f = finding(r, "network.slow_dns");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "warning");
	assert_string_equal(slowest(f, "comm"), "c_resolve");
	assert_non_null(strstr(slowest(f, "host"), ".friday.test"));
	ev = json_object_get(f, "evidence");
	assert_true(json_number_value(json_object_get(ev, "figure")) > 100);
	assert_int_equal((int)json_number_value(json_object_get(ev, "threshold")), 100);
	assert_non_null(strstr(json_string_value(json_object_get(ev, "threshold_source")), "TH-05"));
	/* The slowest lookup is the one the detail names, 300 ms and more. */
	assert_true(json_number_value(json_object_get(json_object_get(ev, "slowest"), "latency_ms")) >= 300);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), slowest(f, "host")));
	report_free(r);
}

static void test_quiet_lookups(void **state)
{
	struct report *r = load_fixture("dns_quiet");

	judge_dns(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_EXONERATED);
	assert_null(finding(r, "network.slow_dns"));
	report_free(r);
}

/* No lookup: DNS says nothing, and does not exonerate the network. */
static void test_no_lookups(void **state)
{
	struct report *r = load_fixture("dns_quiet");
	json_t *m = json_object_get(report_get(r, "measurements"), "dnslat");

	json_object_set_new(m, "lookups", json_integer(0));
	judge_dns(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_UNKNOWN);
	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);
}

/* dnslat not in the playbook: the rule leaves network to its other probes. */
static void test_silent_when_not_run(void **state)
{
	struct report *r = report_new();

	judge_dns(r);
	assert_int_equal(json_array_size(report_get(r, "health")), 0);
	report_free(r);
}

static void test_unknown_when_failed(void **state)
{
	struct report *r = report_new();

	json_object_set_new(report_get(r, "collectors"), "dnslat",
			    json_pack("{s:s, s:s}", "status", "failed", "reason",
				      "no C library (libc.so.6) mapped in /proc/42/maps"));
	judge_dns(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_UNKNOWN);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_resolver),
		cmocka_unit_test(test_quiet_lookups),
		cmocka_unit_test(test_no_lookups),
		cmocka_unit_test(test_silent_when_not_run),
		cmocka_unit_test(test_unknown_when_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
