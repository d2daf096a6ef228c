// SPDX-License-Identifier: GPL-2.0
/* runqlat.bpf.c: run-queue latency, the time a runnable task waits for a
 * CPU (TH-02), aggregated in the kernel: one log2 histogram for the host,
 * one per CPU, and totals plus a histogram per process. A task is queued
 * at sched_wakeup / sched_wakeup_new, and again at sched_switch when it
 * was preempted (still TASK_RUNNING); it stops waiting when switched in.
 * Three variants of the same handlers: tp_btf (timestamps in task
 * storage), raw_tp and classic tracepoints (timestamps in a hash by tid).
 * Thursday's knobs add a histogram per cgroup (the cpu controller's) and
 * runqslower-style outliers: waits above a floor user space raises as its
 * list of the slowest N fills, each with the task that held the CPU (prev
 * at the switch that ran the waiter); tp_btf and raw_tp only. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "budget.bpf.h"
#include "heat.bpf.h"
#include "runqlat.h"

#define TASK_RUNNING 0
/* Classic sched_switch reports a preempted task with this bit or above. */
#define TASK_REPORT_MAX_MIN 0x80

const volatile __u32 targ_tgid = 0;      /* 0: every process */
const volatile __u64 targ_cgid = 0;      /* cgroup v2 id, 0: every cgroup */
const volatile bool key_by_tid = false;  /* classic variant: no tgid at hand */
/* Thursday's knobs (off on Tuesday, so the health probe stays cheap). */
const volatile bool per_cgroup = false;
const volatile bool outliers = false;
/* Thursday's heat map: waits per time column of heat_col_ns and log2
 * latency. */
const volatile bool heatmap = false;
const volatile __u64 heat_col_ns = 1000000000;

/* Raised by user space to the smallest of the slowest N it holds, so the
 * ring buffer carries only waits that can still enter the list. */
__u64 outlier_min_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} start_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RQ_MAX_START);
	__type(key, __u32);
	__type(value, __u64);
} start_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist_host SEC(".maps");

/* nr_cpus * HIST_SLOTS, sized before load; row cpu is only written on cpu. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hist_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RQ_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct rq_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RQ_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct rq_cgroup);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} outlier_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RQ_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

HEAT_MAP(heat);

static const struct rq_proc zero_proc;
static const struct rq_cgroup zero_cgroup;

static __always_inline void count_by(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
}

static __always_inline void count(__u32 idx)
{
	count_by(idx, 1);
}

static __always_inline bool wanted(struct task_struct *p)
{
	if (targ_tgid && BPF_CORE_READ(p, tgid) != targ_tgid)
		return false;
	if (targ_cgid && BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id) != targ_cgid)
		return false;
	return true;
}

static __always_inline void enqueue_storage(struct task_struct *p)
{
	__u64 *ts;

	if (!p->pid || !wanted(p) || !budget_keep())
		return;
	ts = bpf_task_storage_get(&start_ts, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts)
		*ts = bpf_ktime_get_ns();
	else
		count(RQ_LOST_START_FULL);
}

static __always_inline void enqueue_hash(__u32 tid)
{
	__u64 now = bpf_ktime_get_ns();

	if (!tid || !budget_keep())
		return;
	if (bpf_map_update_elem(&start_hash, &tid, &now, BPF_ANY))
		count(RQ_LOST_START_FULL);
}

static __always_inline struct rq_proc *proc_entry(__u32 key)
{
	struct rq_proc *e = bpf_map_lookup_elem(&procs, &key);

	if (e)
		return e;
	if (bpf_map_update_elem(&procs, &key, &zero_proc, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&procs, &key)) {
		count(RQ_LOST_PROC_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&procs, &key);
}

static __always_inline void record(__u64 delta_ns, __u32 tid, __u32 tgid, const char *comm)
{
	__u32 slot = hist_slot(delta_ns / 1000), cpu = bpf_get_smp_processor_id();
	__u32 key = cpu * HIST_SLOTS + slot;
	__u64 w = budget_weight(), *v;
	struct rq_proc *e;

	v = bpf_map_lookup_elem(&hist_host, &slot);
	if (v)
		*v += w;
	v = bpf_map_lookup_elem(&hist_cpu, &key);
	if (v)
		__sync_fetch_and_add(v, w);
	if (heatmap)
		heat_add(&heat, heat_col_ns, bpf_ktime_get_ns(), delta_ns / 1000, w);
	count_by(RQ_EVENTS, w);
	e = proc_entry(key_by_tid ? tid : tgid);
	if (!e)
		return;
	__sync_fetch_and_add(&e->total_ns, delta_ns * w);
	__sync_fetch_and_add(&e->count, w);
	if (delta_ns > e->max_ns)
		e->max_ns = delta_ns;
	e->last_tid = tid;
	__builtin_memcpy(e->comm, comm, sizeof(e->comm));
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&e->slots[slot], w);
}

struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

/* The cpu controller's cgroup: the one whose shares and quota decide. */
static __always_inline __u64 cpu_cgid(struct task_struct *t)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);

	return BPF_CORE_READ(t, cgroups, subsys[id], cgroup, kn, id);
}

