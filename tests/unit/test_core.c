/* test_core.c: unit tests for the building blocks: sha256, the string
 * buffer's wrapping, the report model's verdict rules, the finding
 * catalogue, and playbook validation errors. */
#include "tests/unit/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/findings.h"
#include "lib/sha256.h"
#include "lib/strbuf.h"
#include "playbooks/playbook.h"
#include "reports/report.h"

static void test_sha256_vectors(void **state)
{
	char hex[65];
	char *million = malloc(1000000);

	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', 1000000);
	sha256_hex(million, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void test_wrap_never_passes_width(void **state)
{
	struct strbuf sb = { 0 };
	char *text, *line, *save;

	sb_append(&sb, "Verdict: ");
	sb_wrap(&sb, "a few words then averyveryveryveryveryveryveryveryveryveryverylongwordthatdoesnotfit "
		"and more words to wrap onto the following lines of the summary", 30, 9, 4);
	text = sb_take(&sb, NULL);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 30);
	free(text);
}

static void test_html_escape(void **state)
{
	struct strbuf sb = { 0 };
	char *text;

	sb_html(&sb, "<script>alert('x') & \"y\"</script>");
	text = sb_take(&sb, NULL);
	assert_null(strchr(text, '<'));
	assert_non_null(strstr(text, "&lt;script&gt;"));
	free(text);
}

static void test_verdict_only_rises(void **state)
{
	struct report *r = report_new();

	report_set_health(r, "cpu", VERDICT_IMPLICATED, "run queue p99 %d ms", 12);
	report_set_health(r, "cpu", VERDICT_EXONERATED, "utilization low");
	assert_int_equal(report_get_verdict(r, "cpu"), VERDICT_IMPLICATED);
	assert_int_equal(json_array_size(json_object_get(
		json_array_get(report_get(r, "health"), 0), "evidence")), 2);
	assert_int_equal(report_get_verdict(r, "disk"), VERDICT_UNKNOWN);
	report_free(r);
}

static void test_finding_from_catalogue(void **state)
{
	struct report *r = report_new();
	json_t *f = report_add_finding(r, "memory.thp_always", SEV_WARNING, NULL, "detail %d", 1);

	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "subsystem")), "memory");
	assert_string_equal(json_string_value(json_object_get(f, "detail")), "detail 1");
	/* An id outside the catalogue is refused, not invented. */
	assert_null(report_add_finding(r, "no.such_finding", SEV_INFO, NULL, "x"));
	assert_int_equal(report_count_findings(r, "memory.", SEV_WARNING), 1);
	assert_int_equal(report_count_findings(r, "memory.", SEV_CRITICAL), 0);
	report_free(r);
}

static void check_def(const struct finding_def *d, void *arg)
{
	static const char *const subsystems[] = { "cpu", "memory", "disk", "network", "locks",
						  "syscalls", "processes", "filesystem" };
	int ok = 0;

	for (size_t i = 0; i < sizeof(subsystems) / sizeof(subsystems[0]); i++)
		ok |= !strcmp(d->subsystem, subsystems[i]);
	assert_true(ok);
	assert_non_null(strchr(d->id, '.'));
	assert_true(strlen(d->title) > 0 && strlen(d->source) > 0);
	/* Ids are unique: the first definition with this id is this one. */
	assert_ptr_equal(finding_def_find(d->id), d);
	(*(int *)arg)++;
}

static void test_catalogue_well_formed(void **state)
{
	int n = 0;

	finding_def_each(check_def, &n);
	assert_int_equal((size_t)n, finding_def_count());
}

static void test_catalogue_matches_docs(void **state)
{
	FILE *f = fopen(FIXTURES "/../../docs/findings.md", "r");
	char *doc;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	doc = calloc(1, len + 1);
	assert_int_equal(fread(doc, 1, len, f), (size_t)len);
	fclose(f);
	for (size_t t = 0; finding_tables[t]; t++)
		for (const struct finding_def *d = finding_tables[t]; d->id; d++) {
			char needle[128];

			snprintf(needle, sizeof(needle), "`%s`", d->id);
			if (!strstr(doc, needle))
				fail_msg("finding %s is not documented in docs/findings.md", d->id);
		}
	free(doc);
}

static void test_playbook_errors(void **state)
{
	char err[1024];
	json_t *pb;

	for (size_t i = 0; embedded_playbooks[i].name; i++) {
		pb = playbook_load(embedded_playbooks[i].name, err, sizeof(err));
		if (!pb)
			fail_msg("embedded playbook %s: %s", embedded_playbooks[i].name, err);
		json_decref(pb);
	}
	assert_null(playbook_load(FIXTURES "/playbooks/bad-syntax.json", err, sizeof(err)));
	assert_non_null(strstr(err, "bad-syntax.json:4:"));
	assert_null(playbook_load(FIXTURES "/playbooks/unknown-step.json", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown step \"no_such_step\""));
	assert_non_null(strstr(err, "static_checks"));
	assert_null(playbook_load("nonexistent", err, sizeof(err)));
	assert_non_null(strstr(err, "no playbook named"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_wrap_never_passes_width),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_verdict_only_rises),
		cmocka_unit_test(test_finding_from_catalogue),
		cmocka_unit_test(test_catalogue_well_formed),
		cmocka_unit_test(test_catalogue_matches_docs),
		cmocka_unit_test(test_playbook_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
