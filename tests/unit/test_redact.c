/* test_redact.c: the redaction patterns: what must be replaced (true
 * positives), what must stay (false positives), consistent placeholders in
 * hosts mode, JSON walking, and that render redacts every file of the
 * archive and counts it in the manifest. */
#include "tests/unit/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/redact.h"
#include "reports/writers.h"

static char *red(struct redactor *rd, const char *in)
{
	return redact_text(rd, in, strlen(in), NULL);
}

/* Each input must lose its secret and keep the rest. */
static const struct {
	const char *in, *out;
} secret_cases[] = {
	{ "app --password=hunter2 -v", "app --password=[REDACTED] -v" },
	{ "app --password hunter2 -v", "app --password [REDACTED] -v" },
	{ "TOKEN=abc123 HOME=/root", "TOKEN=[REDACTED] HOME=/root" },
	{ "DB_PASSWORD='a b c' x", "DB_PASSWORD='[REDACTED]' x" },
	{ "{\"api_key\": \"k-123\"}", "{\"api_key\": \"[REDACTED]\"}" },
	{ "--api-key=zz --secret=s3 key=v", "--api-key=[REDACTED] --secret=[REDACTED] key=[REDACTED]" },
	{ "accessToken=xyz;next", "accessToken=[REDACTED];next" },
	{ "GET /?token=abc&page=2", "GET /?token=[REDACTED]&page=2" },
	{ "postgres://app:pw-9@db:5432/x", "postgres://app:[REDACTED]@db:5432/x" },
	{ "https://ghtoken@github.example/x", "https://[REDACTED]@github.example/x" },
	{ "Authorization: Bearer abcdef123456.xyz", "Authorization: [REDACTED]" },
	{ "curl -H 'X: Bearer abcdefgh12345678'", "curl -H 'X: Bearer [REDACTED]'" },
	{ "id AKIAIOSFODNN7EXAMPLE end", "id [REDACTED] end" },
	{ "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 x", "gh [REDACTED] x" },
	{ "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-x y", "jwt [REDACTED] y" },
	{ "\\\"password\\\":\\\"p\\\"", "\\\"password\\\":\\\"[REDACTED]\\\"" },
	{ "frame;--token=t0k;leaf 3", "frame;--token=[REDACTED];leaf 3" },
	{ "&quot;secret&quot;: &quot;s&quot;", "&quot;secret&quot;: &quot;[REDACTED]&quot;" },
};

/* Text that looks a little like a secret and must stay as it is. */
static const char *const keep_cases[] = {
	"password authentication failed for user x",
	"bypass=1 monkey=2 keyboard=us token_count=5 passes=3",
	"vm.swappiness = 60; kernel.keys.maxkeys = 200; /proc/sys/vm/dirty_ratio",
	"https://example.com/path?q=1",
	"ssh host:22 and 12:30:45 and std::vector<int>::push_back",
	"AKIA1234 is too short; NOTAKIAIOSFODNN7EXAMPLE is inside a word",
	"Bearer short",
	"--password= (empty) and PASSWORD=",
	"[REDACTED] stays [REDACTED]; password=[REDACTED]",
	"ghp_short and sk- and eyJ alone",
};

static void test_secret_true_positives(void **state)
{
	struct redactor rd;

	redactor_init(&rd, true, false);
	for (size_t i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++) {
		char *out = red(&rd, secret_cases[i].in);

		if (strcmp(out, secret_cases[i].out))
			print_error("in:  %s\nout: %s\nwant: %s\n", secret_cases[i].in, out,
				    secret_cases[i].out);
		assert_string_equal(out, secret_cases[i].out);
		free(out);
	}
	assert_true(rd.counts[REDACT_SECRET_VALUE] >= 10);
	assert_int_equal(rd.counts[REDACT_URL_CREDENTIALS], 2);
	assert_int_equal(rd.counts[REDACT_AWS_ACCESS_KEY], 1);
	assert_int_equal(rd.counts[REDACT_API_TOKEN], 2);
	redactor_free(&rd);
}

static void test_secret_false_positives(void **state)
{
	struct redactor rd;

	redactor_init(&rd, true, true);
	redactor_add_own_name(&rd, "vm");
	for (size_t i = 0; i < sizeof(keep_cases) / sizeof(keep_cases[0]); i++) {
		char *out = red(&rd, keep_cases[i]);

		if (i == 3) {
			/* hosts mode takes the DNS name, nothing else */
			assert_string_equal(out, "https://host-1/path?q=1");
		} else {
			if (strcmp(out, keep_cases[i]))
				print_error("changed: %s\n     to: %s\n", keep_cases[i], out);
			assert_string_equal(out, keep_cases[i]);
		}
		free(out);
	}
	for (int k = 0; k < REDACT_HOSTNAME; k++)
		assert_int_equal(rd.counts[k], 0);
	redactor_free(&rd);
}

