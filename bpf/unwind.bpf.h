/* unwind.bpf.h: the BPF side of DWARF unwinding, shared by profile.bpf.c
 * and offcpu.bpf.c. For a process selected for unwinding it copies the
 * task's user registers (task_pt_regs: for a sample taken in kernel mode
 * and for a task switching out, the registers saved at its entry from
 * user mode) and the top of its user stack into a ring buffer, as `perf
 * record --call-graph dwarf` does; user space unwinds them with libdw
 * (bpf/unwind_feed.c). Every reserve failure and short read is counted.
 * x86-64 only: elsewhere nothing is copied and the frame-pointer stacks
 * stay. */
#ifndef FRIDAY_UNWIND_BPF_H
#define FRIDAY_UNWIND_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "stacks.h"

/* Knobs set before load: the mode, and the most stack bytes a copy may
 * take (user space may ask for fewer per process in unwind_tgids). */
const volatile __u32 unwind_mode = UNWIND_MODE_FP;
const volatile __u32 unwind_stack_bytes = UNWIND_STACK_DEFAULT;

/* Counted in the data section, read by user space at the end. */
__u64 unwind_records = 0;       /* copies sent */
__u64 unwind_bytes = 0;         /* stack bytes sent */
__u64 unwind_lost = 0;          /* ring buffer full: copy or weight not sent */
__u64 unwind_short_reads = 0;   /* less stack readable than asked for */
__u64 unwind_unreadable = 0;    /* registers or stack not readable at all */
__u64 unwind_seq = 0;           /* off-CPU copy ids */

/* One scratch record per CPU, indexed by CPU: larger than a per-CPU
 * array's 32 KiB value limit. The programs that use it run with
 * preemption off and do not nest on one CPU. Sized by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unwind_sample);
} unwind_scratch SEC(".maps");

/* Sized by user space before load (a page when unwinding is off). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} unwind_rb SEC(".maps");

/* Processes to copy, with the stack bytes to copy for each (auto mode:
 * only these; dwarf mode: all, these with their own size). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} unwind_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct unwind_fp_depth);
} unwind_fp_depths SEC(".maps");

/* Stack bytes to copy for tgid's samples; 0: take the frame-pointer stack. */
static __always_inline __u32 unwind_want(__u32 tgid)
{
	__u32 *bytes, want;

	if (unwind_mode == UNWIND_MODE_FP)
		return 0;
	bytes = bpf_map_lookup_elem(&unwind_tgids, &tgid);
	if (!bytes && unwind_mode != UNWIND_MODE_DWARF)
		return 0;
	want = bytes ? *bytes : unwind_stack_bytes;
	return want > UNWIND_STACK_MAX ? UNWIND_STACK_MAX : want;
}

/* Auto mode: the depth of a process's first frame-pointer walks, for user
 * space to select processes whose walks stop after a frame or two. */
static __always_inline void unwind_note_fp_depth(void *ctx, __u32 tgid)
{
	struct unwind_fp_depth *d, zero = {};
	__u32 key = bpf_get_smp_processor_id();
	struct unwind_sample *s;
	long bytes;

	if (unwind_mode != UNWIND_MODE_AUTO)
		return;
	d = bpf_map_lookup_elem(&unwind_fp_depths, &tgid);
	if (!d) {
		bpf_map_update_elem(&unwind_fp_depths, &tgid, &zero, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&unwind_fp_depths, &tgid);
	}
	if (!d || d->nr >= UNWIND_FP_DEPTH_SAMPLES || !(s = bpf_map_lookup_elem(&unwind_scratch, &key)))
		return;
	bytes = bpf_get_stack(ctx, s->stack, 64 * sizeof(__u64), BPF_F_USER_STACK);
	__sync_fetch_and_add(&d->nr, 1);
	if (bytes <= 2 * (long)sizeof(__u64))
		__sync_fetch_and_add(&d->nr_shallow, 1);
}

