/* heat_cols.h: the number of time columns of every in-kernel heat map,
 * shared by the BPF side (heat.bpf.h) and user space (lib/heatmap.c). */
#ifndef FRIDAY_HEAT_COLS_H
#define FRIDAY_HEAT_COLS_H

/* Sixty columns over the window, as a person reads a minute; the column
 * width is chosen from the window (lib/heatmap.h). Plus slack for a
 * window that runs a little longer than planned. */
#define HEAT_TARGET_COLS 60
#define HEAT_COLS 64

#endif
