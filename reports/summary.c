/* summary.c: summary.txt, at most 80 columns, to paste into a ticket:
 * host, window, verdicts, Monday's load figures, top findings, where the
 * archive is. The same
 * text is what `friday show` prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "lib/util.h"
#include "reports/jsonread.h"
#include "reports/writers.h"

#define SUMMARY_COLS 80
#define SUMMARY_TOP_FINDINGS 5

/* The target's command line, at most a few lines of it. */
static void summary_target_command(struct strbuf *sb, json_t *tp)
{
	char line[SUMMARY_COLS * 3];
	size_t len = 0;
	json_t *s;
	size_t i;

	if (!tp)
		return;
	len = (size_t)snprintf(line, sizeof(line), "Command:");
	json_array_foreach(json_object_get(tp, "argv"), i, s)
		if (len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", json_string_value(s));
	if (len >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	sb_append(sb, "\n");
	sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
}

static void summary_header(struct strbuf *sb, struct report *r)
{
	json_t *host = report_get(r, "host"), *run = report_get(r, "run");
	char line[256];
	double mem_gib = json_integer_value(json_object_get(host, "memory_bytes")) / 1073741824.0;

	snprintf(line, sizeof(line), "friday %s report: %s", jstr(report_get(r, "tool"), "version", "?"),
		 jstr(host, "hostname", "?"));
	sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
	snprintf(line, sizeof(line), "Host: kernel %s, %lld CPUs, %.1f GiB memory",
		 jstr(host, "kernel", "?"), (long long)json_integer_value(json_object_get(host, "cpus")),
		 mem_gib);
	sb_append(sb, "\n");
	sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
	snprintf(line, sizeof(line), "Window: %s, %.0f s, playbook %s, target %s",
		 jstr(run, "started", "?"), json_number_value(json_object_get(run, "duration_s")),
		 jstr(run, "playbook", "?"), jstr(run, "target", "whole host"));
	sb_append(sb, "\n");
	sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
	summary_target_command(sb, json_object_get(run, "target_process"));
	if (json_string_value(json_object_get(run, "problem"))) {
		sb_append(sb, "\nProblem: ");
		sb_wrap(sb, jstr(run, "problem", ""), SUMMARY_COLS, 9, 2);
	}
	if (json_is_true(json_object_get(run, "partial"))) {
		sb_append(sb, "\nPARTIAL: ");
		sb_wrap(sb, jstr(run, "partial_reason", "the run was cut short"), SUMMARY_COLS, 9, 2);
	}
	sb_append(sb, "\n\n");
}

static void summary_verdicts(struct strbuf *sb, struct report *r)
{
	json_t *health = report_get(r, "health"), *h;
	size_t i;

	sb_append(sb, "Verdicts:\n");
	if (json_array_size(health) == 0)
		sb_append(sb, "  none: no health probe ran (see the steps below)\n");
	json_array_foreach(health, i, h) {
		json_t *ev = json_array_get(json_object_get(h, "evidence"), 0);
		char head[64];

		snprintf(head, sizeof(head), "  %-11s %-11s ", jstr(h, "subsystem", "?"),
			 jstr(h, "verdict", "unknown"));
		sb_append(sb, head);
		sb_wrap(sb, json_string_value(ev) ? json_string_value(ev) : "", SUMMARY_COLS,
			(int)strlen(head), 26);
		sb_append(sb, "\n");
	}
	sb_append(sb, "\n");
}

static int findings_by_severity(struct report *r, json_t **out, size_t max)
{
	json_t *findings = report_get(r, "findings"), *f;
	size_t i, n = 0;

	for (int sev = SEV_CRITICAL; sev >= SEV_INFO && n < max; sev--)
		json_array_foreach(findings, i, f)
			if (n < max && severity_from_name(jstr(f, "severity", "")) == sev)
				out[n++] = f;
	return (int)n;
}

static void summary_findings(struct strbuf *sb, struct report *r)
{
	json_t *top[SUMMARY_TOP_FINDINGS];
	size_t total = json_array_size(report_get(r, "findings"));
	int n = findings_by_severity(r, top, SUMMARY_TOP_FINDINGS);
	char line[512];

	sb_printf(sb, "Top findings (%d of %zu):\n", n, total);
	if (n == 0)
		sb_append(sb, "  none\n");
	for (int i = 0; i < n; i++) {
		json_t *next = json_array_get(json_object_get(top[i], "next_steps"), 0);

		snprintf(line, sizeof(line), "%s %s: %s", jstr(top[i], "severity", "?"),
			 jstr(top[i], "id", "?"), jstr(top[i], "title", ""));
		sb_append(sb, "  - ");
		sb_wrap(sb, line, SUMMARY_COLS, 4, 6);
		sb_append(sb, "\n      ");
		sb_wrap(sb, jstr(top[i], "detail", ""), SUMMARY_COLS, 6, 6);
		if (json_string_value(next) && *json_string_value(next)) {
			sb_append(sb, "\n      next: ");
			sb_wrap(sb, json_string_value(next), SUMMARY_COLS, 12, 12);
		}
		sb_append(sb, "\n");
	}
	sb_append(sb, "\n");
}

static double jnum_at(json_t *o, const char *k1, const char *k2)
{
	json_t *v = json_object_get(o, k1);

	return json_number_value(k2 ? json_object_get(v, k2) : v);
}

static void summary_load_line(struct strbuf *sb, const char *text)
{
	sb_append(sb, "  ");
	sb_wrap(sb, text, SUMMARY_COLS, 2, 4);
	sb_append(sb, "\n");
}

/* Monday's load snapshot in a few lines: what vmstat, mpstat, iostat,
 * sar and pidstat would have shown (report.load, docs/report-schema.md). */
static void summary_load(struct strbuf *sb, struct report *r)
{
	json_t *load = report_get(r, "load"), *d, *p, *busiest = NULL;
	char line[512];
	size_t i, off;

	if (!json_object_get(load, "window_s"))
		return;
	sb_printf(sb, "Load (Monday, %.0f s in %lld intervals):\n", jnum_at(load, "window_s", NULL),
		  (long long)json_integer_value(json_object_get(load, "nr_intervals")));
	snprintf(line, sizeof(line), "CPU %.0f%% busy (sys %.0f%%, iowait %.0f%%, steal %.0f%%); "
		 "run queue %.1f avg, %.0f max on %lld CPUs; load %.2f %.2f %.2f",
		 jnum_at(load, "cpu", "util_pct"), jnum_at(load, "cpu", "vmstat_sy_pct"),
		 jnum_at(load, "cpu", "iowait_pct"), jnum_at(load, "cpu", "steal_pct"),
		 jnum_at(load, "runq", "procs_running_avg"), jnum_at(load, "runq", "procs_running_max"),
		 (long long)json_integer_value(json_object_get(load, "cpus")),
		 jnum_at(load, "loadavg", "avg1"), jnum_at(load, "loadavg", "avg5"),
		 jnum_at(load, "loadavg", "avg15"));
	summary_load_line(sb, line);
	snprintf(line, sizeof(line), "Memory %.0f%% available; swap in/out %.0f/%.0f pages/s; "
		 "%.0f major faults/s", jnum_at(load, "memory", "available_pct"),
		 jnum_at(load, "memory", "swapin_pages_per_s"),
		 jnum_at(load, "memory", "swapout_pages_per_s"),
		 jnum_at(load, "memory", "major_faults_per_s"));
	summary_load_line(sb, line);
	json_array_foreach(json_object_get(load, "disks"), i, d)
		if (!busiest || jnum_at(d, "util_pct", NULL) > jnum_at(busiest, "util_pct", NULL))
			busiest = d;
	if (busiest) {
		snprintf(line, sizeof(line), "Busiest disk %s: %.0f%% util, %.0f IOPS, await %.1f ms, "
			 "aqu-sz %.2f", jstr(busiest, "name", "?"), jnum_at(busiest, "util_pct", NULL),
			 jnum_at(busiest, "iops", NULL), jnum_at(busiest, "await_ms", NULL),
			 jnum_at(busiest, "aqu_sz", NULL));
		summary_load_line(sb, line);
	}
	off = snprintf(line, sizeof(line), "Top by CPU:");
	json_array_foreach(json_object_get(load, "top_processes"), i, p) {
		if (i >= 3 || off >= sizeof(line))
			break;
		off += snprintf(line + off, sizeof(line) - off, "%s %s (%lld) %.0f%%", i ? "," : "",
				jstr(p, "comm", "?"),
				(long long)json_integer_value(json_object_get(p, "pid")),
				jnum_at(p, "cpu_pct", NULL));
	}
	if (i > 0)
		summary_load_line(sb, line);
	sb_append(sb, "\n");
}

static void summary_steps(struct strbuf *sb, struct report *r)
{
	int counts[STEP_TIMEOUT + 1] = { 0 };
	json_t *stage, *step;
	size_t i, j;

	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step)
			for (int s = 0; s <= STEP_TIMEOUT; s++)
				if (!strcmp(jstr(step, "status", ""), step_status_name(s)))
					counts[s]++;
	sb_printf(sb, "Steps: %d ok, %d skipped, %d unavailable, %d failed, %d timed out\n",
		  counts[STEP_OK], counts[STEP_SKIPPED], counts[STEP_UNAVAILABLE],
		  counts[STEP_FAILED], counts[STEP_TIMEOUT]);
	json_array_foreach(report_get(r, "stages"), i, stage)
		json_array_foreach(json_object_get(stage, "steps"), j, step) {
			char line[512];

			if (!strcmp(jstr(step, "status", ""), "ok"))
				continue;
			snprintf(line, sizeof(line), "%s/%s %s: %s", jstr(stage, "id", "?"),
				 jstr(step, "id", "?"), jstr(step, "status", "?"), jstr(step, "reason", ""));
			sb_append(sb, "  ");
			sb_wrap(sb, line, SUMMARY_COLS, 2, 4);
			sb_append(sb, "\n");
		}
}

/* What redaction replaced (counts only) and what was cut to fit. */
static void summary_archive_notes(struct strbuf *sb, struct report *r)
{
	json_t *run = report_get(r, "run"), *red = json_object_get(run, "redaction"), *c, *n;
	const char *kind;
	char line[512];
	size_t i, len = 0;

	if (red && json_is_true(json_object_get(red, "enabled"))) {
		len = (size_t)snprintf(line, sizeof(line), "Redacted:");
		json_object_foreach(json_object_get(red, "counts"), kind, n)
			if (len < sizeof(line) && json_integer_value(n))
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s %s %lld",
							len > 9 ? "," : "", kind,
							(long long)json_integer_value(n));
		if (len <= 9)
			snprintf(line, sizeof(line), "Redacted: nothing looked like a secret%s",
				 json_array_size(json_object_get(red, "modes")) > 1 ?
				 " or a host name" : "");
		sb_append(sb, "\n");
		sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
		sb_append(sb, "\n");
	} else if (red) {
		sb_append(sb, "\nNot redacted (--no-redact): may hold secrets and host names.\n");
	}
	if (json_string_value(json_object_get(run, "over_cap"))) {
		snprintf(line, sizeof(line), "Size: %s", jstr(run, "over_cap", ""));
		sb_wrap(sb, line, SUMMARY_COLS, 0, 6);
		sb_append(sb, "\n");
	}
	json_array_foreach(json_object_get(run, "cut"), i, c) {
		snprintf(line, sizeof(line), "Cut: %s (%.1f MiB): %s", jstr(c, "path", "?"),
			 json_integer_value(json_object_get(c, "bytes")) / 1048576.0, jstr(c, "reason", ""));
		sb_append(sb, i ? "" : "\n");
		sb_wrap(sb, line, SUMMARY_COLS, 0, 5);
		sb_append(sb, "\n");
	}
}