/* Copies at least want bytes of user memory from sp when they are
 * readable, page by page, so a stack that ends (the top of a thread's
 * stack mapping) before want still gives what it has. Whole pages are
 * read (a page is mapped or not as a whole, and constant sizes keep the
 * verifier's bounds simple): dst has a page of room past the most asked.
 * Returns the bytes copied, at most want. */
static __always_inline __u32 copy_user_stack(__u8 *dst, __u64 sp, __u32 want)
{
	__u32 got = UNWIND_PAGE - (__u32)(sp & (UNWIND_PAGE - 1));

	if (bpf_probe_read_user(dst, got, (void *)sp))
		return 0;
	for (int i = 0; i < UNWIND_STACK_MAX / UNWIND_PAGE; i++) {
		if (got >= want || got > UNWIND_STACK_MAX)
			break;
		if (bpf_probe_read_user(dst + got, UNWIND_PAGE, (void *)(sp + got)))
			break;
		got += UNWIND_PAGE;
	}
	return got < want ? got : want;
}

#if defined(__TARGET_ARCH_x86)
static __always_inline void regs_to_dwarf(__u64 *out, const struct pt_regs *r)
{
	out[0] = r->ax;
	out[1] = r->dx;
	out[2] = r->cx;
	out[3] = r->bx;
	out[4] = r->si;
	out[5] = r->di;
	out[6] = r->bp;
	out[7] = r->sp;
	out[8] = r->r8;
	out[9] = r->r9;
	out[10] = r->r10;
	out[11] = r->r11;
	out[12] = r->r12;
	out[13] = r->r13;
	out[14] = r->r14;
	out[15] = r->r15;
	out[16] = r->ip;
}
#endif

/* Sends the current task's user registers and stack: true when sent. */
static __always_inline bool unwind_emit(__u32 tgid, __u32 tid, __s32 kstack_id, __u32 kind,
					__u64 snap_id, __u64 weight, __u32 want)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 key = bpf_get_smp_processor_id(), len;
	struct unwind_sample *s;
	struct pt_regs regs;
	__u64 size;

	s = bpf_map_lookup_elem(&unwind_scratch, &key);
	if (!s)
		return false;
	if (bpf_probe_read_kernel(&regs, sizeof(regs), (void *)bpf_task_pt_regs(task))) {
		__sync_fetch_and_add(&unwind_unreadable, 1);
		return false;
	}
	len = copy_user_stack(s->stack, regs.sp, want);
	if (!len) {
		__sync_fetch_and_add(&unwind_unreadable, 1);
		return false;
	}
	if (len < want)
		__sync_fetch_and_add(&unwind_short_reads, 1);
	regs_to_dwarf(s->regs, &regs);
	s->type = UNWIND_REC_SAMPLE;
	s->tgid = tgid;
	s->tid = tid;
	s->kstack_id = kstack_id;
	s->kind = kind;
	s->stack_len = len;
	s->stack_want = want;
	s->pad = 0;
	s->snap_id = snap_id;
	s->weight = weight;
	bpf_get_current_comm(&s->comm, sizeof(s->comm));
	size = __builtin_offsetof(struct unwind_sample, stack) + (__u64)len;
	if (size > sizeof(*s))
		return false;
	if (bpf_ringbuf_output(&unwind_rb, s, size, 0)) {
		__sync_fetch_and_add(&unwind_lost, 1);
		return false;
	}
	__sync_fetch_and_add(&unwind_records, 1);
	__sync_fetch_and_add(&unwind_bytes, len);
	return true;
#else
	return false;
#endif
}

/* Off-CPU: the blocked time of copy snap_id; false when it did not fit. */
static __always_inline bool unwind_emit_weight(__u64 snap_id, __u64 us)
{
	struct unwind_weight w = { .type = UNWIND_REC_WEIGHT, .snap_id = snap_id, .us = us };

	if (bpf_ringbuf_output(&unwind_rb, &w, sizeof(w), 0)) {
		__sync_fetch_and_add(&unwind_lost, 1);
		return false;
	}
	return true;
}

#endif
