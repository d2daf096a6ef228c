/* test_playbooks.c: playbook validation (every class of error, with the
 * FILE:LINE:COL it must name), conditions on verdicts and earlier steps,
 * the stage filter and budget checks, and the engine's step records:
 * skipped with a reason, or why it ran. Every embedded playbook loads. */
#include "tests/unit/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "playbooks/jsonpos.h"
#include "playbooks/playbook.h"
#include "reports/report.h"

/* The lines around one step line, so positions are easy to count:
 * line 4 is "   " followed by STEP, so STEP's first character is column 4. */
#define PB(step) "{\"name\": \"t\",\n \"stages\": [\n  {\"id\": \"monday\", \"steps\": [\n   " \
	step "\n  ]}\n ]}\n"

static const struct bad_case {
	const char *what;
	const char *text;
	const char *where;    /* the FILE:LINE:COL prefix it must start with */
	const char *says;     /* and a piece of what it must say */
} bad_cases[] = {
	{ "syntax", "{\"name\": \"t\",\n \"stages\": [ }\n", "t.json:2:", "unexpected token" },
	{ "duplicate key", "{\"name\": \"t\",\n \"name\": \"u\", \"stages\": []}\n", "t.json:2:",
	  "duplicate" },
	{ "not an object", "[1]", "t.json:1:1: ", "a playbook is a JSON object" },
	{ "unknown top field", "{\"name\": \"t\", \"stagez\": []}", "t.json:1:15: ",
	  "unknown field \"stagez\"" },
	{ "no name", "{\"stages\": []}", "t.json:1:1: ", "needs \"name\"" },
	{ "empty stages", "{\"name\": \"t\", \"stages\": []}", "t.json:1:25: ", "non-empty array" },
	{ "unknown stage id", "{\"name\": \"t\",\n \"stages\": [\n  {\"id\": \"someday\", \"steps\": []}\n ]}",
	  "t.json:3:10: ", "one of monday, tuesday" },
	{ "stages out of order",
	  "{\"name\": \"t\",\n \"stages\": [\n"
	  "  {\"id\": \"tuesday\", \"steps\": [{\"id\": \"a\", \"run\": \"inventory\"}]},\n"
	  "  {\"id\": \"monday\", \"steps\": [{\"id\": \"b\", \"run\": \"inventory\"}]}\n ]}",
	  "t.json:4:10: ", "stage monday comes after tuesday" },
	{ "empty steps", "{\"name\": \"t\",\n \"stages\": [\n  {\"id\": \"monday\", \"steps\": []}\n ]}",
	  "t.json:3:29: ", "non-empty array" },
	{ "step without run", PB("{\"id\": \"a\"}"), "t.json:4:4: ", "has no \"run\"" },
	{ "unknown step", PB("{\"id\": \"a\", \"run\": \"nope\"}"), "t.json:4:23: ",
	  "unknown step \"nope\"; known steps: inventory, capabilities" },
	{ "duplicate step id",
	  PB("{\"id\": \"a\", \"run\": \"inventory\"}, {\"id\": \"a\", \"run\": \"inventory\"}"),
	  "t.json:4:44: ", "\"a\" is used twice" },
	{ "title not a string", PB("{\"id\": \"a\", \"run\": \"inventory\", \"title\": 3}"),
	  "t.json:4:45: ", "\"title\" must be a string" },
	{ "negative weight", PB("{\"id\": \"a\", \"run\": \"inventory\", \"weight\": -1}"),
	  "t.json:4:46: ", "\"weight\" must be a number from 0 to 1000" },
	{ "impossible budget: min_s with weight 0",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"weight\": 0, \"min_s\": 5}"), "t.json:4:58: ",
	  "impossible budget: step \"a\" needs 5 s but its weight is 0" },
	{ "impossible budget: more than the longest run",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"min_s\": 86400}, "
	     "{\"id\": \"b\", \"run\": \"inventory\", \"min_s\": 1}"), "t.json:4:94: ",
	  "impossible budget: the steps up to \"b\" need 86401 s" },
	{ "empty when", PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {}}"), "t.json:4:44: ",
	  "\"when\" must be an object" },
	{ "unknown field in when",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {\"verdicts\": {}}}"), "t.json:4:45: ",
	  "unknown field \"verdicts\" in \"when\" (known: verdict, ran, match)" },
	{ "unknown subsystem",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"gpu\": [\"implicated\"]}}}"),
	  "t.json:4:57: ", "unknown subsystem \"gpu\" (known: cpu, memory" },
	{ "unknown verdict",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"cpu\": [\"bad\"]}}}"),
	  "t.json:4:65: ", "unknown verdict" },
	{ "bad match",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"cpu\": [\"suspect\"]}, "
	     "\"match\": \"most\"}}"), "t.json:4:87: ", "\"match\" is \"any\" or \"all\"" },
	{ "cycle: a step waits for itself",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {\"ran\": [\"a\"]}}"), "t.json:4:53: ",
	  "waits for itself: a cycle" },
	{ "cycle: a step waits for a later one",
	  PB("{\"id\": \"a\", \"run\": \"inventory\", \"when\": {\"ran\": [\"b\"]}}, "
	     "{\"id\": \"b\", \"run\": \"inventory\", \"when\": {\"ran\": [\"a\"]}}"), "t.json:4:53: ",
	  "waits for \"b\", which does not run before it" },	{ "collect: unknown knob",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"syscount\"], \"knobs\": {\"syscount\": {\"time_evry\": 4}}}"),
	  "t.json:4:85: ", "unknown knob \"time_evry\" of syscount (its knobs: latency, slow_ms, time_every" },
	{ "collect: a flag given a number",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"syscount\"], \"knobs\": {\"syscount\": {\"latency\": 1}}}"),
	  "t.json:4:96: ", "knob \"latency\" of syscount is a flag: true or false" },
	{ "collect: a count out of range",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"runqlat\"], \"knobs\": {\"runqlat\": {\"outliers\": 500}}}"),
	  "t.json:4:95: ", "knob \"outliers\" of runqlat is a whole number from 0 to 200" },
	{ "collect: a count given a fraction",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"syscount\"], \"knobs\": {\"syscount\": {\"time_every\": 2.5}}}"),
	  "t.json:4:99: ", "knob \"time_every\" of syscount is a whole number from 1 to 65536" },
	{ "collect: a threshold of 0",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"fslat\"], \"knobs\": {\"fslat\": {\"slow_ms\": 0}}}"),
	  "t.json:4:90: ", "knob \"slow_ms\" of fslat is a number from 0.001 to 60000" },
	{ "collect: knobs for a collector the step does not run",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"runqlat\"], \"knobs\": {\"syscount\": {\"latency\": true}}}"),
	  "t.json:4:71: ", "knobs for syscount, which this step does not run" },
	{ "collect: knobs not an object",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"runqlat\"], \"knobs\": [\"outliers\"]}"),
	  "t.json:4:70: ", "\"knobs\" is an object" },
	{ "collect: no collectors",
	  PB("{\"id\": \"a\", \"run\": \"collect\"}"),
	  "t.json:4:4: ", "a collect step names its collectors" },
	{ "collect: a collector not a string",
	  PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [3]}"),
	  "t.json:4:49: ", "a collector is named by a string" },
};

