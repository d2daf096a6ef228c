/* elf_cache.c: ELF files, their symbols, separate debug files and DWARF
 * (see elf_cache.h). Each file is parsed once per run, however many
 * processes map it. */
#include "lib/elf_cache.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static const char *const default_debug_dirs[] = { "/usr/lib/debug" };

int elf_cache_set_debug_dirs(struct elf_cache *c, const char *const *dirs, size_t n)
{
	for (size_t i = 0; i < c->nr_debug_dirs; i++)
		free(c->debug_dirs[i]);
	free(c->debug_dirs);
	c->debug_dirs = calloc(n ? n : 1, sizeof(char *));
	c->nr_debug_dirs = 0;
	if (!c->debug_dirs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((c->debug_dirs[c->nr_debug_dirs] = strdup(dirs[i])))
			c->nr_debug_dirs++;
	return 0;
}

int elf_cache_init(struct elf_cache *c)
{
	memset(c, 0, sizeof(*c));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	return elf_cache_set_debug_dirs(c, default_debug_dirs, ARRAY_SIZE(default_debug_dirs));
}

static void elf_file_free(struct elf_file *f)
{
	if (f->dw)
		dwarf_end(f->dw);
	if (f->dbg_elf)
		elf_end(f->dbg_elf);
	if (f->elf)
		elf_end(f->elf);
	if (f->dbg_fd >= 0)
		close(f->dbg_fd);
	if (f->fd >= 0)
		close(f->fd);
	u64map_free(&f->frames, free);
	free(f->mem);
	free(f->segs);
	free(f->syms);
	free(f->name);
	free(f->path);
	free(f->dbg_path);
	free(f->root);
	free(f);
}

void elf_cache_free(struct elf_cache *c)
{
	for (size_t i = 0; i < c->nr_files; i++)
		elf_file_free(c->files[i]);
	free(c->files);
	elf_cache_set_debug_dirs(c, NULL, 0);
	free(c->debug_dirs);
	memset(c, 0, sizeof(*c));
}

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, shdr))
			continue;
		n = elf_strptr(elf, shstrndx, shdr->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static size_t read_build_id(Elf *elf, unsigned char *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nhdr;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
			if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4) &&
			    nhdr.n_descsz <= BUILD_ID_MAX) {
				memcpy(out, (char *)data->d_buf + desc_off, nhdr.n_descsz);
				return nhdr.n_descsz;
			}
		}
	}
	return 0;
}

static int read_segments(struct elf_file *f)
{
	size_t n;

	if (elf_getphdrnum(f->elf, &n))
		return -EINVAL;
	f->segs = calloc(n ? n : 1, sizeof(*f->segs));
	if (!f->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		f->segs[f->nr_segs++] = (struct elf_seg){ ph.p_offset, ph.p_filesz, ph.p_vaddr };
	}
	return 0;
}

bool elf_file_off_to_vaddr(const struct elf_file *f, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < f->nr_segs; i++) {
		const struct elf_seg *s = &f->segs[i];

		if (off >= s->off && off < s->off + s->filesz) {
			*vaddr = off - s->off + s->vaddr;
			return true;
		}
	}
	return false;
}

static struct elf_file *cache_add(struct elf_cache *c, struct elf_file *f)
{
	struct elf_file **nv = realloc(c->files, (c->nr_files + 1) * sizeof(*nv));

	if (!nv) {
		elf_file_free(f);
		return NULL;
	}
	c->files = nv;
	nv[c->nr_files++] = f;
	return f;
}

struct elf_file *elf_cache_get(struct elf_cache *c, int fd, const char *path, const char *root)
{
	unsigned char bid[BUILD_ID_MAX];
	struct elf_file *f;
	struct stat st;
	size_t bid_len;
	Elf *elf;

