/* static_impl.h: what the files of Monday's static checks share: the
 * check functions the one table in static.c names, and small readers that
 * go through check_path() so every check can be pointed at a fixture tree.
 * Only checks/static*.c and checks/past_errors.c include it. */
#ifndef FRIDAY_STATIC_IMPL_H
#define FRIDAY_STATIC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "checks/check.h"

/* ---- readers relative to ctx->root ------------------------------------- */

/* First line of ROOT/path, without its newline; -errno on failure. */
int ck_line(const struct check_ctx *ctx, const char *path, char *buf, size_t len);
/* A single decimal (or 0x hex) number in ROOT/path; -EINVAL when malformed. */
int ck_s64(const struct check_ctx *ctx, const char *path, int64_t *val);
/* ck_s64, or -errno with reason "no readable PATH" for a check that cannot
 * go on without the number. */
int ck_need_s64(const struct check_ctx *ctx, const char *path, int64_t *val, char *reason, size_t len);
/* Whole ROOT/path, malloc'd and NUL-terminated; NULL when unreadable. */
char *ck_alloc(const struct check_ctx *ctx, const char *path);
/* Parses "N" strictly (whole string, optional trailing spaces). */
int parse_s64(const char *text, int64_t *val);
/* The start of the line after this one (or the terminating NUL). */
const char *next_line(const char *line);
/* The "KEY VALUE" line of a flat keyed file such as cpu.stat or
 * memory.events; -ENOENT when the key is absent. */
int keyed_get(const char *text, const char *key, int64_t *val);
/* Counts the CPUs in a cpulist like "0-3,8,10-11"; -EINVAL when malformed. */
int cpulist_count(const char *list);
/* The value of a kernel command line option ("isolcpus"), or "" */
void cmdline_option(const struct check_ctx *ctx, const char *name, char *out, size_t len);
/* Whether this process has capability nr in CapEff of ROOT/proc/self/status. */
bool ck_has_cap(const struct check_ctx *ctx, int cap_nr);
/* Name of a block device "MAJ:MIN" from ROOT/sys/dev/block (symlink or
 * uevent DEVNAME); falls back to the numbers themselves. */
void block_dev_name(const struct check_ctx *ctx, const char *majmin, char *out, size_t len);

#define CK_NAME_LEN 64
#define CK_MAX_NAMES 1024
/* The severity of a file system's use (SEV_*), or -1 when fine; used_pct as df
 * counts it. */
int fs_capacity_severity(uint64_t blocks, uint64_t bavail, uint64_t bfree, uint64_t files,
			 uint64_t ffree, int *used_pct, int *inode_pct);
/* Names in ROOT/dir starting with prefix (followed only by digits when
 * numbered, as cpu12 or mc0), sorted, at most max; -errno when unreadable. */
int ck_dir_names(const struct check_ctx *ctx, const char *dir, const char *prefix, bool numbered,
		 char (*names)[CK_NAME_LEN], int max);

/* ---- cgroups: both hierarchies, bounded walk ----------------------------- */

#define CGROUP_MAX_DEPTH 8
#define CGROUP_MAX_VISITS 4096
#define CGROUP_MAX_FINDINGS 8   /* per check; the rest are counted */

struct cgroup_dir {
	const char *path;      /* absolute path on the host (under ctx->root) */
	const char *name;      /* cgroup path relative to its hierarchy, "/" for the root */
	const char *hier;      /* "v1 cpu", "v2", ... for the finding's text */
	bool v2;
};

/* Calls fn for every cgroup directory of the v1 hierarchy carrying
 * controller (NULL: none) and of the v2 hierarchy when it has the v2 file
 * v2_probe (NULL: always), depth-first, at most CGROUP_MAX_DEPTH deep and
 * CGROUP_MAX_VISITS directories in all. Returns the hierarchies found. */
int cgroup_walk(const struct check_ctx *ctx, const char *v1_controller,
		void (*fn)(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg),
		void *arg);
/* Reads a file of a cgroup: cg->path + "/" + file. */
char *cg_alloc(const struct cgroup_dir *cg, const char *file);
int cg_s64(const struct cgroup_dir *cg, const char *file, int64_t *val);

/* ---- the check functions, one per table row -------------------------------- */

#define CHECK_FN(name) enum check_result name(struct check_ctx *ctx, char *reason, size_t len)

/* static_cpu.c */
CHECK_FN(check_governor);
CHECK_FN(check_freq_caps);
CHECK_FN(check_cstates);
CHECK_FN(check_smt);
CHECK_FN(check_online_cpus);
CHECK_FN(check_mitigations);
CHECK_FN(check_clocksource);
CHECK_FN(check_sched_tunables);
CHECK_FN(check_virtualization);
CHECK_FN(check_thermal_counters);
/* static_mem.c */
CHECK_FN(check_thp);
CHECK_FN(check_swappiness);
CHECK_FN(check_swap_in_use);
CHECK_FN(check_overcommit);
CHECK_FN(check_numa_balancing);
CHECK_FN(check_zone_reclaim);
CHECK_FN(check_reclaim_headroom);
CHECK_FN(check_hugepage_pool);
CHECK_FN(check_dirty_ratios);
CHECK_FN(check_edac);
/* static_disk.c */
CHECK_FN(check_io_scheduler);
CHECK_FN(check_read_ahead);
CHECK_FN(check_write_cache);
CHECK_FN(check_raid);
CHECK_FN(check_mount_options);
CHECK_FN(check_fs_capacity);
/* static_net.c */
CHECK_FN(check_link_speed);
CHECK_FN(check_fragmentation);
CHECK_FN(check_listen_backlog);
CHECK_FN(check_congestion_control);
CHECK_FN(check_socket_buffers);
CHECK_FN(check_slow_start_idle);
CHECK_FN(check_ephemeral_ports);
CHECK_FN(check_ip_forward);
CHECK_FN(check_conntrack);
CHECK_FN(check_softnet);
/* static_cgroup.c */
CHECK_FN(check_cgroup_cpu);
CHECK_FN(check_cgroup_memory);
CHECK_FN(check_cgroup_io);
CHECK_FN(check_cgroup_pids);
/* static_kernel.c */
CHECK_FN(check_file_nr);
CHECK_FN(check_process_fds);
CHECK_FN(check_task_limits);
CHECK_FN(check_taint);
CHECK_FN(check_perf_paranoid);
CHECK_FN(check_lockdown);
CHECK_FN(check_kptr_restrict);
CHECK_FN(check_btf);
/* past_errors.c */
CHECK_FN(check_kernel_log);

#endif
