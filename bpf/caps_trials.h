/* caps_trials.h: the BPF trials behind the capability table (caps.c): each
 * names one program of caps.bpf.c, how to attach it and how to make it fire.
 * Internal to bpf/caps*.c. */
#ifndef FRIDAY_CAPS_TRIALS_H
#define FRIDAY_CAPS_TRIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf/caps.h"

struct bpf_trial;

extern const struct bpf_trial trial_tracepoint, trial_tp_btf, trial_raw_tp, trial_fentry,
	trial_kprobe, trial_uprobe, trial_perf_sampling, trial_ringbuf, trial_bpf_stats,
	trial_task_storage, trial_stack_trace, trial_lock_contention;

/* Loads, attaches and fires the trial's program, then frees everything.
 * True when the program ran; else why says which phase failed and why. */
bool bpf_trial_run(const struct bpf_trial *t, char *why, size_t len);

/* Hardware counters: perf_event_open of PERF_COUNT_HW_CPU_CYCLES on this
 * process, enabled over a short spin, and read back. */
bool probe_hw_counters(char *why, size_t len);

/* "EPERM: Operation not permitted" style text for a negative or positive
 * errno, plus what it usually means for a trial whose hint is given. */
void caps_explain_errno(char *buf, size_t len, int err, const char *hint);

/* Spins on the CPU for about spin_ns, so CPU-clock events fire. */
void caps_spin_ns(unsigned long long spin_ns);

#endif
