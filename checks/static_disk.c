/* static_disk.c: Monday's static checks of block devices and file systems
 * (ST-DISK-01..04, ST-FS-02, ST-FS-03): I/O scheduler, read-ahead, write
 * cache, RAID health, mount options and capacity. Per-device checks walk
 * ROOT/sys/block and skip devices of size 0 (unused loop devices); mount
 * checks read ROOT/proc/self/mountinfo. cgroup I/O limits are in
 * static_cgroup.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "checks/static_impl.h"
#include "lib/util.h"

struct blockdev {
	char name[CK_NAME_LEN];
	char scheduler[32];     /* active one, "" when the queue has none */
	int64_t rotational, read_ahead_kb;
	char write_cache[32];
};

/* Reads the queue settings of every block device with a non-zero size. */
static int blockdevs(const struct check_ctx *ctx, struct blockdev **out)
{
	char (*names)[CK_NAME_LEN] = calloc(CK_MAX_NAMES, CK_NAME_LEN);
	struct blockdev *devs;
	int nr = names ? ck_dir_names(ctx, "/sys/block", "", false, names, CK_MAX_NAMES) : -ENOMEM;
	int n = 0;

	devs = nr > 0 ? calloc(nr, sizeof(*devs)) : NULL;
	for (int i = 0; devs && i < nr; i++) {
		struct blockdev *d = &devs[n];
		char path[160], text[256];
		int64_t size = 0;

		snprintf(path, sizeof(path), "/sys/block/%.64s/size", names[i]);
		if (ck_s64(ctx, path, &size) || size == 0)
			continue;
		snprintf(d->name, sizeof(d->name), "%s", names[i]);
		snprintf(path, sizeof(path), "/sys/block/%.64s/queue/scheduler", names[i]);
		if (!ck_line(ctx, path, text, sizeof(text)))
			sysfs_bracket_choice(text, d->scheduler, sizeof(d->scheduler));
		d->rotational = d->read_ahead_kb = -1;
		snprintf(path, sizeof(path), "/sys/block/%.64s/queue/rotational", names[i]);
		ck_s64(ctx, path, &d->rotational);
		snprintf(path, sizeof(path), "/sys/block/%.64s/queue/read_ahead_kb", names[i]);
		ck_s64(ctx, path, &d->read_ahead_kb);
		snprintf(path, sizeof(path), "/sys/block/%.64s/queue/write_cache", names[i]);
		ck_line(ctx, path, d->write_cache, sizeof(d->write_cache));
		n++;
	}
	free(names);
	*out = devs;
	return devs ? n : (nr < 0 ? nr : 0);
}

static enum check_result no_devices(char *reason, size_t len)
{
	snprintf(reason, len, "no block devices with a size in /sys/block");
	return CHECK_NOT_APPLICABLE;
}

CHECK_FN(check_io_scheduler)
{
	struct blockdev *devs;
	int nr = blockdevs(ctx, &devs);
	json_t *odd = json_array();

	if (nr <= 0) {
		free(devs);
		json_decref(odd);
		return no_devices(reason, len);
	}
	for (int i = 0; i < nr; i++) {
		const struct blockdev *d = &devs[i];

		if ((d->rotational == 0 && !strcmp(d->scheduler, "bfq")) ||
		    (d->rotational == 1 && !strcmp(d->scheduler, "none")))
			json_array_append_new(odd, json_pack("{s:s, s:s, s:I}", "device", d->name,
							     "scheduler", d->scheduler, "rotational",
							     (json_int_t)d->rotational));
	}
	if (json_array_size(odd))
		report_add_finding(ctx->report, "disk.io_scheduler", SEV_INFO,
			json_pack("{s:o, s:s}", "devices", odd,
				  "reference", "none/mq-deadline for SSD and NVMe, mq-deadline or bfq for disks"),
			"%zu device(s) have an unusual I/O scheduler for their kind (first: %s uses "
			"[%s]): an A/B test on Thursday's latency would tell.", json_array_size(odd),
			json_string_value(json_object_get(json_array_get(odd, 0), "device")),
			json_string_value(json_object_get(json_array_get(odd, 0), "scheduler")));
	else
		json_decref(odd);
	free(devs);
	return CHECK_RAN;
}

