/* cmd_guide.c: `friday guide`: the same week as `run`, a stage at a time
 * with a person. It asks the problem-statement questions first
 * (METHODOLOGY.md 4.1 and 10.A), says before each stage what it will do and
 * for how long, shows the verdicts and findings after it, and offers a
 * numbered choice of what to do next. q, Ctrl-D (end of input) and Ctrl-C
 * stop it, and what was learned so far still goes into the archive.
 * Without a terminal it reads the answers line by line from standard input,
 * so a script can drive it. The time spent waiting for the person is not
 * taken from the -d budget. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/monday.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/week.h"
#include "lib/util.h"

#define ANSWER_LEN 512
#define MAX_CHOICES 16

struct guide {
	struct week week;
	struct playbook_exec exec;
	struct progress prog;
	bool in_tty;          /* stdin is a terminal: no echo of answers */
	bool color;           /* stdout is a terminal and NO_COLOR is unset */
	bool quit;            /* q, end of input or a stop signal */
	json_t *ps;           /* report.run.problem_statement */
	char cgroup[PATH_MAX];
};

enum choice_kind { GO_ON, GO_ON_WITH, POINT_AT, SKIP_STAGE, STOP };

struct choice {
	enum choice_kind kind;
	char text[400];
	const char *step;     /* GO_ON_WITH: the step to run although its condition fails */
};

static const char *col(struct guide *g, const char *what)
{
	return term_color(g->color, what);
}

/* Reads one answer. Returns false when the person stops: q, end of input or
 * a stop signal. The wait is given back to the run's budget. */
static bool ask(struct guide *g, const char *prompt, char *buf, size_t len)
{
	uint64_t t0 = now_mono_ns();
	char *nl;

	printf("%s%s%s ", col(g, "bold"), prompt, col(g, "reset"));
	fflush(stdout);
	buf[0] = '\0';
	errno = 0;
	if (friday_stop_requested || !fgets(buf, (int)len, stdin)) {
		clearerr(stdin);
		g->quit = true;
		printf("\n");
		return false;
	}
	g->exec.deadline_ns += now_mono_ns() - t0;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	memmove(buf, str_trim(buf), strlen(str_trim(buf)) + 1);
	if (!g->in_tty)
		printf("%s\n", buf);   /* a transcript that reads like the session */
	if (!strcmp(buf, "q") || !strcmp(buf, "quit") || friday_stop_requested) {
		g->quit = true;
		return false;
	}
	return true;
}

/* Parses "250 ms" into 250 and "ms"; false when it does not start with a number. */
static bool parse_measure(const char *s, double *value, char *unit, size_t unit_len)
{
	char *end;

	errno = 0;
	*value = strtod(s, &end);
	if (end == s || errno)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	snprintf(unit, unit_len, "%s", end);
	return true;
}

/* "p99 request latency" names the 99th percentile; -1 when no pNN word. */
static double percentile_in(const char *name)
{
	for (const char *p = name; *p; p++) {
		char *end;
		double v;

		if ((p != name && isalnum((unsigned char)p[-1])) || (*p != 'p' && *p != 'P') ||
		    !isdigit((unsigned char)p[1]))
			continue;
		v = strtod(p + 1, &end);
		if (!isalnum((unsigned char)*end) && v > 0 && v <= 100)
			return v;
	}
	return -1;
}

static void record_answer(struct guide *g, const char *id, const char *question, const char *answer)
{
	json_array_append_new(json_object_get(g->ps, "answers"),
			      json_pack("{s:s, s:s, s:s}", "id", id, "question", question,
					"answer", answer));
}

