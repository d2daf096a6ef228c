/* symbolize.c: process snapshots, kernel symbols and the frame caches of
 * the symbolizer (see symbolize.h); ELF and DWARF work is in elf_cache.c. */
#include "lib/symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/elf_cache.h"
#include "lib/strbuf.h"
#include "lib/u64map.h"
#include "lib/util.h"

enum map_kind { MAP_FILE, MAP_UNREADABLE, MAP_VDSO, MAP_ANON };

struct mapping {
	uint64_t start, end, pgoff;
	enum map_kind kind;
	struct elf_file *file;    /* MAP_FILE and MAP_VDSO */
	char *name;               /* basename, for module+offset */
};

struct jit_sym {
	uint64_t start, size;
	char *name;
};

struct proc_snap {
	pid_t tgid, nspid;
	char comm[32];
	char root[40];            /* /proc/PID/root */
	struct mapping *maps;     /* sorted by start */
	size_t nr_maps;
	bool jit_loaded;
	struct jit_sym *jit;      /* from /tmp/perf-NSPID.map, sorted */
	size_t nr_jit;
	struct u64map frames;     /* anon and unreadable frames: (addr, ret) -> text */
	uint64_t gen;             /* symbolizer_snapshot_gen */
	char exe[PATH_MAX];       /* /proc/PID/exe at the snapshot, or "" */
};

struct ksym {
	uint64_t addr;
	const char *name;
	bool drop;
};

struct symbolizer {
	struct elf_cache elves;
	struct u64map procs;      /* (tgid, 0) -> struct proc_snap */
	struct ksym *ksyms;
	size_t nr_ksyms;
	char *kallsyms;           /* the text the names point into */
	bool ksyms_loaded;
	struct u64map kframes;    /* (addr, ret) -> text, or drop_marker */
	struct symbolizer_stats stats;
	uint64_t next_gen;
};

static char drop_marker[] = "";

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s || elf_cache_init(&s->elves)) {
		free(s);
		return NULL;
	}
	return s;
}

static void snap_free(void *p)
{
	struct proc_snap *ps = p;

	for (size_t i = 0; i < ps->nr_maps; i++)
		free(ps->maps[i].name);
	for (size_t i = 0; i < ps->nr_jit; i++)
		free(ps->jit[i].name);
	free(ps->maps);
	free(ps->jit);
	u64map_free(&ps->frames, free);
	free(ps);
}

static void free_unless_marker(void *p)
{
	if (p != drop_marker)
		free(p);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	u64map_free(&s->procs, snap_free);
	u64map_free(&s->kframes, free_unless_marker);
	elf_cache_free(&s->elves);
	free(s->ksyms);
	free(s->kallsyms);
	free(s);
}

struct elf_cache *symbolizer_elf_cache(struct symbolizer *s)
{
	return &s->elves;
}

void symbolizer_get_stats(struct symbolizer *s, struct symbolizer_stats *st)
{
	*st = s->stats;
	st->nr_procs = s->procs.n;
	st->nr_files = s->elves.nr_files;
}

/* ---- process snapshots ---- */

static pid_t read_nspid(pid_t tgid)
{
	char path[64], line[256];
	pid_t nspid = tgid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tgid);
	if (!(f = fopen(path, "r")))
		return tgid;
	while (fgets(line, sizeof(line), f)) {
		if (str_starts(line, "NSpid:")) {
			/* The last field is the pid inside the innermost namespace. */
			char *last = strrchr(str_trim(line), '\t');

			nspid = atoi(last ? last + 1 : line + 6);
			break;
		}
	}
	fclose(f);
	return nspid > 0 ? nspid : tgid;
}

static int open_mapped_file(struct proc_snap *ps, uint64_t start, uint64_t end, const char *path)
{
	char buf[PATH_MAX];
	int fd;

	/* map_files opens exactly what is mapped, deleted or in a container. */
	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%lx-%lx", ps->tgid, start, end);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(buf, sizeof(buf), "%s%s", ps->root, path);
	return open(buf, O_RDONLY | O_CLOEXEC);
}

static int add_mapping(struct symbolizer *s, struct proc_snap *ps, uint64_t start, uint64_t end,
		       uint64_t pgoff, const char *path)
{
	struct mapping *nv = realloc(ps->maps, (ps->nr_maps + 1) * sizeof(*nv));
	struct mapping *m;
	const char *base;

	if (!nv)
		return -ENOMEM;
	ps->maps = nv;
	m = &nv[ps->nr_maps];
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	if (!strcmp(path, "[vdso]")) {
		m->kind = (m->file = elf_cache_vdso(&s->elves)) ? MAP_VDSO : MAP_UNREADABLE;
	} else if (path[0] == '/') {
		int fd = open_mapped_file(ps, start, end, path);

		m->file = fd >= 0 ? elf_cache_get(&s->elves, fd, path, ps->root) : NULL;
		m->kind = m->file ? MAP_FILE : MAP_UNREADABLE;
		if (!m->file)
			log_debug("symbolize: pid %d: cannot read %s (%s)", ps->tgid, path,
				  fd < 0 ? strerror(errno) : "not ELF");
	} else {
		m->kind = MAP_ANON;
	}
	base = strrchr(path, '/');
	m->name = strdup(*path ? (base ? base + 1 : path) : "[anon]");
	if (!m->name)
		return -ENOMEM;
	ps->nr_maps++;
	return 0;
}

