/* test_unwind.c: the DWARF unwinder (lib/unwind.c) on snapshots recorded
 * here: tests/fixtures/unwind/target.c is built -O2 without frame
 * pointers, run, and each of its threads is stopped once with ptrace to
 * copy its registers and 16 KiB of stack from /proc/PID/mem, as the BPF
 * side copies them; the process is then killed and the snapshots are
 * unwound offline from the symbolizer's mapping cache. Checks the whole
 * chain through libc's read() wrapper to main and _start, a thread's
 * chain to clone3, a binary whose CFI is only in .debug_frame, one with
 * frame pointers and no CFI (walked by its frame pointers), a copy too
 * short (truncated, and says why), the frame-pointer detection that
 * selects processes for unwinding, and the deletion the feed's map of
 * pending off-CPU stacks relies on. */
#include "tests/unit/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/elf_cache.h"
#include "lib/symbolize.h"
#include "lib/u64map.h"
#include "lib/unwind.h"

#define SNAP_STACK_BYTES 16384

static char scratch[64];

struct snapshot {
	pid_t tgid, tid;
	uint64_t regs[UNWIND_NR_REGS];
	unsigned char stack[SNAP_STACK_BYTES];
	size_t stack_len;
};

struct target {
	pid_t pid, thread;
	int stdin_fd;
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
	snprintf(scratch, sizeof(scratch), "/tmp/friday-unwtest-e.XXXXXX");
	if (!mkdtemp(scratch))
		return -1;
	sh("cc -O2 -g -fPIE -pie -fomit-frame-pointer -pthread -o %s/nofp %s/unwind/target.c",
	   scratch, FIXTURES);
	sh("cc -O2 -g -fPIE -pie -fno-omit-frame-pointer -pthread -o %s/withfp %s/unwind/target.c",
	   scratch, FIXTURES);
	/* CFI only in .debug_frame (-g without unwind tables), no frame pointers. */
	sh("cc -O2 -g -fPIE -pie -fomit-frame-pointer -fno-asynchronous-unwind-tables "
	   "-fno-unwind-tables -pthread -o %s/dbgframe %s/unwind/target.c", scratch, FIXTURES);
	/* Frame pointers and no CFI of its own (no .eh_frame, no DWARF). */
	sh("cc -O2 -fPIE -pie -fno-omit-frame-pointer -fno-asynchronous-unwind-tables "
	   "-fno-unwind-tables -pthread -o %s/fponly %s/unwind/target.c", scratch, FIXTURES);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	return system(cmd);
}

/* The thread of pid that is not the main one. */
static pid_t other_thread(pid_t pid)
{
	char path[64];
	struct dirent *de;
	pid_t tid = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)))
		if (atoi(de->d_name) > 0 && atoi(de->d_name) != pid)
			tid = atoi(de->d_name);
	closedir(d);
	return tid;
}

/* Until the main thread sits in read(2) (syscall 0 on x86-64): "ready"
 * arrives while it may still be returning from the write that sent it. */
static void wait_in_read(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		bool in_read = f && fgets(buf, sizeof(buf), f) && !strncmp(buf, "0 ", 2);

		if (f)
			fclose(f);
		if (in_read)
			return;
		usleep(10000);
	}
	fail_msg("pid %d never blocked in read()", pid);
}