static __always_inline void record_cgroup(__u64 cgid, __u64 delta_ns)
{
	struct rq_cgroup *e = bpf_map_lookup_elem(&cgroups, &cgid);
	__u32 slot = hist_slot(delta_ns / 1000);

	if (!e) {
		if (bpf_map_update_elem(&cgroups, &cgid, &zero_cgroup, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&cgroups, &cgid)) {
			count(RQ_LOST_CGROUP_FULL);
			return;
		}
		e = bpf_map_lookup_elem(&cgroups, &cgid);
		if (!e)
			return;
	}
	__sync_fetch_and_add(&e->total_ns, delta_ns);
	__sync_fetch_and_add(&e->count, 1);
	if (delta_ns > e->max_ns)
		e->max_ns = delta_ns;
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&e->slots[slot], 1);
}

static __always_inline void record_outlier(__u64 delta_ns, struct task_struct *prev,
					   struct task_struct *next, __u64 cgid)
{
	struct rq_outlier *o;

	if (delta_ns < outlier_min_ns)
		return;
	o = bpf_ringbuf_reserve(&outlier_rb, sizeof(*o), 0);
	if (!o) {
		count(RQ_LOST_OUTLIER);
		return;
	}
	o->time_ns = bpf_ktime_get_ns();
	o->lat_ns = delta_ns;
	o->cgid = cgid;
	o->pid = BPF_CORE_READ(next, tgid);
	o->tid = BPF_CORE_READ(next, pid);
	o->cpu = bpf_get_smp_processor_id();
	o->holder_pid = BPF_CORE_READ(prev, tgid);
	o->holder_tid = BPF_CORE_READ(prev, pid);
	BPF_CORE_READ_STR_INTO(&o->comm, next, comm);
	BPF_CORE_READ_STR_INTO(&o->holder_comm, prev, comm);
	bpf_ringbuf_submit(o, 0);
}

/* Thursday's drill-down of one wait: its cgroup, and whether it is slow
 * enough to be among the outliers. */
static __always_inline void drill_down(__u64 delta_ns, struct task_struct *prev,
				       struct task_struct *next)
{
	__u64 cgid;

	if (!per_cgroup && !outliers)
		return;
	cgid = cpu_cgid(next);
	if (per_cgroup)
		record_cgroup(cgid, delta_ns);
	if (outliers)
		record_outlier(delta_ns, prev, next, cgid);
}

/* tp_btf: typed task pointers, timestamps in task storage. */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *p)
{
	enqueue_storage(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new_btf, struct task_struct *p)
{
	enqueue_storage(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	char comm[16];
	__u64 *ts, delta_ns;

	if (task_state(prev) == TASK_RUNNING)
		enqueue_storage(prev);
	ts = bpf_task_storage_get(&start_ts, next, 0, 0);
	if (!ts || !*ts)
		return 0;
	delta_ns = bpf_ktime_get_ns() - *ts;
	BPF_CORE_READ_STR_INTO(&comm, next, group_leader, comm);
	record(delta_ns, next->pid, next->tgid, comm);
	drill_down(delta_ns, prev, next);
	*ts = 0;
	return 0;
}

/* raw_tp: untyped pointers read with CO-RE, timestamps by tid. */
static __always_inline void enqueue_task_hash(struct task_struct *p)
{
	if (wanted(p))
		enqueue_hash(BPF_CORE_READ(p, pid));
}

/* Returns the wait that ended, 0 when none was recorded. */
static __always_inline __u64 switch_in_hash(__u32 tid, __u32 tgid, const char *comm)
{
	__u64 *ts = bpf_map_lookup_elem(&start_hash, &tid), now = bpf_ktime_get_ns(), delta = 0;

	if (!ts)
		return 0;
	if (now > *ts) {
		delta = now - *ts;
		record(delta, tid, tgid, comm);
	}
	bpf_map_delete_elem(&start_hash, &tid);
	return delta;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	enqueue_task_hash(p);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wakeup_new_raw, struct task_struct *p)
{
	enqueue_task_hash(p);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	char comm[16];
	__u64 delta_ns;

	if (task_state(prev) == TASK_RUNNING)
		enqueue_task_hash(prev);
	BPF_CORE_READ_STR_INTO(&comm, next, group_leader, comm);
	delta_ns = switch_in_hash(BPF_CORE_READ(next, pid), BPF_CORE_READ(next, tgid), comm);
	if (delta_ns)
		drill_down(delta_ns, prev, next);
	return 0;
}

/* Classic tracepoints: no task pointer for the wakee, so host-wide only
 * (the loader refuses this variant when -p or --cgroup is given). */
SEC("tracepoint/sched/sched_wakeup")
int wakeup_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	enqueue_hash(ctx->pid);
	return 0;
}

SEC("tracepoint/sched/sched_wakeup_new")
int wakeup_new_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	enqueue_hash(ctx->pid);
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	char comm[16];
	long state = ctx->prev_state;

	if (state == TASK_RUNNING || state >= TASK_REPORT_MAX_MIN)
		enqueue_hash(ctx->prev_pid);
	/* A copy straight from the context would be a modified ctx pointer. */
	bpf_probe_read_kernel_str(comm, sizeof(comm), ctx->next_comm);
	switch_in_hash(ctx->next_pid, 0, comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
