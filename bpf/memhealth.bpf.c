// SPDX-License-Identifier: GPL-2.0
/* memhealth.bpf.c: memory saturation seen from the kernel: time each
 * process spends in direct and memory-cgroup reclaim and in direct
 * compaction (begin -> end per task), major faults per process (the
 * task's maj_flt counter, read at each of its user page faults and at its
 * exit), the latency of each swap-in (the user page fault's start -> the
 * moment the fault replaces the swap entry in the process's page table,
 * which kmem:rss_stat shows as a change of MM_SWAPENTS in the faulting
 * task outside reclaim), and OOM victims through a ring buffer. Swap-out
 * and scan rates have no tracepoint and are read from /proc/vmstat by
 * memhealth.c. Each handler comes as tp_btf and raw_tp (see variant.h). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "memhealth.h"

char LICENSE[] SEC("license") = "GPL";

__u64 lost_events = 0;

/* Off when the host has no swap: no swap-in can happen, and neither the
 * fault timestamp nor the rss_stat program (every RSS change) is paid. */
const volatile bool time_swapins = true;

enum { RECLAIM_NONE, RECLAIM_DIRECT, RECLAIM_MEMCG };

struct task_state {
	__u64 reclaim_start_ns;
	__u64 compact_start_ns;
	__u64 fault_start_ns;       /* the current (or last) user page fault */
	__u64 last_maj_flt;
	__u8 reclaim_kind;
	__u8 seen;
};

#include "target.bpf.h"
#include "task_ts.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEM_MAX_PIDS);
	__type(key, __u32);
	__type(value, struct mem_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEM_NR_HISTS * HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} ooms SEC(".maps");

static __always_inline void hist_add(__u32 which, __u64 val_ns)
{
	__u32 key = which * HIST_SLOTS + hist_slot(val_ns / 1000);
	__u64 *slot = bpf_map_lookup_elem(&hists, &key);

	if (slot)
		*slot += 1;
}

static __always_inline __u64 memcg_of(struct task_struct *t)
{
	return task_css_cgid(t, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
}

/* The current process's row, created on first use. */
static __always_inline struct mem_proc *proc_get(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct mem_proc *p = bpf_map_lookup_elem(&procs, &tgid), zero = {};

	if (p)
		return p;
	bpf_get_current_comm(zero.comm, sizeof(zero.comm));
	zero.memcg_id = memcg_of((struct task_struct *)bpf_get_current_task());
	if (bpf_map_update_elem(&procs, &tgid, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&procs, &tgid)) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&procs, &tgid);
}

static __always_inline int reclaim_begin(__u8 kind)
{
	struct task_state *st;

	if (!target_current() || !(st = task_state_get(true)))
		return 0;
	st->reclaim_start_ns = bpf_ktime_get_ns();
	st->reclaim_kind = kind;
	return 0;
}

static __always_inline int reclaim_end(void)
{
	struct task_state *st = task_state_get(false);
	struct mem_proc *p;
	__u64 delta;

	if (!st || !st->reclaim_start_ns)
		return 0;
	delta = bpf_ktime_get_ns() - st->reclaim_start_ns;
	st->reclaim_start_ns = 0;
	if (!(p = proc_get()))
		return 0;
	if (delta > p->reclaim_max_ns)
		p->reclaim_max_ns = delta;
	if (st->reclaim_kind == RECLAIM_MEMCG) {
		__sync_fetch_and_add(&p->memcg_reclaim_ns, delta);
		__sync_fetch_and_add(&p->memcg_reclaim_nr, 1);
		hist_add(MEM_HIST_MEMCG_RECLAIM, delta);
	} else {
		__sync_fetch_and_add(&p->direct_reclaim_ns, delta);
		__sync_fetch_and_add(&p->direct_reclaim_nr, 1);
		hist_add(MEM_HIST_DIRECT_RECLAIM, delta);
	}
	return 0;
}

