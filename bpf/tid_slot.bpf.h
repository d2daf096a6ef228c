/* tid_slot.bpf.h: per-thread state for the programs that time a syscall
 * from its entry to its exit, on the host's hottest path (every syscall).
 * The state sits in a plain array indexed by thread id: the verifier
 * inlines an array lookup, where task storage cost 80 ns a lookup on the
 * project machine and a hash by tid about as much (docs/performance.md).
 * A slot is held by one thread from its entry to its exit, tagged with its
 * tid; a thread whose slot another thread holds (tids equal modulo
 * TID_SLOTS: only where pid_max exceeds it) keeps its state in a hash by
 * tid instead, and the slot counts such threads, so an exit looks in the
 * hash only when some thread of its slot is there. The collector defines
 * struct tid_state before including this, and a __u64 lost_events; with
 * TID_SLOT_MEMO defined, also struct tid_memo. */
#ifndef FRIDAY_TID_SLOT_BPF_H
#define FRIDAY_TID_SLOT_BPF_H

#include <bpf/bpf_helpers.h>

#define TID_SLOTS 32768         /* the default pid_max */
#define TID_SPILL_MAX 8192

struct tid_slot {
	__u32 tid;              /* the thread in the call, 0: free */
	__u32 nr_spilled;       /* threads of this slot in tid_spill */
	struct tid_state st;
#ifdef TID_SLOT_MEMO
	/* What the collector remembers of the slot's last thread between
	 * calls, tagged with its own tid: the slot's cache line is read at
	 * every exit anyway. */
	struct tid_memo memo;
#endif
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TID_SLOTS);
	__type(key, __u32);
	__type(value, struct tid_slot);
} tid_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TID_SPILL_MAX);
	__type(key, __u32);
	__type(value, struct tid_state);
} tid_spill SEC(".maps");

static __always_inline struct tid_slot *tid_slot_of(__u32 tid)
{
	__u32 idx = tid & (TID_SLOTS - 1);

	return bpf_map_lookup_elem(&tid_slots, &idx);
}

/* The state for the call thread tid enters now, for the caller to fill;
 * NULL (counted in lost_events) when there is no room. */
static __always_inline struct tid_state *tid_state_claim(__u32 tid)
{
	struct tid_slot *s = tid_slot_of(tid);
	struct tid_state zero = {};

	if (!s)
		return NULL;
	/* A free slot, or its own: a call whose exit was never seen (the
	 * programs were attached in between) is simply replaced. The claim
	 * is not atomic (compare-and-swap needs BPF v3 atomics, kernel 5.12):
	 * two threads of one slot entering in the same instant on two CPUs
	 * may both take it, and one of their calls goes untimed. */
	if (s->tid == tid)
		return &s->st;
	if (!s->tid) {
		/* Two parts of one object may claim it for one call
		 * (syscount.bpf.c): a part that did not leaves its state 0. */
		s->tid = tid;
		s->st = zero;
		return &s->st;
	}
	if (bpf_map_update_elem(&tid_spill, &tid, &zero, BPF_ANY)) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}
	__sync_fetch_and_add(&s->nr_spilled, 1);
	return bpf_map_lookup_elem(&tid_spill, &tid);
}

/* Thread tid's state from its entry into out, and the slot freed; false
 * when its entry left none (not timed, or begun before the window). */
static __always_inline bool tid_state_take(__u32 tid, struct tid_state *out)
{
	struct tid_slot *s = tid_slot_of(tid);
	struct tid_state *st;

	if (!s)
		return false;
	if (s->tid == tid) {
		*out = s->st;
		s->tid = 0;
		return true;
	}
	if (!s->nr_spilled)
		return false;
	st = bpf_map_lookup_elem(&tid_spill, &tid);
	if (!st)
		return false;
	*out = *st;
	bpf_map_delete_elem(&tid_spill, &tid);
	__sync_fetch_and_add(&s->nr_spilled, -1);
	return true;
}

#endif
