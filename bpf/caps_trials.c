/* caps_trials.c: the BPF trials of the capability table. Every trial opens
 * the caps.bpf.c skeleton with exactly one program set to autoload (and
 * only the maps it needs created), loads it, attaches it, makes it fire
 * from this process, checks its hit counter, and frees everything: a
 * capability is "yes" only when its program ran in this kernel. */
#include "bpf/caps_trials.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "caps.skel.h"
#include "lib/util.h"

/* How long a trial waits for its attached program to run. */
#define FIRE_WAIT_NS 200000000ull
/* CPU-clock sampling period of the perf trials: one sample per 100 us of CPU. */
#define SAMPLE_PERIOD_NS 100000ull
#define SPIN_NS 1000000ull

enum trial_maps { NEEDS_RINGBUF = 1, NEEDS_STACKS = 2, NEEDS_TASK_STORAGE = 4 };

/* Everything one trial holds, freed once in trial_cleanup. */
struct trial_run {
	const struct bpf_trial *t;
	struct caps_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *link;
	struct ring_buffer *rb;
	int stats_fd;
	size_t nr_records;
	const char *phase;      /* what failed, for the reason */
};

struct bpf_trial {
	const char *prog;       /* program name in caps.bpf.c */
	const char *event;      /* what it attaches to, for the reason */
	unsigned int maps;      /* NEEDS_* beyond .bss */
	const char *hint;       /* the likely cause when the kernel refuses it */
	/* Before attach (e.g. turn on run-time stats); 0 or -errno. */
	int (*prepare)(struct trial_run *tr);
	/* NULL: bpf_program__attach from the section name; 0 or -errno. */
	int (*attach)(struct trial_run *tr);
	/* Makes the program run in this process; NULL: attaching is the proof. */
	void (*fire)(void);
	/* Extra proof once it ran; 0, or -errno with why filled. */
	int (*verify)(struct trial_run *tr, char *why, size_t len);
};

/* --- errno text ------------------------------------------ */

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { E2BIG, "E2BIG" },
	{ EBADF, "EBADF" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSYS, "ENOSYS" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENXIO, "ENXIO" }, { 524, "ENOTSUPP" },
};

void caps_explain_errno(char *buf, size_t len, int err, const char *hint)
{
	char unknown[24];
	const char *name = NULL;

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			name = errno_names[i].name;
	if ((err == EPERM || err == EACCES) && !caps_bpf_privileged())
		hint = "not permitted without root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)";
	if (!name)
		name = sfmt(unknown, sizeof(unknown), "errno %d", err);
	snprintf(buf, len, "%s (%s)%s%s", name,
		 err == 524 ? "operation not supported by this kernel" : strerror(err),
		 hint ? ": " : "", hint ? hint : "");
}

/* --- ways to make a program fire --------------------------------------- */

void caps_spin_ns(unsigned long long spin_ns)
{
	uint64_t end = now_mono_ns() + spin_ns;
	volatile uint64_t sink = 0;

	while (now_mono_ns() < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}

static void fire_spin(void)
{
	caps_spin_ns(SPIN_NS);
}

/* Sleeping switches this task out: sched_switch fires on its CPU. */
static void fire_sched_switch(void)
{
	struct timespec ts = { 0, 100000 };

	nanosleep(&ts, NULL);
}

static void fire_vfs_read(void)
{
	char c;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &c, 1) < 0)
			log_debug("caps: read /dev/null: %s", strerror(errno));
		close(fd);
	}
}

/* The uprobe trial's target: a function of friday's own binary, called
 * through a volatile pointer so the compiler keeps the call. */
__attribute__((noinline, noclone)) void caps_uprobe_target(void)
{
	__asm__ volatile("" ::: "memory");
}
static void (*volatile uprobe_target_fn)(void) = caps_uprobe_target;

static void fire_uprobe(void)
{
	uprobe_target_fn();
}

/* --- custom attach and verify steps ------------------------------------ */

/* The file and file offset that hold addr in this process, from
 * /proc/self/maps: what a uprobe needs, symbols or not. */
