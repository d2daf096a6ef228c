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

#include "cli/commands.h"
#include "lib/options.h"
#include "lib/util.h"
#include "playbooks/playbook.h"
#include "reports/writers.h"

#define DEFAULT_DURATION_S 60
#define DEFAULT_FREQ_HZ 99

static void on_stop_signal(int sig)
{
	(void)sig;
	friday_stop_requested = 1;
}

static void install_stop_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
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

/* Parses run's options into opts; returns 0 or EXIT_USAGE after saying why. */
static int parse_run_opts(int argc, char **argv, struct run_opts *opts, const char *cmd)
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
		{ "verbose", no_argument, NULL, 'v' },
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
		case 'v': verbose_level++; break;
		case ':':
			return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
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

static void iso_time_utc(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fill_run_section(struct report *r, const struct run_opts *opts, const char *playbook)
{
	json_t *run = report_get(r, "run");
	char started[32], target[512];

	iso_time_utc(started, sizeof(started));
	if (opts->pid)
		snprintf(target, sizeof(target), "pid %d", (int)opts->pid);
	else if (opts->cgroup)
		snprintf(target, sizeof(target), "cgroup %s", opts->cgroup);
	else
		snprintf(target, sizeof(target), "whole host");
	json_object_set_new(run, "playbook", json_string(playbook));
	json_object_set_new(run, "started", json_string(started));
	json_object_set_new(run, "requested_duration_s", json_integer(opts->duration_s));
	json_object_set_new(run, "target", json_string(target));
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

static int write_archive(struct report *r, const char *path)
{
	struct out_files files = { 0 };
	char err[512];
	int ret;

	json_object_set_new(report_get(r, "run"), "archive", json_string(path));
	ret = report_render(r, &files);
	if (ret) {
		fprintf(stderr, "friday: cannot render the report: %s\n", strerror(-ret));
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

int run_week(struct run_opts *opts, const char *cmd)
{
	char archive[PATH_MAX], err[1024];
	json_t *pb;
	struct report *r;
	double t0;
	int ret;

	pb = playbook_load(opts->playbook, err, sizeof(err));
	if (!pb)
		return usage_error(cmd, "%s", err);
	if (opts->output)
		snprintf(archive, sizeof(archive), "%s", opts->output);
	else
		archive_default_name(archive, sizeof(archive));
	r = check_output_dir(archive) ? NULL : report_new();
	if (!r) {
		json_decref(pb);
		return EXIT_FAILURE_;
	}
	install_stop_handlers();
	if (geteuid() != 0)
		fprintf(stderr, "friday: not root: BPF probes need root (or CAP_BPF, CAP_PERFMON, "
			"CAP_SYS_ADMIN); running the checks that need no privilege\n");
	fprintf(stderr, "friday: walking the week on this host for up to %d s; Ctrl-C ends "
		"early and still writes the archive\n", opts->duration_s);
	fill_run_section(r, opts, json_string_value(json_object_get(pb, "name")));
	t0 = now_mono_s();
	playbook_run(pb, opts, r);
	json_object_set_new(report_get(r, "run"), "duration_s", json_real(now_mono_s() - t0));
	if (friday_stop_requested) {
		json_object_set_new(report_get(r, "run"), "partial", json_true());
		json_object_set_new(report_get(r, "run"), "partial_reason",
				    json_string("stopped by a signal before the week was done"));
	}
	fill_tool_overhead(r, now_mono_s() - t0);
	ret = write_archive(r, archive);
	report_free(r);
	json_decref(pb);
	return ret ? EXIT_FAILURE_ : EXIT_WRITTEN;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts opts = {
		.duration_s = DEFAULT_DURATION_S,
		.playbook = "fast-by-friday",
		.freq_hz = DEFAULT_FREQ_HZ,
	};
	int ret = parse_run_opts(argc, argv, &opts, "run");

	if (ret)
		return ret;
	if (check_stage_list(opts.stages, "run"))
		return EXIT_USAGE;
	return run_week(&opts, "run");
}
