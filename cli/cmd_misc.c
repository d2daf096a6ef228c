/* cmd_misc.c: the small subcommands: `check` (static checks, no BPF),
 * `caps` (capabilities by trial) and `list` (from the same tables that
 * run). `show` lives in cmd_show.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/caps.h"
#include "bpf/collector.h"
#include "checks/rules.h"
#include "checks/check.h"
#include "checks/findings.h"
#include "checks/load.h"
#include "checks/monday.h"
#include "cli/commands.h"
#include "lib/util.h"
#include "playbooks/playbook.h"
#include "reports/writers.h"

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* Checks that could not run: with -v all of them, and without root the
 * ones refused for lack of privilege, so the person knows what to rerun. */
static void print_skipped_checks(struct report *r)
{
	json_t *c;
	size_t i;

	json_array_foreach(report_get(r, "checks"), i, c) {
		const char *reason = jstr(c, "reason");

		if (!strcmp(jstr(c, "result"), "ran"))
			continue;
		if (verbose_level || (geteuid() != 0 && (strstr(reason, "ermission") ||
							 strstr(reason, "not permitted"))))
			printf("skipped  %-32s %s\n", jstr(c, "id"), reason);
	}
	if (geteuid() != 0)
		printf("not root: the kernel log and other users' processes may be unreadable; "
		       "run as root for every check\n");
}

int cmd_check(int argc, char **argv)
{
	struct report *r;
	struct check_ctx cc = { .root = "" };
	json_t *f;
	size_t i;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-v"))
			verbose_level++;
		else
			return usage_error("check", "unexpected argument '%s'", argv[a]);
	}
	r = report_new();
	if (!r)
		return EXIT_FAILURE_;
	cc.report = r;
	inventory_fill(r);
	run_static_checks(&cc);
	printf("friday check: %zu checks on %s\n", json_array_size(report_get(r, "checks")),
	       jstr(report_get(r, "host"), "hostname"));
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--)
		json_array_foreach(report_get(r, "findings"), i, f) {
			if (severity_from_name(jstr(f, "severity")) != sev)
				continue;
			printf("%-8s %-32s %s\n", jstr(f, "severity"), jstr(f, "id"), jstr(f, "title"));
			if (verbose_level)
				printf("         %s\n", jstr(f, "detail"));
		}
	if (json_array_size(report_get(r, "findings")) == 0)
		printf("no findings\n");
	print_skipped_checks(r);
	report_free(r);
	return 0;
}

/* Says once, plainly, what a non-root `friday caps` could not try. */
static void caps_privilege_note(void)
{
	const char *missing = caps_missing_privileges();

	if (geteuid() == 0 && !missing[0])
		return;
	fprintf(stderr, "friday: caps: running as uid %d%s%s: the BPF and perf trials need root.\n"
		"  Run: sudo friday caps   (or grant CAP_BPF and CAP_PERFMON, and CAP_SYS_ADMIN\n"
		"  for tracefs and BPF stats). Rows marked \"no\" for privilege may work as root.\n",
		(int)geteuid(), missing[0] ? ", lacking " : "", missing);
}