/* M-PS-4 (10.A): a numeric answer is enforced, stored as problem_metric. */
static bool ask_metric(struct guide *g)
{
	static const char *q = "4. Can the problem be expressed in terms of latency or run time? "
			       "Name the metric (e.g. p99 request latency), or Enter if not:";
	char name[ANSWER_LEN], val[ANSWER_LEN], unit[64], unit2[64];
	double current, expected;
	json_t *metric;

	if (!ask(g, q, name, sizeof(name)))
		return false;
	record_answer(g, "M-PS-4", q, name);
	if (!*name)
		return true;
	for (;;) {
		if (!ask(g, "   Its value now (a number and a unit, e.g. 250 ms):", val, sizeof(val)))
			return false;
		if (parse_measure(val, &current, unit, sizeof(unit)))
			break;
		printf("   a number, please (e.g. 250 ms)\n");
	}
	for (;;) {
		if (!ask(g, "   The value you expect (e.g. 20 ms):", val, sizeof(val)))
			return false;
		if (parse_measure(val, &expected, unit2, sizeof(unit2)))
			break;
		printf("   a number, please (e.g. 20 ms)\n");
	}
	metric = json_pack("{s:s, s:s, s:f, s:f}", "name", name, "unit", *unit ? unit : unit2,
			   "current", current, "expected", expected);
	if (percentile_in(name) > 0)
		json_object_set_new(metric, "percentile", json_real(percentile_in(name)));
	json_object_set_new(g->ps, "problem_metric", metric);
	return true;
}

static void environment_line(struct guide *g, char *buf, size_t len)
{
	json_t *host = report_get(g->week.report, "host");

	snprintf(buf, len, "kernel %s, %lld CPUs, %.1f GiB memory",
		 json_string_value(json_object_get(host, "kernel")) ?: "?",
		 json_integer_value(json_object_get(host, "cpus")),
		 json_integer_value(json_object_get(host, "memory_bytes")) / 1073741824.0);
}

/* The six questions of the problem statement method (METHODOLOGY.md 4.1). */
static bool ask_problem_statement(struct guide *g)
{
	static const struct { const char *id, *key, *question; } qs[] = {
		{ "M-PS-1", "symptom", "1. What makes you think there is a performance problem?" },
		{ "M-PS-2", "performed_well", "2. Has this system ever performed well? (yes/no/"
		  "don't know; when?)" },
		{ "M-PS-3", "changes", "3. What changed recently? Software, hardware, load?" },
		{ "M-PS-4", NULL, NULL },
		{ "M-PS-5", "affected", "5. Does the problem affect other people or applications, "
		  "or is it just you?" },
	};
	char answer[ANSWER_LEN], env[200], q6[400];

	printf("%sThe problem statement%s (Enter skips a question)\n", col(g, "stage"), col(g, "reset"));
	for (size_t i = 0; i < ARRAY_SIZE(qs); i++) {
		if (!qs[i].key) {
			if (!ask_metric(g))
				return false;
			continue;
		}
		if (!ask(g, qs[i].question, answer, sizeof(answer)))
			return false;
		record_answer(g, qs[i].id, qs[i].question, answer);
		json_object_set_new(g->ps, qs[i].key, json_string(answer));
		if (i == 0 && *answer && !g->week.opts->problem)
			json_object_set_new(report_get(g->week.report, "run"), "problem",
					    json_string(answer));
	}
	/* M-PS-6 is auto-filled from the ST-00 inventory; the person confirms. */
	inventory_fill(g->week.report);
	environment_line(g, env, sizeof(env));
	snprintf(q6, sizeof(q6), "6. What is the environment? friday sees: %s. Anything to add "
		 "(software, versions, configuration)?", env);
	if (!ask(g, q6, answer, sizeof(answer)))
		return false;
	record_answer(g, "M-PS-6", q6, answer);
	json_object_set_new(g->ps, "environment", json_pack("{s:s, s:s}", "seen", env, "notes", answer));
	return true;
}

/* CPU time of a process in clock ticks, for picking the busiest of a name. */
static unsigned long long proc_cpu_ticks(const char *pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	/* After "pid (comm)": state is field 3; utime and stime are 14 and 15. */
	sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
	return ut + st;
}

/* The busiest process whose name is comm; 0 when none. */
static pid_t find_process(const char *comm, int *nr_found)
{
	unsigned long long best_ticks = 0;
	char path[300], name[64];
	struct dirent *de;
	pid_t best = 0;
	DIR *d = opendir("/proc");

	*nr_found = 0;
	while (d && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (read_line(path, name, sizeof(name)) < 0 || strcmp(name, comm))
			continue;
		(*nr_found)++;
		if (!best || proc_cpu_ticks(de->d_name) > best_ticks) {
			best = (pid_t)atoi(de->d_name);
			best_ticks = proc_cpu_ticks(de->d_name);
		}
	}
	if (d)
		closedir(d);
	return best;
}

