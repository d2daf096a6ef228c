/* hist_slots.h: the number of log2 slots of every in-kernel histogram,
 * shared by the BPF side (bits.bpf.h) and user space (lib/hist.c). */
#ifndef FRIDAY_HIST_SLOTS_H
#define FRIDAY_HIST_SLOTS_H

/* 2^40 of the histogram's unit: 18 minutes in ns, far beyond any window. */
#define HIST_SLOTS 40

#endif