int cmd_caps(int argc, char **argv)
{
	struct report *r;
	const char *name;
	json_t *c;
	bool as_json = false;
	double t0;
	int nr_ok;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json"))
			as_json = true;
		else if (!strcmp(argv[a], "-v"))
			verbose_level++;
		else
			return usage_error("caps", "unexpected argument '%s'", argv[a]);
	}
	r = report_new();
	if (!r)
		return EXIT_FAILURE_;
	t0 = now_mono_s();
	nr_ok = caps_probe_all(r, 0, NULL);
	if (as_json) {
		char *text = json_dumps(report_get(r, "capabilities"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", text ? text : "{}");
		free(text);
	} else {
		printf("friday caps: %d of %zu work on this host (tried in %.0f ms)\n", nr_ok,
		       json_object_size(report_get(r, "capabilities")), (now_mono_s() - t0) * 1e3);
		json_object_foreach(report_get(r, "capabilities"), name, c)
			printf("%-19s %-3s %s\n", name, json_is_true(json_object_get(c, "ok")) ? "yes" : "no",
			       jstr(c, "reason"));
	}
	caps_privilege_note();
	report_free(r);
	return 0;
}

/* With -v: each stage and its steps, their time shares and conditions. */
static void list_playbook_stages(json_t *pb)
{
	json_t *stage, *step;
	size_t i, j;

	json_array_foreach(json_object_get(pb, "stages"), i, stage) {
		printf("      %-10s %s\n", jstr(stage, "id"), jstr(stage, "title"));
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			json_t *w = json_object_get(step, "weight"), *when = json_object_get(step, "when");
			char *cond = when ? json_dumps(when, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

			printf("        %-24s %-14s weight %-4g%s%s\n", jstr(step, "id"), jstr(step, "run"),
			       w ? json_number_value(w) : 1.0, cond ? " when " : "", cond ? cond : "");
			free(cond);
		}
	}
}

static void list_playbooks(void)
{
	printf("playbooks:\n");
	for (size_t i = 0; embedded_playbooks[i].name; i++) {
		json_t *pb = json_loads(embedded_playbooks[i].json, 0, NULL);

		printf("  %-16s %s\n", embedded_playbooks[i].name, jstr(pb, "description"));
		if (verbose_level)
			list_playbook_stages(pb);
		json_decref(pb);
	}
}

static void list_checks(void)
{
	printf("checks:\n");
	for (size_t i = 0; static_checks[i].id; i++)
		printf("  %-12s %-34s %s\n", static_checks[i].id, static_checks[i].title,
		       static_checks[i].source);
	printf("load snapshot rules (step load_snapshot, judged on report.load):\n");
	for (size_t i = 0; load_rules[i].id; i++)
		printf("  %-18s %s\n", load_rules[i].id, load_rules[i].summary);
	printf("health rules (step judge, by id for its \"rules\" argument):\n");
	for (size_t i = 0; rule_table[i].id; i++)
		printf("  %-18s %-10s %s\n", rule_table[i].id, rule_table[i].subsystem,
		       rule_table[i].summary);
}

/* "knob NAME (true|false)" or "knob NAME (MIN-MAX)" and what it does:
 * what a collect step's "knobs" may set (playbooks/validate.c checks). */
static void list_knobs(const struct collector_ops *ops)
{
	for (const struct collector_knob *k = ops->knobs; k && k->name; k++) {
		char range[64];

		if (k->kind == KNOB_FLAG)
			snprintf(range, sizeof(range), "true|false");
		else
			snprintf(range, sizeof(range), "%.10g-%.10g", k->min, k->max);
		printf("    knob %-16s %-14s %s\n", k->name, range, k->what);
	}
}

static void list_collectors(void)
{
	printf("collectors:\n");
	for (size_t i = 0; collector_table[i]; i++) {
		printf("  %-16s %-10s %s\n", collector_table[i]->name, collector_table[i]->subsystem,
		       collector_table[i]->summary);
		list_knobs(collector_table[i]);
	}
}

static void print_finding_def(const struct finding_def *d, void *arg)
{
	(void)arg;
	printf("  %-34s %-10s %s\n", d->id, d->subsystem, d->title);
}

static void list_findings(void)
{
	printf("findings:\n");
	finding_def_each(print_finding_def, NULL);
}

int cmd_list(int argc, char **argv)
{
	static const struct {
		const char *what;
		void (*fn)(void);
	} lists[] = {
		{ "playbooks", list_playbooks }, { "checks", list_checks },
		{ "collectors", list_collectors }, { "findings", list_findings },
	};

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "-v") && strcmp(argv[a], "--verbose"))
			continue;
		verbose_level++;
		memmove(&argv[a], &argv[a + 1], (argc - a) * sizeof(*argv));
		argc--;
		a--;
	}
	if (argc > 2)
		return usage_error("list", "takes at most one argument");
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (argc == 2 && strcmp(argv[1], lists[i].what))
			continue;
		lists[i].fn();
		if (argc == 2)
			return 0;
	}
	if (argc == 2)
		return usage_error("list", "unknown list '%s' (playbooks, checks, collectors, findings)",
				   argv[1]);
	return 0;
}