static void start_target(struct target *t, const char *name)
{
	int in[2], out[2];
	char path[128], line[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->stdin_fd = in[1];
	f = fdopen(out[0], "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "ready\n");
	t->thread = other_thread(t->pid);
	assert_true(t->thread > 0);
	wait_in_read(t->pid);
}

static void stop_target(struct target *t)
{
	kill(t->pid, SIGKILL);
	close(t->stdin_fd);
	waitpid(t->pid, NULL, 0);
}

/* Stops one thread, copies its registers (in DWARF order) and the top of
 * its stack, and lets it go on. A main thread blocked in read() is
 * stopped inside the syscall, as sched_switch sees a blocked thread. */
static void record(struct snapshot *snap, pid_t tgid, pid_t tid)
{
	struct user_regs_struct r;
	char path[64];
	ssize_t n;
	int fd, status;

	memset(snap, 0, sizeof(*snap));
	snap->tgid = tgid;
	snap->tid = tid;
	assert_int_equal(ptrace(PTRACE_SEIZE, tid, NULL, NULL), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, tid, NULL, NULL), 0);
	assert_int_equal(waitpid(tid, &status, __WALL), tid);
	assert_int_equal(ptrace(PTRACE_GETREGS, tid, NULL, &r), 0);
	uint64_t regs[UNWIND_NR_REGS] = { r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp,
					  r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
					  r.rip };
	memcpy(snap->regs, regs, sizeof(regs));
	snprintf(path, sizeof(path), "/proc/%d/mem", tgid);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	/* As the BPF side does: as much as is readable, up to the size. */
	for (size_t want = SNAP_STACK_BYTES; want >= 512; want /= 2) {
		n = pread(fd, snap->stack, want, (off_t)r.rsp);
		if (n > 0) {
			snap->stack_len = (size_t)n;
			break;
		}
	}
	close(fd);
	assert_true(snap->stack_len >= 512);
	assert_int_equal(ptrace(PTRACE_DETACH, tid, NULL, NULL), 0);
}

/* The names of the unwound frames, leaf first, joined by ';'. */
static void frame_names(struct symbolizer *s, const struct snapshot *snap,
			const struct unwind_result *res, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < res->nr_ips && off < len; i++) {
		struct sym_detail d;
		const char *name = "?";

		if (!symbolize_user_detail(s, snap->tgid, res->ips[i], i > 0, &d) && d.function)
			name = d.function;
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ";" : "", name);
	}
}

static struct unwind_input input_of(const struct snapshot *snap, size_t len)
{
	return (struct unwind_input){ .tgid = snap->tgid, .tid = snap->tid, .regs = snap->regs,
				      .stack = snap->stack, .stack_len = len };
}

/* Asserts that names holds the frames of want in this order, adjacent. */
static void assert_chain(const char *names, const char *want)
{
	if (!strstr(names, want))
		fail_msg("chain %s not in %s", want, names);
}

static void test_blocked_in_libc_read(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct unwinder *u = unwinder_new(s);
	static struct snapshot snap;
	struct unwind_input in;
	struct unwind_result res;
	char names[4096];
	struct target t;

	assert_non_null(u);
	start_target(&t, "nofp");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	record(&snap, t.pid, t.pid);
	stop_target(&t);
	/* Offline from here: the process is gone. */
	in = input_of(&snap, snap.stack_len);
	assert_int_equal(unwind_user(u, &in, &res), 0);
	frame_names(s, &snap, &res, names, sizeof(names));
	print_message("main thread: %s (%zu stack bytes used)\n", names, res.stack_used);
	assert_false(res.truncated);
	assert_chain(names, "fridayu_reader;fridayu_middle;fridayu_outer;main");
	assert_non_null(strstr(names, "_start"));
	/* The leaf is libc's read wrapper, no frame of ours. */
	assert_true(strncmp(names, "fridayu_", 8) != 0);
	assert_true(res.stack_used > 0 && res.stack_used <= snap.stack_len);

	/* A copy too short for the walk: truncated, and it says the copy
	 * ended, so the copy size can grow. */
	in = input_of(&snap, 64);
	assert_int_equal(unwind_user(u, &in, &res), 0);
	assert_true(res.truncated);
	assert_true(res.ran_off_copy);
	assert_true(res.nr_ips >= 1);
	unwinder_free(u);
	symbolizer_free(s);
}

/* CFI that is only in the binary's .debug_frame is used too. */
static void test_debug_frame_only(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct unwinder *u = unwinder_new(s);
	static struct snapshot snap;
	struct unwind_input in;
	struct unwind_result res;
	char names[4096];
	struct target t;

	start_target(&t, "dbgframe");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	record(&snap, t.pid, t.pid);
	stop_target(&t);
	in = input_of(&snap, snap.stack_len);
	assert_int_equal(unwind_user(u, &in, &res), 0);
	frame_names(s, &snap, &res, names, sizeof(names));
	print_message(".debug_frame only: %s\n", names);
	assert_false(res.truncated);
	assert_chain(names, "fridayu_reader;fridayu_middle;fridayu_outer;main");
	unwinder_free(u);
	symbolizer_free(s);
}

/* Where a function has no CFI, libdw's x86-64 backend follows the frame
 * pointer: the application's frames of a binary built with frame pointers
 * and without unwind tables are walked that way, libc's with its CFI. */
