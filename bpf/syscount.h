/* syscount.h: what syscount.bpf.c and syscount.c share: syscall counts,
 * errors and time per syscall and per process; with the latency knob (the
 * Thursday drill-down), latency histograms per (process, syscall) for the
 * syscalls of TH-06 and their slow calls. */
#ifndef FRIDAY_SYSCOUNT_H
#define FRIDAY_SYSCOUNT_H

#include "hist_slots.h"

#define SC_MAX_SYSCALLS 512     /* ids at or above are counted as lost */
#define SC_MAX_PROC_KEYS 16384

/* A (process, syscall) pair's counts on one CPU, not yet added to procs. */
struct sc_cached {
	__u32 tgid;
	__u32 id;
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	char comm[16];              /* the process's, read when the row was taken */
};

#define SC_CACHED 2

/* Per CPU: its cached pairs (syscount.bpf.c). */
struct sc_cpu_cache {
	struct sc_cached rows[SC_CACHED];
	__u32 next;                 /* the row the next new pair takes */
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

#define SC_LAT_NR 12             /* syscalls timed per process (syscount.c names them) */
#define SC_LAT_MAX_KEYS 4096

struct sc_lat_key {
	__u32 tgid;
	__u32 idx;             /* index into the latency syscall list */
};

/* Per (process, syscall), with the latency knob on. */
struct sc_lat {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u32 max_tid;
	__u32 pad;
	char comm[16];
	__u64 slots[HIST_SLOTS];   /* ns, log2 */
};

/* A call at or above the slow threshold, through the ring buffer. */
struct sc_slow_event {
	__u64 end_ns;
	__u64 lat_ns;
	__s64 ret;
	__u32 pid, tid;
	__u32 idx;
	__u32 pad;
	char comm[16];
};

enum sc_counter {
	SC_LOST_PROC_FULL,
	SC_LOST_BAD_ID,
	SC_LAT_SLOW,           /* slow calls of the latency syscalls */
	SC_LAT_LOST_FULL,      /* (process, syscall) latency map full */
	SC_LAT_LOST_RINGBUF,   /* slow-call events that could not be reserved */
	SC_NR_COUNTERS,
};

#endif
