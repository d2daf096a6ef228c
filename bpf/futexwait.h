/* futexwait.h: what futexwait.bpf.c and futexwait.c share: user lock
 * contention (futex waits) and kernel lock contention (lock:contention_*). */
#ifndef FRIDAY_FUTEXWAIT_H
#define FRIDAY_FUTEXWAIT_H

#include "hist_slots.h"

#define FW_MAX_FUTEX_KEYS 8192
#define FW_MAX_LOCK_KEYS 4096
#define FW_MAX_PROCS 4096

/* A wait in progress, per task. */
struct fw_start {
	__u64 ts;
	__u64 addr;        /* futex uaddr or kernel lock address */
	__u32 valid;
	__u32 flags;       /* futex op, or lock contention flags */
};

struct fw_futex_key {
	__u32 tgid;
	__u32 pad;
	__u64 uaddr;
};

/* A wait that timed out is a timed sleep (a condition variable polled
 * with a timeout), not a lock handed over: kept apart from wait_ns. */
struct fw_wait {
	__u64 wait_ns;     /* waits that ended woken or with an error */
	__u64 count;
	__u64 max_ns;
	__u64 errors;      /* EAGAIN (value changed before sleeping), EINTR */
	__u64 timeouts;
	__u64 timeout_ns;
	char comm[16];
};

struct fw_lock_key {
	__u64 addr;
	__u32 flags;       /* LCB_F_SPIN, _READ, _WRITE, _RT, _PERCPU, _MUTEX */
	__u32 pad;
};

enum fw_counter {
	FW_FUTEX_EVENTS,
	FW_LOCK_EVENTS,
	FW_LOST_START_FULL,
	FW_LOST_FUTEX_FULL,
	FW_LOST_LOCK_FULL,
	FW_LOST_NESTED,     /* a contention begun while another was in progress */
	FW_NR_COUNTERS,
};

/* Slots of the two host histograms (us): futex waits, kernel lock waits. */
enum fw_hist { FW_HIST_FUTEX, FW_HIST_LOCK, FW_NR_HISTS };

#endif
