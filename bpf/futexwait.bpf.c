// SPDX-License-Identifier: GPL-2.0
/* futexwait.bpf.c: lock contention. User locks: time in futex waits
 * (FUTEX_WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2, WAIT_REQUEUE_PI) from the
 * syscalls:sys_enter_futex / sys_exit_futex tracepoints, per process and
 * futex address (USE-UMUTEX: pthread mutexes and condition variables wait
 * there). Kernel locks: lock:contention_begin / contention_end (5.19+),
 * per lock address and per process. The wait in progress lives in task
 * storage (the _btf variant) or a hash by tid (_raw, _tp). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "futexwait.h"

#define FUTEX_WAIT 0
#define FUTEX_LOCK_PI 6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_LOCK_PI2 13
#define FUTEX_CMD_MASK ~(128 | 256)   /* without PRIVATE and CLOCK_REALTIME */
#define ETIMEDOUT 110

const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgid = 0;
const volatile __u32 self_tgid = 0;      /* friday: its own loading and detaching */

/* Two slots per task: futex waits and kernel lock waits can overlap. */
struct fw_task {
	struct fw_start futex;
	struct fw_start lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fw_task);
} start_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct fw_task);
} start_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_FUTEX_KEYS);
	__type(key, struct fw_futex_key);
	__type(value, struct fw_wait);
} futexes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_LOCK_KEYS);
	__type(key, struct fw_lock_key);
	__type(value, struct fw_wait);
} locks SEC(".maps");

/* Kernel lock waits per process (tgid). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct fw_wait);
} lock_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_NR_HISTS * HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static const struct fw_wait zero_wait;
static const struct fw_task zero_task;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline bool wanted(void)
{
	if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return false;
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (targ_cgid && bpf_get_current_cgroup_id() != targ_cgid)
		return false;
	return true;
}

static __always_inline bool is_wait_op(__u32 op)
{
	__u32 cmd = op & FUTEX_CMD_MASK;

	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
	       cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI;
}

static __always_inline struct fw_task *task_slot_storage(bool create)
{
	return bpf_task_storage_get(&start_ts, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

static __always_inline struct fw_task *task_slot_hash(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fw_task *t = bpf_map_lookup_elem(&start_hash, &tid);

	if (t || !create)
		return t;
	bpf_map_update_elem(&start_hash, &tid, &zero_task, BPF_NOEXIST);
	return bpf_map_lookup_elem(&start_hash, &tid);
}

static __always_inline struct fw_wait *wait_entry(void *map, void *key, __u32 lost_idx)
{
	struct fw_wait *e = bpf_map_lookup_elem(map, key);
	struct task_struct *t;

	if (e)
		return e;
	if (bpf_map_update_elem(map, key, &zero_wait, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(map, key)) {
		count(lost_idx);
		return NULL;
	}
	e = bpf_map_lookup_elem(map, key);
	if (e) {
		t = (struct task_struct *)bpf_get_current_task();
		BPF_CORE_READ_STR_INTO(&e->comm, t, group_leader, comm);
	}
	return e;
}

static __always_inline void add_wait(struct fw_wait *e, __u64 delta, long ret)
{
	if (ret == -ETIMEDOUT) {
		__sync_fetch_and_add(&e->timeouts, 1);
		__sync_fetch_and_add(&e->timeout_ns, delta);
		return;
	}
	__sync_fetch_and_add(&e->wait_ns, delta);
	__sync_fetch_and_add(&e->count, 1);
	if (ret < 0)
		__sync_fetch_and_add(&e->errors, 1);
	if (delta > e->max_ns)
		e->max_ns = delta;
}

static __always_inline void hist_add(__u32 which, __u64 delta_ns)
{
	__u32 key = which * HIST_SLOTS + hist_slot(delta_ns / 1000);
	__u64 *v = bpf_map_lookup_elem(&hists, &key);

	if (v)
		(*v)++;
}

static __always_inline void begin(struct fw_task *t, struct fw_start *s, __u64 addr, __u32 flags)
{
	if (!t) {
		count(FW_LOST_START_FULL);
		return;
	}
	if (s->valid) {
		count(FW_LOST_NESTED);
		return;
	}
	s->ts = bpf_ktime_get_ns();
	s->addr = addr;
	s->flags = flags;
	s->valid = 1;
}

static __always_inline void futex_end(struct fw_task *t, long ret)
{
	struct fw_futex_key key = {};
	struct fw_wait *e;
	__u64 delta;

	if (!t || !t->futex.valid)
		return;
	t->futex.valid = 0;
	delta = bpf_ktime_get_ns() - t->futex.ts;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.uaddr = t->futex.addr;
	count(FW_FUTEX_EVENTS);
	if (ret != -ETIMEDOUT)
		hist_add(FW_HIST_FUTEX, delta);
	e = wait_entry(&futexes, &key, FW_LOST_FUTEX_FULL);
	if (e)
		add_wait(e, delta, ret);
}

static __always_inline void lock_end(struct fw_task *t, __u64 addr, int ret)
{
	struct fw_lock_key key = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct fw_wait *e;
	__u64 delta;

	/* An end for another lock (an interrupt's) leaves the slot alone. */
	if (!t || !t->lock.valid || t->lock.addr != addr)
		return;
	t->lock.valid = 0;
	delta = bpf_ktime_get_ns() - t->lock.ts;
	key.addr = addr;
	key.flags = t->lock.flags;
	count(FW_LOCK_EVENTS);
	hist_add(FW_HIST_LOCK, delta);
	e = wait_entry(&locks, &key, FW_LOST_LOCK_FULL);
	if (e)
		add_wait(e, delta, ret);
	e = wait_entry(&lock_procs, &tgid, FW_LOST_LOCK_FULL);
	if (e)
		add_wait(e, delta, ret);
}

