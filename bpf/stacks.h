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

/* Ring-buffer event: a process seen for the first time (or after exec). */
struct stack_proc_event {
	__u32 tgid;
	__u32 exited;
};

#endif
