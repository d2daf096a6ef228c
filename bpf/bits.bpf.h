/* bits.bpf.h: kernel-side helpers shared by the collectors: log2 buckets
 * for in-kernel histograms (the same slots lib/hist.c turns into JSON),
 * and a bounded counter add. Include after vmlinux.h. */
#ifndef FRIDAY_BITS_BPF_H
#define FRIDAY_BITS_BPF_H

#include "hist_slots.h"

static __always_inline __u64 log2_u32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* The log2 slot of a value, clamped to the last slot: slot s holds
 * [2^s, 2^(s+1)), slot 0 also holds 0. */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u64 s = log2_u64(v);

	return s >= HIST_SLOTS ? HIST_SLOTS - 1 : (__u32)s;
}

#endif