	if (fstat(fd, &st) || !(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL))) {
		close(fd);
		return NULL;
	}
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(fd);
		return NULL;
	}
	bid_len = read_build_id(elf, bid);
	for (size_t i = 0; i < c->nr_files; i++) {
		f = c->files[i];
		if (f->dev == st.st_dev && f->ino == st.st_ino && f->build_id_len == bid_len &&
		    !memcmp(f->build_id, bid, bid_len)) {
			elf_end(elf);
			close(fd);
			return f;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		elf_end(elf);
		close(fd);
		return NULL;
	}
	f->fd = fd;
	f->dbg_fd = -1;
	f->elf = elf;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	memcpy(f->build_id, bid, bid_len);
	f->build_id_len = bid_len;
	f->path = strdup(path);
	f->name = strdup(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	if (!f->path || !f->name || read_segments(f)) {
		elf_file_free(f);
		return NULL;
	}
	/* Remembered for the debug-file search, which is lazy. */
	f->root = strdup(root ? root : "");
	return cache_add(c, f);
}

struct elf_file *elf_cache_vdso(struct elf_cache *c)
{
	static const char vdso_name[] = "[vdso]";
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	char line[512];
	uint64_t start, end;
	struct elf_file *f;
	FILE *maps;

	for (size_t i = 0; i < c->nr_files; i++)
		if (c->files[i]->mem)
			return c->files[i];
	if (!base || !(maps = fopen("/proc/self/maps", "r")))
		return NULL;
	start = end = 0;
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, vdso_name) && sscanf(line, "%lx-%lx", &start, &end) == 2)
			break;
	fclose(maps);
	if (start != base || end <= start || !(f = calloc(1, sizeof(*f))))
		return NULL;
	f->fd = f->dbg_fd = -1;
	f->mem = malloc(end - start);
	f->name = strdup(vdso_name);
	f->path = strdup(vdso_name);
	if (!f->mem || !f->name || !f->path) {
		elf_file_free(f);
		return NULL;
	}
	memcpy(f->mem, (void *)start, end - start);
	f->mem_len = end - start;
	f->elf = elf_memory(f->mem, end - start);
	if (!f->elf || read_segments(f)) {
		elf_file_free(f);
		return NULL;
	}
	f->build_id_len = read_build_id(f->elf, f->build_id);
	return cache_add(c, f);
}

/* ---- symbols ---- */

static int sym_cmp(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Prefer the sized, global one when aliases share an address. */
	return (y->size > 0) - (x->size > 0);
}

static int add_symtab(struct elf_file *f, Elf *elf, Elf_Scn *scn, size_t *cap)
{
	GElf_Shdr shdr;
	Elf_Data *data;
	size_t n;

	if (!gelf_getshdr(scn, &shdr) || !(data = elf_getdata(scn, NULL)) || !shdr.sh_entsize)
		return 0;
	n = shdr.sh_size / shdr.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym.st_value ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, shdr.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (f->nr_syms == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			struct elf_sym *nv = realloc(f->syms, ncap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			f->syms = nv;
			*cap = ncap;
		}
		f->syms[f->nr_syms++] = (struct elf_sym){ sym.st_value, sym.st_size, name };
	}
	return 0;
}

static bool has_section(Elf *elf, const char *name, Elf64_Word want_type)
{
	GElf_Shdr shdr;

	return find_section(elf, name, &shdr) && (!want_type || shdr.sh_type == want_type);
}

/* Opens a candidate debug file; keeps it when its build-id matches (or
 * when neither side has one). */
static bool try_debug_file(struct elf_file *f, const char *path)
{
	unsigned char bid[BUILD_ID_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;

	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    read_build_id(elf, bid) != f->build_id_len ||
	    memcmp(bid, f->build_id, f->build_id_len)) {
		if (elf)
			elf_end(elf);
		close(fd);
		return false;
	}
	f->dbg_fd = fd;
	f->dbg_elf = elf;
	free(f->dbg_path);
	f->dbg_path = strdup(path);
	return true;
}

static bool find_by_build_id(struct elf_cache *c, struct elf_file *f, const char *root)
{
	char path[PATH_MAX * 2 + 64], hex[2 * BUILD_ID_MAX + 1];

	if (f->build_id_len < 2)
		return false;
	for (size_t i = 0; i < f->build_id_len; i++)
		sprintf(hex + 2 * i, "%02x", f->build_id[i]);
	for (size_t d = 0; d < c->nr_debug_dirs; d++) {
		snprintf(path, sizeof(path), "%s%s/.build-id/%.2s/%s.debug", root,
			 c->debug_dirs[d], hex, hex + 2);
		if (try_debug_file(f, path))
			return true;
	}
	return false;
}

