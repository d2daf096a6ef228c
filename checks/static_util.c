/* static_util.c: readers the static checks share (see static_impl.h):
 * files relative to the check context's root, flat keyed cgroup files,
 * cpulists, the kernel command line, capabilities, block device names, and
 * the bounded walk over both cgroup hierarchies. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/static_impl.h"
#include "lib/util.h"

int ck_line(const struct check_ctx *ctx, const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];

	return read_line(check_path(ctx, path, p, sizeof(p)), buf, len);
}

int parse_s64(const char *text, int64_t *val)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*text))
		text++;
	errno = 0;
	v = strtoll(text, &end, 0);
	if (errno || end == text)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -EINVAL;
	*val = v;
	return 0;
}

int ck_s64(const struct check_ctx *ctx, const char *path, int64_t *val)
{
	char text[64];
	int err = ck_line(ctx, path, text, sizeof(text));

	return err ? err : parse_s64(text, val);
}

int ck_need_s64(const struct check_ctx *ctx, const char *path, int64_t *val, char *reason, size_t len)
{
	int err = ck_s64(ctx, path, val);

	if (err)
		snprintf(reason, len, "no readable %s: %s", path, strerror(-err));
	return err;
}

char *ck_alloc(const struct check_ctx *ctx, const char *path)
{
	char p[PATH_MAX];

	return read_file_alloc(check_path(ctx, path, p, sizeof(p)), NULL);
}

const char *next_line(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl ? nl + 1 : line + strlen(line);
}

int keyed_get(const char *text, const char *key, int64_t *val)
{
	size_t klen = strlen(key);

	for (const char *line = text; *line; line = next_line(line)) {
		char num[32];
		size_t n;

		if (strncmp(line, key, klen) || line[klen] != ' ')
			continue;
		n = strcspn(line + klen + 1, "\n");
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, line + klen + 1, n);
		num[n] = '\0';
		return parse_s64(num, val);
	}
	return -ENOENT;
}

int cpulist_count(const char *list)
{
	int count = 0;
	const char *s = list;

	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s || lo < 0)
			return -EINVAL;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			if (end == s + 1 || hi < lo)
				return -EINVAL;
			s = end;
		}
		count += (int)(hi - lo + 1);
		if (*s == ',')
			s++;
		else if (*s && *s != '\n' && !isspace((unsigned char)*s))
			return -EINVAL;
		else
			break;
	}
	return count;
}

void cmdline_option(const struct check_ctx *ctx, const char *name, char *out, size_t len)
{
	char cmdline[4096];
	size_t nlen = strlen(name);

	out[0] = '\0';
	if (ck_line(ctx, "/proc/cmdline", cmdline, sizeof(cmdline)))
		return;
	for (char *tok = strtok(cmdline, " "); tok; tok = strtok(NULL, " ")) {
		if (!strcmp(tok, "--"))
			break;  /* what follows belongs to init */
		if (!strncmp(tok, name, nlen) && (tok[nlen] == '=' || tok[nlen] == '\0')) {
			snprintf(out, len, "%s", tok[nlen] == '=' ? tok + nlen + 1 : "1");
			return;
		}
	}
}

bool ck_has_cap(const struct check_ctx *ctx, int cap_nr)
{
	char *status = ck_alloc(ctx, "/proc/self/status"), *line;
	unsigned long long eff = 0;
	bool has = false;

	if (!status)
		return false;
	line = strstr(status, "CapEff:");
	if (line && sscanf(line + 7, "%llx", &eff) == 1)
		has = (eff >> cap_nr) & 1;
	free(status);
	return has;
}

void block_dev_name(const struct check_ctx *ctx, const char *majmin, char *out, size_t len)
{
	char rel[64], p[PATH_MAX], target[PATH_MAX], *uevent, *dn;
	ssize_t n;

	snprintf(rel, sizeof(rel), "/sys/dev/block/%s", majmin);
	check_path(ctx, rel, p, sizeof(p));
	n = readlink(p, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		snprintf(out, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
		return;
	}
	snprintf(rel, sizeof(rel), "/sys/dev/block/%s/uevent", majmin);
	uevent = ck_alloc(ctx, rel);
	dn = uevent ? strstr(uevent, "DEVNAME=") : NULL;
	if (dn) {
		dn += 8;
		dn[strcspn(dn, "\n")] = '\0';
		snprintf(out, len, "%s", dn);
	} else {
		snprintf(out, len, "%s", majmin);
	}
	free(uevent);
}

/* ---- cgroup hierarchies ---------------------------------------------------- */

struct walk {
	const struct check_ctx *ctx;
	void (*fn)(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg);
	void *arg;
	const char *hier;
	bool v2;
	size_t root_len;
	int visits;
};

static void walk_dir(struct walk *w, const char *path, int depth)
{
	struct cgroup_dir cg = { .path = path, .hier = w->hier, .v2 = w->v2 };
	struct dirent *de;
	DIR *d;

	if (w->visits >= CGROUP_MAX_VISITS || friday_stop_requested)
		return;
	w->visits++;
	cg.name = path[w->root_len] ? path + w->root_len : "/";
	w->fn(w->ctx, &cg, w->arg);
	if (depth >= CGROUP_MAX_DEPTH)
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && w->visits < CGROUP_MAX_VISITS) {
		char child[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, de->d_name) >= (int)sizeof(child))
			continue;
		walk_dir(w, child, depth + 1);
	}
	closedir(d);
}

