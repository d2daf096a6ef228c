/* unwind.h: whole user stacks from a copy of a thread's registers and the
 * top of its stack, as `perf record --call-graph dwarf` takes them: libdw
 * walks the frames with the CFI (.eh_frame, else the file's own
 * .debug_frame; separate debug files are not loaded, see unwind.c) of the
 * executable and its shared libraries, which it learns from the
 * symbolizer's snapshot of the process's mappings. Memory outside
 * the copied stack is read from the mapped files. Where a function has no
 * CFI, libdw's x86-64 backend follows the frame pointer. */
#ifndef FRIDAY_UNWIND_H
#define FRIDAY_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;
struct unwinder;

/* x86-64 DWARF register numbers: rax rdx rcx rbx rsi rdi rbp rsp r8-r15,
 * then 16, the return address column (rip). */
#define UNWIND_NR_REGS 17
#define UNWIND_REG_SP 7
#define UNWIND_REG_IP 16
#define UNWIND_MAX_FRAMES 128

struct unwind_input {
	pid_t tgid, tid;
	const uint64_t *regs;         /* UNWIND_NR_REGS, DWARF order */
	const void *stack;            /* a copy of memory from regs[SP] up */
	size_t stack_len;
};

struct unwind_result {
	uint64_t ips[UNWIND_MAX_FRAMES];   /* leaf first; ips[0] is regs[IP] */
	int nr_ips;
	bool truncated;               /* the walk stopped before the outermost frame */
	bool ran_off_copy;            /* it stopped because it needed stack past the copy */
	size_t stack_used;            /* bytes of the copy the walk read up to */
};

struct unwind_stats {
	uint64_t nr_stacks, nr_truncated, nr_frames, nr_no_modules;
	uint64_t unwind_ns;           /* time spent in unwind_user */
};

struct unwinder *unwinder_new(struct symbolizer *s);
void unwinder_free(struct unwinder *u);

/* Unwinds one copied stack. Returns 0 (res filled; a walk cut short has
 * res->truncated) or -errno: -ESRCH when the process has no snapshot (res
 * then holds the sampled address alone, truncated). A process's modules
 * are reported again when its snapshot changes (after an exec). */
int unwind_user(struct unwinder *u, const struct unwind_input *in, struct unwind_result *res);

void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *st);

#endif
