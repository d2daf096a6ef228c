// SPDX-License-Identifier: GPL-2.0
/* waste.bpf.c: work that may be unnecessary (F-07), counted in the kernel
 * from tracepoints: openat's file name and result per process, failing
 * syscalls by errno, poll/select/epoll calls that return 0, and children
 * that exit within short_ns of their fork, per parent. Classic
 * tracepoints only (syscalls:*, raw_syscalls:sys_exit, sched:*), so it
 * runs wherever tracefs does. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "waste.h"

const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgid = 0;
const volatile __u64 short_ns = 10000000;
const volatile __u32 poll_ids[WS_NR_POLL_IDS] = { ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u };

/* In-flight state is LRU: an entry whose exit never came (a task killed in
 * openat, a child that outlived the window) must not fill the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} open_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ws_open_key);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WS_MAX_OPENS);
	__type(key, struct ws_open_key);
	__type(value, struct ws_count);
} opens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WS_MAX_ERRORS);
	__type(key, struct ws_err_key);
	__type(value, struct ws_count);
} errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WS_MAX_POLLS);
	__type(key, struct ws_poll_key);
	__type(value, struct ws_count);
} polls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WS_MAX_CHILDREN);
	__type(key, __u32);
	__type(value, struct ws_child);
} children SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WS_MAX_PARENTS);
	__type(key, __u32);
	__type(value, struct ws_parent);
} parents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WS_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static const struct ws_count zero_count;
static const struct ws_parent zero_parent;

static __always_inline void count_lost(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline bool wanted(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (targ_cgid && bpf_get_current_cgroup_id() != targ_cgid)
		return false;
	return true;
}

/* The entry for key in map, made (with the process's name) when new. */
static __always_inline struct ws_count *entry(void *map, void *key, __u32 lost)
{
	struct ws_count *e = bpf_map_lookup_elem(map, key);

	if (e)
		return e;
	if (bpf_map_update_elem(map, key, &zero_count, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(map, key)) {
		count_lost(lost);
		return NULL;
	}
	e = bpf_map_lookup_elem(map, key);
	if (e)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 fname = (__u64)ctx->args[1];

	if (wanted())
		bpf_map_update_elem(&open_args, &tid, &fname, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0;
	__u64 *fname = bpf_map_lookup_elem(&open_args, &tid);
	struct ws_open_key *key;
	struct ws_count *e;
	long ret = ctx->ret;

	if (!fname)
		return 0;
	key = bpf_map_lookup_elem(&scratch, &zero);
	if (key) {
		__builtin_memset(key, 0, sizeof(*key));
		key->tgid = id >> 32;
		key->err = ret < 0 ? (__s32)-ret : 0;
		bpf_probe_read_user_str(key->fname, sizeof(key->fname), (void *)*fname);
		e = entry(&opens, key, WS_LOST_OPENS);
		if (e)
			__sync_fetch_and_add(&e->count, 1);
	}
	bpf_map_delete_elem(&open_args, &tid);
	return 0;
}

static __always_inline bool is_poll(__u32 nr)
{
	for (int i = 0; i < WS_NR_POLL_IDS; i++)
		if (poll_ids[i] == nr)
			return true;
	return false;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int exit_any(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, nr = (__u32)ctx->id;
	long ret = ctx->ret;
	struct ws_count *e;

	/* id -1: no syscall (a restart or a tracer's skip), not a real call */
	if (!wanted() || ctx->id < 0)
		return 0;
	if (ret < 0 && ret >= -4095) {
		struct ws_err_key k = { .tgid = tgid, .id = nr, .err = (__s32)-ret };

		e = entry(&errors, &k, WS_LOST_ERRORS);
		if (e)
			__sync_fetch_and_add(&e->count, 1);
	}
	if (is_poll(nr)) {
		struct ws_poll_key k = { .tgid = tgid, .id = nr };

		e = entry(&polls, &k, WS_LOST_POLLS);
		if (e) {
			__sync_fetch_and_add(&e->count, 1);
			if (ret == 0)
				__sync_fetch_and_add(&e->zero, 1);
		}
	}
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int on_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct ws_child c = { .fork_ns = bpf_ktime_get_ns() };
	__u32 child = ctx->child_pid;

	if (!wanted())
		return 0;
	c.ptgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(c.pcomm, sizeof(c.pcomm));
	if (bpf_map_update_elem(&children, &child, &c, BPF_ANY))
		count_lost(WS_LOST_CHILDREN);
	return 0;
}

/* A process (its thread-group leader) exits: how long after its fork. */
SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), life;
	__u32 tid = (__u32)id;
	struct ws_child *c = bpf_map_lookup_elem(&children, &tid);
	struct ws_parent *p;

	if (!c)
		return 0;
	if (tid == (__u32)(id >> 32)) {
		life = bpf_ktime_get_ns() - c->fork_ns;
		p = bpf_map_lookup_elem(&parents, &c->ptgid);
		if (!p) {
			bpf_map_update_elem(&parents, &c->ptgid, &zero_parent, BPF_NOEXIST);
			p = bpf_map_lookup_elem(&parents, &c->ptgid);
			if (p)
				__builtin_memcpy(p->comm, c->pcomm, sizeof(p->comm));
		}
		if (p) {
			__sync_fetch_and_add(&p->exits, 1);
			if (life < short_ns) {
				__sync_fetch_and_add(&p->short_lived, 1);
				__sync_fetch_and_add(&p->lifetime_ns, life);
				bpf_get_current_comm(p->child_comm, sizeof(p->child_comm));
			}
		}
	}
	bpf_map_delete_elem(&children, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
