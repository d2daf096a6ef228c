/* stacks.bpf.h: BPF-side pieces the stack collectors (profile, offcpu)
 * share: the target filter (-p PID, --cgroup PATH) as read-only knobs set
 * before load, and the announcement of processes seen for the first time,
 * so user space snapshots their mappings while they still live. */
#ifndef FRIDAY_STACKS_BPF_H
#define FRIDAY_STACKS_BPF_H

#include "stacks.h"

/* Knobs: 0 means no filter. A cgroup v2 target is matched with its
 * ancestors' ids (descendants included); a cgroup v1 target by its tgids,
 * which user space keeps in targ_tgids. */
const volatile __u32 targ_tgid = 0;
const volatile __u64 targ_cgid = 0;
const volatile __u32 targ_cg_level = 0;
const volatile bool targ_use_tgids = false;

/* Counted in the data section, reported as lost events. */
__u64 lost_stacks = 0;     /* bpf_get_stackid failed: -EFAULT, -EEXIST, -ENOMEM */
__u64 lost_counts = 0;     /* the aggregate map was full */
__u64 lost_procs = 0;      /* ring buffer full: a process was not announced */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} targ_tgids SEC(".maps");

/* Processes already announced to user space. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} seen_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} proc_events SEC(".maps");

static __always_inline bool target_match(__u32 tgid)
{
	if (targ_tgid && tgid != targ_tgid)
		return false;
	if (targ_cgid && bpf_get_current_ancestor_cgroup_id(targ_cg_level) != targ_cgid)
		return false;
	if (targ_use_tgids && !bpf_map_lookup_elem(&targ_tgids, &tgid))
		return false;
	return true;
}

static __always_inline void announce(__u32 tgid, __u32 exited)
{
	struct stack_proc_event *e;

	e = bpf_ringbuf_reserve(&proc_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_procs, 1);
		return;
	}
	e->tgid = tgid;
	e->exited = exited;
	bpf_ringbuf_submit(e, 0);
}

/* Announces a process the first time a sample or block of it is kept. */
static __always_inline void note_tgid(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_lookup_elem(&seen_tgids, &tgid))
		return;
	if (bpf_map_update_elem(&seen_tgids, &tgid, &one, BPF_NOEXIST) == 0)
		announce(tgid, 0);
}

/* Takes a stack id; a failure is a lost stack, counted, never silent. */
static __always_inline __s32 stack_id(void *ctx, void *map, __u64 flags)
{
	long id = bpf_get_stackid(ctx, map, flags);

	if (id < 0)
		__sync_fetch_and_add(&lost_stacks, 1);
	return (__s32)id;
}

static __always_inline void add_count(void *map, const void *key, __u64 delta)
{
	__u64 *val, zero = 0;

	val = bpf_map_lookup_elem(map, key);
	if (!val) {
		/* -EEXIST here means another CPU added it first: fine. */
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(map, key);
		if (!val) {
			__sync_fetch_and_add(&lost_counts, 1);
			return;
		}
	}
	__sync_fetch_and_add(val, delta);
}

#endif