/* --baseline: how many verdicts, findings and figures changed, and the
 * function whose CPU share moved most; diff/diff.txt has the rest. */
static void summary_baseline(struct strbuf *sb, struct report *r)
{
	json_t *d = json_object_get(r->doc, "baseline"), *v, *fn;
	size_t i, changed = 0, moved = 0;
	char line[512];

	if (!d)
		return;
	json_array_foreach(json_object_get(d, "verdicts"), i, v)
		changed += json_is_true(json_object_get(v, "changed"));
	json_array_foreach(json_object_get(d, "figures"), i, v)
		moved += json_is_true(json_object_get(v, "moved"));
	snprintf(line, sizeof(line), "Against the baseline %s: %zu verdicts changed, %zu findings "
		 "appeared, %zu went away, %zu figures moved by 10%% or more (diff/diff.txt).",
		 jstr(json_object_get(d, "before"), "archive", "?"), changed,
		 json_array_size(json_object_get(json_object_get(d, "findings"), "appeared")),
		 json_array_size(json_object_get(json_object_get(d, "findings"), "gone")), moved);
	sb_append(sb, "\n");
	sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
	sb_append(sb, "\n");
	fn = json_array_get(json_object_get(json_array_get(json_object_get(d, "profiles"), 0),
					    "functions"), 0);
	if (fn) {
		snprintf(line, sizeof(line), "  Largest move in the %s profile: %s, %.1f%% -> %.1f%%.",
			 jstr(json_array_get(json_object_get(d, "profiles"), 0), "kind", "cpu"),
			 jstr(fn, "name", "?"), json_number_value(json_object_get(fn, "before_pct")),
			 json_number_value(json_object_get(fn, "after_pct")));
		sb_wrap(sb, line, SUMMARY_COLS, 0, 2);
		sb_append(sb, "\n");
	}
}

