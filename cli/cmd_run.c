/* cmd_run.c: `friday run`: parse the options, run the playbook into the
 * report model, then write the archive, also after Ctrl-C or SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf/caps.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/week.h"
#include "lib/instance.h"
#include "lib/options.h"
#include "lib/util.h"
#include "playbooks/budget.h"
#include "playbooks/playbook.h"
#include "reports/writers.h"

static void on_stop_signal(int sig)
{
	friday_stop_requested = sig;
}

/* Without SA_RESTART, so a read waiting for the person returns on Ctrl-C;
 * SIGQUIT (Ctrl-\\) and SIGHUP (the terminal closed) end a terminal
 * program too, and all of them still leave a partial archive. */
void install_stop_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int parse_positive(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A percentage such as 2, 0.5 or 5%. */
static int parse_percent(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (errno || end == s || *end || !(v >= 0.01 && v <= 100))
		return -EINVAL;
	*out = v;
	return 0;
}

static int check_stage_list(const char *stages, const char *cmd)
{
	char copy[256], *tok, *save;

	if (!stages)
		return 0;
	snprintf(copy, sizeof(copy), "%s", stages);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool known = false;

		for (size_t i = 0; i < week_nr_stages; i++)
			known |= !strcmp(week_stages[i], tok);
		if (!known)
			return usage_error(cmd, "--stages: unknown stage '%s' (monday, tuesday, "
					   "wednesday, thursday, friday)", tok);
	}
	return 0;
}

/* --redact LIST: "secrets" (the default) and "hosts". */
static int parse_redact_list(const char *list, struct run_opts *opts)
{
	char copy[128], *tok, *save;

	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "hosts"))
			opts->redact_hosts = true;
		else if (strcmp(tok, "secrets"))
			return -EINVAL;
	}
	return 0;
}

int parse_run_opts(int argc, char **argv, struct run_opts *opts, const char *cmd)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "playbook", required_argument, NULL, 'P' },
		{ "stages", required_argument, NULL, 's' },
		{ "problem", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "frequency", required_argument, NULL, 'F' },
		{ "min-block-us", required_argument, NULL, 'm' },
		{ "unwind", required_argument, NULL, 'U' },
		{ "unwind-stack", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-redact", no_argument, NULL, 'N' },
		{ "redact", required_argument, NULL, 'R' },
		{ "max-archive-mb", required_argument, NULL, 'M' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "max-overhead", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:p:o:F:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_positive(optarg, 86400, &v))
				return usage_error(cmd, "-d needs whole seconds from 1 to 86400, not '%s'", optarg);
			opts->duration_s = (int)v;
			break;
		case 'p':
			if (parse_positive(optarg, INT_MAX, &v))
				return usage_error(cmd, "-p needs a process id, not '%s'", optarg);
			if (kill((pid_t)v, 0) != 0 && errno == ESRCH)
				return usage_error(cmd, "-p %ld: no such process", v);
			opts->pid = (pid_t)v;
			break;
		case 'c':
			if (!path_exists(optarg))
				return usage_error(cmd, "--cgroup %s: no such cgroup directory", optarg);
			opts->cgroup = optarg;
			break;
		case 'P': opts->playbook = optarg; break;
		case 's': opts->stages = optarg; break;
		case 'r': opts->problem = optarg; break;
		case 'o': opts->output = optarg; break;
		case 'F':
			if (parse_positive(optarg, 10000, &v))
				return usage_error(cmd, "-F needs a frequency from 1 to 10000 Hz, not '%s'", optarg);
			opts->freq_hz = (int)v;
			break;
		case 'm':
			if (parse_positive(optarg, 60000000, &v))
				return usage_error(cmd, "--min-block-us needs microseconds from 1, not '%s'", optarg);
			opts->min_block_us = (int)v;
			break;
		case 'U':
			if (strcmp(optarg, "dwarf") && strcmp(optarg, "fp") && strcmp(optarg, "auto"))
				return usage_error(cmd, "--unwind takes dwarf, fp or auto, not '%s'", optarg);
			opts->unwind = optarg;
			break;
		case 'S':
			if (parse_positive(optarg, 32, &v) || v < 1)
				return usage_error(cmd, "--unwind-stack needs KiB from 1 to 32, not '%s'", optarg);
			opts->unwind_stack_kb = (int)v;
			break;
		case 'v': verbose_level++; break;
		case 'N': opts->no_redact = true; break;
		case 'B': opts->baseline = optarg; break;
		case 'R':
			if (parse_redact_list(optarg, opts))
				return usage_error(cmd, "--redact takes secrets or hosts (comma "
						   "separated), not '%s'", optarg);
			break;
		case 'M':
			if (parse_positive(optarg, 1 << 20, &v))
				return usage_error(cmd, "--max-archive-mb needs MiB from 1 to 1048576, "
						   "not '%s'", optarg);
			opts->max_archive_mb = v;
			break;
		case 'O':
			if (parse_percent(optarg, &opts->max_overhead_pct))
				return usage_error(cmd, "--max-overhead needs a percentage of all CPUs "
						   "from 0.01 to 100, not '%s'", optarg);
			break;
		case ':':
			return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (check_stage_list(opts->stages, cmd))
		return EXIT_USAGE;
	if (opts->no_redact && opts->redact_hosts)
		return usage_error(cmd, "--no-redact and --redact hosts contradict each other");
	return 0;
}

