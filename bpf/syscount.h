/* syscount.h: what syscount.bpf.c and syscount.c share: syscall counts,
 * errors and time per syscall and per process. */
#ifndef FRIDAY_SYSCOUNT_H
#define FRIDAY_SYSCOUNT_H

#include "hist_slots.h"

#define SC_MAX_SYSCALLS 512     /* ids at or above are counted as lost */
#define SC_MAX_PROC_KEYS 16384

/* A task's counts for one syscall id, not yet added to procs. */
struct sc_cached {
	__u32 id;
	__u32 pad;
	__u64 count;
	__u64 errors;
	__u64 total_ns;
};

#define SC_CACHED 2

struct sc_start {
	__u64 ts;
	__u32 id;
	__u32 valid;
	/* tp_btf only: the task's last syscalls' counts (see syscount.bpf.c) */
	struct sc_cached cache[SC_CACHED];
	__u32 next;                 /* the slot the next new id takes */
	__u32 pad;
};

/* Per syscall id, per CPU. */
struct sc_stat {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
};

struct sc_proc_key {
	__u32 tgid;
	__u32 id;
};

struct sc_proc {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	char comm[16];
};

enum sc_counter {
	SC_EVENTS,
	SC_LOST_START_FULL,
	SC_LOST_PROC_FULL,
	SC_LOST_BAD_ID,
	SC_NR_COUNTERS,
};

#endif
