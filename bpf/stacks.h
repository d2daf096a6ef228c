/* stacks.h: the structs the Wednesday collectors (profile, offcpu) share
 * between their BPF side and their user side: keys of the in-kernel
 * aggregates by stack, and the "new process" event that tells the user side
 * when to snapshot a process's mappings for symbols. */
#ifndef FRIDAY_STACKS_H
#define FRIDAY_STACKS_H

#define STACK_COMM_LEN 16
/* Frames kept per stack: the kernel's PERF_MAX_STACK_DEPTH default. */
#define STACK_MAX_DEPTH 127
/* User stacks keep fewer frames (half the memory per entry, so more
 * entries): without frame pointers the walk is noisy and rarely deep. */
#define USTACK_MAX_DEPTH 64
/* A stack id for "this sample has no such stack" (a kernel thread has no
 * user stack; a sample in user mode has no kernel stack): not a loss. */
#define STACK_ID_NONE (-1000)
#define PF_KTHREAD_FLAG 0x00200000

/* CPU samples: one count per (process, thread name, kernel stack, user stack). */
struct profile_key {
	__u32 tgid;
	__s32 kstack_id;     /* -errno when the stack could not be taken */
	__s32 ustack_id;
	char comm[STACK_COMM_LEN];
};

enum offcpu_kind {
	OFFCPU_SLEEP = 0,    /* voluntary: the task blocked (prev_state != running) */
	OFFCPU_PREEMPT = 1,  /* involuntary: preempted while runnable */
};

/* Off-CPU time: microseconds per (process, thread name, stacks, kind). */
struct offcpu_key {
	__u32 tgid;
	__s32 kstack_id;
	__s32 ustack_id;
	__u32 kind;          /* enum offcpu_kind */
	char comm[STACK_COMM_LEN];
};

/* Wakeups: microseconds blocked per (sleeper, waker, waker's kernel stack). */
struct wakeup_key {
	__u32 tgid;              /* the sleeper */
	__u32 waker_tgid;
	__s32 waker_kstack_id;
	char comm[STACK_COMM_LEN];
	char waker_comm[STACK_COMM_LEN];
};

/* Per-task state between switch-out and switch-in. */
struct offcpu_start {
	__u64 ts_ns;             /* 0 when the task is on CPU */
	__u64 snap_id;           /* its user stack went out as this copy, or 0 */
	__s32 kstack_id;
	__s32 ustack_id;
	__u32 kind;
	__u32 tgid;
	char comm[STACK_COMM_LEN];
	/* Set by sched_wakeup: who woke it. */
	__u32 waker_tgid;
	__s32 waker_kstack_id;
	char waker_comm[STACK_COMM_LEN];
};

/* DWARF unwinding (bpf/unwind.bpf.h, bpf/unwind_feed.c): the user
 * registers and the top of the user stack of a sample go to user space,
 * which unwinds them with libdw. x86-64 DWARF register order. */
#define UNWIND_NR_REGS 17
#define UNWIND_PAGE 4096
#define UNWIND_STACK_MAX 32768
#define UNWIND_STACK_DEFAULT 16384
#define UNWIND_STACK_MIN 1024
/* A user stack that went out as a copy: not in the stack map. */
#define STACK_ID_UNWOUND (-1001)
/* Its copy went out but the weight that follows it did not fit. */
#define STACK_ID_UNWIND_LOST (-1002)

enum unwind_mode {
	UNWIND_MODE_FP = 0,      /* frame-pointer stacks only (bpf_get_stackid) */
	UNWIND_MODE_DWARF = 1,   /* copies for every process of the target */
	UNWIND_MODE_AUTO = 2,    /* copies for the processes user space selects */
};

enum unwind_rec_type {
	UNWIND_REC_SAMPLE = 1,
	UNWIND_REC_WEIGHT = 2,
};

/* One copied sample; only stack_len bytes of stack[] are sent. */
struct unwind_sample {
	__u32 type;              /* UNWIND_REC_SAMPLE */
	__u32 tgid, tid;
	__s32 kstack_id;
	__u32 kind;              /* enum offcpu_kind; 0 for CPU samples */
	__u32 stack_len;
	__u32 stack_want;        /* bytes asked for: more than stack_len is a short read */
	__u32 pad;
	__u64 snap_id;           /* off-CPU: its weight follows in a weight record */
	__u64 weight;            /* CPU: samples (1); off-CPU: 0 */
	__u64 regs[UNWIND_NR_REGS];
	char comm[STACK_COMM_LEN];
	__u8 stack[UNWIND_STACK_MAX + UNWIND_PAGE];
};

/* Off-CPU: the time the copied stack snap_id was blocked, sent when the
 * task runs again; us 0 when the block was shorter than the minimum. */
struct unwind_weight {
	__u32 type;              /* UNWIND_REC_WEIGHT */
	__u32 pad;
	__u64 snap_id;
	__u64 us;
};

/* Auto mode: how deep the frame-pointer walks of a process went. */
struct unwind_fp_depth {
	__u32 nr, nr_shallow;    /* walks, and those of 1-2 frames */
};
#define UNWIND_FP_DEPTH_SAMPLES 64

/* Ring-buffer event: a process seen for the first time (or after exec). */
struct stack_proc_event {
	__u32 tgid;
	__u32 exited;
};

#endif
