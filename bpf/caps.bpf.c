// SPDX-License-Identifier: GPL-2.0
/* caps.bpf.c: one tiny program per capability trial (bpf/caps.c). Each
 * trial loads exactly one of them (bpf_program__set_autoload), attaches
 * it, makes it fire, and reads its hit counter back: a capability is only
 * "yes" when its program really ran in this kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Only events of the probing process count, so a busy host cannot make a
 * trial pass by itself. 0 = any process (for events with no task). */
const volatile __u32 target_tgid = 0;

__u64 hits = 0;        /* times the loaded program ran for target_tgid */
__u64 stack_ok = 0;    /* bpf_get_stackid calls that returned a stack id */
__u64 reserve_fail = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} task_hits SEC(".maps");

static __always_inline bool is_target(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline int count(void)
{
	if (is_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int trial_tracepoint(void *ctx)
{
	return count();
}

SEC("tp_btf/sched_switch")
int BPF_PROG(trial_tp_btf, bool preempt, struct task_struct *prev)
{
	return count();
}

SEC("raw_tp/sched_switch")
int trial_raw_tp(void *ctx)
{
	return count();
}

SEC("fentry/vfs_read")
int BPF_PROG(trial_fentry)
{
	return count();
}

SEC("kprobe/vfs_read")
int trial_kprobe(void *ctx)
{
	return count();
}

/* Attached by hand to a function of friday's own binary (see caps.c). */
SEC("uprobe")
int trial_uprobe(void *ctx)
{
	return count();
}

SEC("perf_event")
int trial_perf_sw(void *ctx)
{
	return count();
}

SEC("perf_event")
int trial_stack_trace(struct bpf_perf_event_data *ctx)
{
	if (!is_target())
		return 0;
	__sync_fetch_and_add(&hits, 1);
	if (bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK) >= 0)
		__sync_fetch_and_add(&stack_ok, 1);
	if (bpf_get_stackid(ctx, &stacks, 0) >= 0)
		__sync_fetch_and_add(&stack_ok, 1);
	return 0;
}

SEC("raw_tp/sched_switch")
int trial_ringbuf(void *ctx)
{
	__u32 *rec;

	if (!is_target())
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&reserve_fail, 1);
		return 0;
	}
	*rec = target_tgid;
	bpf_ringbuf_submit(rec, 0);
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(trial_task_storage, bool preempt, struct task_struct *prev)
{
	__u64 *n;

	if (!is_target())
		return 0;
	n = bpf_task_storage_get(&task_hits, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (n) {
		*n += 1;
		__sync_fetch_and_add(&hits, 1);
	}
	return 0;
}

/* Presence only: attaching proves the lock tracepoints exist. */
SEC("raw_tp/contention_begin")
int trial_lock_contention(void *ctx)
{
	return count();
}
