/* symbolize.h: names for stack addresses, on the host, while the processes
 * live. Kernel frames come from /proc/kallsyms (modules included; BPF
 * trampoline and tracing frames are dropped); user frames from each
 * process's mappings (captured by symbolizer_snapshot when the process is
 * first seen, with its binaries held open, so it can exit before the end)
 * and the ELF cache: .symtab/.dynsym, debug files by build-id and
 * .gnu_debuglink, inlined frames from DWARF, the vDSO, /tmp/perf-PID.map
 * for JITs, containers through /proc/PID/root and /proc/PID/map_files.
 * A frame that cannot be named reads module+offset or says why. */
#ifndef FRIDAY_SYMBOLIZE_H
#define FRIDAY_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;
struct elf_cache;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);
/* The ELF cache, to point its debug directories elsewhere (tests). */
struct elf_cache *symbolizer_elf_cache(struct symbolizer *s);

/* Captures tgid's executable mappings and opens their files. With replace
 * (after an exec) a previous snapshot is replaced, else kept. 0 or -errno
 * (-ESRCH: the process is gone). */
int symbolizer_snapshot(struct symbolizer *s, pid_t tgid, bool replace);
/* The process name (its main thread's comm) captured at the snapshot. */
const char *symbolizer_proc_name(struct symbolizer *s, pid_t tgid);

/* The folded text of one frame: "function", or "outer;inlined_[i]" when
 * DWARF shows inlined calls, or "module+0xoffset", or "[why]+0xaddr".
 * is_return: addr is a return address, so addr - 1 is looked up (the call
 * site, not the next line). Never NULL; owned by the symbolizer. */
const char *symbolize_user(struct symbolizer *s, pid_t tgid, uint64_t addr, bool is_return);
/* "function_[k]", or NULL for a frame to drop (BPF trampolines, BPF
 * programs and the tracing glue that called them). */
const char *symbolize_kernel(struct symbolizer *s, uint64_t addr, bool is_return);

/* True when addr is in one of tgid's executable mappings (false also
 * when the process was never snapshotted). */
bool symbolizer_addr_mapped(struct symbolizer *s, pid_t tgid, uint64_t addr);

/* The unwinder (lib/unwind.c) works from the same snapshots. */
struct elf_file;
/* A number that changes whenever tgid's snapshot is taken or replaced;
 * 0 when there is none. */
uint64_t symbolizer_snapshot_gen(struct symbolizer *s, pid_t tgid);
/* Calls fn for each executable mapping of tgid backed by a readable ELF
 * file (the vDSO included); stops at fn's first nonzero return, which it
 * returns. -ESRCH when tgid has no snapshot. */
int symbolizer_for_each_file_map(struct symbolizer *s, pid_t tgid,
				 int (*fn)(void *arg, uint64_t start, uint64_t end, uint64_t pgoff,
					   struct elf_file *f),
				 void *arg);
/* Reads len bytes of tgid's memory at addr from the file mapped there
 * (code and read-only data as in the file); the count read or -errno. */
ssize_t symbolizer_read_mapped(struct symbolizer *s, pid_t tgid, uint64_t addr, void *buf,
			       size_t len);
/* The ELF file of tgid's main executable (/proc/PID/exe at the
 * snapshot), or NULL. */
struct elf_file *symbolizer_main_file(struct symbolizer *s, pid_t tgid);

/* Everything known about one user address (tests, top-function tables). */
struct sym_detail {
	const char *function;     /* ELF symbol or DWARF name; NULL when unnamed */
	const char *inlined[8];   /* innermost first */
	int nr_inlined;
	const char *module;       /* the file's basename, "[vdso]", "[jit]" ... */
	const char *file;         /* source file (DWARF), or NULL */
	int line;
	const char *sym_source;   /* "symtab", "dynsym", "debug file (build-id)" ... */
	uint64_t elf_vaddr;       /* the address in the ELF file's terms */
};
int symbolize_user_detail(struct symbolizer *s, pid_t tgid, uint64_t addr, bool is_return,
			  struct sym_detail *d);

struct symbolizer_stats {
	uint64_t nr_procs, nr_files, nr_lookups, nr_cache_hits, nr_unnamed;
};
void symbolizer_get_stats(struct symbolizer *s, struct symbolizer_stats *st);

#endif
