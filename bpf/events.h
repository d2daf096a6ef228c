/* events.h: what events.bpf.c and events.c share: kernel events put on the
 * run's timeline (signals sent, process exits with their codes, OOM kills),
 * one ring-buffer record each, and the counters of what was left out. */
#ifndef FRIDAY_EVENTS_H
#define FRIDAY_EVENTS_H

#define EV_COMM_LEN 16
#define EV_NR_SIGNALS 65          /* 1..64; 0 is unused */

enum ev_kind {
	EV_SIGNAL,
	EV_EXIT,
	EV_OOM_KILL,
};

struct ev_record {
	__u64 time_ns;            /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 lifetime_ns;        /* EV_EXIT: exit time minus start time */
	__u32 kind;
	__u32 pid, tid;           /* sender (signal), the exiting task, the victim */
	__u32 target_pid, target_tid;   /* EV_SIGNAL: who the signal was for */
	__s32 sig;
	__s32 result;             /* EV_SIGNAL: TRACE_SIGNAL_* (0 delivered) */
	__s32 code;               /* EV_SIGNAL: si_code; EV_EXIT: task->exit_code */
	__u32 total_vm_pages;     /* EV_OOM_KILL */
	char comm[EV_COMM_LEN];   /* sender, exiting process, victim */
	char target_comm[EV_COMM_LEN];
};

/* Indexes of the per-CPU counters array. */
enum ev_counter {
	EV_SIGNALS,               /* every signal generated (after the target filter) */
	EV_SIGNALS_KEPT,          /* ... of a kind that becomes an event */
	EV_EXITS,                 /* processes (thread-group leaders) that exited */
	EV_EXITS_CLEAN,           /* ... with code 0 and no signal: counted, not listed */
	EV_OOM_KILLS,
	EV_DROPPED_CAP,           /* over max_events: counted, not sent */
	EV_DROPPED_RINGBUF,       /* ring buffer full */
	EV_NR_COUNTERS,
};

#endif
