/* efficiency.c: the "efficiency" collector (Friday, F-01, F-02, F-05):
 * counters from perf_event_open, no BPF. Hardware cycles and instructions
 * (IPC), and last-level cache misses where the PMU counts them, are tried
 * first, once, and used where the PMU answers; this host
 * may have none (a VM without a virtual PMU), and then the reason is
 * recorded and only software counters are read: task clock, context
 * switches, CPU migrations and page faults, per thread of each busy
 * process (summed per process) and per CPU for the host. Busy processes
 * are -p, the processes of --cgroup, or the busiest of Monday's load
 * snapshot. It measures; checks/rules_friday.c derives CPU time per
 * syscall, per I/O and per byte, and judges. */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf/collector.h"
#include "bpf/probe_util.h"
#include "lib/procfs.h"
#include "lib/util.h"

#define MAX_PROCS 8
#define MAX_THREADS 256          /* over all processes: 4 to 6 fds each */
#define BUSY_CPU_PCT 5.0         /* a "busy" process in the load snapshot */

enum ev { EV_CLOCK, EV_CSW, EV_MIGRATIONS, EV_FAULTS, EV_CYCLES, EV_INSTRUCTIONS, EV_LLC_MISSES,
	  NR_EV };

static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
} events[NR_EV] = {
	[EV_CLOCK] = { "clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	[EV_CSW] = { "context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	[EV_MIGRATIONS] = { "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	[EV_FAULTS] = { "page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	[EV_CYCLES] = { "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	[EV_INSTRUCTIONS] = { "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	/* the generic cache-miss event: last-level cache misses on most PMUs */
	[EV_LLC_MISSES] = { "llc_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
};

/* One counter set: a thread of a process (pid >= 0) or a CPU. */
struct cset {
	int fd[NR_EV];
	int owner;                   /* index into procs, or -1 for a CPU */
};

struct eff_priv {
	pid_t procs[MAX_PROCS];
	char comms[MAX_PROCS][16];
	int nr_procs;
	struct cset *sets;
	int nr_sets;
	bool hw_ok;
	char hw_reason[256];
	int nr_cpus;
	int threads_skipped;
	double busy_ms[2];           /* host busy CPU time at start and stop */
};

/* Busy CPU time of the host from /proc/stat: cpu-clock per CPU counts
 * idle time too, so the host's CPU time is the kernel's busy jiffies. */
static double host_busy_ms(void)
{
	struct proc_stat st = { 0 };
	double ms = -1;

	if (procfs_read_stat("", &st) == 0) {
		const uint64_t *j = st.total.jiffies;

		ms = (double)(cpu_times_total(&st.total) - j[CPU_IDLE] - j[CPU_IOWAIT]) * 1e3 /
		     (double)sysconf(_SC_CLK_TCK);
	}
	procfs_stat_free(&st);
	return ms;
}

static int perf_open(enum ev e, pid_t pid, int cpu, int group_fd)
{
	struct perf_event_attr a = { 0 };

	a.size = sizeof(a);
	a.type = events[e].type;
	a.config = events[e].config;
	/* the host's clock per CPU is cpu-clock; a thread's is task-clock */
	if (e == EV_CLOCK && pid < 0)
		a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	a.disabled = group_fd < 0;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
}

/* Hardware counters, tried for real once: cycles on CPU 0. */
static void try_hardware(struct eff_priv *p)
{
	int fd = perf_open(EV_CYCLES, -1, 0, -1);

	if (fd >= 0) {
		close(fd);
		p->hw_ok = true;
		snprintf(p->hw_reason, sizeof(p->hw_reason), "cycles and instructions counted");
		return;
	}
	snprintf(p->hw_reason, sizeof(p->hw_reason), "no hardware counters (perf_event_open "
		 "PERF_COUNT_HW_CPU_CYCLES: %s): software counters only", strerror(errno));
}

static int open_set(struct eff_priv *p, pid_t pid, int cpu, int owner)
{
	struct cset *s;

	if (p->nr_sets % 64 == 0) {
		struct cset *v = realloc(p->sets, (p->nr_sets + 64) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->sets = v;
	}
	s = &p->sets[p->nr_sets];
	s->owner = owner;
	for (int e = 0; e < NR_EV; e++)
		s->fd[e] = -1;
	s->fd[EV_CLOCK] = perf_open(EV_CLOCK, pid, cpu, -1);
	if (s->fd[EV_CLOCK] < 0)
		return -errno;
	for (int e = EV_CSW; e < NR_EV; e++)
		if (e < EV_CYCLES || p->hw_ok)
			s->fd[e] = perf_open(e, pid, cpu, s->fd[EV_CLOCK]);
	p->nr_sets++;
	return 0;
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void add_proc(struct eff_priv *p, pid_t pid)
{
	for (int i = 0; i < p->nr_procs; i++)
		if (p->procs[i] == pid)
			return;
	if (p->nr_procs == MAX_PROCS || pid <= 0 || pid == getpid())
		return;
	p->procs[p->nr_procs] = pid;
	read_comm(pid, p->comms[p->nr_procs], sizeof(p->comms[0]));
	if (p->comms[p->nr_procs][0])
		p->nr_procs++;
}

/* The busy processes: -p, else --cgroup's, else the load snapshot's. */
static void pick_procs(struct collector *c, struct eff_priv *p)
{
	json_t *tp;
	size_t i;

	if (c->opts->pid) {
		add_proc(p, c->opts->pid);
		return;
	}
	if (c->opts->cgroup) {
		char path[4096];
		FILE *f;
		int pid;

		snprintf(path, sizeof(path), "%s%s/cgroup.procs",
			 c->opts->cgroup[0] == '/' && strncmp(c->opts->cgroup, "/sys/", 5) ?
			 "/sys/fs/cgroup" : "", c->opts->cgroup);
		f = fopen(path, "r");
		while (f && fscanf(f, "%d", &pid) == 1)
			add_proc(p, pid);
		if (f)
			fclose(f);
		return;
	}
	json_array_foreach(json_object_get(report_get(c->report, "load"), "top_processes"), i, tp)
		if (json_number_value(json_object_get(tp, "cpu_pct")) >= BUSY_CPU_PCT)
			add_proc(p, (pid_t)json_integer_value(json_object_get(tp, "pid")));
}

static void open_proc_threads(struct eff_priv *p, int idx)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)p->procs[idx]);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		if (p->nr_sets >= MAX_THREADS + p->nr_cpus) {
			p->threads_skipped++;
			continue;
		}
		open_set(p, atoi(d->d_name), -1, idx);
	}
	if (dir)
		closedir(dir);
}

/* Room for a few hundred counters: the soft descriptor limit up to 4096. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int eff_available(struct report *r, char *why, size_t len)
{
	int fd = perf_open(EV_CLOCK, -1, 0, -1);

	if (fd < 0) {
		snprintf(why, len, "perf_event_open cpu-clock: %s (perf_event_paranoid, or not root)",
			 strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static int eff_start(struct collector *c, char *why, size_t len)
{
	struct eff_priv *p = calloc(1, sizeof(*p));
	int err = 0;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	raise_fd_limit();
	p->nr_cpus = probe_nr_cpus();
	try_hardware(p);
	for (int cpu = 0; cpu < p->nr_cpus && !err; cpu++)
		err = open_set(p, -1, cpu, -1);
	if (err) {
		snprintf(why, len, "perf_event_open per CPU: %s", strerror(-err));
		return err;
	}
	pick_procs(c, p);
	for (int i = 0; i < p->nr_procs; i++)
		open_proc_threads(p, i);
	for (int s = 0; s < p->nr_sets; s++)
		ioctl(p->sets[s].fd[EV_CLOCK], PERF_EVENT_IOC_ENABLE, 0);
	p->busy_ms[0] = host_busy_ms();
	return 0;
}

static void eff_stop(struct collector *c)
{
	struct eff_priv *p = c->priv;

	for (int s = 0; s < p->nr_sets; s++)
		ioctl(p->sets[s].fd[EV_CLOCK], PERF_EVENT_IOC_DISABLE, 0);
	p->busy_ms[1] = host_busy_ms();
}

/* A counter's value, scaled when the PMU multiplexed it; -1 when absent. */
static double read_counter(int fd)
{
	uint64_t v[3];

	if (fd < 0 || read(fd, v, sizeof(v)) != sizeof(v))
		return -1;
	if (v[2] && v[2] < v[1])
		return (double)v[0] * (double)v[1] / (double)v[2];
	return (double)v[0];
}

/* The figures of one set of summed counters, as JSON. */
static json_t *figures(struct collector *c, const double *sum, bool hw)
{
	double w = c->window_s > 0 ? c->window_s : 1;
	json_t *o = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
			      "cpu_ms", sum[EV_CLOCK] / 1e6,
			      "cpu_util_pct", 100 * sum[EV_CLOCK] / 1e9 / w,
			      "context_switches", sum[EV_CSW], "context_switches_per_s", sum[EV_CSW] / w,
			      "migrations_per_s", sum[EV_MIGRATIONS] / w,
			      "page_faults", sum[EV_FAULTS], "page_faults_per_s", sum[EV_FAULTS] / w);

	if (hw && sum[EV_CYCLES] > 0) {
		json_object_set_new(o, "cycles", json_real(sum[EV_CYCLES]));
		json_object_set_new(o, "instructions", json_real(sum[EV_INSTRUCTIONS]));
		json_object_set_new(o, "ipc", json_real(sum[EV_INSTRUCTIONS] / sum[EV_CYCLES]));
		/* a PMU without the cache event leaves it out (read fails) */
		if (sum[EV_LLC_MISSES] > 0 && sum[EV_INSTRUCTIONS] > 0)
			json_object_set_new(o, "llc_misses_per_kinstr",
					    json_real(1e3 * sum[EV_LLC_MISSES] / sum[EV_INSTRUCTIONS]));
	}
	return o;
}

static int eff_harvest(struct collector *c, struct report *r)
{
	struct eff_priv *p = c->priv;
	double host[NR_EV] = { 0 }, (*per)[NR_EV] = calloc(MAX_PROCS, sizeof(*per));
	json_t *m, *procs = json_array();

	if (!per)
		return -ENOMEM;
	for (int s = 0; s < p->nr_sets; s++)
		for (int e = 0; e < NR_EV; e++) {
			double v = read_counter(p->sets[s].fd[e]);

			if (v < 0)
				continue;
			if (p->sets[s].owner < 0)
				host[e] += v;
			else
				per[p->sets[s].owner][e] += v;
		}
	for (int i = 0; i < p->nr_procs; i++) {
		json_t *o = figures(c, per[i], p->hw_ok);

		json_object_set_new(o, "pid", json_integer(p->procs[i]));
		json_object_set_new(o, "comm", json_string(p->comms[i]));
		json_array_append_new(procs, o);
	}
	free(per);
	if (p->busy_ms[0] >= 0 && p->busy_ms[1] >= p->busy_ms[0])
		host[EV_CLOCK] = (p->busy_ms[1] - p->busy_ms[0]) * 1e6;
	m = json_pack("{s:s, s:f, s:{s:b, s:s}, s:o, s:o, s:i, s:s}",
		      "source", "perf_event_open", "window_s", c->window_s,
		      "hardware", "ok", p->hw_ok, "reason", p->hw_reason,
		      "host", figures(c, host, p->hw_ok), "processes", procs,
		      "threads_not_counted", p->threads_skipped,
		      "note", "process counters per thread that existed when the window opened; "
		      "host CPU time from /proc/stat busy jiffies, host counts per CPU");
	json_object_set_new(report_get(r, "measurements"), "efficiency", m);
	return 0;
}

static void eff_destroy(struct collector *c)
{
	struct eff_priv *p = c->priv;

	if (!p)
		return;
	for (int s = 0; s < p->nr_sets; s++)
		for (int e = 0; e < NR_EV; e++)
			if (p->sets[s].fd[e] >= 0)
				close(p->sets[s].fd[e]);
	free(p->sets);
	free(p);
	c->priv = NULL;
}

const struct collector_ops efficiency_collector = {
	.name = "efficiency",
	.subsystem = "cpu",
	.summary = "cycles, instructions and IPC where the PMU answers, else task clock, "
		   "context switches, migrations and page faults (perf_event_open)",
	.available = eff_available,
	.start = eff_start,
	.stop = eff_stop,
	.harvest = eff_harvest,
	.destroy = eff_destroy,
};
