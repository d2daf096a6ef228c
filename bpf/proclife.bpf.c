// SPDX-License-Identifier: GPL-2.0
/* proclife.bpf.c: process churn (TH-09's execsnoop question, aggregated):
 * forks, execs and exits counted in the kernel, per spawning parent and per
 * program, with a log2 histogram of process lifetimes. A lifetime is exit
 * time minus task->start_time (both CLOCK_MONOTONIC ns), so no per-task
 * state is needed. Variants: tp_btf, raw_tp, classic tracepoints; in all
 * three the task of interest is current (the parent for fork), read with
 * CO-RE; the classic fork event cannot tell threads from processes. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "proclife.h"

const volatile __u32 targ_tgid = 0;       /* 0: every process */
const volatile __u64 targ_cgid = 0;       /* cgroup v2 id, 0: every cgroup */
const volatile __u64 short_ns = 1000000000ull;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_MAX_PARENTS);
	__type(key, __u32);
	__type(value, struct pl_parent);
} parents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_MAX_COMMS);
	__type(key, char[16]);
	__type(value, struct pl_comm);
} comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lifetime_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PL_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static const struct pl_parent zero_parent;
static const struct pl_comm zero_comm;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/* Filters on the task or its parent being the target process. */
static __always_inline bool wanted(struct task_struct *t)
{
	if (targ_tgid && BPF_CORE_READ(t, tgid) != targ_tgid &&
	    BPF_CORE_READ(t, real_parent, tgid) != targ_tgid)
		return false;
	if (targ_cgid && BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id) != targ_cgid)
		return false;
	return true;
}

static __always_inline struct pl_parent *parent_entry(struct task_struct *parent)
{
	__u32 key = BPF_CORE_READ(parent, tgid);
	struct pl_parent *e = bpf_map_lookup_elem(&parents, &key);

	if (e)
		return e;
	if (bpf_map_update_elem(&parents, &key, &zero_parent, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&parents, &key)) {
		count(PL_LOST_PARENT_FULL);
		return NULL;
	}
	e = bpf_map_lookup_elem(&parents, &key);
	if (e) {
		e->ppid = BPF_CORE_READ(parent, real_parent, tgid);
		BPF_CORE_READ_STR_INTO(&e->comm, parent, group_leader, comm);
	}
	return e;
}

static __always_inline struct pl_comm *comm_entry(struct task_struct *t)
{
	char key[16] = {};
	struct pl_comm *e;

	BPF_CORE_READ_STR_INTO(&key, t, comm);
	e = bpf_map_lookup_elem(&comms, &key);
	if (e)
		return e;
	if (bpf_map_update_elem(&comms, &key, &zero_comm, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&comms, &key)) {
		count(PL_LOST_COMM_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&comms, &key);
}

/* parent forked child; thread creation is told apart when the child is known. */
static __always_inline void on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct pl_parent *e;

	if (child && BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) {
		count(PL_THREADS);
		return;
	}
	if (!wanted(parent))
		return;
	count(PL_FORKS);
	e = parent_entry(parent);
	if (e)
		__sync_fetch_and_add(&e->forks, 1);
}

static __always_inline void on_exec(struct task_struct *t)
{
	struct task_struct *parent = BPF_CORE_READ(t, real_parent);
	struct pl_parent *pe;
	struct pl_comm *ce;

	if (!wanted(t))
		return;
	count(PL_EXECS);
	pe = parent_entry(parent);
	if (pe)
		__sync_fetch_and_add(&pe->execs, 1);
	ce = comm_entry(t);
	if (!ce)
		return;
	__sync_fetch_and_add(&ce->execs, 1);
	ce->last_pid = BPF_CORE_READ(t, tgid);
	ce->last_ppid = BPF_CORE_READ(parent, tgid);
	BPF_CORE_READ_STR_INTO(&ce->parent_comm, parent, group_leader, comm);
}

static __always_inline void on_exit(struct task_struct *t)
{
	__u64 life_ns, start = BPF_CORE_READ(t, start_time), now = bpf_ktime_get_ns();
	__u32 slot;
	struct pl_parent *pe;
	struct pl_comm *ce;
	__u64 *v;
	bool is_short;

	/* A process ends when its thread-group leader exits. */
	if (BPF_CORE_READ(t, pid) != BPF_CORE_READ(t, tgid) || !wanted(t))
		return;
	life_ns = now > start ? now - start : 0;
	is_short = life_ns < short_ns;
	count(PL_EXITS);
	if (is_short)
		count(PL_SHORT_LIVED);
	slot = hist_slot(life_ns / 1000);
	v = bpf_map_lookup_elem(&lifetime_hist, &slot);
	if (v)
		(*v)++;
	pe = parent_entry(BPF_CORE_READ(t, real_parent));
	if (pe) {
		__sync_fetch_and_add(&pe->child_exits, 1);
		if (is_short)
			__sync_fetch_and_add(&pe->short_lived, 1);
	}
	ce = comm_entry(t);
	if (ce) {
		__sync_fetch_and_add(&ce->exits, 1);
		__sync_fetch_and_add(&ce->lifetime_ns, life_ns);
		if (is_short)
			__sync_fetch_and_add(&ce->short_lived, 1);
	}
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p)
{
	on_exec(p);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *p)
{
	on_exit(p);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p)
{
	on_exec(p);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *p)
{
	on_exit(p);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int fork_tp(void *ctx)
{
	on_fork((struct task_struct *)bpf_get_current_task(), NULL);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(void *ctx)
{
	on_exec((struct task_struct *)bpf_get_current_task());
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	on_exit((struct task_struct *)bpf_get_current_task());
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