CHECK_FN(check_read_ahead)
{
	struct blockdev *devs;
	int nr = blockdevs(ctx, &devs);
	json_t *zero = json_array(), *large = json_array();

	if (nr <= 0) {
		free(devs);
		json_decref(zero);
		json_decref(large);
		return no_devices(reason, len);
	}
	for (int i = 0; i < nr; i++) {
		json_t *dev = json_pack("{s:s, s:I, s:I}", "device", devs[i].name, "read_ahead_kb",
					(json_int_t)devs[i].read_ahead_kb, "rotational",
					(json_int_t)devs[i].rotational);

		if (devs[i].read_ahead_kb == 0 && devs[i].rotational == 1)
			json_array_append_new(zero, dev);
		else if (devs[i].read_ahead_kb >= 4096)
			json_array_append_new(large, dev);
		else
			json_decref(dev);
	}
	if (json_array_size(zero))
		report_add_finding(ctx->report, "disk.read_ahead_off", SEV_WARNING,
			json_pack("{s:O, s:i}", "devices", zero, "reference_kb", 256),
			"Read-ahead is 0 on %zu rotational device(s) (first: %s): sequential reads "
			"go to the disk one request at a time.", json_array_size(zero),
			json_string_value(json_object_get(json_array_get(zero, 0), "device")));
	if (json_array_size(large))
		report_add_finding(ctx->report, "disk.read_ahead_large", SEV_INFO,
			json_pack("{s:O, s:s}", "devices", large,
				  "reference", "256 KB Netflix, >= 4096 KB TuneD throughput-performance"),
			"Read-ahead is %lld KB on %s (%zu device(s) at 4096 KB or more): right for "
			"streaming, wasted I/O and page cache for random reads.",
			(long long)json_integer_value(json_object_get(json_array_get(large, 0), "read_ahead_kb")),
			json_string_value(json_object_get(json_array_get(large, 0), "device")),
			json_array_size(large));
	json_decref(zero);
	json_decref(large);
	free(devs);
	return CHECK_RAN;
}

CHECK_FN(check_write_cache)
{
	struct blockdev *devs;
	int nr = blockdevs(ctx, &devs);
	json_t *wt = json_array();

	if (nr <= 0) {
		free(devs);
		json_decref(wt);
		return no_devices(reason, len);
	}
	for (int i = 0; i < nr; i++)
		if (devs[i].rotational == 1 && !strcmp(devs[i].write_cache, "write through"))
			json_array_append_new(wt, json_string(devs[i].name));
	if (json_array_size(wt))
		report_add_finding(ctx->report, "disk.write_through", SEV_INFO,
			json_pack("{s:o}", "devices", wt),
			"%zu rotational device(s) report a write-through cache (first: %s): every "
			"write waits for the platter unless the controller caches it.",
			json_array_size(wt), json_string_value(json_array_get(wt, 0)));
	else
		json_decref(wt);
	free(devs);
	return CHECK_RAN;
}

CHECK_FN(check_raid)
{
	char *mdstat = ck_alloc(ctx, "/proc/mdstat"), *save = NULL, md[CK_NAME_LEN] = "";
	json_t *degraded = json_array();

	if (!mdstat) {
		json_decref(degraded);
		snprintf(reason, len, "no /proc/mdstat (md RAID not in this kernel)");
		return CHECK_NOT_APPLICABLE;
	}
	/* "md0 : active raid1 sdb1[1] sda1[0]" then "... [2/1] [U_]". */
	for (char *line = strtok_r(mdstat, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *st = strrchr(line, '[');

		if (str_starts(line, "md") && strstr(line, " : "))
			sscanf(line, "%63s", md);
		else if (md[0] && st && strchr(st, '_') && strchr(st, ']') && strspn(st + 1, "U_") > 0)
			json_array_append_new(degraded, json_pack("{s:s, s:s}", "array", md, "status", st));
	}
	free(mdstat);
	if (json_array_size(degraded))
		report_add_finding(ctx->report, "disk.raid_degraded", SEV_CRITICAL,
			json_pack("{s:o}", "arrays", degraded),
			"RAID array %s is degraded (%s): a member disk failed; reads are slower "
			"and a rebuild will add I/O load.",
			json_string_value(json_object_get(json_array_get(degraded, 0), "array")),
			json_string_value(json_object_get(json_array_get(degraded, 0), "status")));
	else
		json_decref(degraded);
	return CHECK_RAN;
}

/* ---- mounts -------------------------------------------------------------- */

struct mount {
	char point[PATH_MAX / 4], fstype[64], source[256];
	char opts[512], super[512];   /* per-mount options, super-block options */
};

/* Parses one mountinfo line (proc.rst 3.5); -EINVAL when malformed. */
static int parse_mount(const char *line, struct mount *m)
{
	const char *sep = strstr(line, " - ");

	if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s %511s", m->point, m->opts) != 2 ||
	    sscanf(sep + 3, "%63s %255s %511s", m->fstype, m->source, m->super) != 3)
		return -EINVAL;
	return 0;
}

static bool has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; (p = strstr(p, opt)); p += n)
		if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* Local, writable file systems on a block device: where options and
 * capacity matter. Network and FUSE mounts are left alone (statvfs can hang). */
static bool local_block_mount(const struct mount *m)
{
	return str_starts(m->source, "/dev/") && !has_opt(m->opts, "ro") &&
	       !str_starts(m->fstype, "fuse") && !str_starts(m->fstype, "nfs");
}

static char *mounts_text(const struct check_ctx *ctx, char *reason, size_t len)
{
	char *mi = ck_alloc(ctx, "/proc/self/mountinfo");

	if (!mi)
		snprintf(reason, len, "cannot read /proc/self/mountinfo");
	return mi;
}