static void test_every_error_names_its_position(void **state)
{
	char err[1024];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		json_t *pb = playbook_parse(c->text, "t.json", err, sizeof(err));

		if (pb)
			fail_msg("%s: accepted", c->what);
		if (strncmp(err, c->where, strlen(c->where)) || !strstr(err, c->says))
			fail_msg("%s: said '%s', wanted '%s...%s'", c->what, err, c->where, c->says);
	}
}

/* Knobs a collector reads pass; a collector this friday lacks is left to
 * the run (report.collectors says it failed), knobs and all. */
static void test_collect_knobs_accepted(void **state)
{
	static const char *const good[] = {
		PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"syscount\", \"runqlat\"], "
		   "\"knobs\": {\"syscount\": {\"latency\": true, \"slow_ms\": 2.5, \"time_every\": 1}, "
		   "\"runqlat\": {\"outliers\": 200, \"per_cgroup\": false}}}"),
		PB("{\"id\": \"a\", \"run\": \"collect\", \"collectors\": [\"from_the_future\"], "
		   "\"knobs\": {\"from_the_future\": {\"anything\": 1}}}"),
	};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *pb = playbook_parse(good[i], "t.json", err, sizeof(err));

		if (!pb)
			fail_msg("refused: %s", err);
		json_decref(pb);
	}
}

