// SPDX-License-Identifier: GPL-2.0
/* syscount.bpf.c: syscall rate, errors and time (F-05, TH-06) from
 * raw_syscalls sys_enter/sys_exit, aggregated in the kernel: per syscall
 * id (counters and a log2 histogram of time in the syscall, ns), and per
 * (process, syscall). It runs twice on every syscall of the host, so the
 * hot path is kept to array lookups, which the verifier inlines: every
 * call is counted at its exit (the id read back from the registers), into
 * per-CPU maps (plain adds, no atomic, no cache line shared between CPUs;
 * syscount.c sums the CPUs), and the per-(process, syscall) counts of a
 * CPU's last SC_CACHED pairs wait in a per-CPU cache, so a loop of read
 * and write makes no hash lookup (syscount.c adds the caches in when the
 * window closes). Time in the syscall takes two clock reads (45 ns each on
 * the project machine) and the entry's state (tid_slot.bpf.h), so only one
 * call in time_every is timed, at random, and counts time_every times
 * (Tuesday's default is 8: rates and errors stay exact, times are
 * estimates); time_every 1 times every call. With the latency knob (the
 * Thursday drill-down; off on Tuesday, where the verifier drops that code,
 * and it times every call), the syscalls of lat_nr also get a log2
 * histogram per (process, syscall), and their calls at or above
 * lat_slow_ns go to user space through a ring buffer (TH-06 slow calls). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "budget.bpf.h"
#include "syscount.h"
#include "fslat.h"

const volatile bool latency = false;
const volatile __s32 lat_nr[SC_LAT_NR] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
const volatile __u64 lat_slow_ns = 10000000;
/* Time one call in time_every (1: all); set by syscount.c. */
const volatile __u32 time_every = 1;
/* exit and exit_group never return: their entry would hold a slot. */
const volatile __s32 nr_exit = -1, nr_exit_group = -1;
/* rt_sigreturn restores the registers it returns to, the syscall number
 * included (-1), so its exit carries no number: it is counted as this. */
const volatile __s32 nr_sigreturn = -1;

__u64 lost_events = 0;
/* fslat rides on syscount in this step (syscount_fs.h): the programs run
 * fs_part.bpf.h too. */
const volatile bool fs_on = false;

/* The thread's call in progress: syscount's part (ts 0: not timed), and
 * fslat's. */
struct tid_state {
	__u64 ts;
	__u32 id;
	__u32 pad;
	struct fs_call fs;
};

#define TID_SLOT_MEMO 1
#include "target.bpf.h"
#include "tid_slot.bpf.h"
#include "fs_part.bpf.h"

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

/* Each CPU's last SC_CACHED (process, syscall) pairs, not yet in procs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sc_cpu_cache);
} cpu_cache SEC(".maps");

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
	return target_current();
}

static __always_inline struct sc_proc *proc_entry(const struct sc_cached *c)
{
	struct sc_proc_key key = { .tgid = c->tgid, .id = c->id };
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
		__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
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

static __always_inline void proc_add(const struct sc_cached *c)
{
	struct sc_proc *pe = proc_entry(c);

	if (pe) {
		pe->count += c->count;
		pe->errors += c->errors;
		pe->total_ns += c->total_ns;
	}
}

/* Adds a call to this CPU's cached (process, syscall) row; a pair not in
 * the cache takes the slot of the older row, which goes to procs. The
 * row keeps its process's name, read once when the row is taken (the
 * evicted row may be another process's). */
static __always_inline void cache_add(__u32 tgid, __u32 id, __u64 w, __u64 errors, __u64 ns)
{
	struct task_struct *t;
	struct sc_cpu_cache *cc;
	struct sc_cached *c;
	__u32 zero = 0, k;

	cc = bpf_map_lookup_elem(&cpu_cache, &zero);
	if (!cc)
		return;
	for (k = 0; k < SC_CACHED; k++) {
		c = &cc->rows[k];
		if (c->count && c->tgid == tgid && c->id == id) {
			c->count += w;
			c->errors += errors;
			c->total_ns += ns;
			return;
		}
	}
	k = cc->next % SC_CACHED;
	cc->next = k + 1;
	c = &cc->rows[k];
	if (c->count)
		proc_add(c);
	c->tgid = tgid;
	c->id = id;
	c->count = w;
	c->errors = errors;
	c->total_ns = ns;
	t = (struct task_struct *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&c->comm, t, group_leader, comm);
}

