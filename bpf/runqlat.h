/* runqlat.h: what runqlat.bpf.c and runqlat.c share: run-queue latency
 * (time from wake-up or preemption to running on a CPU). */
#ifndef FRIDAY_RUNQLAT_H
#define FRIDAY_RUNQLAT_H

#include "hist_slots.h"

/* Per process (tgid; per thread id for the classic-tracepoint variant). */
struct rq_proc {
	__u64 total_ns;        /* time spent queued in the window */
	__u64 count;           /* times it waited in a run queue */
	__u64 max_ns;
	__u32 last_tid;        /* the thread seen last, for the report */
	char comm[16];
	__u64 slots[HIST_SLOTS];   /* latency in us, log2 */
};

/* Per cgroup (the cpu controller's cgroup id), when per_cgroup is on. */
struct rq_cgroup {
	__u64 total_ns;
	__u64 count;
	__u64 max_ns;
	__u64 slots[HIST_SLOTS];
};

/* A wait longer than outlier_min_ns (runqslower), with the task that held
 * the CPU until the waiter ran: prev at the sched_switch that ran it. */
struct rq_outlier {
	__u64 time_ns;          /* CLOCK_MONOTONIC, when it got the CPU */
	__u64 lat_ns;
	__u64 cgid;
	__u32 pid, tid, cpu;
	__u32 holder_pid, holder_tid;
	char comm[16];          /* the waiter's thread name */
	char holder_comm[16];
};

/* Indexes of the per-CPU counters array. */
enum rq_counter {
	RQ_EVENTS,             /* latencies recorded */
	RQ_LOST_START_FULL,    /* enqueue timestamp map full */
	RQ_LOST_PROC_FULL,     /* per-process map full */
	RQ_LOST_CGROUP_FULL,   /* per-cgroup map full */
	RQ_LOST_OUTLIER,       /* outlier ring buffer full */
	RQ_NR_COUNTERS,
};

#define RQ_MAX_PROCS 4096
#define RQ_MAX_START 32768
#define RQ_MAX_CGROUPS 1024

#endif