/* Sets the target from what the person named: a PID, a process name, or a
 * cgroup (absolute, or relative to /sys/fs/cgroup). Says why not. */
static bool set_target(struct guide *g, const char *what)
{
	struct run_opts *opts = g->week.opts;
	char path[PATH_MAX];
	int nr = 0;
	pid_t pid;

	if (what[0] && strspn(what, "0123456789") == strlen(what)) {
		pid = (pid_t)atoi(what);
		if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
			printf("   no process %s\n", what);
			return false;
		}
	} else if (strchr(what, '/')) {
		snprintf(path, sizeof(path), "%s%s", what[0] == '/' ? "" : "/sys/fs/cgroup/", what);
		if (!path_exists(path)) {
			printf("   no cgroup directory %s\n", path);
			return false;
		}
		snprintf(g->cgroup, sizeof(g->cgroup), "%s", path);
		opts->cgroup = g->cgroup;
		opts->pid = 0;
		goto done;
	} else {
		pid = find_process(what, &nr);
		if (!pid) {
			printf("   no process named %s (a PID, a process name or a cgroup path)\n", what);
			return false;
		}
		if (nr > 1)
			printf("   %d processes are named %s; the busiest is PID %d\n", nr, what, (int)pid);
	}
	opts->pid = pid;
	opts->cgroup = NULL;
done:
	week_set_target(&g->week);
	printf("   the stages that follow look at %s\n",
	       json_string_value(json_object_get(report_get(g->week.report, "run"), "target")));
	json_array_append_new(json_object_get(report_get(g->week.report, "run"), "guide"),
			      json_pack("{s:s, s:s}", "action", "target", "target",
					json_string_value(json_object_get(report_get(g->week.report, "run"),
									  "target"))));
	return true;
}

static bool ask_target(struct guide *g)
{
	char answer[ANSWER_LEN];

	for (;;) {
		if (!ask(g, "Is there a process or cgroup to look at? (a PID, a process name, a cgroup "
			 "path, or Enter for the whole host)", answer, sizeof(answer)))
			return false;
		if (!*answer || set_target(g, answer))
			return true;
	}
}

static const char *stage_str(json_t *stage, const char *key)
{
	return json_string_value(json_object_get(stage, key)) ?: "";
}

static json_t *stage_at(struct guide *g, size_t i)
{
	return json_array_get(json_object_get(g->week.pb, "stages"), i);
}

/* Two lines: what the stage will do, and for how long. */
static void announce_stage(struct guide *g, size_t i)
{
	json_t *stage = stage_at(g, i), *step;
	char steps[400] = "";
	size_t j, off = 0;

	json_array_foreach(json_object_get(stage, "steps"), j, step)
		off += snprintf(steps + off, off < sizeof(steps) ? sizeof(steps) - off : 0, "%s%s%s",
				j ? ", " : "", stage_str(step, "id"),
				json_object_get(step, "when") ? " (if the verdicts point there)" : "");
	printf("\n%s%s%s: %s\n", col(g, "stage"), stage_str(stage, "id"), col(g, "reset"),
	       *stage_str(stage, "title") ? stage_str(stage, "title") : "the playbook's steps");
	printf("  steps: %s; about %.0f s\n", steps, playbook_stage_budget_s(&g->exec, i));
	fflush(stdout);
}

/* After a stage: the verdicts and the findings so far. */
static void show_results(struct guide *g)
{
	struct report *r = g->week.report;
	json_t *h, *f;
	size_t i, nr_shown = 0;

	printf("%sVerdicts so far:%s", col(g, "bold"), col(g, "reset"));
	if (json_array_size(report_get(r, "health")) == 0)
		printf(" none yet\n");
	else
		printf("\n");
	json_array_foreach(report_get(r, "health"), i, h) {
		const char *v = stage_str(h, "verdict");

		printf("  %-11s %s%-10s%s %s\n", stage_str(h, "subsystem"), col(g, v), v, col(g, "reset"),
		       json_string_value(json_array_get(json_object_get(h, "evidence"), 0)) ?: "");
	}
	printf("%sFindings so far:%s %zu\n", col(g, "bold"), col(g, "reset"),
	       json_array_size(report_get(r, "findings")));
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO && nr_shown < 8; sev--)
		json_array_foreach(report_get(r, "findings"), i, f) {
			if (severity_from_name(stage_str(f, "severity")) != sev || nr_shown >= 8)
				continue;
			printf("  %-8s %-32s %s\n", stage_str(f, "severity"), stage_str(f, "id"),
			       stage_str(f, "title"));
			nr_shown++;
		}
}

