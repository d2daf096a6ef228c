/* unwind.c: DWARF unwinding of copied user stacks with libdwfl (see
 * unwind.h). One Dwfl per process, built from the symbolizer's snapshot of
 * its mappings and rebuilt when the snapshot changes; libdwfl caches each
 * module's CFI, so a process's later stacks cost only the walk. The thread
 * callbacks serve one copied sample at a time: the registers as the
 * initial state, memory from the copy, else from the mapped files. */
#include "lib/unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include "lib/elf_cache.h"
#include "lib/symbolize.h"
#include "lib/u64map.h"
#include "lib/util.h"

struct unwind_proc {
	pid_t tgid;
	uint64_t gen;                 /* the snapshot this Dwfl was built from */
	Dwfl *dwfl;                   /* NULL: no module could be reported */
};

struct unwinder {
	struct symbolizer *sym;
	struct u64map procs;          /* (tgid, 0) -> struct unwind_proc */
	/* The sample being unwound, for the callbacks. */
	const struct unwind_input *in;
	struct unwind_result *res;
	uint64_t sp;
	bool read_past_copy;
	bool read_failed;
	uint64_t max_failed_addr;     /* the highest address a read failed at */
	uint64_t last_sp;             /* the stack pointer of the last frame */
	struct unwind_stats stats;
};

/* No separate debug files: libdw would load one per process and module
 * (libc6-dbg's compressed sections cost 10 to 50 ms each, measured on a
 * host building code), and x86-64 code carries .eh_frame anyway (the ABI
 * requires it). A module's own .debug_frame is still read. */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Each process's Dwfl holds a descriptor per module (libdwfl owns what
 * it is given): a host with hundreds of processes to unwind needs more
 * than the usual soft limit of 1024, so it is raised to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct unwinder *unwinder_new(struct symbolizer *s)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (u)
		u->sym = s;
	raise_fd_limit();
	return u;
}

static void proc_free(void *p)
{
	struct unwind_proc *up = p;

	if (up->dwfl)
		dwfl_end(up->dwfl);
	free(up);
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	u64map_free(&u->procs, proc_free);
	free(u);
}

void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *st)
{
	*st = u->stats;
}

