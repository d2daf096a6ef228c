/* budget.bpf.h: the overhead budget's knob in a collector's kernel side.
 * While the collector runs, user space (playbooks/budget.c) raises
 * budget_sample_every in the object's data section (mmap'ed, no syscall)
 * when friday costs more than --max-overhead. The programs that start an
 * event (a wakeup, a switch out, a syscall entry) then keep one event in
 * budget_sample_every at random, and those that finish one count it
 * budget_sample_every times, so counts, sums and histograms stay estimates
 * of the whole rather than a silent fraction. A skipped start leaves no
 * timestamp, so its finish finds nothing and returns early: that is what
 * makes a sampled-down collector cheaper. Include after vmlinux.h. */
#ifndef FRIDAY_BUDGET_BPF_H
#define FRIDAY_BUDGET_BPF_H

#include <bpf/bpf_helpers.h>

/* 0 or 1: every event; N: one in N. Read on every event, written by user
 * space only (the name is looked up through BTF: keep it). */
__u32 budget_sample_every = 0;

/* Whether to keep the event that starts now. */
static __always_inline bool budget_keep(void)
{
	__u32 n = budget_sample_every;

	return n <= 1 || bpf_get_prandom_u32() % n == 0;
}

/* How many events one kept event stands for. */
static __always_inline __u64 budget_weight(void)
{
	__u32 n = budget_sample_every;

	return n > 1 ? n : 1;
}

#endif