static void iso_time_utc(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A NUL-separated /proc file (cmdline, environ) as a JSON array. */
static json_t *proc_strings(pid_t pid, const char *what)
{
	char path[64];
	size_t len = 0;
	char *buf;
	json_t *arr = json_array();

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	buf = read_file_alloc(path, &len);
	for (size_t i = 0; buf && i < len; i += strnlen(buf + i, len - i) + 1) {
		size_t n = strnlen(buf + i, len - i);
		json_t *s = json_stringn(buf + i, n);

		/* not UTF-8: keep the ASCII, mark the rest */
		for (size_t k = 0; !s && k < n; k++)
			if ((unsigned char)buf[i + k] >= 0x80)
				buf[i + k] = '?';
		if (n)
			json_array_append_new(arr, s ? s : json_stringn(buf + i, n));
	}
	free(buf);
	return arr;
}

/* The target process as it was started: its command line and environment
 * often explain a run (JAVA_OPTS, GOMAXPROCS, MALLOC_ARENA_MAX, -Xmx).
 * Secrets in them are redacted when the archive is written. */
static void fill_target_process(struct report *r, pid_t pid)
{
	char path[64], comm[64] = "";

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	read_line(path, comm, sizeof(comm));
	json_object_set_new(report_get(r, "run"), "target_process",
			    json_pack("{s:i, s:s, s:o, s:o}", "pid", (int)pid, "comm", comm,
				      "argv", proc_strings(pid, "cmdline"),
				      "environ", proc_strings(pid, "environ")));
}

void week_set_target(struct week *w)
{
	char target[512];

	if (w->opts->pid)
		snprintf(target, sizeof(target), "pid %d", (int)w->opts->pid);
	else if (w->opts->cgroup)
		snprintf(target, sizeof(target), "cgroup %s", w->opts->cgroup);
	else
		snprintf(target, sizeof(target), "whole host");
	json_object_set_new(report_get(w->report, "run"), "target", json_string(target));
	if (w->opts->pid)
		fill_target_process(w->report, w->opts->pid);
}

static void fill_run_section(struct week *w)
{
	const struct run_opts *opts = w->opts;
	json_t *run = report_get(w->report, "run");
	char started[32];

	iso_time_utc(started, sizeof(started));
	json_object_set_new(run, "playbook", json_string(json_string_value(json_object_get(w->pb, "name"))));
	json_object_set_new(run, "started", json_string(started));
	json_object_set_new(run, "requested_duration_s", json_integer(opts->duration_s));
	week_set_target(w);
	json_object_set_new(run, "problem", opts->problem ? json_string(opts->problem) : json_null());
	json_object_set_new(run, "stages_selected", json_string(opts->stages ? opts->stages : "all"));
}

/* friday's own cost, as the kernel accounts it. */
static void fill_tool_overhead(struct report *r, double wall_s)
{
	json_t *ov = report_get(r, "overhead");
	struct rusage ru;
	double cpu_s;

	getrusage(RUSAGE_SELF, &ru);
	cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		ru.ru_stime.tv_usec / 1e6;
	json_object_set_new(ov, "tool_cpu_s", json_real(cpu_s));
	json_object_set_new(ov, "tool_cpu_pct_of_one_cpu", json_real(wall_s > 0 ? 100 * cpu_s / wall_s : 0));
	json_object_set_new(ov, "tool_max_rss_kib", json_integer(ru.ru_maxrss));
}

static int write_archive(struct report *r, const struct run_opts *opts, const char *path)
{
	struct render_opts ro = {
		.redact_secrets = !opts->no_redact,
		.redact_hosts = opts->redact_hosts,
		.max_bytes = (uint64_t)(opts->max_archive_mb ? opts->max_archive_mb
				       : RENDER_DEFAULT_MAX_MB) << 20,
		.free_bytes = archive_free_bytes(path),
	};
	struct out_files files = { 0 };
	char err[512];
	int ret;

	json_object_set_new(report_get(r, "run"), "archive", json_string(path));
	ret = report_render_opts(r, &ro, &files);
	if (ret) {
		fprintf(stderr, "friday: cannot write the report: %s\n",
			ro.err[0] ? ro.err : strerror(-ret));
		out_files_free(&files);
		return ret;
	}
	ret = archive_write(&files, path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "friday: %s\n", err);
	} else {
		const struct out_file *summary = out_files_find(&files, "summary.txt");

		if (summary)
			fwrite(summary->data, 1, summary->len, stdout);
	}
	out_files_free(&files);
	return ret;
}

/* Fails early when the archive cannot be written where asked, rather than
 * after the whole run. */
