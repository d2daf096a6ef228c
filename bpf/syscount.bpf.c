// SPDX-License-Identifier: GPL-2.0
/* syscount.bpf.c: syscall rate, errors and time (F-05, TH-06) from
 * raw_syscalls sys_enter/sys_exit, aggregated in the kernel: per syscall
 * id (counters and a log2 histogram of time in the syscall, ns), and per
 * (process, syscall). It runs twice on every syscall of the host, so every
 * map it writes is per-CPU: plain adds, no atomic, no cache line shared
 * between CPUs; syscount.c sums the CPUs. The entry timestamp lives in
 * task storage (tp_btf) or a hash by tid (raw_tp, classic tracepoint).
 * With task storage, the (process, syscall) counts of a task's last
 * SC_CACHED syscall ids stay there too, and go to the procs hash only when
 * another id takes their slot, when the task exits, or when the window
 * closes (flush_btf, a task iterator syscount.c runs): a loop of read and
 * write makes no hash lookup at all. With the latency
 * knob (the Thursday drill-down; off on Tuesday, where the verifier drops
 * that code), the syscalls of lat_nr also get a log2 histogram per
 * (process, syscall) and their calls at or above lat_slow_ns go to user
 * space through a ring buffer (TH-06 slow calls). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "budget.bpf.h"
#include "syscount.h"

const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgid = 0;
const volatile bool latency = false;
const volatile __s32 lat_nr[SC_LAT_NR] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
const volatile __u64 lat_slow_ns = 10000000;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_start);
} start_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct sc_start);
} start_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SC_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct sc_stat);
} stats SEC(".maps");

/* SC_MAX_SYSCALLS x HIST_SLOTS, time in the syscall, ns. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SC_MAX_SYSCALLS * HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SC_MAX_PROC_KEYS);
	__type(key, struct sc_proc_key);
	__type(value, struct sc_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SC_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_LAT_MAX_KEYS);
	__type(key, struct sc_lat_key);
	__type(value, struct sc_lat);
} lat_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} lat_slow SEC(".maps");

static const struct sc_proc zero_proc;
static const struct sc_lat zero_lat;

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

static __always_inline bool wanted(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (targ_cgid && bpf_get_current_cgroup_id() != targ_cgid)
		return false;
	return true;
}

static __always_inline struct sc_proc *proc_entry(__u32 tgid, __u32 id, struct task_struct *t)
{
	struct sc_proc_key key = { .tgid = tgid, .id = id };
	struct sc_proc *e = bpf_map_lookup_elem(&procs, &key);

	if (e)
		return e;
	if (bpf_map_update_elem(&procs, &key, &zero_proc, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&procs, &key)) {
		count(SC_LOST_PROC_FULL);
		return NULL;
	}
	/* The row's copy on this CPU; copies made on other CPUs later stay
	 * nameless, and syscount.c takes the name from whichever has one. */
	e = bpf_map_lookup_elem(&procs, &key);
	if (e)
		BPF_CORE_READ_STR_INTO(&e->comm, t, group_leader, comm);
	return e;
}

static __always_inline int lat_index(__u32 id)
{
	for (int i = 0; i < SC_LAT_NR; i++)
		if (lat_nr[i] >= 0 && lat_nr[i] == id)
			return i;
	return -1;
}

static __always_inline void lat_slow_event(__u32 idx, __u64 delta, long ret)
{
	struct sc_slow_event *ev = bpf_ringbuf_reserve(&lat_slow, sizeof(*ev), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!ev) {
		count(SC_LAT_LOST_RINGBUF);
		return;
	}
	ev->end_ns = bpf_ktime_get_ns();
	ev->lat_ns = delta;
	ev->ret = ret;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->idx = idx;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

/* The latency part: per (process, syscall) histogram and slow calls. */
static __always_inline void lat_record(__u32 id, __u64 delta, long ret)
{
	int idx = lat_index(id);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sc_lat_key key = {};
	struct task_struct *t;
	struct sc_lat *e;
	__u32 slot;

	if (idx < 0)
		return;
	key.tgid = pid_tgid >> 32;
	key.idx = idx;
	e = bpf_map_lookup_elem(&lat_procs, &key);
	if (!e) {
		if (bpf_map_update_elem(&lat_procs, &key, &zero_lat, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&lat_procs, &key)) {
			count(SC_LAT_LOST_FULL);
			return;
		}
		e = bpf_map_lookup_elem(&lat_procs, &key);
		if (!e)
			return;
		t = (struct task_struct *)bpf_get_current_task();
		BPF_CORE_READ_STR_INTO(&e->comm, t, group_leader, comm);
	}
	slot = hist_slot(delta);
	__sync_fetch_and_add(&e->count, 1);
	__sync_fetch_and_add(&e->total_ns, delta);
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&e->slots[slot], 1);
	if (delta > e->max_ns) {
		e->max_ns = delta;
		e->max_tid = (__u32)pid_tgid;
	}
	if (delta >= lat_slow_ns) {
		count(SC_LAT_SLOW);
		lat_slow_event(idx, delta, ret);
	}
}

