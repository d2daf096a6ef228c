/* test_symbolize.c: the symbolizer on binaries built here from
 * tests/fixtures/symbolize/target.c and run as live PIE processes:
 * .symtab, .dynsym only (and the module+offset of what it lacks), a debug
 * file found by .gnu_debuglink and one by build-id, inlined frames with
 * source lines from DWARF, and names kept after the process exits; the
 * vDSO, a JIT's /tmp/perf-PID.map, a binary deleted while it runs and a
 * static binary in a chroot (a container's view of its files). */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include "lib/elf_cache.h"
#include "lib/symbolize.h"

static char scratch[64];

struct target {
	pid_t pid;
	int stdin_fd;
	uint64_t static_fn, dynamic_fn, ret_in_inline;
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static int setup(void **state)
{
	snprintf(scratch, sizeof(scratch), "/tmp/friday-symtest-e.XXXXXX");
	if (!mkdtemp(scratch))
		return -1;
	/* full: .symtab, .dynsym (-rdynamic) and DWARF. */
	sh("cc -O2 -g -fPIE -pie -rdynamic -fomit-frame-pointer -o %s/full %s/symbolize/target.c",
	   scratch, FIXTURES);
	sh("cd %s && strip --strip-all -o dynonly full && objcopy --only-keep-debug full full.debug"
	   " && strip --strip-all -o linked full && objcopy --add-gnu-debuglink=full.debug linked"
	   " && strip --strip-all -o byid full", scratch);
	sh("cd %s && bid=$(readelf -n full | awk '/Build ID/ { print $3 }') && "
	   "mkdir -p dbg/.build-id/$(echo $bid | cut -c1-2) && "
	   "cp full.debug dbg/.build-id/$(echo $bid | cut -c1-2)/$(echo $bid | cut -c3-).debug",
	   scratch);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	return system(cmd);
}

/* Runs argv (argv[0] a path) with pipes on stdin and stdout, and reads
 * the addresses it prints. */
static void start_argv(struct target *t, char *const argv[])
{
	int in[2], out[2];
	char line[256];
	FILE *f;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->stdin_fd = in[1];
	f = fdopen(out[0], "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "%lx %lx %lx", &t->static_fn, &t->dynamic_fn,
				&t->ret_in_inline), 3);
}

static void start_target(struct target *t, const char *name)
{
	char path[128];
	char *argv[] = { path, NULL };

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	start_argv(t, argv);
}

static void stop_target(struct target *t)
{
	close(t->stdin_fd);
	waitpid(t->pid, NULL, 0);
}

/* A symbolizer that looks for debug files only under scratch/DIR. */
static struct symbolizer *new_symbolizer(const char *dir)
{
	char dbg[128];
	const char *dirs[1] = { dbg };
	struct symbolizer *s = symbolizer_new();

	assert_non_null(s);
	/* Debug files only from our scratch tree, never the host's. */
	snprintf(dbg, sizeof(dbg), "%s/%s", scratch, dir);
	assert_int_equal(elf_cache_set_debug_dirs(symbolizer_elf_cache(s), dirs, 1), 0);
	return s;
}

static void test_symtab_and_pie(void **state)
{
	struct symbolizer *s = new_symbolizer("dbg");
	struct sym_detail d;
	struct target t;

	start_target(&t, "full");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	assert_string_equal(symbolizer_proc_name(s, t.pid), "full");
	assert_string_equal(symbolize_user(s, t.pid, t.static_fn, false), "fridaytest_static_fn");
	assert_string_equal(symbolize_user(s, t.pid, t.dynamic_fn + 1, false), "fridaytest_dynamic_fn");
	assert_int_equal(symbolize_user_detail(s, t.pid, t.static_fn, false, &d), 0);
	assert_string_equal(d.sym_source, "symtab");
	/* PIE: the run-time address is not the ELF address. */
	assert_true(d.elf_vaddr != t.static_fn);
	assert_true(d.elf_vaddr < 0x100000);
	stop_target(&t);
	symbolizer_free(s);
}

