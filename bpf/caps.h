/* caps.h: what this host supports, found by trial: each capability is
 * tried for real (a tiny BPF program loaded, attached and seen to run, a
 * perf event opened, a file read, a mount), never guessed from kallsyms or
 * the kernel config. Results go into report.capabilities, and the
 * collectors read them to pick variants or say why they cannot run. */
#ifndef FRIDAY_CAPS_H
#define FRIDAY_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"

struct bpf_trial;

struct capability {
	const char *name;      /* key in report.capabilities, e.g. "tp_btf" */
	const char *summary;   /* what it is, for `friday caps` and the docs */
	const char *instead;   /* what friday does when it is missing */
	/* Tries it; true when it works, else why says what failed and why.
	 * NULL when the row is a BPF trial (below). */
	bool (*probe)(char *why, size_t why_len);
	const struct bpf_trial *trial;   /* a program of caps.bpf.c to run */
};

/* The table of capabilities, NULL-name terminated, in probe order. */
extern const struct capability capability_table[];

/* Probes every capability into the report, in table order, until
 * deadline_ns (monotonic; 0 = no deadline): rows not reached by then are
 * left out of the report (untested, so neither yes nor no). Returns how
 * many work; *nr_tried (may be NULL) says how many were tried. */
int caps_probe_all(struct report *r, uint64_t deadline_ns, size_t *nr_tried);

/* Puts back what the probe changed on the host: tracefs, when friday
 * mounted it, is unmounted again (after the collectors are gone). */
void caps_release(void);

/* True when this process may load tracing BPF (CAP_SYS_ADMIN, or CAP_BPF
 * with CAP_PERFMON), from CapEff. */
bool caps_bpf_privileged(void);

/* The capability bits friday's BPF needs that this process lacks, as text
 * ("CAP_BPF, CAP_PERFMON"), or "" when it has them all. */
const char *caps_missing_privileges(void);

/* Routes libbpf's messages to stderr only with -v (warnings) or -vv (debug),
 * so a failed trial does not spill verifier logs on a normal run. */
void libbpf_log_setup(void);

#endif