static bool find_by_debuglink(struct elf_cache *c, struct elf_file *f, const char *root)
{
	char path[PATH_MAX * 3 + 64], dir[PATH_MAX];
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(f->elf, ".gnu_debuglink", &shdr);
	Elf_Data *data;
	const char *link;

	if (!scn || !(data = elf_getdata(scn, NULL)) || !data->d_size)
		return false;
	link = data->d_buf;
	if (!memchr(link, '\0', data->d_size))
		return false;
	snprintf(dir, sizeof(dir), "%s", f->path);
	*(strrchr(dir, '/') ? strrchr(dir, '/') : dir) = '\0';
	snprintf(path, sizeof(path), "%s%s/%s", root, dir, link);
	if (try_debug_file(f, path))
		return true;
	snprintf(path, sizeof(path), "%s%s/.debug/%s", root, dir, link);
	if (try_debug_file(f, path))
		return true;
	for (size_t d = 0; d < c->nr_debug_dirs; d++) {
		snprintf(path, sizeof(path), "%s%s%s/%s", root, c->debug_dirs[d], dir, link);
		if (try_debug_file(f, path))
			return true;
	}
	return false;
}

/* Looks for the separate debug file: by build-id, then .gnu_debuglink;
 * inside the process's root first (a container's files), then the host's. */
static const char *find_debug_file(struct elf_cache *c, struct elf_file *f)
{
	const char *roots[2] = { f->root ? f->root : "", "" };
	int nr_roots = roots[0][0] ? 2 : 1;

	for (int i = 0; i < nr_roots; i++) {
		if (find_by_build_id(c, f, roots[i]))
			return "debug file (build-id)";
		if (find_by_debuglink(c, f, roots[i]))
			return "debug file (.gnu_debuglink)";
	}
	return NULL;
}

static void load_symbols(struct elf_cache *c, struct elf_file *f)
{
	GElf_Shdr shdr;
	Elf_Scn *symtab, *dynsym;
	const char *dbg_how = NULL;
	size_t cap = 0;
	Elf *dwelf = NULL;

	f->syms_loaded = true;
	symtab = find_section(f->elf, ".symtab", &shdr);
	dynsym = find_section(f->elf, ".dynsym", &shdr);
	if (!f->mem && (!symtab || !has_section(f->elf, ".debug_info", 0)))
		dbg_how = find_debug_file(c, f);
	if (symtab) {
		add_symtab(f, f->elf, symtab, &cap);
		f->sym_source = "symtab";
	} else if (f->dbg_elf && (symtab = find_section(f->dbg_elf, ".symtab", &shdr))) {
		add_symtab(f, f->dbg_elf, symtab, &cap);
		f->sym_source = dbg_how;
	}
	if (dynsym) {
		add_symtab(f, f->elf, dynsym, &cap);
		if (!f->sym_source)
			f->sym_source = "dynsym";
	}
	if (!f->sym_source)
		f->sym_source = "none";
	/* Drop duplicates at one address (symtab and dynsym both list it).
	 * No symbols: syms is NULL, which qsort must not be given. */
	if (f->nr_syms) {
		size_t w = 1;

		qsort(f->syms, f->nr_syms, sizeof(*f->syms), sym_cmp);
		for (size_t i = 1; i < f->nr_syms; i++)
			if (f->syms[i].addr != f->syms[w - 1].addr)
				f->syms[w++] = f->syms[i];
		f->nr_syms = w;
	}
	if (f->dbg_elf && has_section(f->dbg_elf, ".debug_info", 0))
		dwelf = f->dbg_elf;
	else if (has_section(f->elf, ".debug_info", 0))
		dwelf = f->elf;
	if (dwelf)
		f->dw = dwarf_begin_elf(dwelf, DWARF_C_READ, NULL);
}

const struct elf_sym *elf_file_symbol(struct elf_cache *c, struct elf_file *f, uint64_t vaddr)
{
	size_t lo = 0, hi;
	const struct elf_sym *s;

	if (!f->syms_loaded)
		load_symbols(c, f);
	hi = f->nr_syms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &f->syms[lo - 1];
	/* A sized symbol must contain the address; an unsized one (hand-written
	 * assembly) reaches to the next symbol. */
	if (s->size && vaddr >= s->addr + s->size)
		return NULL;
	return s;
}

ssize_t elf_file_read(const struct elf_file *f, uint64_t off, void *buf, size_t len)
{
	ssize_t n;

	if (f->mem) {
		if (off >= f->mem_len)
			return -EFAULT;
		n = (ssize_t)(len < f->mem_len - off ? len : f->mem_len - off);
		memcpy(buf, (const char *)f->mem + off, (size_t)n);
		return n;
	}
	n = pread(f->fd, buf, len, (off_t)off);
	return n < 0 ? -errno : n;
}

