/* task_ts.bpf.h: per-task state for collectors that time an interval from
 * one event of a task to a later one (reclaim begin -> end, syscall enter
 * -> exit). Task local storage when the program kind allows it (tp_btf);
 * else a hash by thread id, with a delete at exit. Each collector defines
 * struct task_state before including this, and a __u64 lost_events. */
#ifndef FRIDAY_TASK_TS_BPF_H
#define FRIDAY_TASK_TS_BPF_H

#include <bpf/bpf_helpers.h>

#define TASK_TS_MAX_THREADS 16384

/* Set by user space from the attach kind before load. */
const volatile bool use_task_storage = true;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TASK_TS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct task_state);
} tid_store SEC(".maps");

static __always_inline struct task_state *task_state_get(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_state *st, zero = {};

	if (use_task_storage) {
		st = bpf_task_storage_get(&task_store, bpf_get_current_task_btf(), 0,
					  create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (!st && create)
			__sync_fetch_and_add(&lost_events, 1);
		return st;
	}
	st = bpf_map_lookup_elem(&tid_store, &tid);
	if (st || !create)
		return st;
	if (bpf_map_update_elem(&tid_store, &tid, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&tid_store, &tid)) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&tid_store, &tid);
}

/* At thread exit: the hash entry would otherwise leak (task storage is
 * freed with the task). */
static __always_inline void task_state_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!use_task_storage)
		bpf_map_delete_elem(&tid_store, &tid);
}

#endif