static int read_maps(struct symbolizer *s, struct proc_snap *ps)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", ps->tgid);
	if (!(f = fopen(path, "r")))
		return -errno;
	while (!err && getline(&line, &cap, f) > 0) {
		uint64_t start, end, pgoff;
		char perms[8];
		int name_at = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %*u %n", &start, &end, perms, &pgoff,
			   &name_at) < 4 || perms[2] != 'x')
			continue;
		str_trim(line + name_at);
		err = add_mapping(s, ps, start, end, pgoff, name_at ? line + name_at : "");
	}
	free(line);
	fclose(f);
	return err;
}

int symbolizer_snapshot(struct symbolizer *s, pid_t tgid, bool replace)
{
	struct proc_snap *ps, *old = u64map_get(&s->procs, (uint64_t)tgid, 0);
	char path[64];
	ssize_t exe_len;
	int err;

	if (old && !replace)
		return 0;
	if (!(ps = calloc(1, sizeof(*ps))))
		return -ENOMEM;
	ps->tgid = tgid;
	snprintf(ps->root, sizeof(ps->root), "/proc/%d/root", tgid);
	snprintf(path, sizeof(path), "/proc/%d/comm", tgid);
	if (read_line(path, ps->comm, sizeof(ps->comm))) {
		snap_free(ps);
		return -ESRCH;
	}
	ps->nspid = read_nspid(tgid);
	ps->gen = ++s->next_gen;
	snprintf(path, sizeof(path), "/proc/%d/exe", tgid);
	exe_len = readlink(path, ps->exe, sizeof(ps->exe) - 1);
	ps->exe[exe_len > 0 ? exe_len : 0] = '\0';
	err = read_maps(s, ps);
	if (err && !ps->nr_maps) {
		snap_free(ps);
		return err;
	}
	if (old)
		snap_free(old);
	return u64map_put(&s->procs, (uint64_t)tgid, 0, ps);
}

const char *symbolizer_proc_name(struct symbolizer *s, pid_t tgid)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);

	return ps ? ps->comm : NULL;
}

uint64_t symbolizer_snapshot_gen(struct symbolizer *s, pid_t tgid)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);

	return ps ? ps->gen : 0;
}

int symbolizer_for_each_file_map(struct symbolizer *s, pid_t tgid,
				 int (*fn)(void *arg, uint64_t start, uint64_t end, uint64_t pgoff,
					   struct elf_file *f),
				 void *arg)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);
	int ret;

	if (!ps)
		return -ESRCH;
	for (size_t i = 0; i < ps->nr_maps; i++) {
		const struct mapping *m = &ps->maps[i];

		if (m->file && (ret = fn(arg, m->start, m->end, m->pgoff, m->file)))
			return ret;
	}
	return 0;
}

struct elf_file *symbolizer_main_file(struct symbolizer *s, pid_t tgid)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);

	for (size_t i = 0; ps && ps->exe[0] && i < ps->nr_maps; i++)
		if (ps->maps[i].file && !strcmp(ps->maps[i].file->path, ps->exe))
			return ps->maps[i].file;
	return NULL;
}

/* ---- JIT symbols from perf map files ---- */

static int jit_cmp(const void *a, const void *b)
{
	const struct jit_sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void load_perf_map(struct proc_snap *ps)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0, room = 0;
	FILE *f;

	ps->jit_loaded = true;
	snprintf(path, sizeof(path), "%s/tmp/perf-%d.map", ps->root, ps->nspid);
	if (!(f = fopen(path, "r"))) {
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", ps->tgid);
		if (!(f = fopen(path, "r")))
			return;
	}
	while (getline(&line, &cap, f) > 0) {
		uint64_t start, size;
		int name_at = 0;

		if (sscanf(line, "%lx %lx %n", &start, &size, &name_at) < 2 || !name_at)
			continue;
		if (ps->nr_jit == room) {
			struct jit_sym *nv = realloc(ps->jit, (room ? room * 2 : 64) * sizeof(*nv));

			if (!nv)
				break;
			ps->jit = nv;
			room = room ? room * 2 : 64;
		}
		ps->jit[ps->nr_jit].start = start;
		ps->jit[ps->nr_jit].size = size;
		ps->jit[ps->nr_jit].name = strdup(str_trim(line + name_at));
		if (ps->jit[ps->nr_jit].name)
			ps->nr_jit++;
	}
	free(line);
	fclose(f);
	if (ps->nr_jit)   /* none: jit is NULL, which qsort must not be given */
		qsort(ps->jit, ps->nr_jit, sizeof(*ps->jit), jit_cmp);
}