static void test_embedded_playbooks_load(void **state)
{
	char err[1024];
	size_t n = 0;

	for (size_t i = 0; embedded_playbooks[i].name; i++, n++) {
		json_t *pb = playbook_load(embedded_playbooks[i].name, err, sizeof(err));

		if (!pb)
			fail_msg("embedded playbook %s: %s", embedded_playbooks[i].name, err);
		assert_string_equal(json_string_value(json_object_get(pb, "name")),
				    embedded_playbooks[i].name);
		json_decref(pb);
	}
	/* fast-by-friday, quick, cpu, off-cpu, latency, io at least */
	assert_true(n >= 6);
	assert_null(playbook_load("no-such-playbook", err, sizeof(err)));
	assert_non_null(strstr(err, "known: "));
	assert_non_null(strstr(err, "fast-by-friday"));
	assert_null(playbook_load("/nonexistent/x.json", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x.json: cannot read"));
}

static void test_positions(void **state)
{
	json_t *pos = json_positions("{\"a\": [1,\n  {\"b/c\": \"x\"}]}");
	int line, col;

	assert_non_null(pos);
	json_position_of(pos, "/a/1/b~1c", &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 11);
	json_position_of(pos, "key:/a/1/b~1c", &line, &col);
	assert_int_equal(col, 4);
	json_decref(pos);
	assert_null(json_positions("{\"a\": "));
	assert_null(json_positions("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["));
}

static json_t *when(const char *text)
{
	json_t *w = json_loads(text, 0, NULL);

	assert_non_null(w);
	return w;
}

static void test_conditions(void **state)
{
	struct report *r = report_new();
	char why[512];
	json_t *w;

	assert_true(playbook_when_holds(NULL, r, why, sizeof(why)));
	assert_string_equal(why, "always runs in this playbook");
	w = when("{\"verdict\": {\"cpu\": [\"implicated\", \"suspect\"]}}");
	assert_false(playbook_when_holds(w, r, why, sizeof(why)));
	assert_non_null(strstr(why, "cpu is unknown"));
	report_set_health(r, "cpu", VERDICT_EXONERATED, "idle");
	assert_false(playbook_when_holds(w, r, why, sizeof(why)));
	assert_non_null(strstr(why, "cpu is exonerated"));
	report_set_health(r, "cpu", VERDICT_SUSPECT, "busy");
	assert_true(playbook_when_holds(w, r, why, sizeof(why)));
	assert_non_null(strstr(why, "holds: cpu is suspect"));
	json_decref(w);

	/* any (default) against all */
	w = when("{\"verdict\": {\"cpu\": [\"suspect\"], \"disk\": [\"implicated\"]}}");
	assert_true(playbook_when_holds(w, r, why, sizeof(why)));
	json_object_set_new(w, "match", json_string("all"));
	assert_false(playbook_when_holds(w, r, why, sizeof(why)));
	assert_non_null(strstr(why, "not all"));
	assert_non_null(strstr(why, "disk is unknown"));
	report_set_health(r, "disk", VERDICT_IMPLICATED, "slow");
	assert_true(playbook_when_holds(w, r, why, sizeof(why)));
	json_decref(w);

	/* ran: an earlier step with status ok */
	w = when("{\"ran\": [\"probe\"]}");
	assert_false(playbook_when_holds(w, r, why, sizeof(why)));
	assert_non_null(strstr(why, "step probe did not run"));
	report_step_begin(r, "tuesday", "probe", "a probe");
	report_step_end(r, STEP_UNAVAILABLE, 0, "no BPF");
	assert_false(playbook_when_holds(w, r, why, sizeof(why)));
	assert_non_null(strstr(why, "step probe unavailable"));
	report_step_begin(r, "tuesday", "probe2", "a probe");
	report_step_end(r, STEP_OK, 0, "fine");
	json_array_append_new(json_object_get(w, "ran"), json_string("probe2"));
	assert_true(playbook_when_holds(w, r, why, sizeof(why)));
	json_decref(w);
	report_free(r);
}

static void test_stage_filter(void **state)
{
	struct run_opts opts = { .duration_s = 10 };
	char err[512];
	json_t *pb;

	assert_true(playbook_stage_selected(NULL, "monday"));
	assert_true(playbook_stage_selected("", "monday"));
	assert_true(playbook_stage_selected("monday,tuesday", "tuesday"));
	assert_true(playbook_stage_selected("tuesday", "tuesday"));
	assert_false(playbook_stage_selected("monday,tuesday", "wednesday"));
	assert_false(playbook_stage_selected("monday,tuesdayx", "tuesday"));
	assert_false(playbook_stage_selected("tue", "tuesday"));

	pb = playbook_load("quick", err, sizeof(err));
	assert_non_null(pb);
	assert_int_equal(playbook_check_run(pb, &opts, err, sizeof(err)), 0);
	opts.stages = "monday,thursday";
	assert_int_not_equal(playbook_check_run(pb, &opts, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "playbook quick has no stage thursday (it has: monday,tuesday)"));
	json_decref(pb);

	/* -d must cover the min_s of the selected stages only. */
	pb = playbook_parse("{\"name\": \"m\", \"stages\": ["
			    "{\"id\": \"monday\", \"steps\": [{\"id\": \"a\", \"run\": \"inventory\"}]},"
			    "{\"id\": \"tuesday\", \"steps\": [{\"id\": \"b\", \"run\": \"inventory\", "
			    "\"min_s\": 30}]}]}", "m.json", err, sizeof(err));
	assert_non_null(pb);
	opts.stages = NULL;
	assert_int_not_equal(playbook_check_run(pb, &opts, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "impossible budget: playbook m needs at least 30 s"));
	assert_non_null(strstr(err, "-d gives 10 s"));
	opts.stages = "monday";
	assert_int_equal(playbook_check_run(pb, &opts, err, sizeof(err)), 0);
	json_decref(pb);
}

static json_t *step_record(struct report *r, const char *id)
{
	json_t *stage, *step;
	size_t i, j;

	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			if (!strcmp(json_string_value(json_object_get(step, "id")), id))
				return step;
	fail_msg("no step record %s", id);
	return NULL;
}

static const char *rec_str(struct report *r, const char *id, const char *key)
{
	return json_string_value(json_object_get(step_record(r, id), key));
}

/* The engine judges "when" as the step would run, and a forced step runs
 * anyway with the reason in its record. */
static void test_engine_records(void **state)
{
	struct run_opts opts = { .duration_s = 2 };
	struct playbook_exec x;
	struct report *r = report_new();
	json_t *force;
	char err[512];
	json_t *pb = playbook_parse(
		"{\"name\": \"e\", \"stages\": ["
		"{\"id\": \"monday\", \"steps\": [{\"id\": \"inv\", \"run\": \"inventory\", \"weight\": 0}]},"
		"{\"id\": \"thursday\", \"steps\": ["
		" {\"id\": \"cpu-drill\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"cpu\": [\"implicated\"]}}},"
		" {\"id\": \"disk-drill\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"disk\": [\"implicated\"]}}},"
		" {\"id\": \"after-cpu\", \"run\": \"inventory\", \"when\": {\"ran\": [\"cpu-drill\"]}}]}]}",
		"e.json", err, sizeof(err));

	assert_non_null(pb);
	playbook_exec_init(&x, pb, &opts, r, NULL);
	assert_int_equal(playbook_run_stage(&x, 0, NULL), 1);
	report_set_health(r, "cpu", VERDICT_IMPLICATED, "saturated");
	force = json_pack("[s]", "disk-drill");
	assert_int_equal(playbook_run_stage(&x, 1, force), 3);
	json_decref(force);
	assert_string_equal(rec_str(r, "inv", "why"), "always runs in this playbook");
	assert_string_equal(rec_str(r, "cpu-drill", "status"), "ok");
	assert_string_equal(rec_str(r, "cpu-drill", "why"), "its condition holds: cpu is implicated");
	assert_string_equal(rec_str(r, "disk-drill", "status"), "ok");
	assert_non_null(strstr(rec_str(r, "disk-drill", "why"), "run anyway: chosen by the person"));
	assert_string_equal(rec_str(r, "after-cpu", "why"), "its condition holds: step cpu-drill ran");
	assert_string_equal(rec_str(r, "inv", "run"), "inventory");
	report_free(r);

	/* The same playbook through playbook_run, with nothing implicated. */
	r = report_new();
	playbook_run(pb, &opts, r, NULL);
	assert_string_equal(rec_str(r, "cpu-drill", "status"), "skipped");
	assert_string_equal(rec_str(r, "cpu-drill", "reason"),
			    "its condition does not hold (none of it): cpu is unknown");
	assert_null(json_object_get(step_record(r, "cpu-drill"), "why"));
	assert_string_equal(rec_str(r, "after-cpu", "status"), "skipped");
	assert_non_null(strstr(rec_str(r, "after-cpu", "reason"), "step cpu-drill skipped"));
	report_free(r);

	/* The stage filter: only monday. */
	r = report_new();
	opts.stages = "monday";
	playbook_run(pb, &opts, r, NULL);
	assert_int_equal(json_array_size(report_get(r, "stages")), 1);
	report_free(r);
	json_decref(pb);
}

static double budget_of[8];
static const char *budget_ids[] = { "t", "d1", "d2" };

static void note_budget(void *arg, const char *stage, const char *step, const char *title,
			double budget_s, uint64_t run_deadline_ns)
{
	for (size_t i = 0; i < sizeof(budget_ids) / sizeof(budget_ids[0]); i++)
		if (!strcmp(step, budget_ids[i]))
			budget_of[i] = budget_s;
}

/* Drill-downs of a later stage reserve the largest of their weights, not
 * the sum; in their own stage only those whose condition holds share. */
static void test_drill_downs_share_time(void **state)
{
	struct playbook_hooks hooks = { .step_begin = note_budget };
	struct run_opts opts = { .duration_s = 10 };
	struct report *r = report_new();
	struct playbook_exec x;
	char err[512];
	json_t *pb = playbook_parse(
		"{\"name\": \"b\", \"stages\": ["
		"{\"id\": \"tuesday\", \"steps\": [{\"id\": \"t\", \"run\": \"inventory\"}]},"
		"{\"id\": \"thursday\", \"steps\": ["
		" {\"id\": \"d1\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"cpu\": [\"implicated\"]}}},"
		" {\"id\": \"d2\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"disk\": [\"implicated\"]}}},"
		" {\"id\": \"d3\", \"run\": \"inventory\", \"when\": {\"verdict\": {\"locks\": [\"implicated\"]}}}]}]}",
		"b.json", err, sizeof(err));

	assert_non_null(pb);
	memset(budget_of, 0, sizeof(budget_of));
	playbook_exec_init(&x, pb, &opts, r, &hooks);
	/* 10 s less the 1.5 s closing reserve: t and the drill-downs half each. */
	assert_true(playbook_stage_budget_s(&x, 0) > 4.0 && playbook_stage_budget_s(&x, 0) < 4.4);
	playbook_run_stage(&x, 0, NULL);
	assert_true(budget_of[0] > 4.0 && budget_of[0] < 4.4);
	report_set_health(r, "cpu", VERDICT_IMPLICATED, "saturated");
	/* Only d1 holds: it gets all that is left (t used almost nothing). */
	playbook_run_stage(&x, 1, NULL);
	assert_true(budget_of[1] > 8.0);
	assert_true(budget_of[2] == 0);
	report_free(r);
	json_decref(pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_error_names_its_position),
		cmocka_unit_test(test_embedded_playbooks_load),
		cmocka_unit_test(test_collect_knobs_accepted),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_stage_filter),
		cmocka_unit_test(test_engine_records),
		cmocka_unit_test(test_drill_downs_share_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