static void test_frame_pointers_without_cfi(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct unwinder *u = unwinder_new(s);
	static struct snapshot snap;
	struct unwind_input in;
	struct unwind_result res;
	char names[4096];
	struct target t;

	start_target(&t, "fponly");
	sh("readelf -S %s/fponly | grep -q debug_frame && exit 1; exit 0", scratch);
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	record(&snap, t.pid, t.pid);
	stop_target(&t);
	in = input_of(&snap, snap.stack_len);
	assert_int_equal(unwind_user(u, &in, &res), 0);
	frame_names(s, &snap, &res, names, sizeof(names));
	print_message("frame pointers, no CFI: %s\n", names);
	assert_chain(names, "fridayu_reader;fridayu_middle;fridayu_outer;main");
	unwinder_free(u);
	symbolizer_free(s);
}

static void test_spinning_thread(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct unwinder *u = unwinder_new(s);
	static struct snapshot snap;
	struct unwind_stats st;
	struct unwind_input in;
	struct unwind_result res;
	char names[4096];
	struct target t;

	start_target(&t, "nofp");
	assert_int_equal(symbolizer_snapshot(s, t.pid, false), 0);
	/* Several stops land at different instructions of the loop. */
	for (int i = 0; i < 5; i++) {
		record(&snap, t.pid, t.thread);
		in = input_of(&snap, snap.stack_len);
		assert_int_equal(unwind_user(u, &in, &res), 0);
		frame_names(s, &snap, &res, names, sizeof(names));
		print_message("thread: %s\n", names);
		assert_false(res.truncated);
		assert_chain(names, "fridayu_spin;fridayu_thread_body;start_thread");
		usleep(3000);
	}
	stop_target(&t);
	unwinder_get_stats(u, &st);
	assert_int_equal(st.nr_stacks, 5);
	assert_int_equal(st.nr_truncated, 0);
	assert_true(st.nr_frames >= 5 * 4);
	/* Unknown processes are an error, not a guess. */
	in = input_of(&snap, snap.stack_len);
	in.tgid = in.tid = 1 << 30;
	assert_int_equal(unwind_user(u, &in, &res), -ESRCH);
	unwinder_free(u);
	symbolizer_free(s);
}

static void test_frame_pointer_detection(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct target t1, t2;
	int nofp, withfp;

	start_target(&t1, "nofp");
	start_target(&t2, "withfp");
	assert_int_equal(symbolizer_snapshot(s, t1.pid, false), 0);
	assert_int_equal(symbolizer_snapshot(s, t2.pid, false), 0);
	assert_non_null(symbolizer_main_file(s, t1.pid));
	nofp = elf_file_frame_pointer_pct(symbolizer_elf_cache(s), symbolizer_main_file(s, t1.pid));
	withfp = elf_file_frame_pointer_pct(symbolizer_elf_cache(s),
					    symbolizer_main_file(s, t2.pid));
	print_message("functions with frame pointers: nofp %d%%, withfp %d%%\n", nofp, withfp);
	assert_in_range(nofp, 0, 20);
	assert_in_range(withfp, 50, 100);
	stop_target(&t1);
	stop_target(&t2);
	symbolizer_free(s);
}

/* The feed keeps off-CPU stacks awaiting their time in a u64map and
 * deletes them as the time arrives: deletion must keep every other key
 * reachable (linear probing without tombstones). */
static void test_pending_map_delete(void **state)
{
	struct u64map m = { 0 };
	static int vals[20000];

	for (uint64_t k = 1; k <= 20000; k++)
		assert_int_equal(u64map_put(&m, k, 0, &vals[k - 1]), 0);
	for (uint64_t k = 1; k <= 20000; k += 2)
		assert_ptr_equal(u64map_del(&m, k, 0), &vals[k - 1]);
	assert_int_equal(m.n, 10000);
	for (uint64_t k = 1; k <= 20000; k++)
		assert_ptr_equal(u64map_get(&m, k, 0), k % 2 ? NULL : &vals[k - 1]);
	assert_null(u64map_del(&m, 1, 0));
	for (uint64_t k = 2; k <= 20000; k += 2)
		assert_ptr_equal(u64map_del(&m, k, 0), &vals[k - 1]);
	assert_int_equal(m.n, 0);
	u64map_free(&m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_in_libc_read),
		cmocka_unit_test(test_debug_frame_only),
		cmocka_unit_test(test_frame_pointers_without_cfi),
		cmocka_unit_test(test_spinning_thread),
		cmocka_unit_test(test_frame_pointer_detection),
		cmocka_unit_test(test_pending_map_delete),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