static void test_hosts_consistent(void **state)
{
	struct redactor rd;
	char *a, *b, *c;

	redactor_init(&rd, true, true);
	redactor_add_own_name(&rd, "vm");
	a = red(&rd, "vm 192.0.2.2 fd00::2 02:42:ac:11:00:02 db01.example.com");
	b = red(&rd, "peer=192.0.2.7;192.0.2.2 [fd00::2]:80 host vm, VM.");
	c = red(&rd, "127.0.0.1 ::1 0.0.0.0 1.2.3.4.5 kvm vm.swappiness vm-2 00:00:00:00:00:00");
	assert_string_equal(a, "host-1 ipv4-1 ipv6-1 mac-1 host-2");
	assert_string_equal(b, "peer=ipv4-2;ipv4-1 [ipv6-1]:80 host host-1, host-1.");
	assert_string_equal(c, "127.0.0.1 ::1 0.0.0.0 1.2.3.4.5 kvm vm.swappiness vm-2 00:00:00:00:00:00");
	assert_int_equal(rd.counts[REDACT_IPV4], 3);
	assert_int_equal(rd.counts[REDACT_HOSTNAME], 4);
	free(a);
	free(b);
	free(c);
	redactor_free(&rd);
}

static void test_off_changes_nothing(void **state)
{
	struct redactor rd;
	char *out;

	redactor_init(&rd, false, false);
	out = red(&rd, "--password=hunter2 192.0.2.2");
	assert_string_equal(out, "--password=hunter2 192.0.2.2");
	free(out);
	redactor_free(&rd);
}

static void test_json_walk(void **state)
{
	struct redactor rd;
	json_t *in = json_pack("{s:[s,s,s,s], s:{s:s, s:s}, s:{s:i}, s:[{s:s, s:i}]}",
			       "argv", "app", "--password", "hunter2", "-v",
			       "env", "DB_PASSWORD", "pw", "HOME", "/root",
			       "peers", "192.0.2.9", 3,
			       "entries", "key", "sda", "count", 4);
	json_t *out;

	redactor_init(&rd, true, true);
	out = redact_json(&rd, in);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "argv"), 2)),
			    "[REDACTED]");
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "argv"), 3)), "-v");
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "env"), "DB_PASSWORD")),
			    "[REDACTED]");
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "env"), "HOME")),
			    "/root");
	assert_non_null(json_object_get(json_object_get(out, "peers"), "ipv4-1"));
	/* a per-key breakdown's "key" is no secret */
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(out, "entries"), 0), "key")), "sda");
	/* the original model is untouched */
	assert_string_equal(json_string_value(json_array_get(json_object_get(in, "argv"), 2)), "hunter2");
	json_decref(in);
	json_decref(out);
	redactor_free(&rd);
}

static bool any_file_has(const struct out_files *o, const char *needle)
{
	for (size_t i = 0; i < o->n; i++)
		if (memmem(o->v[i].data, o->v[i].len, needle, strlen(needle)))
			return true;
	return false;
}

static void test_render_redacts_every_file(void **state)
{
	static const char folded[] = "app --password=hunter2;main;work 10\n";
	struct report *r = report_new();
	struct render_opts ro = { .redact_secrets = true, .free_bytes = -1 };
	struct out_files o = { 0 };
	const struct out_file *m;
	json_t *man;

	json_object_set_new(report_get(r, "run"), "problem",
			    json_string("slow after deploy; TOKEN=tok-SECRET"));
	report_add_blob(r, "profiles/cpu.folded", folded, strlen(folded));
	json_array_append_new(report_get(r, "profiles"),
			      json_pack("{s:s, s:s, s:i, s:s}", "kind", "cpu", "unit", "samples",
					"total", 10, "folded", "profiles/cpu.folded"));
	assert_int_equal(report_render_opts(r, &ro, &o), 0);
	assert_false(any_file_has(&o, "hunter2"));
	assert_false(any_file_has(&o, "tok-SECRET"));
	m = out_files_find(&o, "manifest.json");
	assert_non_null(m);
	man = json_loads(m->data, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(man,
			 "redaction"), "counts"), "secret_value")), 2);
	json_decref(man);
	out_files_free(&o);

	ro.redact_secrets = false;
	assert_int_equal(report_render_opts(r, &ro, &o), 0);
	assert_true(any_file_has(&o, "hunter2"));
	out_files_free(&o);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_true_positives),
		cmocka_unit_test(test_secret_false_positives),
		cmocka_unit_test(test_hosts_consistent),
		cmocka_unit_test(test_off_changes_nothing),
		cmocka_unit_test(test_json_walk),
		cmocka_unit_test(test_render_redacts_every_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