static bool vaddr_to_off(const struct elf_file *f, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < f->nr_segs; i++) {
		const struct elf_seg *s = &f->segs[i];

		if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
			*off = vaddr - s->vaddr + s->off;
			return true;
		}
	}
	return false;
}

/* push %rbp first (after an optional endbr64, in CET builds), then
 * mov %rsp,%rbp within the next few instructions: compilers schedule
 * other work between the two. */
static bool sets_frame_pointer(const unsigned char *code, size_t n)
{
	static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const unsigned char mov_rsp_rbp[] = { 0x48, 0x89, 0xe5 };

	if (n >= 8 && !memcmp(code, endbr64, sizeof(endbr64))) {
		code += 4;
		n -= 4;
	}
	if (n < 4 || code[0] != 0x55)
		return false;
	return memmem(code + 1, n - 1, mov_rsp_rbp, sizeof(mov_rsp_rbp)) != NULL;
}

/* Shorter functions cannot set up a frame and return: they do not count. */
#define FP_MIN_FUNC_BYTES 8
#define FP_PROLOGUE_BYTES 24
#define FP_MAX_CHECKED 256

int elf_file_frame_pointer_pct(struct elf_cache *c, struct elf_file *f)
{
	size_t nr_sized = 0, step, checked = 0, with_fp = 0;
	GElf_Ehdr eh;

	if (!gelf_getehdr(f->elf, &eh) || eh.e_machine != EM_X86_64)
		return -1;
	if (!f->syms_loaded)
		load_symbols(c, f);
	for (size_t i = 0; i < f->nr_syms; i++)
		nr_sized += f->syms[i].size >= FP_MIN_FUNC_BYTES;
	if (!nr_sized)
		return -1;
	step = nr_sized > FP_MAX_CHECKED ? nr_sized / FP_MAX_CHECKED : 1;
	for (size_t i = 0, k = 0; i < f->nr_syms; i++) {
		unsigned char code[FP_PROLOGUE_BYTES];
		uint64_t off;
		ssize_t n;

		if (f->syms[i].size < FP_MIN_FUNC_BYTES || k++ % step)
			continue;
		if (!vaddr_to_off(f, f->syms[i].addr, &off) ||
		    (n = elf_file_read(f, off, code, sizeof(code))) < 8)
			continue;
		if ((uint64_t)n > f->syms[i].size)
			n = (ssize_t)f->syms[i].size;
		checked++;
		with_fp += sets_frame_pointer(code, (size_t)n);
	}
	return checked ? (int)(100 * with_fp / checked) : -1;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	if (dwarf_attr_integrate(die, DW_AT_name, &attr) && (name = dwarf_formstring(&attr)))
		return name;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr))
		return dwarf_formstring(&attr);
	return NULL;
}

int elf_file_inlines(struct elf_file *f, uint64_t vaddr, const char **names, int max,
		     const char **file, int *line)
{
	Dwarf_Die cudie, *scopes = NULL;
	Dwarf_Line *dl;
	int nscopes, n = 0;

	*file = NULL;
	*line = 0;
	if (!f->dw || !dwarf_addrdie(f->dw, vaddr, &cudie))
		return 0;
	if ((dl = dwarf_getsrc_die(&cudie, vaddr))) {
		*file = dwarf_linesrc(dl, NULL, NULL);
		dwarf_lineno(dl, line);
	}
	/* The innermost function scope at vaddr; for an inlined instance, its
	 * callers are found by walking the concrete tree upward from it
	 * (dwarf_getscopes would go on into the abstract definition). */
	nscopes = dwarf_getscopes(&cudie, vaddr, &scopes);
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]), nchain;
		Dwarf_Die *chain = NULL;

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		nchain = dwarf_getscopes_die(&scopes[i], &chain);
		for (int j = 0; j < nchain && n < max; j++) {
			const char *name;

			tag = dwarf_tag(&chain[j]);
			if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
				continue;
			name = die_name(&chain[j]);
			names[n++] = name ? name : "?";
			if (tag == DW_TAG_subprogram)
				break;
		}
		free(chain);
		break;
	}
	free(scopes);
	return n;
}