CHECK_FN(check_mount_options)
{
	static const struct {
		const char *opt, *id;
		bool super;           /* a super-block option, else per-mount */
		enum severity sev;
		const char *why;
	} rules[] = {
		{ "strictatime", "filesystem.mount_strictatime", false, SEV_WARNING,
		  "every read updates the access time on disk (Netflix mounts noatime)" },
		{ "sync", "filesystem.mount_sync", false, SEV_WARNING,
		  "every write waits for the device" },
		{ "sync", "filesystem.mount_sync", true, SEV_WARNING,
		  "every write waits for the device" },
		{ "nobarrier", "filesystem.mount_nobarrier", true, SEV_INFO,
		  "write barriers are off: faster, and at risk of corruption on power loss" },
		{ "barrier=0", "filesystem.mount_nobarrier", true, SEV_INFO,
		  "write barriers are off: faster, and at risk of corruption on power loss" },
		{ "discard", "filesystem.mount_discard", true, SEV_INFO,
		  "online discard sends a TRIM with every delete, which can add latency spikes on busy SSDs "
		  "(a periodic fstrim avoids it)" },
	};
	char *mi = mounts_text(ctx, reason, len), *save = NULL;
	json_t *hits[ARRAY_SIZE(rules)] = { 0 };
	struct mount m;

	if (!mi)
		return CHECK_NOT_APPLICABLE;
	for (char *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (parse_mount(line, &m) || !local_block_mount(&m))
			continue;
		for (size_t r = 0; r < ARRAY_SIZE(rules); r++) {
			if (!has_opt(rules[r].super ? m.super : m.opts, rules[r].opt))
				continue;
			if (!hits[r])
				hits[r] = json_array();
			json_array_append_new(hits[r], json_pack("{s:s, s:s, s:s}", "mount", m.point,
								 "fstype", m.fstype, "source", m.source));
		}
	}
	free(mi);
	for (size_t r = 0; r < ARRAY_SIZE(rules); r++) {
		json_t *first = json_array_get(hits[r], 0);

		if (!hits[r])
			continue;
		report_add_finding(ctx->report, rules[r].id, rules[r].sev,
			json_pack("{s:s, s:o}", "option", rules[r].opt, "mounts", hits[r]),
			"%s (%s) is mounted with %s: %s.",
			json_string_value(json_object_get(first, "mount")),
			json_string_value(json_object_get(first, "fstype")), rules[r].opt, rules[r].why);
	}
	return CHECK_RAN;
}

int fs_capacity_severity(uint64_t blocks, uint64_t bavail, uint64_t bfree, uint64_t files,
			 uint64_t ffree, int *used_pct, int *inode_pct)
{
	/* Used as df counts it: of what non-root users could have. */
	uint64_t used = blocks - bfree, usable = used + bavail;

	*used_pct = usable ? (int)((used * 100 + usable - 1) / usable) : 0;
	*inode_pct = files ? (int)((files - ffree) * 100 / files) : 0;
	if (*used_pct >= 98)
		return SEV_CRITICAL;
	if (*used_pct > 90 || *inode_pct > 90)
		return SEV_WARNING;
	return -1;
}

CHECK_FN(check_fs_capacity)
{
	char *mi = mounts_text(ctx, reason, len), *save = NULL, path[PATH_MAX], seen[4096] = ",";
	struct mount m;
	int nr_checked = 0;

	if (!mi)
		return CHECK_NOT_APPLICABLE;
	for (char *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct statvfs sv;
		int used_pct, inode_pct, sev;
		char key[300];

		if (parse_mount(line, &m) || !local_block_mount(&m))
			continue;
		/* The same device mounted twice (bind mounts) is one file system. */
		snprintf(key, sizeof(key), ",%s,", m.source);
		if (strstr(seen, key))
			continue;
		if (strlen(seen) + strlen(key) < sizeof(seen))
			strcat(seen, key + 1);
		if (statvfs(check_path(ctx, m.point, path, sizeof(path)), &sv) || sv.f_blocks == 0)
			continue;
		nr_checked++;
		sev = fs_capacity_severity(sv.f_blocks, sv.f_bavail, sv.f_bfree, sv.f_files, sv.f_ffree,
					   &used_pct, &inode_pct);
		if (sev < 0)
			continue;
		report_add_finding(ctx->report, "filesystem.capacity", sev,
			json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:i, s:i}",
				  "mount", m.point, "source", m.source, "fstype", m.fstype,
				  "blocks_used_pct", used_pct, "inodes_used_pct", inode_pct,
				  "size_bytes", (json_int_t)(sv.f_blocks * sv.f_frsize),
				  "avail_bytes", (json_int_t)(sv.f_bavail * sv.f_frsize),
				  "inodes", (json_int_t)sv.f_files, "inodes_free", (json_int_t)sv.f_ffree,
				  "warning_pct", 90, "critical_pct", 98),
			"%s (%s on %s) is %d%% full, inodes %d%% used: a nearly full file system "
			"fragments and slows allocation, and a full one fails writes with ENOSPC.",
			m.point, m.fstype, m.source, used_pct, inode_pct);
	}
	free(mi);
	if (!nr_checked) {
		snprintf(reason, len, "no local writable file systems on block devices");
		return CHECK_NOT_APPLICABLE;
	}
	return CHECK_RAN;
}
