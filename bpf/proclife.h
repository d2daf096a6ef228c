/* proclife.h: what proclife.bpf.c and proclife.c share: process creation,
 * exec and exit, and who spawns them. */
#ifndef FRIDAY_PROCLIFE_H
#define FRIDAY_PROCLIFE_H

#include "hist_slots.h"

/* Per spawning parent (its tgid). */
struct pl_parent {
	__u64 forks;            /* new processes it forked */
	__u64 execs;            /* execs done by its children (or itself) */
	__u64 child_exits;      /* its children that exited */
	__u64 short_lived;      /* ... after living less than short_ns */
	__u32 ppid;             /* its own parent */
	char comm[16];
};

/* Per program name after exec (comm). */
struct pl_comm {
	__u64 execs;
	__u64 exits;
	__u64 short_lived;
	__u64 lifetime_ns;      /* summed over its exits */
	__u32 last_pid;
	__u32 last_ppid;
	char parent_comm[16];
};

enum pl_counter {
	PL_FORKS,               /* new processes */
	PL_THREADS,             /* new threads */
	PL_EXECS,
	PL_EXITS,               /* processes (thread-group leaders) exited */
	PL_SHORT_LIVED,
	PL_LOST_PARENT_FULL,
	PL_LOST_COMM_FULL,
	PL_NR_COUNTERS,
};

#define PL_MAX_PARENTS 4096
#define PL_MAX_COMMS 4096

#endif