static int self_file_offset(const void *addr, char *path, size_t path_len, size_t *offset)
{
	unsigned long start, end, pgoff, a = (unsigned long)addr;
	char line[4096], perms[8], file[4096];
	FILE *f = fopen("/proc/self/maps", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &start, &end, perms, &pgoff,
			   file) < 4)
			continue;
		if (a < start || a >= end || perms[2] != 'x' || file[0] != '/')
			continue;
		snprintf(path, path_len, "%s", file);
		*offset = a - start + pgoff;
		ret = 0;
	}
	fclose(f);
	return ret;
}

static int attach_uprobe(struct trial_run *tr)
{
	char path[4096];
	size_t offset = 0;
	int err = self_file_offset((const void *)caps_uprobe_target, path, sizeof(path), &offset);

	if (err) {
		tr->phase = "finding friday's own code in /proc/self/maps";
		return err;
	}
	tr->link = bpf_program__attach_uprobe(tr->prog, false, getpid(), path, offset);
	return tr->link ? 0 : -errno;
}

static int open_perf_event(__u32 type, __u64 config, __u64 period, bool disabled)
{
	struct perf_event_attr attr = {
		.type = type, .size = sizeof(attr), .config = config,
		.sample_period = period, .disabled = disabled,
		/* user space only: allowed even with perf_event_paranoid 2 */
		.exclude_kernel = !caps_bpf_privileged(), .exclude_hv = 1,
	};

	return syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* A CPU-clock sampling event on this process, with the program on it. */
static int attach_cpu_clock(struct trial_run *tr)
{
	int err, fd = open_perf_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK,
				      SAMPLE_PERIOD_NS, false);

	if (fd < 0) {
		tr->phase = "perf_event_open(PERF_COUNT_SW_CPU_CLOCK)";
		return -errno;
	}
	tr->link = bpf_program__attach_perf_event(tr->prog, fd);
	if (tr->link)
		return 0;   /* the link owns fd now */
	err = -errno;
	close(fd);
	return err;
}

static int enable_run_time_stats(struct trial_run *tr)
{
	int64_t on = 0;

	tr->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (tr->stats_fd >= 0)
		return 0;
	/* Someone may have turned them on for everyone already. */
	if (read_s64("/proc/sys/kernel/bpf_stats_enabled", &on) == 0 && on == 1)
		return 0;
	tr->phase = "bpf_enable_stats(BPF_STATS_RUN_TIME)";
	return -errno;
}

static int verify_run_time_stats(struct trial_run *tr, char *why, size_t len)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(tr->prog), &info, &info_len)) {
		snprintf(why, len, "bpf_obj_get_info_by_fd failed: %s", strerror(errno));
		return -errno;
	}
	if (!info.run_cnt) {
		snprintf(why, len, "stats on, but the program ran with run_cnt 0");
		return -ENODATA;
	}
	snprintf(why, len, "run_cnt %llu, run_time_ns %llu", (unsigned long long)info.run_cnt,
		 (unsigned long long)info.run_time_ns);
	return 0;
}

static int count_record(void *ctx, void *data, size_t size)
{
	((struct trial_run *)ctx)->nr_records++;
	return 0;
}

static int verify_ringbuf(struct trial_run *tr, char *why, size_t len)
{
	tr->rb = ring_buffer__new(bpf_map__fd(tr->skel->maps.events), count_record, tr, NULL);
	if (!tr->rb) {
		snprintf(why, len, "ring_buffer__new failed: %s", strerror(errno));
		return -errno;
	}
	ring_buffer__consume(tr->rb);
	if (!tr->nr_records) {
		snprintf(why, len, "the program reserved records but none could be read "
			 "(%llu reserve failures)", (unsigned long long)tr->skel->bss->reserve_fail);
		return -ENODATA;
	}
	snprintf(why, len, "%zu records reserved in the kernel and read back", tr->nr_records);
	return 0;
}

static int verify_stacks(struct trial_run *tr, char *why, size_t len)
{
	unsigned long long ok = *(volatile __u64 *)&tr->skel->bss->stack_ok;

	if (!ok) {
		snprintf(why, len, "bpf_get_stackid returned no stack id in %llu samples",
			 (unsigned long long)tr->skel->bss->hits);
		return -ENODATA;
	}
	snprintf(why, len, "%llu stack ids from bpf_get_stackid", ok);
	return 0;
}

