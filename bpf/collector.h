/* collector.h: the one interface every BPF collector implements, so the
 * playbook engine can run any set of them together in one window:
 * available -> start (open, set knobs, load, attach) -> poll ... -> stop
 * (detach) -> harvest (maps into the report model) -> destroy.
 * A collector measures; it never decides a verdict (rules in checks/ do). */
#ifndef FRIDAY_COLLECTOR_H
#define FRIDAY_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "lib/options.h"
#include "reports/report.h"

struct collector;

/* A knob a collector reads from its step's "knobs" object, so a playbook
 * that misspells one or gives it the wrong kind of value is refused
 * before anything runs (playbooks/validate.c), not quietly run at the
 * default. A flag is true or false; a number lies in [min, max]. */
enum knob_kind { KNOB_FLAG, KNOB_INTEGER, KNOB_NUMBER };

struct collector_knob {
	const char *name;
	enum knob_kind kind;
	double min, max;
	const char *what;   /* for `friday list collectors` */
};

struct collector_ops {
	const char *name;        /* e.g. "runqlat" */
	const char *subsystem;   /* the subsystem it measures */
	const char *summary;     /* one line for `friday list collectors` */
	/* About how much memory it takes, in MiB: its BPF maps (charged to
	 * friday's cgroup) and its user-side state. Under a memory limit the
	 * collect step does not start a collector that would not fit, rather
	 * than have friday OOM-killed without an archive. */
	unsigned int mem_mib;
	/* 0 when it can run on this host (from report capabilities), else
	 * -errno with why filled in for the report. */
	int (*available)(struct report *r, char *why, size_t why_len);
	/* Open, set read-only knobs, load, attach. -errno and why on failure. */
	int (*start)(struct collector *c, char *why, size_t why_len);
	/* Called every ~100 ms during the window: drain ring buffers etc. */
	int (*poll)(struct collector *c);
	/* Detach everything: after stop, nothing of it runs in the kernel. */
	void (*stop)(struct collector *c);
	/* Read the kernel-side aggregates into the report model. */
	int (*harvest)(struct collector *c, struct report *r);
	/* Free everything; safe after a failed start. */
	void (*destroy)(struct collector *c);
	/* Optional: the loaded BPF object, read after harvest, so the collect
	 * step records its programs' run time in report.overhead.collectors. */
	struct bpf_object *(*object)(struct collector *c);
	/* Optional: the collector whose programs run this one's kernel part
	 * when both are in one step (fslat on syscount: one probe per
	 * tracepoint instead of two). The collect step starts that one first
	 * and links them (host, rider below); alone, it loads its own. */
	const char *rides_on;
	/* The knobs it reads, ended by one with a NULL name; NULL: none. */
	const struct collector_knob *knobs;
};

struct collector {
	const struct collector_ops *ops;
	const struct run_opts *opts;
	struct report *report;
	/* The step's knobs for this collector ("knobs": {"NAME": {...}} in the
	 * playbook), read before load; NULL when the step gives none. */
	json_t *knobs;
	void *priv;                 /* the collector's own state */
	double started_s;           /* monotonic time the window opened */
	double window_s;            /* how long it collected */
	uint64_t lost_events;       /* drops: map full, ring-buffer reserve, stacks */
	bool stopped;               /* stopped early by the overhead budget */
	/* Riding (collector_ops.rides_on): the collector whose programs run
	 * this one's part, and the other way round; NULL when alone. */
	struct collector *host, *rider;
	/* Its programs' run time and run count over the window, estimated by
	 * the overhead budget where BPF run-time statistics were on for a
	 * share of it only (playbooks/budget.h), and that share; stats_share
	 * 0: no estimate, the counters are whole. */
	double bpf_ns_est, bpf_runs_est, stats_share;
};

/* A knob of the step's "knobs" object for this collector: a number, or
 * def when it is not set (knobs are documented in docs/playbooks.md). */
double collector_knob(const struct collector *c, const char *name, double def);
/* The knob name of collector ops, or NULL when it has none so named. */
const struct collector_knob *collector_knob_find(const struct collector_ops *ops,
						 const char *name);

/* The table of every collector, NULL-terminated (bpf/collectors.c). */
extern const struct collector_ops *const collector_table[];
const struct collector_ops *collector_find(const char *name);

#endif
