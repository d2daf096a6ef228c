/* cgroupfs.c: cgroup ids, paths and files (see cgroupfs.h). */
#include "lib/cgroupfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"

const char *cgroupfs_root(const char *controller)
{
	static char v1[64];

	snprintf(v1, sizeof(v1), "/sys/fs/cgroup/%s", controller ? controller : "unified");
	if (controller && path_exists(v1))
		return v1;
	if (path_exists("/sys/fs/cgroup/unified/cgroup.controllers"))
		return "/sys/fs/cgroup/unified";
	if (path_exists("/sys/fs/cgroup/cgroup.controllers"))
		return "/sys/fs/cgroup";
	return NULL;
}

static uint64_t inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? (uint64_t)st.st_ino : 0;
}

uint64_t cgroupfs_id(const char *path)
{
	static const char *const roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup",
					     "/sys/fs/cgroup/memory", "/sys/fs/cgroup/blkio",
					     "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/pids" };
	char full[4096];
	uint64_t id;

	if (!path || !*path)
		return 0;
	if (str_starts(path, "/sys/fs/cgroup"))
		return inode_of(path);
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(full, sizeof(full), "%s/%s", roots[i], path[0] == '/' ? path + 1 : path);
		if ((id = inode_of(full)))
			return id;
	}
	return 0;
}

/* Depth-first search for a directory with this inode number. */
static int find_ino(const char *dir, uint64_t id, int depth, char *out, size_t len)
{
	DIR *d;
	struct dirent *e;
	int ret = -ENOENT;

	if (inode_of(dir) == id) {
		snprintf(out, len, "%s", dir);
		return 0;
	}
	if (depth > 16 || !(d = opendir(dir)))
		return -ENOENT;
	while (ret && (e = readdir(d))) {
		char sub[4096];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		ret = find_ino(sub, id, depth + 1, out, len);
	}
	closedir(d);
	return ret;
}

int cgroupfs_path_by_id(const char *controller, uint64_t id, char *buf, size_t len)
{
	const char *root = cgroupfs_root(controller);
	char full[4096];
	size_t n;

	if (!root || !id)
		return -ENOENT;
	if (find_ino(root, id, 0, full, sizeof(full)))
		return -ENOENT;
	n = strlen(root);
	snprintf(buf, len, "%s", full[n] ? full + n : "/");
	return 0;
}

int cgroupfs_of_pid(pid_t pid, const char *controller, char *buf, size_t len)
{
	char path[64], text[4096], *line, *save;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if ((n = read_file(path, text, sizeof(text))) < 0)
		return (int)n;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(line, ':'), *cg;

		if (!ctrls || !(cg = strchr(ctrls + 1, ':')))
			continue;
		*cg++ = '\0';
		ctrls++;
		if (controller ? strstr(ctrls, controller) != NULL : *ctrls == '\0') {
			/* "cpu,cpuacct" holds "cpu": check it is a whole name. */
			size_t cl = controller ? strlen(controller) : 0;
			const char *p = controller ? strstr(ctrls, controller) : ctrls;

			if (controller && ((p != ctrls && p[-1] != ',') ||
					   (p[cl] != '\0' && p[cl] != ',')))
				continue;
			snprintf(buf, len, "%s", cg);
			return 0;
		}
	}
	/* A controller on v2 only: the unified line holds the path. */
	if (controller) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", controller);
		if (!path_exists(path))
			return cgroupfs_of_pid(pid, NULL, buf, len);
	}
	return -ENOENT;
}

int cgroupfs_read(const char *controller, const char *path, const char *file,
		  char *buf, size_t len)
{
	const char *root = cgroupfs_root(controller);
	char full[4096];
	ssize_t n;

	if (!root)
		return -ENOENT;
	snprintf(full, sizeof(full), "%s%s/%s", root, strcmp(path, "/") ? path : "", file);
	n = read_file(full, buf, len);
	return n < 0 ? (int)n : 0;
}

/* limit - usage of one cgroup level in MiB; false when it has no limit. */
static bool level_room(const char *ctrl, const char *path, bool v2, uint64_t *room_mib,
		       uint64_t *limit_mib)
{
	char lim[64], use[64];
	unsigned long long l, u;

	if (cgroupfs_read(ctrl, path, v2 ? "memory.max" : "memory.limit_in_bytes", lim,
			  sizeof(lim)) ||
	    cgroupfs_read(ctrl, path, v2 ? "memory.current" : "memory.usage_in_bytes", use,
			  sizeof(use)) ||
	    sscanf(lim, "%llu", &l) != 1 || sscanf(use, "%llu", &u) != 1)
		return false;   /* "max", or no such file at the root */
	if (l >= (1ull << 60))  /* v1 writes "no limit" as a huge number */
		return false;
	*limit_mib = l >> 20;
	*room_mib = l > u ? (l - u) >> 20 : 0;
	return true;
}

int cgroupfs_own_memory_room(uint64_t *room_mib, uint64_t *limit_mib, char *where,
			     size_t where_len)
{
	char path[4096];
	bool found = false, v2 = false;
	const char *ctrl = "memory";

	if (cgroupfs_of_pid(getpid(), "memory", path, sizeof(path))) {
		if (cgroupfs_of_pid(getpid(), NULL, path, sizeof(path)))
			return -ENOENT;
		v2 = true;
		ctrl = NULL;
	}
	for (;;) {
		uint64_t room, limit;
		char *slash;

		if (level_room(ctrl, path, v2, &room, &limit) && (!found || room < *room_mib)) {
			*room_mib = room;
			*limit_mib = limit;
			snprintf(where, where_len, "%s", path);
			found = true;
		}
		slash = strrchr(path, '/');
		if (!slash || (slash == path && !path[1]))
			break;
		slash[slash == path] = '\0';   /* "/a/b" -> "/a" -> "/" */
	}
	return found ? 0 : -ENOENT;
}