static size_t next_selected(struct guide *g, size_t from)
{
	size_t n = json_array_size(json_object_get(g->week.pb, "stages"));

	while (from < n && !playbook_stage_selected(g->week.opts->stages, stage_str(stage_at(g, from), "id")))
		from++;
	return from;
}

static struct choice *add_choice(struct choice *c, size_t *n, enum choice_kind kind)
{
	struct choice *ch = &c[(*n)++];

	memset(ch, 0, sizeof(*ch));
	ch->kind = kind;
	return ch;
}

/* The menu before stage next: the suggested way first (the playbook's own,
 * with the drill-downs the verdicts point at), then each drill-down they do
 * not point at, then point at a target, skip, stop. */
static size_t build_choices(struct guide *g, size_t next, struct choice *c)
{
	json_t *stage = stage_at(g, next), *step;
	const char *sid = stage_str(stage, "id");
	char suggested[256] = "", why[300];
	size_t n = 1, j, off = 0, after = next_selected(g, next + 1);
	struct choice *ch;

	json_array_foreach(json_object_get(stage, "steps"), j, step) {
		json_t *when = json_object_get(step, "when");

		/* Drill-downs are the steps that follow verdicts. */
		if (!json_object_get(when, "verdict"))
			continue;
		if (playbook_when_holds(when, g->week.report, why, sizeof(why))) {
			off += snprintf(suggested + off, off < sizeof(suggested) ? sizeof(suggested) - off : 0,
					"%s%s", off ? ", " : "", stage_str(step, "id"));
		} else if (n < MAX_CHOICES - 3) {
			ch = add_choice(c, &n, GO_ON_WITH);
			ch->step = stage_str(step, "id");
			snprintf(ch->text, sizeof(ch->text), "%s, and also %s, which %s", sid, ch->step,
				 why[0] ? "would be skipped: " : "");
			snprintf(ch->text + strlen(ch->text), sizeof(ch->text) - strlen(ch->text), "%s",
				 strstr(why, ": ") ? strstr(why, ": ") + 2 : why);
		}
	}
	memset(&c[0], 0, sizeof(c[0]));
	c[0].kind = GO_ON;
	snprintf(c[0].text, sizeof(c[0].text), "go on to %s: %s%s%s%s", sid,
		 *stage_str(stage, "title") ? stage_str(stage, "title") : "its steps",
		 *suggested ? " (suggested: the verdicts point at " : "", suggested, *suggested ? ")" : "");
	ch = add_choice(c, &n, POINT_AT);
	snprintf(ch->text, sizeof(ch->text), "point the stages that follow at a process or cgroup");
	ch = add_choice(c, &n, SKIP_STAGE);
	if (after < json_array_size(json_object_get(g->week.pb, "stages")))
		snprintf(ch->text, sizeof(ch->text), "skip %s (go to %s)", sid,
			 stage_str(stage_at(g, after), "id"));
	else
		snprintf(ch->text, sizeof(ch->text), "skip %s (the last stage)", sid);
	ch = add_choice(c, &n, STOP);
	snprintf(ch->text, sizeof(ch->text), "stop here and write the archive");
	return n;
}

static void log_choice(struct guide *g, const char *before, const struct choice *c)
{
	json_array_append_new(json_object_get(report_get(g->week.report, "run"), "guide"),
			      json_pack("{s:s, s:s, s:s}", "action", "choice", "before", before,
					"choice", c->text));
}

/* Asks what to do before stage next; returns the choice, or STOP on quit. */
static struct choice choose(struct guide *g, size_t next)
{
	struct choice c[MAX_CHOICES];
	char answer[ANSWER_LEN], *end;
	size_t n;
	long k;