/* --- the trials -------------------------------------------------------- */

const struct bpf_trial trial_tracepoint = {
	"trial_tracepoint", "tracepoint sched/sched_switch (tracefs id)", 0,
	"tracefs unreadable, or CONFIG_BPF_EVENTS off?", NULL, NULL, fire_sched_switch, NULL,
};
const struct bpf_trial trial_tp_btf = {
	"trial_tp_btf", "tp_btf/sched_switch", 0,
	"tp_btf needs kernel BTF and Linux 5.5+", NULL, NULL, fire_sched_switch, NULL,
};
const struct bpf_trial trial_raw_tp = {
	"trial_raw_tp", "raw_tp/sched_switch", 0,
	"raw tracepoints need Linux 4.17+ with CONFIG_BPF_EVENTS", NULL, NULL, fire_sched_switch, NULL,
};
const struct bpf_trial trial_fentry = {
	"trial_fentry", "fentry/vfs_read", 0,
	"BPF trampolines unavailable (no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, or an "
	"architecture or hypervisor without them?)", NULL, NULL, fire_vfs_read, NULL,
};
const struct bpf_trial trial_kprobe = {
	"trial_kprobe", "kprobe/vfs_read", 0,
	"no kprobe PMU and no kprobe_events (CONFIG_KPROBES off?)", NULL, NULL, fire_vfs_read, NULL,
};
const struct bpf_trial trial_uprobe = {
	"trial_uprobe", "a uprobe on friday's own caps_uprobe_target()", 0,
	"no uprobe PMU (CONFIG_UPROBE_EVENTS off?)", NULL, attach_uprobe, fire_uprobe, NULL,
};
const struct bpf_trial trial_perf_sampling = {
	"trial_perf_sw", "a CPU-clock sampling perf event on this process", 0,
	"software perf events unavailable (CONFIG_PERF_EVENTS off, or perf_event_paranoid 3?)",
	NULL, attach_cpu_clock, fire_spin, NULL,
};
const struct bpf_trial trial_ringbuf = {
	"trial_ringbuf", "raw_tp/sched_switch, reserving from a BPF ring buffer", NEEDS_RINGBUF,
	"BPF_MAP_TYPE_RINGBUF needs Linux 5.8+", NULL, NULL, fire_sched_switch, verify_ringbuf,
};
const struct bpf_trial trial_bpf_stats = {
	"trial_raw_tp", "raw_tp/sched_switch with BPF run-time stats on", 0,
	"BPF_ENABLE_STATS needs Linux 5.8+ and CAP_SYS_ADMIN", enable_run_time_stats, NULL,
	fire_sched_switch, verify_run_time_stats,
};
const struct bpf_trial trial_task_storage = {
	"trial_task_storage", "tp_btf/sched_switch with BPF task storage", NEEDS_TASK_STORAGE,
	"BPF_MAP_TYPE_TASK_STORAGE in tracing programs needs Linux 5.11+ and BTF", NULL, NULL,
	fire_sched_switch, NULL,
};
const struct bpf_trial trial_stack_trace = {
	"trial_stack_trace", "bpf_get_stackid from a CPU-clock sample", NEEDS_STACKS,
	"stack maps need CONFIG_PERF_EVENTS and CONFIG_STACKTRACE", NULL, attach_cpu_clock,
	fire_spin, verify_stacks,
};
const struct bpf_trial trial_lock_contention = {
	"trial_lock_contention", "raw_tp/contention_begin (lock:contention_begin)", 0,
	"lock:contention_begin exists from Linux 5.19", NULL, NULL, NULL, NULL,
};

/* --- the one trial runner ---------------------------------------------- */