/* ---- thread callbacks: one copied sample ---- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *u = arg;

	/* One thread per walk: the sampled one. */
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return u->in->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *u = arg;
	const struct unwind_input *in = u->in;
	uint64_t off = addr - u->sp;

	if (addr >= u->sp && off + sizeof(*result) <= in->stack_len) {
		memcpy(result, (const char *)in->stack + off, sizeof(*result));
		if (off + sizeof(*result) > u->res->stack_used)
			u->res->stack_used = off + sizeof(*result);
		return true;
	}
	/* Above the copy but plausibly still stack: the copy was too short. */
	if (addr >= u->sp && off < (64u << 20))
		u->read_past_copy = true;
	if (symbolizer_read_mapped(u->sym, in->tgid, addr, result, sizeof(*result)) ==
	    (ssize_t)sizeof(*result))
		return true;
	u->read_failed = true;
	if (addr > u->max_failed_addr)
		u->max_failed_addr = addr;
	return false;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Word regs[UNWIND_NR_REGS];

	for (int i = 0; i < UNWIND_NR_REGS; i++)
		regs[i] = u->in->regs[i];
	if (!dwfl_thread_state_registers(thread, 0, UNWIND_NR_REGS, regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[UNWIND_REG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- modules from the symbolizer's snapshot ---- */

struct report_ctx {
	Dwfl *dwfl;
	struct elf_file *seen[256];   /* files already reported */
	size_t nr_seen;
	int nr_modules;
};

/* A file descriptor libdwfl may own: a dup of the cached file's, or for
 * the vDSO (kept in memory) a memfd holding its image. */
static int module_fd(const struct elf_file *f)
{
	int fd;

	if (!f->mem)
		return f->fd >= 0 ? dup(f->fd) : -1;
	fd = memfd_create("friday-vdso", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, f->mem, f->mem_len) != (ssize_t)f->mem_len) {
		close(fd);
		return -1;
	}
	return fd;
}

static int report_map(void *arg, uint64_t start, uint64_t end, uint64_t pgoff, struct elf_file *f)
{
	struct report_ctx *rc = arg;
	uint64_t vaddr;
	int fd;

	for (size_t i = 0; i < rc->nr_seen; i++)
		if (rc->seen[i] == f)
			return 0;
	if (rc->nr_seen == ARRAY_SIZE(rc->seen))
		return 0;
	rc->seen[rc->nr_seen++] = f;
	/* The load bias: where the mapping is minus where the file expects it. */
	if (!elf_file_off_to_vaddr(f, f->mem ? 0 : pgoff, &vaddr) || (fd = module_fd(f)) < 0)
		return 0;
	if (dwfl_report_elf(rc->dwfl, f->name, f->path, fd, start - vaddr, true))
		rc->nr_modules++;
	else
		close(fd);
	return 0;
}

static Dwfl *build_dwfl(struct unwinder *u, pid_t tgid)
{
	struct report_ctx rc = { .dwfl = dwfl_begin(&dwfl_callbacks) };

	if (!rc.dwfl)
		return NULL;
	dwfl_report_begin(rc.dwfl);
	symbolizer_for_each_file_map(u->sym, tgid, report_map, &rc);
	if (dwfl_report_end(rc.dwfl, NULL, NULL) || !rc.nr_modules ||
	    !dwfl_attach_state(rc.dwfl, NULL, tgid, &thread_callbacks, u)) {
		log_debug("unwind: pid %d: no modules to unwind with (%s)", tgid,
			  dwfl_errmsg(-1));
		dwfl_end(rc.dwfl);
		return NULL;
	}
	return rc.dwfl;
}

static struct unwind_proc *get_proc(struct unwinder *u, pid_t tgid)
{
	uint64_t gen = symbolizer_snapshot_gen(u->sym, tgid);
	struct unwind_proc *up = u64map_get(&u->procs, (uint64_t)tgid, 0);

	if (!gen)
		return NULL;
	if (!up) {
		if (!(up = calloc(1, sizeof(*up))) || u64map_put(&u->procs, (uint64_t)tgid, 0, up)) {
			free(up);
			return NULL;
		}
		up->tgid = tgid;
	}
	if (up->gen != gen) {
		if (up->dwfl)
			dwfl_end(up->dwfl);
		up->dwfl = build_dwfl(u, tgid);
		up->gen = gen;
	}
	return up;
}

/* ---- the walk ---- */

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct unwinder *u = arg;
	struct unwind_result *res = u->res;
	Dwarf_Word sp;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (dwfl_frame_reg(state, UNWIND_REG_SP, &sp) == 0)
		u->last_sp = sp;
	if (res->nr_ips == UNWIND_MAX_FRAMES) {
		res->truncated = true;
		return DWARF_CB_ABORT;
	}
	res->ips[res->nr_ips++] = pc;
	return DWARF_CB_OK;
}

int unwind_user(struct unwinder *u, const struct unwind_input *in, struct unwind_result *res)
{
	uint64_t t0 = now_mono_ns();
	struct unwind_proc *up = get_proc(u, in->tgid);
	int ret;

	memset(res, 0, sizeof(*res));
	u->stats.nr_stacks++;
	if (!up || !up->dwfl) {
		/* Only the sampled address is known. */
		u->stats.nr_no_modules++;
		u->stats.nr_truncated++;
		u->stats.nr_frames++;
		res->ips[res->nr_ips++] = in->regs[UNWIND_REG_IP];
		res->truncated = true;
		u->stats.unwind_ns += now_mono_ns() - t0;
		return up ? 0 : -ESRCH;
	}
	u->in = in;
	u->res = res;
	u->sp = in->regs[UNWIND_REG_SP];
	u->read_past_copy = u->read_failed = false;
	u->max_failed_addr = u->last_sp = 0;
	ret = dwfl_getthread_frames(up->dwfl, in->tid, on_frame, u);
	/* 0: it reached a frame that says it is the outermost (its return
	 * address is undefined in the CFI, as _start and clone3 say) - or
	 * libdwfl could not read the last frame's return address, which it
	 * takes quietly for the end. That read is at or above the last
	 * frame's stack pointer; a failed read below it was of a register
	 * the walk did not need. */
	if (ret != 0 || (u->read_failed && u->max_failed_addr >= u->last_sp))
		res->truncated = true;
	if (!res->nr_ips)
		res->ips[res->nr_ips++] = in->regs[UNWIND_REG_IP];
	res->ran_off_copy = res->truncated && u->read_past_copy;
	u->in = NULL;
	u->res = NULL;
	u->stats.nr_truncated += res->truncated;
	u->stats.nr_frames += (uint64_t)res->nr_ips;
	u->stats.unwind_ns += now_mono_ns() - t0;
	return 0;
}