static void test_inlined_frames_and_lines(void **state)
{
	struct symbolizer *s = new_symbolizer("dbg");
	struct sym_detail d;
	struct target t;

	start_target(&t, "full");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	/* The return address inside fridaytest_inlined, inlined into
	 * fridaytest_outer: two frames, the inner one marked _[i]. */
	assert_string_equal(symbolize_user(s, t.pid, t.ret_in_inline, true),
			    "fridaytest_outer;fridaytest_inlined_[i]");
	assert_int_equal(symbolize_user_detail(s, t.pid, t.ret_in_inline, true, &d), 0);
	assert_string_equal(d.function, "fridaytest_outer");
	assert_int_equal(d.nr_inlined, 1);
	assert_string_equal(d.inlined[0], "fridaytest_inlined");
	assert_non_null(d.file);
	assert_non_null(strstr(d.file, "target.c"));
	assert_true(d.line > 20 && d.line < 40);
	stop_target(&t);
	symbolizer_free(s);
}

static void test_dynsym_only(void **state)
{
	struct symbolizer *s = new_symbolizer("nodbg");
	struct sym_detail d;
	struct target t;
	char expect[64];
	const char *text;

	start_target(&t, "dynonly");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	assert_string_equal(symbolize_user(s, t.pid, t.dynamic_fn, false), "fridaytest_dynamic_fn");
	assert_int_equal(symbolize_user_detail(s, t.pid, t.dynamic_fn, false, &d), 0);
	assert_string_equal(d.sym_source, "dynsym");
	/* Not in .dynsym: named by module and ELF offset, not [unknown]. */
	assert_int_equal(symbolize_user_detail(s, t.pid, t.static_fn, false, &d), 0);
	text = symbolize_user(s, t.pid, t.static_fn, false);
	snprintf(expect, sizeof(expect), "dynonly+0x%lx", d.elf_vaddr);
	assert_string_equal(text, expect);
	stop_target(&t);
	symbolizer_free(s);
}

static void check_debug_file(const char *binary, const char *source, const char *dbg_dir)
{
	struct symbolizer *s = new_symbolizer(dbg_dir);
	struct sym_detail d;
	struct target t;

	start_target(&t, binary);
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	assert_string_equal(symbolize_user(s, t.pid, t.static_fn, false), "fridaytest_static_fn");
	assert_int_equal(symbolize_user_detail(s, t.pid, t.static_fn, false, &d), 0);
	assert_string_equal(d.sym_source, source);
	/* The debug file's DWARF gives the inlined frames too. */
	assert_string_equal(symbolize_user(s, t.pid, t.ret_in_inline, true),
			    "fridaytest_outer;fridaytest_inlined_[i]");
	stop_target(&t);
	symbolizer_free(s);
}

static void test_debuglink(void **state)
{
	check_debug_file("linked", "debug file (.gnu_debuglink)", "nodbg");
}

static void test_build_id(void **state)
{
	check_debug_file("byid", "debug file (build-id)", "dbg");
}

static void test_names_survive_exit(void **state)
{
	struct symbolizer *s = new_symbolizer("dbg");
	struct target t;
	char expect[64];

	start_target(&t, "full");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	stop_target(&t);
	/* Gone, and never looked up while alive: the snapshot still names it. */
	assert_int_equal(kill(t.pid, 0), -1);
	assert_string_equal(symbolize_user(s, t.pid, t.static_fn, false), "fridaytest_static_fn");
	/* A process never seen says why it has no names. */
	snprintf(expect, sizeof(expect), "[exited-unseen]+0x%lx", t.static_fn);
	assert_string_equal(symbolize_user(s, t.pid + 100000, t.static_fn, false), expect);
	assert_int_equal(symbolizer_snapshot(s, t.pid + 100000, false), -ESRCH);
	symbolizer_free(s);
}

