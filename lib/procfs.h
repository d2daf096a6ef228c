/* procfs.h: parsers for the /proc files Monday's load snapshot and the
 * static checks read. Each file has two entry points:
 *
 *   procfs_parse_X(text, ...)  parses a NUL-terminated buffer, so unit tests
 *                              feed it fixtures (malformed ones included);
 *   procfs_read_X(root, ...)   reads ROOT/proc/... and parses it; root is ""
 *                              for the live host or a fixture tree.
 *
 * Every function returns 0 or a negative errno: -ENOENT when the file or the
 * key is absent, -ENODATA when the text is empty, -EINVAL when it is
 * malformed (missing fields, garbage, a truncated line, a number out of
 * range). A parser never invents a number: on error
 * the output holds nothing the caller should use. Counters are kept as the
 * kernel prints them (jiffies, kB, sectors, ms); callers take deltas. */
#ifndef FRIDAY_PROCFS_H
#define FRIDAY_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- generic "key value" files: /proc/meminfo, /proc/vmstat ------------ */

/* Finds the line "KEY value" or "KEY: value [kB]" and parses value as an
 * unsigned decimal. meminfo values stay in kB, as printed. */
int procfs_kv_get(const char *text, const char *key, uint64_t *val);
/* Reads ROOT/proc/NAME (e.g. "meminfo", "vmstat") into a malloc'd buffer
 * for procfs_kv_get; NULL with errno set on failure. */
char *procfs_read_alloc(const char *root, const char *name);

/* ---- /proc/stat --------------------------------------------------------- */

enum cpu_time {
	CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IDLE, CPU_IOWAIT, CPU_IRQ,
	CPU_SOFTIRQ, CPU_STEAL, CPU_GUEST, CPU_GUEST_NICE, CPU_NR_TIMES,
};

struct proc_cpu_times {
	int cpu;                          /* -1 for the "cpu" total line */
	uint64_t jiffies[CPU_NR_TIMES];   /* missing trailing fields are 0 */
	int nr_fields;                    /* how many the kernel printed (>= 4) */
};

struct proc_stat {
	struct proc_cpu_times total;
	struct proc_cpu_times *cpus;      /* malloc'd; offline CPUs are absent */
	size_t nr_cpus;
	uint64_t ctxt, processes, procs_running, procs_blocked, btime;
};

int procfs_parse_stat(const char *text, struct proc_stat *out);
int procfs_read_stat(const char *root, struct proc_stat *out);
void procfs_stat_free(struct proc_stat *st);
/* Sum of all times; busy = total - idle - iowait (iowait is idle time). */
uint64_t cpu_times_total(const struct proc_cpu_times *t);

/* ---- /proc/diskstats (Documentation/admin-guide/iostats.rst) ----------- */

/* Index i is the iostats.rst field i + 1 (field 1 = reads completed). */
enum disk_stat {
	DISK_RD_IOS, DISK_RD_MERGES, DISK_RD_SECTORS, DISK_RD_TICKS_MS,
	DISK_WR_IOS, DISK_WR_MERGES, DISK_WR_SECTORS, DISK_WR_TICKS_MS,
	DISK_IN_FLIGHT, DISK_IO_TICKS_MS, DISK_TIME_IN_QUEUE_MS,
	DISK_DC_IOS, DISK_DC_MERGES, DISK_DC_SECTORS, DISK_DC_TICKS_MS,
	DISK_FL_IOS, DISK_FL_TICKS_MS, DISK_NR_STATS,
};

struct proc_disk {
	unsigned int major, minor;
	char name[64];
	uint64_t stat[DISK_NR_STATS];     /* fields the kernel lacks are 0 */
	int nr_stats;                     /* 11, 15 or 17 (14, 18, 20 columns) */
};

/* Lines with 14, 18 or 20 columns; any other count is -EINVAL. */
int procfs_parse_diskstats(const char *text, struct proc_disk **out, size_t *nr);
int procfs_read_diskstats(const char *root, struct proc_disk **out, size_t *nr);

/* ---- /proc/net/snmp, /proc/net/netstat ---------------------------------- */

/* Pairs of lines "Proto: Name1 Name2 ..." / "Proto: v1 v2 ...". Finds
 * PROTO's FIELD (e.g. "Tcp", "RetransSegs"; "TcpExt", "ListenDrops").
 * Signed: Tcp MaxConn is -1. */
int procfs_snmp_get(const char *text, const char *proto, const char *field, int64_t *val);

/* ---- /proc/net/dev ------------------------------------------------------ */

struct proc_netdev {
	char name[64];
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop, rx_fifo, rx_frame,
		 rx_compressed, rx_multicast;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop, tx_fifo, tx_colls,
		 tx_carrier, tx_compressed;
};

int procfs_parse_netdev(const char *text, struct proc_netdev **out, size_t *nr);
int procfs_read_netdev(const char *root, struct proc_netdev **out, size_t *nr);

/* ---- /proc/loadavg ------------------------------------------------------ */

struct proc_loadavg {
	double avg1, avg5, avg15;
	unsigned int nr_runnable, nr_threads;  /* field 4 "R/T" */
	int last_pid;
};

int procfs_parse_loadavg(const char *text, struct proc_loadavg *out);
int procfs_read_loadavg(const char *root, struct proc_loadavg *out);

/* ---- /proc/pressure/{cpu,memory,io} (accounting/psi.rst) --------------- */

struct psi_line {
	bool present;
	double avg10, avg60, avg300;      /* percent of wall time */
	uint64_t total_us;
};

struct proc_pressure {
	struct psi_line some, full;       /* full is absent for cpu before 5.13 */
};

int procfs_parse_pressure(const char *text, struct proc_pressure *out);
/* resource: "cpu", "memory" or "io". -ENOENT when PSI is off. */
int procfs_read_pressure(const char *root, const char *resource, struct proc_pressure *out);

/* ---- /proc/net/softnet_stat (net/core/net-procfs.c), hex columns ------- */

struct softnet_cpu {
	int cpu;                          /* column 13 when printed, else the row */
	uint64_t processed, dropped, time_squeeze, received_rps, flow_limit_count;
	int nr_cols;
};

int procfs_parse_softnet(const char *text, struct softnet_cpu **out, size_t *nr);
int procfs_read_softnet(const char *root, struct softnet_cpu **out, size_t *nr);

/* ---- /proc/PID/stat and /proc/PID/schedstat ---------------------------- */

struct proc_pid_stat {
	pid_t pid;
	char comm[64];                    /* may hold spaces and parentheses */
	char state;
	pid_t ppid;
	uint64_t minflt, majflt;
	uint64_t utime, stime;            /* clock ticks (sysconf(_SC_CLK_TCK)) */
	int64_t nr_threads;
	uint64_t starttime;               /* clock ticks after boot */
	int processor;                    /* -1 when not printed */
};

int procfs_parse_pid_stat(const char *text, struct proc_pid_stat *out);
int procfs_read_pid_stat(const char *root, pid_t pid, struct proc_pid_stat *out);

struct proc_pid_schedstat {
	uint64_t run_ns, wait_ns, timeslices;  /* on CPU, waiting on a runqueue */
};

int procfs_parse_pid_schedstat(const char *text, struct proc_pid_schedstat *out);
int procfs_read_pid_schedstat(const char *root, pid_t pid, struct proc_pid_schedstat *out);

#endif
