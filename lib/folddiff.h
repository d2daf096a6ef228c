/* folddiff.h: comparing two folded profiles (FlameGraph format) by shares
 * of each profile's own total, so a 10 s and a 60 s run compare: which
 * functions and processes moved, which stacks vanished or appeared, and
 * the differential folded text ("stack BEFORE AFTER", difffolded style). */
#ifndef FRIDAY_FOLDDIFF_H
#define FRIDAY_FOLDDIFF_H

#include <stddef.h>
#include <stdint.h>

/* One frame name (a function, or with depth 0 a process) in both profiles. */
struct fold_share {
	char *name;
	double before_pct, after_pct;           /* inclusive: stacks it is on */
	double self_before_pct, self_after_pct; /* as the leaf */
};

/* One whole stack present in only one of the two profiles. */
struct fold_path {
	char *stack;
	double pct;          /* of the profile that has it */
};

struct fold_diff {
	uint64_t before_total, after_total;
	/* functions (frames below the process), largest |change| first */
	struct fold_share *fns;
	size_t nr_fns;
	/* processes (the first frame of each stack), largest |change| first */
	struct fold_share *procs;
	size_t nr_procs;
	/* stacks gone in AFTER and new in AFTER, largest share first */
	struct fold_path *vanished, *appeared;
	size_t nr_vanished, nr_appeared;
	/* "stack B A" lines sorted by stack; B scaled to AFTER's total (as
	 * difffolded.pl -n does), so both columns are shares of one total. */
	char *folded;
	size_t folded_len;
};

/* 0 or -ENOMEM. Lines that are not folded are skipped; an empty profile
 * has every share 0 (all of the other side appeared or vanished). */
int fold_diff_compute(const char *before, size_t before_len, const char *after,
		      size_t after_len, struct fold_diff *d);
void fold_diff_free(struct fold_diff *d);

#endif
