/* main.c: friday's entry point: the table of subcommands, and dispatch.
 * Each subcommand lives in its own cli/cmd_*.c; `friday help` and
 * `friday CMD --help` are generated from this table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpf/caps.h"
#include "cli/commands.h"
#include "lib/util.h"

const struct command commands[] = {
	{ "run", "[-d SECONDS] [-p PID] [--cgroup PATH] [--playbook NAME|FILE] [--stages LIST]\n"
		 "           [--problem TEXT] [-F HZ] [--min-block-us US] [--unwind dwarf|fp|auto]\n"
		 "           [--unwind-stack KB] [-o ARCHIVE] [--redact hosts] [--no-redact]\n"
		 "           [--max-archive-mb MB] [--max-overhead PCT] [--baseline ARCHIVE] [-v]",
	  "walk the Fast-by-Friday week on this host and write the archive", cmd_run,
	  "  -d, --duration SECONDS  the whole collection budget (default 60); the run\n"
	  "                          ends within it plus a few seconds; each step has\n"
	  "                          a budget, and one that fails or overruns is\n"
	  "                          recorded and the run goes on\n"
	  "  -p, --pid PID           focus on one process (default: the whole host)\n"
	  "      --cgroup PATH       focus on one cgroup (v1 or v2 path)\n"
	  "      --playbook NAME|FILE  playbook to run (default fast-by-friday)\n"
	  "      --stages LIST       only these stages, e.g. monday,tuesday\n"
	  "      --problem TEXT      the problem statement, recorded in the report\n"
	  "  -F, --frequency HZ      CPU sampling frequency for profiles (default 99)\n"
	  "      --min-block-us US   off-CPU blocks shorter than this are not kept (default 1)\n"
	  "      --unwind MODE       user stacks of the CPU and off-CPU profiles: dwarf\n"
	  "                          copies registers and the top of the stack of every\n"
	  "                          sample and unwinds them with the binaries' CFI, as\n"
	  "                          perf --call-graph dwarf does (whole stacks without\n"
	  "                          frame pointers); fp walks frame pointers only;\n"
	  "                          auto (default) does dwarf for the processes whose\n"
	  "                          main binary lacks frame pointers or whose\n"
	  "                          frame-pointer stacks are 1-2 frames deep\n"
	  "      --unwind-stack KB   most user stack copied per sample, 1-32 (default\n"
	  "                          16); each process's copy shrinks to what its\n"
	  "                          stacks need and grows back when one needs more\n"
	  "  -o, --output ARCHIVE    archive path (default ./friday-HOST-TIME.tar.gz)\n"
	  "  -v, --verbose           say what each step does (twice for debug)\n"
	  "      --redact hosts      also replace host names, IPv4/IPv6 and MAC addresses\n"
	  "                          in every file, the same value by the same placeholder\n"
	  "                          (secrets are always redacted unless --no-redact)\n"
	  "      --no-redact         keep passwords, tokens and keys found in command\n"
	  "                          lines and environments (redacted by default)\n"
	  "      --max-archive-mb MB cap the archive (default 200): the biggest artifacts\n"
	  "                          are cut first and the summary says which\n"
	  "      --baseline ARCHIVE  compare this run with an earlier archive (as friday\n"
	  "                          diff ARCHIVE NEW): report.json \"baseline\", a section\n"
	  "                          of report.html and diff/diff.html in the new archive;\n"
	  "                          a missing or damaged ARCHIVE stops before the run\n"
	  "      --max-overhead PCT  friday's own cost cap, in % of all CPUs (default 2):\n"
	  "                          its CPU time plus its BPF programs' run time,\n"
	  "                          checked twice a second in a collection window; the\n"
	  "                          costliest collector is sampled down (1 in 4, 16,\n"
	  "                          64, 256 events, counts scaled back up) or, when it\n"
	  "                          cannot be, stopped early; report.overhead.budget\n"
	  "                          and the step's reason say which and when\n"
	  "On a terminal one line on stderr shows the stage, the step and the time\n"
	  "left; otherwise one plain line per step. NO_COLOR turns colour off.\n"
	  "A playbook FILE is checked before anything runs: an error names its\n"
	  "FILE:LINE:COL (see docs/playbooks.md; friday list -v playbooks).\n"
	  "Without root (or CAP_BPF and CAP_PERFMON) it says what is missing, runs\n"
	  "the steps that need no privilege, marks BPF steps unavailable, and writes\n"
	  "the archive to $TMPDIR (else /tmp) when the current directory is not\n"
	  "writable.\n"
	  "One friday runs at a time: a second run or guide exits 1 naming the\n"
	  "first's pid (flock on /run/friday.lock; FRIDAY_LOCK sets another path;\n"
	  "the kernel drops the lock when friday dies, even by kill -9).\n"
	  "Exit status: 0 when the archive was written (whatever it found), 1 on\n"
	  "failure, 2 on bad usage. Ctrl-C or SIGTERM still writes a partial archive.\n" },
	{ "guide", "[-d SECONDS] [-p PID] [--cgroup PATH] [--playbook NAME|FILE] [--stages LIST]\n"
		   "           [--problem TEXT] [-F HZ] [-o ARCHIVE] [-v]",
	  "the same week step by step with a person at a terminal", cmd_guide,
	  "Asks the problem-statement questions first (what makes you think there is\n"
	  "a problem, has it ever performed well, what changed, the problem as a\n"
	  "number such as 250 ms now and 20 ms expected, who else is affected, the\n"
	  "environment), and whether to look at one process (a PID or a name) or\n"
	  "cgroup. Before each stage it says what it will do and for how long; after\n"
	  "it, the verdicts and findings so far and a numbered choice: go on (with\n"
	  "the drill-downs the verdicts point at), also run a drill-down they do not\n"
	  "point at, point at a process or cgroup, skip the stage, or stop and write\n"
	  "the archive. The answers go into report.json (run.problem_statement).\n"
	  "q, Ctrl-D or Ctrl-C stops at any time and still writes a partial archive.\n"
	  "Without a terminal it reads the answers line by line from standard input,\n"
	  "so a script can drive it. Time spent waiting for answers does not count\n"
	  "against -d. Takes the options of run (see: friday run --help).\n" },
	{ "check", "[-v]", "Monday's static checks only: no BPF, seconds", cmd_check,
	  "Runs the static configuration checks and the past-error scan and prints\n"
	  "their findings, worst first. Needs no privilege; writes no archive.\n"
	  "Without root it also lists the checks it could not run for lack of\n"
	  "privilege (the kernel log when kernel.dmesg_restrict=1).\n"
	  "  -v                      each finding's detail, and every check that\n"
	  "                          did not apply here, with the reason\n" },
	{ "caps", "[--json] [-v]", "what this host supports, tried for real, and why not", cmd_caps,
	  "Tries each capability for real, in well under a second: loads, attaches and\n"
	  "fires a tiny BPF program for tracepoints, tp_btf, raw_tp, fentry, kprobes,\n"
	  "uprobes, perf sampling, ring buffer, BPF stats, task storage, stack traces and\n"
	  "lock:contention_begin; opens a hardware counter; reads privileges, BTF,\n"
	  "tracefs, perf_event_paranoid, kptr_restrict, cgroups, PSI and lockdown.\n"
	  "Prints whether each works, why not, and what friday does instead. The same\n"
	  "table is report.json's \"capabilities\". Run it as root: as another user it\n"
	  "says what is missing.\n"
	  "      --json              print the same as JSON\n"
	  "  -v, --verbose           show libbpf's messages (twice: its debug log)\n" },
	{ "list", "[-v] [playbooks|checks|collectors|findings]", "list what friday has", cmd_list,
	  "Without an argument lists all four.\n"
	  "  -v, --verbose           with the playbooks, their stages and steps (the\n"
	  "                          step kind, its time share, and when it runs)\n" },
	{ "show", "ARCHIVE... [--json] [--files]", "print the summary of one archive, or of several together",
	  cmd_show,
	  "With one ARCHIVE prints its summary.txt: host, window, verdicts and the\n"
	  "top findings. report.html in the same archive is the full report; unpack\n"
	  "it (tar xzf ARCHIVE) and open it in any browser, offline.\n"
	  "With several (one per host, e.g. fetched by contrib/ansible): one line per\n"
	  "host with one verdict letter per subsystem (I implicated, S suspect,\n"
	  "E exonerated, ? unknown, - not measured), its number of findings and its\n"
	  "top finding; then the findings several hosts share (on how many of how\n"
	  "many, and the few hosts without them), those only one host has, and the\n"
	  "subsystems whose verdicts differ, so the odd host out stands out. When two\n"
	  "archives carry the same host name, the archive's file name goes beside it.\n"
	  "An archive that is missing or damaged gets its own line with the reason,\n"
	  "and the others still print. See docs/fleet.md.\n"
	  "      --json              print the same as JSON (schema friday.fleet/1,\n"
	  "                          docs/report-schema.md), also for one ARCHIVE\n"
	  "      --files             list one archive's files with their sizes, what\n"
	  "                          redaction replaced (counts) and what was cut\n"
	  "Exit status: 0 when every archive was read, 1 when one could not be read\n"
	  "(the others are still shown), 2 on bad usage.\n" },
	{ "diff", "BEFORE AFTER [--json] [-o FILE.html|FOLDER]",
	  "compare two archives: what changed, and by how much", cmd_diff,
	  "Reads two friday archives (of one host, or of two) and prints what changed\n"
	  "from BEFORE to AFTER: verdicts that changed, findings that appeared or went\n"
	  "away, figures that moved by 10% or more (percentiles of every histogram,\n"
	  "rates, utilizations and pressure from the load snapshot, CPU per process)\n"
	  "with their change, and for the CPU and off-CPU profiles the functions and\n"
	  "processes whose share moved most. Shares are of each profile's own total,\n"
	  "so runs of different lengths compare; paths that vanished are listed too.\n"
	  "Archives of other friday versions or lacking a section are compared where\n"
	  "both hold the data, and a note says what was not compared.\n"
	  "      --json              print the diff as JSON (schema friday.diff/1, see\n"
	  "                          docs/report-schema.md)\n"
	  "  -o, --output FILE.html  also write the comparison as one offline page with\n"
	  "                          differential flame graphs (red: more, blue: less)\n"
	  "  -o, --output FOLDER     also write diff.html, diff.json, diff.txt and the\n"
	  "                          differential folded files (cpu.diff.folded: \"stack\n"
	  "                          BEFORE AFTER\", BEFORE scaled to AFTER's total)\n"
	  "Exit status: 0 when compared, 1 when an archive is missing or damaged,\n"
	  "2 on bad usage.\n" },
	{ NULL },
};

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "friday: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see: friday %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

void command_help(const char *name)
{
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, name))
			continue;
		printf("usage: friday %s %s\n\n%s.\n\n%s", c->name, c->args, c->summary, c->help);
		return;
	}
}

static void main_help(FILE *out)
{
	fprintf(out, "friday %s: a Linux performance diagnosis assistant (Fast by Friday)\n\n"
		     "usage: friday COMMAND [OPTIONS]\n\n", FRIDAY_VERSION);
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-7s %s\n", c->name, c->summary);
	fprintf(out, "\nfriday COMMAND --help tells more. Start with: sudo friday run\n");
}

int main(int argc, char **argv)
{
	libbpf_log_setup();
	if (argc < 2)
		return main_help(stderr), EXIT_USAGE;
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		if (argc > 2)
			command_help(argv[2]);
		else
			main_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("friday %s\n", FRIDAY_VERSION);
		return 0;
	}
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, argv[1]))
			continue;
		if (wants_help(argc - 1, argv + 1)) {
			command_help(c->name);
			return 0;
		}
		return c->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "friday: unknown command '%s' (see: friday --help)\n", argv[1]);
	return EXIT_USAGE;
}
