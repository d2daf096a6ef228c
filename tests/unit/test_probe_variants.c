/* test_probe_variants.c: the cpu, processes, syscalls, locks, network and
 * filesystem collectors in each attach kind. This machine has tp_btf, so
 * the scenario tests only ever load that kind; here the report's capabilities rule tp_btf (and
 * then raw_tp) out, as on an older kernel, and each collector must load
 * the next kind into the real kernel (root needed) and measure what a
 * child of this test does in its window: getppid calls, forks, timed-out
 * futex waits (a child: futexwait leaves out the collecting process),
 * writes and fsyncs on a regular file, TCP connections on loopback and one
 * refused by a closed port. */
#include "tests/unit/testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf/collector.h"
#include "lib/options.h"
#include "reports/report.h"

#define NR_GETPPID 2300
#define NR_FORKS 7
#define NR_TIMEOUTS 5
#define NR_FILE_WRITES 17
#define NR_CONNECTS 11

static pid_t worker;
static int tcp_port, closed_port;

/* A loopback listener on a free port (its number in *port), or -1. */
static int listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* NR_CONNECTS connections to a listener of its own, accepted and closed,
 * then one connect to a port nobody listens on (a reset comes back). */
static void tcp_work(void)
{
	int ls = listener(&tcp_port), closed = listener(&closed_port), fds[NR_CONNECTS];

	close(closed);
	for (int i = 0; i < NR_CONNECTS; i++)
		fds[i] = connect_to(tcp_port);
	for (int i = 0; i < NR_CONNECTS; i++) {
		int a = accept(ls, NULL, NULL);

		close(fds[i]);
		close(a);
	}
	close(ls);
	if (connect_to(closed_port) >= 0)
		_exit(3);
}

/* Writes to a regular file, then one fsync; the file is gone after. */
static void file_io(void)
{
	char path[] = "/tmp/friday-variants-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	unlink(path);
	for (int i = 0; i < NR_FILE_WRITES; i++)
		syscall(SYS_write, fd, "x", 1);
	syscall(SYS_fsync, fd);
	close(fd);
}

static void work(void)
{
	struct timespec ms5 = { 0, 5 * 1000 * 1000 };
	uint32_t word = 0;

	for (int i = 0; i < NR_GETPPID; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < NR_FORKS; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < NR_TIMEOUTS; i++)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ms5, NULL, 0);
	file_io();
	tcp_work();
}

/* The worker is a child, so that the counts are its own and known. */
static void activity(void)
{
	struct timespec ms5 = { 0, 5 * 1000 * 1000 };

	int pipefd[2], status = 0;

	assert_int_equal(pipe(pipefd), 0);
	worker = fork();
	if (worker == 0) {
		work();
		/* The ports the parent looks for in the measurements. */
		if (write(pipefd[1], &tcp_port, sizeof(int)) != sizeof(int) ||
		    write(pipefd[1], &closed_port, sizeof(int)) != sizeof(int))
			_exit(2);
		_exit(0);
	}
	waitpid(worker, &status, 0);
	assert_int_equal(status, 0);
	assert_int_equal(read(pipefd[0], &tcp_port, sizeof(int)), sizeof(int));
	assert_int_equal(read(pipefd[0], &closed_port, sizeof(int)), sizeof(int));
	close(pipefd[0]);
	close(pipefd[1]);
	nanosleep(&ms5, NULL);
}

/* Runs one collector with tp_btf (and raw_tp when !raw_ok) ruled out;
 * returns its measurements (a new reference), checks the kind it used. */
static json_t *run_kind(const char *name, bool raw_ok, const char *want_kind)
{
	const struct collector_ops *ops = collector_find(name);
	struct run_opts opts = { .pid = 0 };
	struct report *r = report_new();
	struct collector c = { .ops = ops, .opts = &opts, .report = r };
	char why[512] = "";
	json_t *m;

	assert_non_null(ops);
	report_set_capability(r, "tp_btf", false, "ruled out by the test");
	report_set_capability(r, "raw_tp", raw_ok, raw_ok ? "works" : "ruled out by the test");
	if (ops->start(&c, why, sizeof(why)))
		fail_msg("%s did not start as %s: %s", name, want_kind, why);
	c.started_s = 0;
	activity();
	c.window_s = 1;
	ops->stop(&c);
	assert_int_equal(ops->harvest(&c, r), 0);
	ops->destroy(&c);
	m = json_incref(json_object_get(report_get(r, "measurements"), name));
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "attach")), want_kind);
	report_free(r);
	return m;
}

static json_t *entry_of(json_t *list, int pid)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (json_integer_value(json_object_get(e, "pid")) == pid)
			return e;
	return NULL;
}

static void check_syscount(bool raw_ok, const char *kind)
{
	json_t *m = run_kind("syscount", raw_ok, kind), *p, *s;
	size_t i;
	long getppid = -1;

	p = entry_of(json_object_get(m, "processes"), worker);
	assert_non_null(p);
	json_array_foreach(json_object_get(p, "top_syscalls"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), "getppid"))
			getppid = json_integer_value(json_object_get(s, "count"));
	assert_int_equal(getppid, NR_GETPPID);
	json_decref(m);
}

