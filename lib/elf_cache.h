/* elf_cache.h: ELF files opened once and kept, keyed by (device, inode,
 * build-id), with their function symbols (.symtab, else .dynsym, and the
 * separate debug file's .symtab found by build-id or .gnu_debuglink) and
 * their DWARF (libdw) for source lines and inlined frames. Used by the
 * symbolizer (lib/symbolize.c); it knows nothing about processes. */
#ifndef FRIDAY_ELF_CACHE_H
#define FRIDAY_ELF_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <elfutils/libdw.h>
#include <gelf.h>

#include "lib/u64map.h"

#define BUILD_ID_MAX 20

struct elf_sym {
	uint64_t addr, size;
	const char *name;    /* points into the ELF's string table */
};

struct elf_seg {
	uint64_t off, filesz, vaddr;
};

struct elf_file {
	dev_t dev;
	ino_t ino;
	unsigned char build_id[BUILD_ID_MAX];
	size_t build_id_len;
	char *name;              /* basename, for module+offset frames */
	char *path;              /* as the process saw it */
	int fd, dbg_fd;
	Elf *elf, *dbg_elf;
	void *mem;               /* the vDSO's copy, or NULL */
	size_t mem_len;
	Dwarf *dw;               /* from the file or its debug file, or NULL */
	struct elf_seg *segs;
	size_t nr_segs;
	struct elf_sym *syms;    /* sorted by addr */
	size_t nr_syms;
	const char *sym_source;  /* "symtab", "dynsym", "debug file (build-id)", ... */
	char *dbg_path;          /* the debug file used, or NULL */
	char *root;              /* the process's /proc/PID/root, or "" */
	bool syms_loaded;
	struct u64map frames;    /* (vaddr, is_return) -> folded text */
};

struct elf_cache {
	struct elf_file **files;
	size_t nr_files;
	/* Where separate debug files live, "/usr/lib/debug" by default;
	 * each is also tried under a process's /proc/PID/root first. */
	char **debug_dirs;
	size_t nr_debug_dirs;
};

int elf_cache_init(struct elf_cache *c);
void elf_cache_free(struct elf_cache *c);
/* Replaces the debug directories (tests point them at scratch dirs). */
int elf_cache_set_debug_dirs(struct elf_cache *c, const char *const *dirs, size_t n);

/* Takes ownership of fd (an open ELF file the process mapped; path is the
 * name it was mapped under; root is the process's /proc/PID/root or "").
 * Returns the cached file (the same one for the same dev, inode and
 * build-id) or NULL when fd is not a readable ELF file. */
struct elf_file *elf_cache_get(struct elf_cache *c, int fd, const char *path, const char *root);
/* The running kernel's vDSO, from this process's own mapping. */
struct elf_file *elf_cache_vdso(struct elf_cache *c);

/* File offset -> the address the ELF file's symbols and DWARF use. */
bool elf_file_off_to_vaddr(const struct elf_file *f, uint64_t off, uint64_t *vaddr);

/* Reads len bytes of the file (or the vDSO's copy) at file offset off;
 * the count read, or -errno. The unwinder reads code and data this way. */
ssize_t elf_file_read(const struct elf_file *f, uint64_t off, void *buf, size_t len);

/* Percent of the file's functions (up to 256 of them, spread over the
 * symbol table) that begin by setting up a frame pointer (push %rbp, then
 * mov %rsp,%rbp within their first bytes), or -1 when the file has no
 * function symbols to judge by, or is not x86-64. Leaf functions often
 * get no frame even with -fno-omit-frame-pointer, so a binary built with
 * frame pointers scores well above half, one built without near 0. */
int elf_file_frame_pointer_pct(struct elf_cache *c, struct elf_file *f);

/* Symbol containing vaddr, or NULL. Loads symbols on first use. */
const struct elf_sym *elf_file_symbol(struct elf_cache *c, struct elf_file *f, uint64_t vaddr);

/* Inlined frames at vaddr from DWARF, innermost first, up to max, and the
 * source file and line of the innermost. Returns how many names it filled
 * (0 without DWARF). Names are DWARF strings owned by f. */
int elf_file_inlines(struct elf_file *f, uint64_t vaddr, const char **names, int max,
		     const char **file, int *line);

#endif