#define SUMMARY_EVENTS 8

/* The first events of the timeline, one sentence each. */
static void summary_events(struct strbuf *sb, struct report *r)
{
	json_t *evs = report_get(r, "events"), *e;
	char text[512], clock[32], line[600];
	size_t i;

	if (!json_array_size(evs))
		return;
	sb_printf(sb, "Events (%zu, UTC):\n", json_array_size(evs));
	json_array_foreach(evs, i, e) {
		if (i == SUMMARY_EVENTS) {
			sb_printf(sb, "  and %zu more (report.html, report.json events[])\n",
				  json_array_size(evs) - i);
			break;
		}
		report_event_clock(e, clock, sizeof(clock));
		report_event_text(e, text, sizeof(text));
		snprintf(line, sizeof(line), "%s %s", clock, text);
		sb_append(sb, "  ");
		sb_wrap(sb, line, SUMMARY_COLS, 2, 4);
		sb_append(sb, "\n");
	}
	sb_append(sb, "\n");
}

int write_summary_txt(struct report *r, struct out_files *out)
{
	struct strbuf sb = { 0 };
	json_t *run = report_get(r, "run");
	size_t len;
	char *text;

	summary_header(&sb, r);
	summary_verdicts(&sb, r);
	summary_load(&sb, r);
	summary_findings(&sb, r);
	summary_baseline(&sb, r);
	summary_events(&sb, r);
	summary_steps(&sb, r);
	summary_archive_notes(&sb, r);
	if (json_string_value(json_object_get(run, "archive"))) {
		sb_append(&sb, "\nArchive: ");
		sb_wrap(&sb, jstr(run, "archive", ""), SUMMARY_COLS, 9, 2);
		sb_append(&sb, "\n");
	}
	text = sb_take(&sb, &len);
	if (!text)
		return -1;
	return out_files_add(out, "summary.txt", text, len);
}
