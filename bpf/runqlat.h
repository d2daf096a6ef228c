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

/* Indexes of the per-CPU counters array. */
enum rq_counter {
	RQ_EVENTS,             /* latencies recorded */
	RQ_LOST_START_FULL,    /* enqueue timestamp map full */
	RQ_LOST_PROC_FULL,     /* per-process map full */
	RQ_NR_COUNTERS,
};

#define RQ_MAX_PROCS 4096
#define RQ_MAX_START 32768

#endif
