/* cgroupfs.h: naming cgroups. BPF collectors see a cgroup as its kernfs id
 * (the inode number of its directory); these helpers turn ids into paths
 * and back, for cgroup v1 controllers and v2 alike, and read a process's
 * cgroup per controller from /proc/PID/cgroup. */
#ifndef FRIDAY_CGROUPFS_H
#define FRIDAY_CGROUPFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a controller's hierarchy is mounted: /sys/fs/cgroup/CTRL on v1,
 * else the v2 root (/sys/fs/cgroup/unified or /sys/fs/cgroup). NULL when
 * neither exists. */
const char *cgroupfs_root(const char *controller);
/* The kernfs id of a cgroup path: absolute, or relative to a hierarchy
 * root (tried in v2, then v1 controller roots). 0 when not found. */
uint64_t cgroupfs_id(const char *path);
/* The path (relative to the controller's root, "/" for the root) of the
 * cgroup with this id in that controller's hierarchy; -ENOENT if none. */
int cgroupfs_path_by_id(const char *controller, uint64_t id, char *buf, size_t len);
/* The process's cgroup path for a controller ("" for v2's unified line
 * when controller is NULL); -errno when unreadable (process gone). */
int cgroupfs_of_pid(pid_t pid, const char *controller, char *buf, size_t len);
/* Reads one file of a cgroup: ROOT(controller)/path/file. */
int cgroupfs_read(const char *controller, const char *path, const char *file,
		  char *buf, size_t len);

/* How much memory friday's own cgroup lets it still use: the smallest
 * limit less usage over its memory cgroup and each ancestor (v1
 * memory.limit_in_bytes/usage_in_bytes, v2 memory.max/current; BPF maps
 * are charged there too). 0 with *room_mib, *limit_mib and the cgroup's
 * path in where; -ENOENT when no limit applies. */
int cgroupfs_own_memory_room(uint64_t *room_mib, uint64_t *limit_mib, char *where,
			     size_t where_len);

#endif
