/* options.h: what the person asked for on the command line; read by the
 * playbook engine, the steps and the collectors. */
#ifndef FRIDAY_OPTIONS_H
#define FRIDAY_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

struct run_opts {
	int duration_s;          /* -d: the whole collection budget */
	pid_t pid;               /* -p: target process, 0 for the whole host */
	const char *cgroup;      /* --cgroup: target cgroup path, or NULL */
	const char *playbook;    /* --playbook NAME|FILE */
	const char *stages;      /* --stages monday,tuesday,... or NULL for all */
	const char *problem;     /* --problem TEXT */
	const char *output;      /* -o ARCHIVE */
	int freq_hz;             /* -F: CPU sampling frequency */
	int min_block_us;        /* --min-block-us: shorter off-CPU blocks are not kept */
	const char *unwind;      /* --unwind dwarf|fp|auto: user stacks; NULL is auto */
	int unwind_stack_kb;     /* --unwind-stack KB: most stack copied per sample */
	bool guided;             /* friday guide */
	bool no_bpf;             /* checks only (friday check) */
	bool no_redact;          /* --no-redact: keep secrets in the archive */
	bool redact_hosts;       /* --redact hosts: also names and addresses */
	long max_archive_mb;     /* --max-archive-mb: the archive size cap */
	const char *baseline;    /* --baseline ARCHIVE: compare the run with it */
	double max_overhead_pct; /* --max-overhead: friday's cost cap, % of all CPUs */
};

#endif