static const struct jit_sym *jit_lookup(struct proc_snap *ps, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ps->jit_loaded)
		load_perf_map(ps);
	hi = ps->nr_jit;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->jit[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < ps->jit[lo - 1].start + ps->jit[lo - 1].size)
		return &ps->jit[lo - 1];
	return NULL;
}

/* ---- user frames ---- */

static const struct mapping *find_mapping(const struct proc_snap *ps, uint64_t addr)
{
	size_t lo = 0, hi = ps->nr_maps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < ps->maps[lo - 1].end)
		return &ps->maps[lo - 1];
	return NULL;
}

bool symbolizer_addr_mapped(struct symbolizer *s, pid_t tgid, uint64_t addr)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);

	return ps && find_mapping(ps, addr ? addr - 1 : addr);
}

ssize_t symbolizer_read_mapped(struct symbolizer *s, pid_t tgid, uint64_t addr, void *buf,
			       size_t len)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);
	const struct mapping *m;

	if (!ps)
		return -ESRCH;
	m = find_mapping(ps, addr);
	if (!m || !m->file)
		return -EFAULT;
	if (len > m->end - addr)
		len = m->end - addr;
	return elf_file_read(m->file, addr - m->start + m->pgoff, buf, len);
}

static char *fmt_frame(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_frame(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* The folded text of a frame in an ELF file at vaddr (already adjusted
 * for return addresses). */
static char *elf_frame_text(struct symbolizer *s, struct elf_file *f, uint64_t vaddr)
{
	const struct elf_sym *sym = elf_file_symbol(&s->elves, f, vaddr);
	const char *names[8], *file;
	struct strbuf sb = { 0 };
	int n, line;

	n = elf_file_inlines(f, vaddr, names, ARRAY_SIZE(names), &file, &line);
	if (sym)
		sb_append(&sb, sym->name);
	else if (n)
		sb_append(&sb, names[n - 1]);
	else {
		s->stats.nr_unnamed++;
		return fmt_frame("%s+0x%lx", f->name, vaddr);
	}
	for (int i = n - 2; i >= 0; i--) {
		sb_append(&sb, ";");
		sb_append(&sb, names[i]);
		sb_append(&sb, "_[i]");
	}
	return sb_take(&sb, NULL);
}

/* Frames outside any ELF file: JIT code, anonymous memory, files that
 * could not be opened. Cached per process. */
static const char *other_frame(struct symbolizer *s, struct proc_snap *ps,
			       const struct mapping *m, uint64_t addr, uint64_t look)
{
	const struct jit_sym *js;
	char *text = u64map_get(&ps->frames, addr, look != addr);

	if (text) {
		s->stats.nr_cache_hits++;
		return text;
	}
	if ((js = jit_lookup(ps, look)))
		text = strdup(js->name);
	else if (!m)
		text = fmt_frame("[unmapped]+0x%lx", addr);
	else if (m->kind == MAP_ANON)
		text = fmt_frame("[%s:no-perf-map]+0x%lx", m->name[0] == '[' ? "anon" : m->name, addr);
	else
		text = fmt_frame("%s+0x%lx", m->name, addr - m->start + m->pgoff);
	if (!js)
		s->stats.nr_unnamed++;
	if (!text || u64map_put(&ps->frames, addr, look != addr, text)) {
		free(text);
		return "[out-of-memory]";
	}
	return text;
}

const char *symbolize_user(struct symbolizer *s, pid_t tgid, uint64_t addr, bool is_return)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);
	uint64_t look = is_return && addr ? addr - 1 : addr, vaddr;
	const struct mapping *m;
	static char gone[64];
	char *text;

	s->stats.nr_lookups++;
	if (!ps) {
		s->stats.nr_unnamed++;
		snprintf(gone, sizeof(gone), "[exited-unseen]+0x%lx", addr);
		return gone;
	}
	m = find_mapping(ps, look);
	if (!m || !m->file)
		return other_frame(s, ps, m, addr, look);
	if (!elf_file_off_to_vaddr(m->file, look - m->start + m->pgoff, &vaddr))
		return other_frame(s, ps, m, addr, look);
	if ((text = u64map_get(&m->file->frames, vaddr, is_return))) {
		s->stats.nr_cache_hits++;
		return text;
	}
	text = elf_frame_text(s, m->file, vaddr);
	if (!text || u64map_put(&m->file->frames, vaddr, is_return, text)) {
		free(text);
		return "[out-of-memory]";
	}
	return text;
}