/* The timed part of a call: time in the syscall, and the latency knob. */
static __always_inline __u64 time_call(__u32 id, struct tid_state *st, long ret, __u64 w)
{
	__u64 delta = bpf_ktime_get_ns() - st->ts, *slot;
	struct sc_stat *s;
	__u32 key;

	if (st->id != id)       /* not the call that entry saw */
		return 0;
	s = bpf_map_lookup_elem(&stats, &id);
	if (s) {
		s->total_ns += delta * w;
		if (delta > s->max_ns)
			s->max_ns = delta;
	}
	key = id * HIST_SLOTS + hist_slot(delta);
	slot = bpf_map_lookup_elem(&hists, &key);
	if (slot)
		*slot += w;
	if (latency)
		lat_record(id, delta, ret);
	return delta * w;
}

static __always_inline void on_enter(long id)
{
	struct tid_state *st;

	if (time_every > 1 && bpf_get_prandom_u32() % time_every)
		return;
	if (id == nr_exit || id == nr_exit_group || !wanted() || !budget_keep())
		return;
	st = tid_state_claim((__u32)bpf_get_current_pid_tgid());
	if (!st)
		return;
	st->ts = bpf_ktime_get_ns();
	st->id = id;
}

static __always_inline void on_exit(long id, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), w = budget_weight(), ns = 0;
	/* rt_sigreturn (id -1 at exit) returns the interrupted context's
	 * rax: a -EINTR there is the interrupted call's, counted at its exit. */
	bool failed = id != -1 && ret < 0 && ret >= -4095;
	struct tid_state st;
	struct sc_stat *s;
	__u32 nr = id == -1 ? nr_sigreturn : id;

	/* A timed call is timed whatever the sampling below: its slot must
	 * be freed. */
	if (tid_state_take((__u32)pid_tgid, &st)) {
		if (st.ts && nr < SC_MAX_SYSCALLS)
			ns = time_call(nr, &st, ret, time_every * w);
		if (fs_on)
			fs_on_exit(&st.fs, ret);
	}
	if (!wanted() || !budget_keep())
		return;
	if (nr >= SC_MAX_SYSCALLS) {
		count(SC_LOST_BAD_ID);
		return;
	}
	s = bpf_map_lookup_elem(&stats, &nr);
	if (s) {
		s->count += w;
		s->errors += failed ? w : 0;
	}
	cache_add(pid_tgid >> 32, nr, w, failed ? w : 0, ns);
}

/* The syscall number at exit, from the user registers the call saved. */
#if defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#else
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#endif

/* fslat's part at entry, when it rides: a file-system call, or another
 * that may change an fd's file. */
#define FS_ENTER(id, fd_expr, btf)						\
	do {								\
		if (fs_on) {						\
			if (op_of(id) >= 0)				\
				fs_on_enter(id, fd_expr, btf);		\
			else						\
				fs_on_other(id);			\
		}							\
	} while (0)

SEC("tp_btf/sys_enter")
int BPF_PROG(enter_btf, struct pt_regs *regs, long id)
{
	on_enter(id);
	FS_ENTER(id, PT_REGS_PARM1_SYSCALL(regs), true);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(exit_btf, struct pt_regs *regs, long ret)
{
	on_exit(SYSCALL_NR(regs), ret);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(enter_raw, struct pt_regs *regs, long id)
{
	on_enter(id);
	FS_ENTER(id, PT_REGS_PARM1_CORE_SYSCALL(regs), false);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(exit_raw, struct pt_regs *regs, long ret)
{
	on_exit(SYSCALL_NR(regs), ret);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	on_enter(ctx->id);
	FS_ENTER(ctx->id, ctx->args[0], false);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	on_exit(ctx->id, ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