	for (;;) {
		n = build_choices(g, next, c);
		printf("%sWhat next?%s\n", col(g, "bold"), col(g, "reset"));
		for (size_t i = 0; i < n; i++)
			printf("  %zu) %s\n", i + 1, c[i].text);
		if (!ask(g, "Choose a number (Enter for 1, q to stop):", answer, sizeof(answer)))
			return (struct choice){ .kind = STOP, .text = "stopped (q, end of input or a signal)" };
		k = *answer ? strtol(answer, &end, 10) : 1;
		if (*answer && (*end || k < 1 || k > (long)n)) {
			printf("   a number from 1 to %zu, please\n", n);
			continue;
		}
		log_choice(g, stage_str(stage_at(g, next), "id"), &c[k - 1]);
		if (c[k - 1].kind != POINT_AT)
			return c[k - 1];
		if (!ask_target(g))
			return (struct choice){ .kind = STOP, .text = "stopped (q, end of input or a signal)" };
	}
}

static void run_stage(struct guide *g, size_t i, json_t *force)
{
	announce_stage(g, i);
	playbook_run_stage(&g->exec, i, force);
	/* A stop during the stage leaves the progress line; clear it. */
	fflush(stderr);
	show_results(g);
}

/* Walks the stages; returns NULL when the week was done, or why it stopped. */
static const char *walk_week(struct guide *g)
{
	size_t n = json_array_size(json_object_get(g->week.pb, "stages"));
	size_t i = next_selected(g, 0);

	if (i < n)
		run_stage(g, i, NULL);
	while (i < n && !friday_stop_requested) {
		size_t next = next_selected(g, i + 1);
		struct choice c;
		json_t *force;

		if (next >= n)
			break;
		c = choose(g, next);
		if (c.kind == STOP)
			return g->quit ? "stopped by the person in guide mode (q, Ctrl-D or Ctrl-C)"
				       : "stopped by the person's choice in guide mode";
		i = next;
		if (c.kind == SKIP_STAGE) {
			printf("   skipping %s\n", stage_str(stage_at(g, next), "id"));
			continue;
		}
		force = c.kind == GO_ON_WITH ? json_pack("[s]", c.step) : NULL;
		run_stage(g, next, force);
		json_decref(force);
	}
	if (friday_stop_requested)
		return "stopped by a signal in guide mode (Ctrl-C)";
	return NULL;
}

int cmd_guide(int argc, char **argv)
{
	struct run_opts opts = {
		.duration_s = DEFAULT_DURATION_S,
		.playbook = "fast-by-friday",
		.freq_hz = DEFAULT_FREQ_HZ,
		.guided = true,
	};
	struct guide g = { .in_tty = isatty(STDIN_FILENO) };
	const char *stopped = NULL;
	int ret = parse_run_opts(argc, argv, &opts, "guide");

	if (ret)
		return ret;
	ret = week_begin(&g.week, &opts, "guide");
	if (ret)
		return ret;
	g.color = progress_want_color(STDOUT_FILENO);
	g.ps = json_pack("{s:[]}", "answers");
	json_object_set_new(report_get(g.week.report, "run"), "problem_statement", g.ps);
	json_object_set_new(report_get(g.week.report, "run"), "guide", json_array());
	printf("%sfriday guide%s: the Fast-by-Friday week, a stage at a time (playbook %s, %d s "
	       "of collection).\nAnswer and press Enter. q, Ctrl-D or Ctrl-C stops and writes what "
	       "there is so far to %s\n\n", col(&g, "bold"), col(&g, "reset"),
	       json_string_value(json_object_get(g.week.pb, "name")), opts.duration_s,
	       g.week.archive);
	/* The waits for the person are added back to the deadline, from here. */
	playbook_exec_init(&g.exec, g.week.pb, &opts, g.week.report, &g.prog.hooks);
	progress_init(&g.prog);
	if (!ask_problem_statement(&g) || (!opts.pid && !opts.cgroup && !ask_target(&g)))
		stopped = "stopped by the person in guide mode (q, Ctrl-D or Ctrl-C) during the "
			  "problem statement";
	else
		stopped = walk_week(&g);
	progress_done(&g.prog);
	printf("\n%s\n", stopped ? "Stopped; writing what there is so far." : "The week is done.");
	fflush(stdout);
	return week_finish(&g.week, stopped);
}