static void check_proclife(bool raw_ok, const char *kind)
{
	json_t *m = run_kind("proclife", raw_ok, kind);
	json_t *p = entry_of(json_object_get(m, "top_parents"), worker);

	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "forks")), NR_FORKS);
	assert_int_equal(json_integer_value(json_object_get(p, "child_exits")), NR_FORKS);
	json_decref(m);
}

static void check_futexwait(bool raw_ok, const char *kind)
{
	json_t *m = run_kind("futexwait", raw_ok, kind);
	json_t *p = entry_of(json_object_get(json_object_get(m, "futex"), "processes"), worker);

	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "timeouts")), NR_TIMEOUTS);
	assert_true(json_is_true(json_object_get(json_object_get(m, "kernel_locks"), "traced")));
	json_decref(m);
}

static void check_fslat(bool raw_ok, const char *kind)
{
	json_t *m = run_kind("fslat", raw_ok, kind);
	json_t *p = entry_of(json_object_get(m, "processes"), worker), *ops;

	assert_non_null(p);
	ops = json_object_get(p, "ops");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ops, "write"), "count")),
			 NR_FILE_WRITES);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ops, "fsync"), "count")),
			 1);
	json_decref(m);
}

/* The classic variant cannot filter by process: it measures the host. */
static void check_runqlat(bool raw_ok, const char *kind)
{
	json_t *m = run_kind("runqlat", raw_ok, kind);

	assert_true(json_integer_value(json_object_get(m, "events")) > 0);
	assert_int_equal(json_is_true(json_object_get(m, "keyed_by_tid")), !raw_ok);
	json_decref(m);
}

/* fslat moves the rows of exited processes out of its kernel map (here
 * from 2 rows on): five children that each write a byte and exit leave
 * five rows of well under 1 ms, which are counted and dropped, none lost. */
static void test_fslat_prunes_exited(void **state)
{
	const struct collector_ops *ops = collector_find("fslat");
	struct run_opts opts = { .pid = 0 };
	struct report *r = report_new();
	json_t *knobs = json_pack("{s:i}", "prune_from_rows", 2), *m;
	struct collector c = { .ops = ops, .opts = &opts, .report = r, .knobs = knobs };
	char why[512] = "";

	if (geteuid())
		skip();
	if (ops->start(&c, why, sizeof(why)))
		fail_msg("fslat did not start: %s", why);
	for (int i = 0; i < 5; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			file_io();
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	ops->poll(&c);
	c.window_s = 1;
	ops->stop(&c);
	assert_int_equal(ops->harvest(&c, r), 0);
	ops->destroy(&c);
	m = json_object_get(report_get(r, "measurements"), "fslat");
	assert_true(json_integer_value(json_object_get(m, "exited_rows_left_out")) >= 5);
	assert_int_equal(json_integer_value(json_object_get(m, "lost_events")), 0);
	json_decref(knobs);
	report_free(r);
}

/* A peer row of nethealth by its remote "127.0.0.1:PORT" and direction. */
static json_t *peer_of(json_t *m, int port, const char *dir)
{
	char remote[32];
	json_t *p;
	size_t i;

	snprintf(remote, sizeof(remote), "127.0.0.1:%d", port);
	json_array_foreach(json_object_get(m, "peers"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "remote")), remote) &&
		    !strcmp(json_string_value(json_object_get(p, "direction")), dir))
			return p;
	return NULL;
}

static void check_nethealth(bool raw_ok, const char *kind)
{
	json_t *m = run_kind("nethealth", raw_ok, kind), *p;

	p = peer_of(m, tcp_port, "connect");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "pid")), worker);
	assert_int_equal(json_integer_value(json_object_get(p, "connects")), NR_CONNECTS);
	assert_int_equal(json_integer_value(json_object_get(p, "closes")), NR_CONNECTS);
	p = peer_of(m, tcp_port, "accept");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "accepts")), NR_CONNECTS);
	p = peer_of(m, closed_port, "connect");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "connect_fails")), 1);
	assert_true(json_integer_value(json_object_get(p, "resets_received")) >= 1);
	p = peer_of(m, closed_port, "accept");
	assert_non_null(p);
	assert_true(json_integer_value(json_object_get(p, "resets_sent")) >= 1);
	json_decref(m);
}

static void test_raw_tp(void **state)
{
	if (geteuid())
		skip();
	check_syscount(true, "raw_tp");
	check_proclife(true, "raw_tp");
	check_futexwait(true, "raw_tp");
	check_runqlat(true, "raw_tp");
	check_fslat(true, "raw_tp");
	check_nethealth(true, "raw_tp");
}

static void test_tracepoint(void **state)
{
	if (geteuid())
		skip();
	check_syscount(false, "tracepoint");
	check_proclife(false, "tracepoint");
	check_futexwait(false, "tracepoint");
	check_runqlat(false, "tracepoint");
	check_fslat(false, "tracepoint");
	check_nethealth(false, "tracepoint");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_tp),
		cmocka_unit_test(test_tracepoint),
		cmocka_unit_test(test_fslat_prunes_exited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