/* syscalls:sys_enter_futex args: uaddr, op, val, utime, uaddr2, val3. */
SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter_btf(struct trace_event_raw_sys_enter *ctx)
{
	struct fw_task *t;

	if (!is_wait_op(ctx->args[1]) || !wanted())
		return 0;
	t = task_slot_storage(true);
	begin(t, t ? &t->futex : NULL, ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit_btf(struct trace_event_raw_sys_exit *ctx)
{
	futex_end(task_slot_storage(false), ctx->ret);
	return 0;
}

static __always_inline void futex_enter_hash(struct trace_event_raw_sys_enter *ctx)
{
	struct fw_task *t;

	if (!is_wait_op(ctx->args[1]) || !wanted())
		return;
	t = task_slot_hash(true);
	begin(t, t ? &t->futex : NULL, ctx->args[0], ctx->args[1]);
}

/* The futex events exist only as classic tracepoints; _raw and _tp differ
 * in how the kernel-lock programs attach. */
SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter_raw(struct trace_event_raw_sys_enter *ctx)
{
	futex_enter_hash(ctx);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit_raw(struct trace_event_raw_sys_exit *ctx)
{
	futex_end(task_slot_hash(false), ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	futex_enter_hash(ctx);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	futex_end(task_slot_hash(false), ctx->ret);
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(lock_begin_btf, void *lock, unsigned int flags)
{
	struct fw_task *t;

	if (!wanted())
		return 0;
	t = task_slot_storage(true);
	begin(t, t ? &t->lock : NULL, (__u64)lock, flags);
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(lock_end_btf, void *lock, int ret)
{
	lock_end(task_slot_storage(false), (__u64)lock, ret);
	return 0;
}

SEC("raw_tp/contention_begin")
int BPF_PROG(lock_begin_raw, void *lock, unsigned int flags)
{
	struct fw_task *t;

	if (!wanted())
		return 0;
	t = task_slot_hash(true);
	begin(t, t ? &t->lock : NULL, (__u64)lock, flags);
	return 0;
}

SEC("raw_tp/contention_end")
int BPF_PROG(lock_end_raw, void *lock, int ret)
{
	lock_end(task_slot_hash(false), (__u64)lock, ret);
	return 0;
}

SEC("tracepoint/lock/contention_begin")
int lock_begin_tp(struct trace_event_raw_contention_begin *ctx)
{
	struct fw_task *t;

	if (!wanted())
		return 0;
	t = task_slot_hash(true);
	begin(t, t ? &t->lock : NULL, (__u64)ctx->lock_addr, ctx->flags);
	return 0;
}

SEC("tracepoint/lock/contention_end")
int lock_end_tp(struct trace_event_raw_contention_end *ctx)
{
	lock_end(task_slot_hash(false), (__u64)ctx->lock_addr, ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
