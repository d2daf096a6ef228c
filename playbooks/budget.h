/* budget.h: the overhead budget (--max-overhead, a share of all the host's
 * CPUs) enforced while a collect step's window is open. Every poll the
 * step times each collector's own work; every BUDGET_INTERVAL_S the budget
 * adds friday's CPU time (getrusage) to the BPF run time of its programs
 * (bpf_prog_info.run_time_ns, BPF_ENABLE_STATS) and, when the sum is over
 * the budget, samples the costliest collector down (budget.bpf.h) or, when
 * it cannot be sampled further, stops it early. What it did goes into
 * report.overhead.budget and the collectors' records. The statistics are
 * themselves a cost on every program run, so they are on for a part of
 * each interval only, and the run time read is scaled up by that share. */
#ifndef FRIDAY_BUDGET_H
#define FRIDAY_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/collector.h"

#define DEFAULT_MAX_OVERHEAD_PCT 2.0
#define BUDGET_INTERVAL_S 0.5
/* A step down keeps a quarter of the events, or a power of a quarter as
 * far as the overrun asks; past the last, a stop. */
#define BUDGET_SAMPLE_FACTOR 4
#define BUDGET_MAX_SAMPLE_EVERY 256
/* BPF run-time statistics cost each program run two clock reads (here they
 * added 150 to 250 ns to every run of a syscall probe, more than the probe
 * itself); switching them costs friday a kernel text patch (2 to 4 ms of
 * CPU here). So while the programs run often enough that the first costs
 * more than the second, the stats are on for BUDGET_STATS_ON_S of every
 * interval only, and what they read is scaled by the share of the time
 * they were on; otherwise they stay on. */
#define BUDGET_STATS_ON_S 0.05
#define BUDGET_STATS_NS_PER_RUN 150       /* measured, see above */
#define BUDGET_STATS_SWITCH_NS 6000000    /* an on and an off, until measured */

/* The switch of BPF run-time statistics during a collect window. */
struct budget_stats {
	int fd;                     /* holds them on (BPF_ENABLE_STATS); -1: off */
	bool works;                 /* they could be turned on at all */
	bool held_on;               /* kernel.bpf_stats_enabled keeps them on: no switching */
	bool sampling;              /* on for a part of each interval only */
	uint64_t on_since_ns;       /* start of the current on period; 0: off */
	uint64_t on_ns;             /* the closed on periods, summed */
	uint64_t on_cpu_ns, off_cpu_ns; /* friday's CPU time for the last switches */
	int nr_switches;
};

struct budget_entry {
	uint64_t bpf_ns_seen;       /* run_time_ns summed at the last check */
	uint64_t runs_seen;         /* run_cnt summed at the last check */
	uint64_t poll_ns;           /* its poll's CPU time since the last check */
	uint64_t cost_ns;           /* BPF plus poll time over the whole window */
	uint32_t *knob;             /* budget_sample_every in its BPF object, or NULL */
	uint32_t sample_every;      /* 1: every event */
	double sampled_at_s;        /* when it was first sampled down */
	double stopped_at_s;        /* seconds into the window, 0: ran to the end */
	int strikes;                /* checks it was the costliest past its last step */
	uint64_t wall_ns, on_ns;    /* its window so far, and the stats' on time in it */
	double ns_est, runs_est;    /* its programs' run time and count, estimated */
};

struct budget {
	double max_pct;             /* of all CPUs */
	int nr_cpus;
	const char *step;
	uint64_t t0_ns, last_ns;
	uint64_t tool_ns_t0, tool_ns_last;
	uint64_t bpf_ns_total;
	uint64_t t_end_ns, tool_ns_end;
	int nr_intervals, nr_over;
	double peak_pct;
	size_t n;
	struct budget_entry *e;     /* one per collector of the step */
	struct budget_stats *stats;
	uint64_t stats_on_last;     /* the stats' on time at the last check */
	double runs_per_s;          /* program runs in the last interval, estimated */
};

/* Turns BPF run-time statistics on before the collectors start, and
 * records how in report.overhead.bpf_stats. */
void budget_stats_start(struct budget_stats *s, struct report *r);
/* Turns them off (the kernel does when the descriptor closes). */
void budget_stats_stop(struct budget_stats *s);

/* Sets the budget up for collectors cs[0..n) just started (ops NULL: did
 * not start), with the stats switched on by budget_stats_start, and
 * report.overhead.budget. Returns -ENOMEM or 0. */
int budget_init(struct budget *b, const struct run_opts *opts, const char *step,
		struct collector *cs, size_t n, struct report *r, struct budget_stats *stats);
/* Polls collector i, charging its CPU time to it. */
void budget_poll(struct budget *b, struct collector *cs, size_t i);
/* When the stats' current on period should end (UINT64_MAX: not on). */
uint64_t budget_stats_off_ns(const struct budget *b);
/* Every poll: ends the stats' on period when due; once an interval:
 * measures, and samples down or stops one collector. */
void budget_check(struct budget *b, struct collector *cs, struct report *r);
/* When the window closes, before the collectors stop: the last figures,
 * and each collector's estimated BPF run time and count. */
void budget_close(struct budget *b, struct collector *cs);
/* After the harvest: the window's figures into report.overhead.budget and
 * report.collectors.NAME, what was done appended to the step's reason;
 * frees. */
void budget_finish(struct budget *b, struct collector *cs, struct report *r, char *reason,
		   size_t reason_len);

/* friday's CPU time so far, user and system, all threads (ns). */
uint64_t budget_tool_cpu_ns(void);
/* The summed run time of a BPF object's loaded programs (ns), and their
 * summed run count into *runs when not NULL. */
uint64_t budget_bpf_run_ns(struct bpf_object *obj, uint64_t *runs);

#endif