static int trial_open(struct trial_run *tr)
{
	const struct bpf_trial *t = tr->t;
	struct bpf_program *p;

	tr->phase = "open";
	tr->skel = caps_bpf__open();
	if (!tr->skel)
		return -errno;
	tr->skel->rodata->target_tgid = getpid();
	tr->prog = bpf_object__find_program_by_name(tr->skel->obj, t->prog);
	if (!tr->prog)
		return -ENOENT;
	bpf_object__for_each_program(p, tr->skel->obj)
		bpf_program__set_autoload(p, p == tr->prog);
	bpf_map__set_autocreate(tr->skel->maps.events, t->maps & NEEDS_RINGBUF);
	bpf_map__set_autocreate(tr->skel->maps.stacks, t->maps & NEEDS_STACKS);
	bpf_map__set_autocreate(tr->skel->maps.task_hits, t->maps & NEEDS_TASK_STORAGE);
	tr->phase = "load";
	if (caps_bpf__load(tr->skel))
		return -errno;
	return 0;
}

static int trial_attach(struct trial_run *tr)
{
	int err;

	if (tr->t->prepare && (err = tr->t->prepare(tr)))
		return err;
	tr->phase = "attach";
	if (tr->t->attach)
		return tr->t->attach(tr);
	tr->link = bpf_program__attach(tr->prog);
	return tr->link ? 0 : -errno;
}

static uint64_t trial_hits(struct trial_run *tr)
{
	return *(volatile __u64 *)&tr->skel->bss->hits;
}

/* Fires until the program ran once, or FIRE_WAIT_NS passed. */
static bool trial_fire(struct trial_run *tr)
{
	uint64_t end = now_mono_ns() + FIRE_WAIT_NS;

	do
		tr->t->fire();
	while (!trial_hits(tr) && now_mono_ns() < end);
	return trial_hits(tr) > 0;
}

static void trial_cleanup(struct trial_run *tr)
{
	ring_buffer__free(tr->rb);
	bpf_link__destroy(tr->link);
	if (tr->stats_fd >= 0)
		close(tr->stats_fd);
	caps_bpf__destroy(tr->skel);
}

bool bpf_trial_run(const struct bpf_trial *t, char *why, size_t len)
{
	struct trial_run tr = { .t = t, .stats_fd = -1 };
	char errtext[256], proof[256] = "";
	int err;

	err = trial_open(&tr);
	if (!err)
		err = trial_attach(&tr);
	if (err) {
		caps_explain_errno(errtext, sizeof(errtext), err, t->hint);
		snprintf(why, len, "%s failed: %s", tr.phase, errtext);
	} else if (t->fire && !trial_fire(&tr)) {
		err = -ENODATA;
		snprintf(why, len, "%s attached, but never ran in %llu ms", t->event,
			 FIRE_WAIT_NS / 1000000);
	} else if (t->verify && (err = t->verify(&tr, proof, sizeof(proof)))) {
		snprintf(why, len, "%s ran, but %s", t->event, proof);
	} else if (!t->fire) {
		snprintf(why, len, "%s loaded and attached", t->event);
	} else {
		snprintf(why, len, "%s loaded, attached and ran (%" PRIu64 " hits)%s%s", t->event,
			 trial_hits(&tr), proof[0] ? "; " : "", proof);
	}
	trial_cleanup(&tr);
	return err == 0;
}

/* --- hardware counters (no BPF) ---------------------------------------- */

bool probe_hw_counters(char *why, size_t len)
{
	int fd = open_perf_event(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, true);
	char errtext[256];
	uint64_t cycles = 0;

	if (fd < 0) {
		caps_explain_errno(errtext, sizeof(errtext), errno,
				   errno == ENOENT || errno == EOPNOTSUPP || errno == ENODEV ?
				   "no hardware PMU: the CPU or hypervisor exposes no cycle counter "
				   "(a VM without a virtual PMU?)" : NULL);
		snprintf(why, len, "perf_event_open(PERF_COUNT_HW_CPU_CYCLES) failed: %s", errtext);
		return false;
	}
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	caps_spin_ns(SPIN_NS);
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(fd, &cycles, sizeof(cycles)) != sizeof(cycles))
		cycles = 0;
	close(fd);
	if (!cycles) {
		snprintf(why, len, "PERF_COUNT_HW_CPU_CYCLES opened, but counted 0 cycles over a "
			 "%llu ms spin (the PMU does not count here)", SPIN_NS / 1000000);
		return false;
	}
	snprintf(why, len, "PERF_COUNT_HW_CPU_CYCLES counted %" PRIu64 " cycles over a %llu ms spin",
		 cycles, SPIN_NS / 1000000);
	return true;
}
