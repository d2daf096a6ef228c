/* test_rules_network.c: unit tests for the network rule on recorded
 * nethealth results: tests/fixtures/tuesday/network_loss.json holds what
 * nethealth measured during a real run of tests/scenarios/c_network_loss.sh's
 * workload (a veth link losing 10% of the client's TCP packets on the way,
 * c_tcp_transfer sending 256 KiB per connection, plus connects to a closed
 * port 6 times a second), cut down to host, collectors and measurements.
 * Variants of it, edited here, stand for a quiet host, a listener that
 * overflows and drops for lack of room. */
#include "tests/unit/testutil.h"
#include "tests/unit/rules_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/tuesday.h"
#include "reports/report.h"

static json_t *nethealth(struct report *r)
{
	return json_object_get(report_get(r, "measurements"), "nethealth");
}

static const char *ev_str(json_t *f, const char *key)
{
	return json_string_value(json_object_get(json_object_get(f, "evidence"), key));
}

static json_t *ev(json_t *f, const char *key)
{
	return json_object_get(json_object_get(f, "evidence"), key);
}

/* The verdict's first evidence line carries figures with their sources. */
static void assert_explained(struct report *r)
{
	json_t *h = json_array_get(report_get(r, "health"), 0);
	const char *first = json_string_value(json_array_get(json_object_get(h, "evidence"), 0));

	assert_string_equal(json_string_value(json_object_get(h, "subsystem")), "network");
	assert_non_null(first);
	assert_non_null(strstr(first, "T60-14"));
	assert_non_null(strstr(first, "ST-NET-03"));
}

/* What a quiet host gives: no retransmits, resets, slow connects or drops. */
static void make_quiet(struct report *r)
{
	json_t *m = nethealth(r), *p;
	size_t i;

	json_array_foreach(json_object_get(m, "peers"), i, p) {
		json_object_set_new(p, "retrans_segs", json_integer(0));
		json_object_set_new(p, "retrans_per_s", json_real(0));
		json_object_set_new(p, "retrans_pct", json_real(0));
		json_object_set_new(p, "resets_sent", json_integer(0));
		json_object_set_new(p, "resets_received", json_integer(0));
		json_object_set_new(p, "resets_per_s", json_real(0));
		json_object_set_new(p, "connect_ms_max", json_real(0.2));
	}
	json_array_clear(json_object_get(json_object_get(m, "drops"), "reasons"));
	json_object_set_new(json_object_get(m, "drops"), "total", json_integer(0));
}

static void test_loss_implicated(void **state)
{
	struct report *r = load_fixture("network_loss");
	json_t *top = json_array_get(json_object_get(nethealth(r), "peers"), 0), *f;

	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_IMPLICATED);
	assert_explained(r);
	f = finding(r, "network.peer_retransmits");
	assert_non_null(f);
	/* The workload, its server's address and port, and the ratio (10%
	 * loss on the path: far above T60-14's 1%). */
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_string_equal(ev_str(f, "remote"), json_string_value(json_object_get(top, "remote")));
	assert_string_equal(json_string_value(json_object_get(ev(f, "process"), "comm")),
			    "c_tcp_transfer");
	assert_int_equal(json_integer_value(json_object_get(ev(f, "process"), "pid")),
			 json_integer_value(json_object_get(top, "pid")));
	assert_true(json_number_value(ev(f, "figure")) > 5);
	assert_non_null(strstr(ev_str(f, "threshold_source"), "T60-14"));
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "c_tcp_transfer"));
	/* The loss was a firewall rule: said, at info. */
	f = finding(r, "network.policy_drops");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "info");
	/* A SYN lost on the way: a connect of a second or more. */
	assert_non_null(finding(r, "network.slow_connect"));
	report_free(r);
}

static void test_resets_named(void **state)
{
	struct report *r = load_fixture("network_loss");
	json_t *top = json_array_get(json_object_get(nethealth(r), "peers"), 0), *f;
	char closed[16];

	snprintf(closed, sizeof(closed), ":%d", (int)json_integer_value(json_object_get(top, "port")) + 1);
	judge_network(r);
	f = finding(r, "network.tcp_resets");
	assert_non_null(f);
	/* The server's stack refused the client 6 times a second on the
	 * closed port (the fixture's port + 1). */
	assert_non_null(strstr(ev_str(f, "remote"), closed));
	assert_true(json_number_value(ev(f, "resets_sent")) >= 10);
	assert_non_null(strstr(json_string_value(json_object_get(f, "detail")), "no process known"));
	report_free(r);
}

static void test_quiet_exonerated(void **state)
{
	struct report *r = load_fixture("network_loss");

	make_quiet(r);
	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_EXONERATED);
	assert_explained(r);
	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);
}

/* A retransmit rate above 1/s without a ratio to judge (too few segments
 * sent by closed connections) is a warning: suspect, not implicated. */