static __always_inline void proc_add(__u32 tgid, __u32 id, struct task_struct *t, __u64 count,
				     __u64 errors, __u64 total_ns)
{
	struct sc_proc *pe = proc_entry(tgid, id, t);

	if (pe) {
		pe->count += count;
		pe->errors += errors;
		pe->total_ns += total_ns;
	}
}

/* Adds a cached slot to procs and empties it. */
static __always_inline void flush_slot(struct sc_cached *c, __u32 tgid, struct task_struct *t)
{
	if (!c->count)
		return;
	proc_add(tgid, c->id, t, c->count, c->errors, c->total_ns);
	c->count = 0;
}

/* Adds w calls (one kept call standing for w: budget.bpf.h) to the task's
 * cached slot of id. */
static __always_inline void cache_add(struct sc_start *s, __u32 id, bool failed, __u64 delta,
				      __u64 w)
{
	struct sc_cached *c;
	__u32 k;

	for (k = 0; k < SC_CACHED; k++) {
		c = &s->cache[k];
		if (c->count && c->id == id) {
			c->count += w;
			c->errors += failed ? w : 0;
			c->total_ns += delta * w;
			return;
		}
	}
	k = s->next % SC_CACHED;
	s->next = k + 1;
	c = &s->cache[k];
	flush_slot(c, bpf_get_current_pid_tgid() >> 32, (struct task_struct *)bpf_get_current_task());
	c->id = id;
	c->count = w;
	c->errors = failed ? w : 0;
	c->total_ns = delta * w;
}

static __always_inline void record(struct sc_start *s, long ret, bool cached)
{
	__u64 delta = bpf_ktime_get_ns() - s->ts, w = budget_weight();
	__u32 id = s->id, key;
	bool failed = ret < 0 && ret >= -4095;
	struct sc_stat *st;
	__u64 *slot;

	if (id >= SC_MAX_SYSCALLS) {
		count(SC_LOST_BAD_ID);
		return;
	}
	count_by(SC_EVENTS, w);
	st = bpf_map_lookup_elem(&stats, &id);
	if (st) {
		st->count += w;
		st->errors += failed ? w : 0;
		st->total_ns += delta * w;
		if (delta > st->max_ns)
			st->max_ns = delta;
	}
	key = id * HIST_SLOTS + hist_slot(delta);
	slot = bpf_map_lookup_elem(&hists, &key);
	if (slot)
		*slot += w;
	if (cached)
		cache_add(s, id, failed, delta, w);
	else
		proc_add(bpf_get_current_pid_tgid() >> 32, id,
			 (struct task_struct *)bpf_get_current_task(), w, failed ? w : 0, delta * w);
	if (latency)
		lat_record(id, delta, ret);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(enter_btf, struct pt_regs *regs, long id)
{
	struct sc_start *s;

	if (!wanted() || !budget_keep())
		return 0;
	s = bpf_task_storage_get(&start_ts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count(SC_LOST_START_FULL);
		return 0;
	}
	s->ts = bpf_ktime_get_ns();
	s->id = id;
	s->valid = 1;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(exit_btf, struct pt_regs *regs, long ret)
{
	struct sc_start *s = bpf_task_storage_get(&start_ts, bpf_get_current_task_btf(), 0, 0);

	if (!s || !s->valid)
		return 0;
	record(s, ret, true);
	s->valid = 0;
	return 0;
}

static __always_inline void flush_task(struct task_struct *t)
{
	struct sc_start *s = bpf_task_storage_get(&start_ts, t, 0, 0);
	__u32 tgid = BPF_CORE_READ(t, tgid);

	if (!s)
		return;
	for (__u32 k = 0; k < SC_CACHED; k++)
		flush_slot(&s->cache[k], tgid, t);
}

/* A task's cached counts would go with its storage. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(task_exit_btf, struct task_struct *p)
{
	flush_task(bpf_get_current_task_btf());
	return 0;
}

/* Run by syscount.c when the window closes: every live task's counts. */
SEC("iter/task")
int flush_btf(struct bpf_iter__task *ctx)
{
	/* Read once: a second load of ctx->task would reach flush_task
	 * without the null check, and the verifier refuses that. */
	struct task_struct *t = ctx->task;

	if (t)
		flush_task(t);
	return 0;
}

static __always_inline void enter_hash(long id)
{
	struct sc_start s = { .ts = bpf_ktime_get_ns(), .id = id, .valid = 1 };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!wanted() || !budget_keep())
		return;
	if (bpf_map_update_elem(&start_hash, &tid, &s, BPF_ANY))
		count(SC_LOST_START_FULL);
}

static __always_inline void exit_hash(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sc_start *s = bpf_map_lookup_elem(&start_hash, &tid);

	if (!s)
		return;
	record(s, ret, false);
	bpf_map_delete_elem(&start_hash, &tid);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(enter_raw, struct pt_regs *regs, long id)
{
	enter_hash(id);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(exit_raw, struct pt_regs *regs, long ret)
{
	exit_hash(ret);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	enter_hash(ctx->id);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	exit_hash(ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
