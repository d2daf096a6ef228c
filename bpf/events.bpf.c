// SPDX-License-Identifier: GPL-2.0
/* events.bpf.c: kernel events for the run's timeline (TH-09): signals as
 * they are generated (signal:signal_generate: sender is current, the
 * target task is an argument, with the result), process exits with
 * task->exit_code (sched:sched_process_exit, read with CO-RE) and OOM
 * victims (oom:mark_victim). Bounded in the kernel: only the signals in
 * sig_mask and only exits with a non-zero code or a signal are sent to user
 * space, and at most max_events records in all; everything is counted.
 * Each handler comes as tp_btf and raw_tp (see variant.h). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_tgid = 0;       /* 0: every process */
const volatile __u64 targ_cgid = 0;       /* cgroup v2 id, 0: every cgroup */
const volatile __u64 sig_mask = 0;        /* bit N: signal N becomes an event */
const volatile __u64 max_events = 2000;   /* records sent in the window, at most */

__u64 sent = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Signals generated, by number, all of them (kept or not). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_NR_SIGNALS);
	__type(key, __u32);
	__type(value, __u64);
} by_signal SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline __u64 cgid_of(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline bool wanted(struct task_struct *t)
{
	if (targ_tgid && BPF_CORE_READ(t, tgid) != targ_tgid)
		return false;
	if (targ_cgid && cgid_of(t) != targ_cgid)
		return false;
	return true;
}

/* A zeroed record, or NULL (counted) when over the cap or the buffer is full. */
static __always_inline struct ev_record *reserve(__u32 kind)
{
	struct ev_record *e;

	if (__sync_fetch_and_add(&sent, 1) >= max_events) {
		count(EV_DROPPED_CAP);
		return NULL;
	}
	e = bpf_ringbuf_reserve(&records, sizeof(*e), 0);
	if (!e) {
		count(EV_DROPPED_RINGBUF);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = bpf_ktime_get_ns();
	e->kind = kind;
	return e;
}

static __always_inline int on_signal(int sig, struct kernel_siginfo *info,
				     struct task_struct *task, int result)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	__u32 s = sig;
	struct ev_record *e;
	__u64 *v;

	/* Either end in the target: a target's signals and those sent to it. */
	if ((targ_tgid || targ_cgid) && !wanted(task) && !wanted(cur))
		return 0;
	count(EV_SIGNALS);
	v = bpf_map_lookup_elem(&by_signal, &s);
	if (v)
		(*v)++;
	if (s >= 64 || !(sig_mask & (1ull << s)))
		return 0;
	count(EV_SIGNALS_KEPT);
	e = reserve(EV_SIGNAL);
	if (!e)
		return 0;
	e->pid = BPF_CORE_READ(cur, tgid);
	e->tid = BPF_CORE_READ(cur, pid);
	e->target_pid = BPF_CORE_READ(task, tgid);
	e->target_tid = BPF_CORE_READ(task, pid);
	e->sig = sig;
	e->result = result;
	/* info may be a special value (SEND_SIG_NOINFO 0, SEND_SIG_PRIV 1). */
	if ((unsigned long)info > 4096)
		e->code = BPF_CORE_READ(info, si_code);
	BPF_CORE_READ_STR_INTO(&e->comm, cur, group_leader, comm);
	BPF_CORE_READ_STR_INTO(&e->target_comm, task, group_leader, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int on_exit(struct task_struct *t)
{
	__u64 start = BPF_CORE_READ(t, start_time), now = bpf_ktime_get_ns();
	int code = BPF_CORE_READ(t, exit_code);
	struct ev_record *e;

	/* A process ends when its thread-group leader exits (as proclife);
	 * with -p, the target's children count too (as proclife). */
	if (BPF_CORE_READ(t, pid) != BPF_CORE_READ(t, tgid))
		return 0;
	if (!wanted(t) && !(targ_tgid && BPF_CORE_READ(t, real_parent, tgid) == targ_tgid))
		return 0;
	count(EV_EXITS);
	/* Most exits are clean: counted here, listed nowhere. */
	if (!code) {
		count(EV_EXITS_CLEAN);
		return 0;
	}
	e = reserve(EV_EXIT);
	if (!e)
		return 0;
	e->pid = BPF_CORE_READ(t, tgid);
	e->tid = BPF_CORE_READ(t, pid);
	e->code = code;
	e->lifetime_ns = now > start ? now - start : 0;
	BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int on_oom(struct task_struct *victim)
{
	struct ev_record *e;

	if (!wanted(victim))
		return 0;
	count(EV_OOM_KILLS);
	e = reserve(EV_OOM_KILL);
	if (!e)
		return 0;
	e->pid = BPF_CORE_READ(victim, tgid);
	e->tid = BPF_CORE_READ(victim, pid);
	e->total_vm_pages = BPF_CORE_READ(victim, mm, total_vm);
	BPF_CORE_READ_STR_INTO(&e->comm, victim, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Each handler twice: tp_btf (typed arguments) and raw_tp (same arguments,
 * read through CO-RE), one of the two loaded. */
#define VARIANTS(tp, name, proto, call)						\
	SEC("tp_btf/" #tp) int BPF_PROG(name##_btf, proto) { return call; }	\
	SEC("raw_tp/" #tp) int BPF_PROG(name##_raw, proto) { return call; }
#define ARGS(...) __VA_ARGS__

VARIANTS(signal_generate, signal_gen, ARGS(int sig, struct kernel_siginfo *info,
	 struct task_struct *task, int group, int result), on_signal(sig, info, task, result))
VARIANTS(sched_process_exit, proc_exit, ARGS(struct task_struct *p), on_exit(p))
VARIANTS(mark_victim, oom_victim, ARGS(struct task_struct *victim), on_oom(victim))