static void test_rate_only_suspect(void **state)
{
	struct report *r = load_fixture("network_loss");
	json_t *top;

	make_quiet(r);
	top = json_array_get(json_object_get(nethealth(r), "peers"), 0);
	json_object_set_new(top, "retrans_segs", json_integer(40));
	json_object_set_new(top, "retrans_per_s", json_real(6.5));
	json_object_set_new(top, "ratio_segs_out", json_integer(50));
	json_object_set_new(top, "retrans_pct", json_real(30));
	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_SUSPECT);
	assert_string_equal(json_string_value(json_object_get(finding(r, "network.peer_retransmits"),
							       "severity")), "warning");
	/* Below 10 segments it is no pattern at all. */
	report_free(r);
	r = load_fixture("network_loss");
	make_quiet(r);
	top = json_array_get(json_object_get(nethealth(r), "peers"), 0);
	json_object_set_new(top, "retrans_segs", json_integer(9));
	json_object_set_new(top, "retrans_per_s", json_real(3));
	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_EXONERATED);
	report_free(r);
}

static void test_listen_overflow_implicated(void **state)
{
	struct report *r = load_fixture("network_loss");
	json_t *f;

	make_quiet(r);
	json_object_set_new(json_object_get(nethealth(r), "netstat"), "listen_overflows",
			    json_integer(3));
	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_IMPLICATED);
	f = finding(r, "network.accept_queue_overflow");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_true(json_number_value(ev(f, "listen_overflows")) == 3);
	report_free(r);
}

static void test_saturation_drops_suspect(void **state)
{
	struct report *r = load_fixture("network_loss");
	json_t *drops, *f;

	make_quiet(r);
	drops = json_object_get(nethealth(r), "drops");
	json_array_append_new(json_object_get(drops, "reasons"), json_pack(
		"{s:i, s:s, s:i, s:f, s:s}", "reason", 6, "name", "SOCKET_RCVBUFF", "count", 12,
		"per_s", 1.2, "last_location", "sock_queue_rcv_skb_reason_[k]"));
	json_array_append_new(json_object_get(drops, "reasons"), json_pack(
		"{s:i, s:s, s:i, s:f, s:s}", "reason", 3, "name", "NO_SOCKET", "count", 500,
		"per_s", 50.0, "last_location", "tcp_v4_rcv_[k]"));
	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_SUSPECT);
	f = finding(r, "network.packet_drops");
	assert_non_null(f);
	assert_true(json_number_value(ev(f, "figure")) == 12);
	/* No socket for a packet is ordinary: neither counted nor said. */
	assert_null(strstr(json_string_value(json_object_get(f, "detail")), "NO_SOCKET"));
	report_free(r);
}

/* Monday's load-snapshot findings of warning or worse are cited and make
 * network suspect; an info one, or a static check, does not. */
static void test_cites_monday(void **state)
{
	static const struct { const char *id, *step; enum severity sev; enum verdict want; } cases[] = {
		{ "network.tcp_retransmits", "load-snapshot", SEV_WARNING, VERDICT_SUSPECT },
		{ "network.tcp_retransmits", "load-snapshot", SEV_INFO, VERDICT_EXONERATED },
		{ "network.somaxconn_low", "static-checks", SEV_WARNING, VERDICT_EXONERATED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report *r = load_fixture("network_loss");
		char *text;

		make_quiet(r);
		json_array_append_new(report_get(r, "findings"), json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s}", "id", cases[i].id, "stage", "monday",
			"step", cases[i].step, "subsystem", "network",
			"severity", severity_name(cases[i].sev),
			"detail", "TCP retransmitted 40 of 2000 segments (2.00%)"));
		judge_network(r);
		assert_int_equal(report_get_verdict(r, "network"), cases[i].want);
		text = json_dumps(json_object_get(json_array_get(report_get(r, "health"), 0), "evidence"), 0);
		assert_int_equal(strstr(text, "Monday's load snapshot") != NULL,
				 cases[i].want == VERDICT_SUSPECT);
		free(text);
		report_free(r);
	}
}

static void test_unknown_when_not_measured(void **state)
{
	struct report *r = report_new();
	json_t *h;

	json_object_set_new(report_get(r, "collectors"), "nethealth",
			    json_pack("{s:s, s:s}", "status", "failed", "reason",
				      "tp_btf: Operation not permitted"));
	judge_network(r);
	assert_int_equal(report_get_verdict(r, "network"), VERDICT_UNKNOWN);
	h = json_array_get(report_get(r, "health"), 0);
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(h, "evidence"), 0)),
			       "Operation not permitted"));
	assert_int_equal(json_array_size(report_get(r, "findings")), 0);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_implicated),
		cmocka_unit_test(test_resets_named),
		cmocka_unit_test(test_quiet_exonerated),
		cmocka_unit_test(test_rate_only_suspect),
		cmocka_unit_test(test_listen_overflow_implicated),
		cmocka_unit_test(test_saturation_drops_suspect),
		cmocka_unit_test(test_cites_monday),
		cmocka_unit_test(test_unknown_when_not_measured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