static __always_inline int compaction_begin(struct compact_control *cc)
{
	struct task_state *st;

	/* kcompactd compacts in the background; only direct compaction stalls. */
	if (!BPF_CORE_READ(cc, direct_compaction) || !target_current() ||
	    !(st = task_state_get(true)))
		return 0;
	st->compact_start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int compaction_end(void)
{
	struct task_state *st = task_state_get(false);
	struct mem_proc *p;
	__u64 delta;

	if (!st || !st->compact_start_ns)
		return 0;
	delta = bpf_ktime_get_ns() - st->compact_start_ns;
	st->compact_start_ns = 0;
	if (!(p = proc_get()))
		return 0;
	__sync_fetch_and_add(&p->compact_ns, delta);
	__sync_fetch_and_add(&p->compact_nr, 1);
	hist_add(MEM_HIST_COMPACTION, delta);
	return 0;
}

/* maj_flt grows at the end of a fault; the tracepoint fires at its start,
 * so the growth seen at the next fault (or at exit) is the earlier faults'. */
static __always_inline struct task_state *account_maj_flt(bool fault)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 maj = BPF_CORE_READ(t, maj_flt);
	struct task_state *st = task_state_get(fault);
	struct mem_proc *p;

	if (!st)
		return NULL;
	if (st->seen && maj > st->last_maj_flt) {
		if ((p = proc_get()))
			__sync_fetch_and_add(&p->major_faults, maj - st->last_maj_flt);
	} else if (fault && st->seen && (p = bpf_map_lookup_elem(&procs, &(__u32){
			bpf_get_current_pid_tgid() >> 32 }))) {
		/* Only existing rows count minor faults: a row per faulting
		 * process on a busy host would fill the map for nothing. */
		__sync_fetch_and_add(&p->faults, 1);
	}
	st->last_maj_flt = maj;
	st->seen = 1;
	return st;
}

static __always_inline int page_fault(void)
{
	struct task_state *st;

	if (target_current() && (st = account_maj_flt(true)) && time_swapins)
		st->fault_start_ns = bpf_ktime_get_ns();
	return 0;
}

/* A swap-in ends when the fault puts the page back and drops the swap
 * entry (MM_SWAPENTS of the faulting task's own mm). The same counter
 * moves when the task itself reclaims (swap-out: skipped, reclaim is
 * timed) and when it unmaps swapped memory (a syscall or exit, long after
 * its last fault: bounded by SWAPIN_MAX_NS). */
#define SWAPIN_MAX_NS 1000000000ull

static __always_inline int rss_changed(struct mm_struct *mm, int member)
{
	struct task_struct *t;
	struct task_state *st;
	struct mem_proc *p;
	__u64 delta;

	/* An anonymous enum in the kernel (no CO-RE name): 2 since 2.6. */
	if (member != MM_SWAPENTS)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(t, mm) != mm || !(st = task_state_get(false)) || !st->fault_start_ns ||
	    st->reclaim_start_ns)
		return 0;
	delta = bpf_ktime_get_ns() - st->fault_start_ns;
	st->fault_start_ns = 0;
	if (delta > SWAPIN_MAX_NS || !(p = proc_get()))
		return 0;
	__sync_fetch_and_add(&p->swapin_ns, delta);
	__sync_fetch_and_add(&p->swapin_nr, 1);
	if (delta > p->swapin_max_ns)
		p->swapin_max_ns = delta;
	hist_add(MEM_HIST_SWAPIN, delta);
	return 0;
}

static __always_inline int process_exit(void)
{
	struct task_state *st = target_current() ? account_maj_flt(false) : NULL;

	if (st)
		st->fault_start_ns = 0;
	task_state_exit();
	return 0;
}

static __always_inline int oom_victim(struct task_struct *victim)
{
	struct mem_oom *e = bpf_ringbuf_reserve(&ooms, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->pid = BPF_CORE_READ(victim, tgid);
	e->memcg_id = memcg_of(victim);
	e->total_vm_pages = BPF_CORE_READ(victim, mm, total_vm);
	e->rss_pages = 0;
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

VARIANTS(mm_vmscan_direct_reclaim_begin, direct_begin, ARGS(int order), reclaim_begin(RECLAIM_DIRECT))
VARIANTS(mm_vmscan_direct_reclaim_end, direct_end, ARGS(unsigned long nr), reclaim_end())
VARIANTS(mm_vmscan_memcg_reclaim_begin, memcg_begin, ARGS(int order), reclaim_begin(RECLAIM_MEMCG))
VARIANTS(mm_vmscan_memcg_reclaim_end, memcg_end, ARGS(unsigned long nr), reclaim_end())
VARIANTS(mm_compaction_begin, compact_begin, ARGS(struct compact_control *cc), compaction_begin(cc))
VARIANTS(mm_compaction_end, compact_end, ARGS(struct compact_control *cc), compaction_end())
VARIANTS(page_fault_user, fault_user, ARGS(unsigned long address), page_fault())
VARIANTS(sched_process_exit, proc_exit, ARGS(struct task_struct *p), process_exit())
VARIANTS(rss_stat, rss_stat, ARGS(struct mm_struct *mm, int member), rss_changed(mm, member))
VARIANTS(mark_victim, oom_victim, ARGS(struct task_struct *victim), oom_victim(victim))