static void test_kernel_frames(void **state)
{
	struct symbolizer *s = symbolizer_new();
	char line[512];
	uint64_t addr = 0, bpf_addr = 0;
	FILE *f = fopen("/proc/kallsyms", "r");
	const char *text;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && (!addr || !bpf_addr)) {
		char type, name[256];
		uint64_t a;

		if (sscanf(line, "%lx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		if (!addr && !strcmp(name, "schedule"))
			addr = a;
		if (!bpf_addr && !strncmp(name, "bpf_trace_run", 13))
			bpf_addr = a;
	}
	fclose(f);
	assert_true(addr != 0);
	assert_string_equal(symbolize_kernel(s, addr + 4, true), "schedule_[k]");
	/* Tracing glue is dropped from stacks. */
	if (bpf_addr)
		assert_null(symbolize_kernel(s, bpf_addr + 4, true));
	text = symbolize_kernel(s, 8, false);
	assert_non_null(text);
	assert_non_null(strstr(text, "+0x8_[k]"));
	symbolizer_free(s);
}

/* The address of a function in this process's vDSO, from its .dynsym. */
static uint64_t vdso_function(const char *name)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	uint64_t addr = 0;
	Elf_Scn *scn = NULL;
	Elf *e;

	assert_true(base != 0);
	elf_version(EV_CURRENT);
	e = elf_memory((char *)base, 8192);
	assert_non_null(e);
	while (!addr && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;

			if (gelf_getsym(d, (int)i, &sym) && sym.st_value &&
			    !strcmp(elf_strptr(e, sh.sh_link, sym.st_name), name))
				addr = base + sym.st_value;
		}
	}
	elf_end(e);
	return addr;
}

static void test_vdso_and_jit(void **state)
{
	struct symbolizer *s = new_symbolizer("dbg");
	uint64_t vdso = vdso_function("__vdso_clock_gettime");
	char map_path[64];
	struct sym_detail d;
	void *jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FILE *f;

	assert_true(vdso != 0);
	assert_true(jit != MAP_FAILED);
	/* A JIT announces its code in /tmp/perf-PID.map (perf's convention). */
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", getpid());
	f = fopen(map_path, "w");
	assert_non_null(f);
	fprintf(f, "%lx 40 fridaytest_jitted_fn\n", (unsigned long)jit);
	fclose(f);
	assert_int_equal(symbolizer_snapshot(s, getpid(), false), 0);

	assert_int_equal(symbolize_user_detail(s, getpid(), vdso + 4, false, &d), 0);
	assert_string_equal(d.module, "[vdso]");
	assert_non_null(d.function);
	assert_non_null(strstr(d.function, "clock_gettime"));
	assert_string_equal(symbolize_user(s, getpid(), (uint64_t)jit + 0x10, false),
			    "fridaytest_jitted_fn");
	/* Past the JIT symbol's size: anonymous code, and the frame says why. */
	assert_non_null(strstr(symbolize_user(s, getpid(), (uint64_t)jit + 0x100, false),
			       "no-perf-map"));
	unlink(map_path);
	munmap(jit, 4096);
	symbolizer_free(s);
}

/* A binary deleted while it runs, and one that only exists inside a
 * chroot (as in a container): both are read through /proc/PID. */
static void test_deleted_and_chroot(void **state)
{
	struct symbolizer *s = new_symbolizer("nodbg");
	char root[128], chroot_bin[] = "/usr/sbin/chroot", inner[] = "/fridaytest-target";
	char *argv[] = { chroot_bin, root, inner, NULL };
	struct target t;

	sh("cp %s/full %s/doomed", scratch, scratch);
	start_target(&t, "doomed");
	sh("rm %s/doomed", scratch);
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	assert_string_equal(symbolize_user(s, t.pid, t.static_fn, false), "fridaytest_static_fn");
	stop_target(&t);

	snprintf(root, sizeof(root), "%s/root", scratch);
	sh("mkdir -p %s && cc -static -O2 -g -fomit-frame-pointer -o %s%s %s/symbolize/target.c",
	   root, root, inner, FIXTURES);
	assert_int_equal(access(inner, F_OK), -1);   /* not on the host's own path */
	start_argv(&t, argv);
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	assert_string_equal(symbolize_user(s, t.pid, t.static_fn, false), "fridaytest_static_fn");
	assert_string_equal(symbolize_user(s, t.pid, t.dynamic_fn, false), "fridaytest_dynamic_fn");
	stop_target(&t);
	symbolizer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symtab_and_pie),
		cmocka_unit_test(test_inlined_frames_and_lines),
		cmocka_unit_test(test_dynsym_only),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_names_survive_exit),
		cmocka_unit_test(test_kernel_frames),
		cmocka_unit_test(test_vdso_and_jit),
		cmocka_unit_test(test_deleted_and_chroot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