int symbolize_user_detail(struct symbolizer *s, pid_t tgid, uint64_t addr, bool is_return,
			  struct sym_detail *d)
{
	struct proc_snap *ps = u64map_get(&s->procs, (uint64_t)tgid, 0);
	uint64_t look = is_return && addr ? addr - 1 : addr;
	const struct elf_sym *sym;
	const struct jit_sym *js;
	const struct mapping *m;

	memset(d, 0, sizeof(*d));
	if (!ps)
		return -ESRCH;
	m = find_mapping(ps, look);
	if (!m)
		return -ENOENT;
	d->module = m->name;
	if (!m->file) {
		if ((js = jit_lookup(ps, look))) {
			d->function = js->name;
			d->module = "[jit]";
			d->sym_source = "perf map";
		}
		return 0;
	}
	if (!elf_file_off_to_vaddr(m->file, look - m->start + m->pgoff, &d->elf_vaddr))
		return -ENOENT;
	sym = elf_file_symbol(&s->elves, m->file, d->elf_vaddr);
	d->function = sym ? sym->name : NULL;
	d->sym_source = m->file->sym_source;
	d->nr_inlined = elf_file_inlines(m->file, d->elf_vaddr, d->inlined,
					 ARRAY_SIZE(d->inlined), &d->file, &d->line);
	if (!d->function && d->nr_inlined)
		d->function = d->inlined[d->nr_inlined - 1];
	/* inlined[] keeps only the inlined frames, not the function itself. */
	if (d->nr_inlined)
		d->nr_inlined--;
	return 0;
}

/* ---- kernel frames ---- */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Frames of BPF itself and the tracing glue that calls it: the stack the
 * user wants starts below them. */
static bool is_tracing_frame(const char *name, const char *module)
{
	static const char *const prefixes[] = {
		"bpf_trampoline_", "bpf_prog_", "__bpf_prog_enter", "__bpf_prog_exit",
		"bpf_trace_run", "__bpf_trace_", "__traceiter_", "perf_trace_",
	};

	if (module && !strcmp(module, "bpf"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_starts(name, prefixes[i]))
			return true;
	return false;
}

static void load_kallsyms(struct symbolizer *s)
{
	size_t len, cap = 0;
	char *p, *line;

	s->ksyms_loaded = true;
	if (!(s->kallsyms = read_file_alloc("/proc/kallsyms", &len)))
		return;
	for (p = s->kallsyms; (line = strsep(&p, "\n"));) {
		char *addr_s, *type, *name, *module;
		uint64_t addr;

		addr_s = strsep(&line, " ");
		type = strsep(&line, " ");
		name = strsep(&line, "\t ");
		module = line;
		if (!name || !type || !*name || (type[0] != 't' && type[0] != 'T' &&
						 type[0] != 'w' && type[0] != 'W'))
			continue;
		addr = strtoull(addr_s, NULL, 16);
		if (!addr)
			continue;
		if (module && *module == '[') {
			module++;
			module[strcspn(module, "]")] = '\0';
		}
		if (s->nr_ksyms == cap) {
			struct ksym *nv = realloc(s->ksyms, (cap ? cap * 2 : 65536) * sizeof(*nv));

			if (!nv)
				break;
			s->ksyms = nv;
			cap = cap ? cap * 2 : 65536;
		}
		s->ksyms[s->nr_ksyms++] = (struct ksym){ addr, name, is_tracing_frame(name, module) };
	}
	if (s->nr_ksyms)
		qsort(s->ksyms, s->nr_ksyms, sizeof(*s->ksyms), ksym_cmp);
}

const char *symbolize_kernel(struct symbolizer *s, uint64_t addr, bool is_return)
{
	uint64_t look = is_return && addr ? addr - 1 : addr;
	size_t lo = 0, hi;
	char *text;

	s->stats.nr_lookups++;
	if ((text = u64map_get(&s->kframes, addr, is_return))) {
		s->stats.nr_cache_hits++;
		return text == drop_marker ? NULL : text;
	}
	if (!s->ksyms_loaded)
		load_kallsyms(s);
	hi = s->nr_ksyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ksyms[mid].addr <= look)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && s->ksyms[lo - 1].drop)
		text = drop_marker;
	else if (lo)
		text = fmt_frame("%s_[k]", s->ksyms[lo - 1].name);
	else {
		s->stats.nr_unnamed++;
		text = fmt_frame(s->nr_ksyms ? "[kernel]+0x%lx_[k]" : "[no-kallsyms]+0x%lx_[k]", addr);
	}
	if (!text || u64map_put(&s->kframes, addr, is_return, text)) {
		free_unless_marker(text);
		return "[out-of-memory]_[k]";
	}
	return text == drop_marker ? NULL : text;
}
