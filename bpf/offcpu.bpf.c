/* offcpu.bpf.c: off-CPU time, kernel side. At sched_switch the task going
 * off CPU (prev, which is still "current") gets its time and stacks in
 * task storage; when it comes back on CPU (next), the time it was away is
 * added to its stack's total, split by voluntary sleep (prev_state not
 * running) and involuntary preemption. sched_wakeup records the waker's
 * stack on the sleeper, for wakeup graphs. A task iterator flushes tasks
 * still off CPU when the window ends. tp_btf is preferred; the raw_tp
 * variant (older kernels) keeps the same state in a hash map by pid. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "stacks.bpf.h"
#include "budget.bpf.h"
#include "unwind.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING_STATE 0

const volatile __u64 min_block_ns = 1000;
const volatile bool want_wakers = true;
/* Set by user space just before the final flush: the window's end. */
__u64 flush_ts_ns = 0;
__u64 nr_switches = 0;

/* Kernel and user stacks in separate maps: user stacks walked through code
 * without frame pointers are many and noisy, and must not push the
 * kernel's few stable stacks out by hash collisions. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACK_MAX_DEPTH * sizeof(__u64));
} kstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32768);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, USTACK_MAX_DEPTH * sizeof(__u64));
} ustacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct offcpu_key);
	__type(value, __u64);
} offcpu_us SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, struct wakeup_key);
	__type(value, __u64);
} wakeup_us SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct offcpu_start);
} task_start SEC(".maps");

/* The raw_tp variant's state, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct offcpu_start);
} pid_start SEC(".maps");

/* Fills the record of prev, the task leaving the CPU (it is current). */
static __always_inline void switch_out(void *ctx, struct offcpu_start *st, __u32 tgid,
				       bool kthread, bool preempt, unsigned int prev_state)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), want;

	st->ts_ns = bpf_ktime_get_ns();
	st->tgid = tgid;
	st->kind = (preempt || prev_state == TASK_RUNNING_STATE) ? OFFCPU_PREEMPT : OFFCPU_SLEEP;
	st->kstack_id = stack_id(ctx, &kstacks, 0);
	st->ustack_id = STACK_ID_NONE;
	st->snap_id = 0;
	st->waker_tgid = 0;
	st->waker_kstack_id = STACK_ID_NONE;
	bpf_get_current_comm(&st->comm, sizeof(st->comm));
	if (kthread)
		return;
	want = unwind_want(tgid);
	if (want) {
		__u64 snap_id = __sync_fetch_and_add(&unwind_seq, 1) + 1;

		if (unwind_emit(tgid, tid, st->kstack_id, st->kind, snap_id, 0, want)) {
			st->snap_id = snap_id;
			st->ustack_id = STACK_ID_UNWOUND;
			return;
		}
	} else {
		unwind_note_fp_depth(ctx, tgid);
	}
	st->ustack_id = stack_id(ctx, &ustacks, BPF_F_USER_STACK);
}

/* Adds the time st was off CPU up to now_ns, then clears it. */
static __always_inline void account(struct offcpu_start *st, __u64 now_ns)
{
	struct offcpu_key key;
	struct wakeup_key wkey;
	__u64 delta_ns, w = budget_weight();

	if (!st->ts_ns || now_ns < st->ts_ns)
		return;
	delta_ns = now_ns - st->ts_ns;
	st->ts_ns = 0;
	/* A copied stack always gets its weight record, 0 for a short block,
	 * so user space can let the copy go. */
	if (st->snap_id) {
		__u64 snap_id = st->snap_id;

		st->snap_id = 0;
		if (unwind_emit_weight(snap_id, delta_ns < min_block_ns ? 0 : delta_ns / 1000 * w))
			goto wakers;
		st->ustack_id = STACK_ID_UNWIND_LOST;
	}
	if (delta_ns < min_block_ns)
		return;
	__builtin_memset(&key, 0, sizeof(key));
	key.tgid = st->tgid;
	key.kstack_id = st->kstack_id;
	key.ustack_id = st->ustack_id;
	key.kind = st->kind;
	__builtin_memcpy(key.comm, st->comm, sizeof(key.comm));
	add_count(&offcpu_us, &key, delta_ns / 1000 * w);
wakers:
	if (delta_ns < min_block_ns)
		return;
	if (want_wakers && st->waker_tgid) {
		__builtin_memset(&wkey, 0, sizeof(wkey));
		wkey.tgid = st->tgid;
		wkey.waker_tgid = st->waker_tgid;
		wkey.waker_kstack_id = st->waker_kstack_id;
		__builtin_memcpy(wkey.comm, st->comm, sizeof(wkey.comm));
		__builtin_memcpy(wkey.waker_comm, st->waker_comm, sizeof(wkey.waker_comm));
		add_count(&wakeup_us, &wkey, delta_ns / 1000 * w);
	}
}

static __always_inline void note_waker(void *ctx, struct offcpu_start *st)
{
	if (!st->ts_ns || st->kind != OFFCPU_SLEEP)
		return;
	st->waker_tgid = bpf_get_current_pid_tgid() >> 32;
	st->waker_kstack_id = stack_id(ctx, &kstacks, 0);
	bpf_get_current_comm(&st->waker_comm, sizeof(st->waker_comm));
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct offcpu_start *st;
	__u32 prev_tgid = prev->tgid;

	__sync_fetch_and_add(&nr_switches, 1);
	if (prev->pid && target_match(prev_tgid) && budget_keep()) {
		st = bpf_task_storage_get(&task_start, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (st) {
			switch_out(ctx, st, prev_tgid, prev->flags & PF_KTHREAD_FLAG, preempt,
				   prev_state);
			note_tgid(prev_tgid);
		}
	}
	st = bpf_task_storage_get(&task_start, next, NULL, 0);
	if (st)
		account(st, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
	struct offcpu_start *st = bpf_task_storage_get(&task_start, p, NULL, 0);

	if (st)
		note_waker(ctx, st);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct offcpu_start *st, zero = {};
	__u32 prev_pid = BPF_CORE_READ(prev, pid), prev_tgid = BPF_CORE_READ(prev, tgid);
	__u32 next_pid = BPF_CORE_READ(next, pid);

	__sync_fetch_and_add(&nr_switches, 1);
	if (prev_pid && target_match(prev_tgid) && budget_keep()) {
		bpf_map_update_elem(&pid_start, &prev_pid, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&pid_start, &prev_pid);
		if (st) {
			switch_out(ctx, st, prev_tgid, BPF_CORE_READ(prev, flags) & PF_KTHREAD_FLAG,
				   preempt, prev_state);
			note_tgid(prev_tgid);
		} else {
			__sync_fetch_and_add(&lost_counts, 1);
		}
	}
	st = bpf_map_lookup_elem(&pid_start, &next_pid);
	if (st)
		account(st, bpf_ktime_get_ns());
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	struct offcpu_start *st = bpf_map_lookup_elem(&pid_start, &pid);

	if (st)
		note_waker(ctx, st);
	return 0;
}

/* Run once by user space at the end of the window (tp_btf variant): tasks
 * still off CPU get their time up to flush_ts_ns, so a long block that has
 * not ended yet is not missing from the graph. */
SEC("iter/task")
int flush_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct offcpu_start *st;

	if (!task)
		return 0;
	st = bpf_task_storage_get(&task_start, task, NULL, 0);
	if (st)
		account(st, flush_ts_ns);
	return 0;
}