static int check_output_dir(const char *archive)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", archive);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK) != 0) {
		fprintf(stderr, "friday: cannot create the archive in %s: %s (choose another with -o)\n",
			dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Without privilege friday still runs what needs none; it says so first,
 * with the exact capabilities missing, so nobody mistakes the result for a
 * full week. */
static void say_what_privilege_is_missing(void)
{
	const char *missing = caps_missing_privileges();

	if (caps_bpf_privileged())
		return;
	fprintf(stderr, "friday: running as uid %d without %s: the kernel refuses BPF programs\n"
		"  and perf events to this process, so the BPF steps (Tuesday's health probes,\n"
		"  profiles, drill-downs) are marked unavailable. Monday's checks, which need no\n"
		"  privilege, still run and the archive is still written. For the whole week:\n"
		"  sudo friday run\n", (int)geteuid(), missing[0] ? missing : "CAP_BPF, CAP_PERFMON");
}

/* ./friday-HOST-TIME.tar.gz, or the same name in $TMPDIR (else /tmp) when
 * the current directory is not writable, as often for a non-root user. */
static void default_archive_path(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char name[256];
	int err;

	archive_default_name(name, sizeof(name));
	if (access(".", W_OK) == 0) {
		snprintf(buf, len, "%s", name);
		return;
	}
	err = errno;
	if (!tmp || access(tmp, W_OK) != 0)
		tmp = "/tmp";
	snprintf(buf, len, "%s/%s", tmp, name + strlen("./"));
	fprintf(stderr, "friday: cannot write in the current directory (%s); the archive goes "
		"to %s\n", strerror(err), buf);
}

int week_begin(struct week *w, struct run_opts *opts, const char *cmd)
{
	char err[1024];

	memset(w, 0, sizeof(*w));
	w->opts = opts;
	w->pb = playbook_load(opts->playbook, err, sizeof(err));
	if (!w->pb)
		return usage_error(cmd, "%s", err);
	if (playbook_check_run(w->pb, opts, err, sizeof(err))) {
		json_decref(w->pb);
		return usage_error(cmd, "%s", err);
	}
	if (instance_lock(err, sizeof(err)) == -EBUSY) {
		fprintf(stderr, "friday: %s\n", err);
		json_decref(w->pb);
		return EXIT_FAILURE_;
	}
	if (err[0])
		log_info("%s", err);
	if (opts->output)
		snprintf(w->archive, sizeof(w->archive), "%s", opts->output);
	else
		default_archive_path(w->archive, sizeof(w->archive));
	if (opts->baseline) {
		/* read first: a missing or damaged baseline stops before the run */
		if (diff_side_load(opts->baseline, &w->baseline, err, sizeof(err))) {
			fprintf(stderr, "friday: %s: --baseline: %s\n", cmd, err);
			json_decref(w->pb);
			return EXIT_FAILURE_;
		}
		w->have_baseline = true;
	}
	w->report = check_output_dir(w->archive) ? NULL : report_new();
	if (!w->report) {
		if (w->have_baseline)
			diff_side_free(&w->baseline);
		json_decref(w->pb);
		return EXIT_FAILURE_;
	}
	install_stop_handlers();
	say_what_privilege_is_missing();
	fill_run_section(w);
	w->t0_s = now_mono_s();
	return 0;
}

int week_finish(struct week *w, const char *partial_reason)
{
	struct report *r = w->report;
	double closing_s = now_mono_s();
	int ret;

	json_object_set_new(report_get(r, "run"), "duration_s", json_real(now_mono_s() - w->t0_s));
	json_object_set_new(report_get(r, "run"), "partial", json_boolean(partial_reason));
	if (partial_reason) {
		json_object_set_new(report_get(r, "run"), "partial_reason", json_string(partial_reason));
	}
	caps_release();
	fill_tool_overhead(r, now_mono_s() - w->t0_s);
	if (w->have_baseline) {
		if (report_attach_baseline(r, &w->baseline))
			fprintf(stderr, "friday: cannot compare with the baseline: out of memory\n");
		diff_side_free(&w->baseline);
	}
	ret = write_archive(r, w->opts, w->archive);
	if (!ret)
		log_info("archive %s written %.3f s after the last step ended", w->archive,
			 now_mono_s() - closing_s);
	report_free(r);
	json_decref(w->pb);
	return ret ? EXIT_FAILURE_ : EXIT_WRITTEN;
}

int run_week(struct run_opts *opts, const char *cmd)
{
	struct progress prog;
	struct week w;
	int ret = week_begin(&w, opts, cmd);

	if (ret)
		return ret;
	fprintf(stderr, "friday: walking the week on this host for up to %d s; Ctrl-C ends "
		"early and still writes the archive\n", opts->duration_s);
	progress_init(&prog);
	playbook_run(w.pb, opts, w.report, &prog.hooks);
	progress_done(&prog);
	return week_finish(&w, friday_stop_requested ? friday_stop_reason() : NULL);
}

int cmd_run(int argc, char **argv)
{
	struct run_opts opts = {
		.duration_s = DEFAULT_DURATION_S,
		.playbook = "fast-by-friday",
		.freq_hz = DEFAULT_FREQ_HZ,
		.max_overhead_pct = DEFAULT_MAX_OVERHEAD_PCT,
	};
	int ret = parse_run_opts(argc, argv, &opts, "run");

	if (ret)
		return ret;
	return run_week(&opts, "run");
}