/* Finds the mount point of the v1 hierarchy with controller, or of the v2
 * hierarchy (controller NULL), from ROOT/proc/self/mountinfo; falls back to
 * the conventional places when mountinfo is unreadable. */
static int cgroup_mount(const struct check_ctx *ctx, const char *controller, char *out, size_t len)
{
	char *mi = ck_alloc(ctx, "/proc/self/mountinfo"), *save = NULL, probe[PATH_MAX];
	int found = -ENOENT;

	for (char *line = mi ? strtok_r(mi, "\n", &save) : NULL; line && found; line = strtok_r(NULL, "\n", &save)) {
		char mnt[PATH_MAX], fstype[64], opts[512];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (controller && !strcmp(fstype, "cgroup")) {
			char *osave = NULL;

			for (char *o = strtok_r(opts, ",", &osave); o; o = strtok_r(NULL, ",", &osave))
				if (!strcmp(o, controller))
					found = 0;
		} else if (!controller && !strcmp(fstype, "cgroup2")) {
			found = 0;
		}
		if (!found)
			check_path(ctx, mnt, out, len);
	}
	free(mi);
	if (!found || mi)
		return found;
	/* No mountinfo: try where systemd and Debian mount them. */
	snprintf(probe, sizeof(probe), "/sys/fs/cgroup/%s", controller ? controller : "unified");
	check_path(ctx, probe, out, len);
	if (controller)
		return path_exists(out) ? 0 : -ENOENT;
	for (int i = 0; i < 2; i++) {
		char marker[PATH_MAX + 32];

		if (i == 1)
			check_path(ctx, "/sys/fs/cgroup", out, len);
		snprintf(marker, sizeof(marker), "%s/cgroup.controllers", out);
		if (path_exists(marker))
			return 0;
	}
	return -ENOENT;
}

int cgroup_walk(const struct check_ctx *ctx, const char *v1_controller,
		void (*fn)(const struct check_ctx *ctx, const struct cgroup_dir *cg, void *arg),
		void *arg)
{
	struct walk w = { .ctx = ctx, .fn = fn, .arg = arg };
	char mnt[PATH_MAX], hier[64];
	int nr = 0;

	if (v1_controller && !cgroup_mount(ctx, v1_controller, mnt, sizeof(mnt))) {
		snprintf(hier, sizeof(hier), "v1 %s", v1_controller);
		w.hier = hier;
		w.root_len = strlen(mnt);
		walk_dir(&w, mnt, 0);
		nr++;
	}
	if (!cgroup_mount(ctx, NULL, mnt, sizeof(mnt))) {
		w.hier = "v2";
		w.v2 = true;
		w.root_len = strlen(mnt);
		w.visits = 0;
		walk_dir(&w, mnt, 0);
		nr++;
	}
	return nr;
}

char *cg_alloc(const struct cgroup_dir *cg, const char *file)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", cg->path, file);
	return read_file_alloc(p, NULL);
}

int cg_s64(const struct cgroup_dir *cg, const char *file, int64_t *val)
{
	char p[PATH_MAX], text[64];
	int err;

	snprintf(p, sizeof(p), "%s/%s", cg->path, file);
	err = read_line(p, text, sizeof(text));
	if (err)
		return err;
	return parse_s64(text, val);
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = a, *y = b;
	size_t lx = strlen(x), ly = strlen(y);

	/* cpu2 before cpu10: shorter numbered names first. */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

int ck_dir_names(const struct check_ctx *ctx, const char *dir, const char *prefix, bool numbered,
		 char (*names)[CK_NAME_LEN], int max)
{
	char p[PATH_MAX];
	size_t plen = strlen(prefix);
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(check_path(ctx, dir, p, sizeof(p)));

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		const char *rest = de->d_name + plen;

		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, plen) ||
		    strlen(de->d_name) >= CK_NAME_LEN)
			continue;
		if (numbered && (!*rest || strspn(rest, "0123456789") != strlen(rest)))
			continue;
		snprintf(names[n++], CK_NAME_LEN, "%s", de->d_name);
	}
	closedir(d);
	qsort(names, n, CK_NAME_LEN, name_cmp);
	return n;
}
