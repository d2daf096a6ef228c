/* archive.c: the .tar.gz that a person attaches to a ticket. It is written
 * with libarchive to a temporary name beside the target, synced and renamed,
 * so a reader never sees half an archive. Also reads members back, for
 * `friday show`. */
#include "reports/writers.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

void archive_default_name(char *buf, size_t len)
{
	char host[128] = "host", stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host) - 1);
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(buf, len, "./friday-%s-%s.tar.gz", host, stamp);
}

void archive_top_folder(const char *archive_path, char *out, size_t len)
{
	char copy[4096];
	char *base;
	size_t n;

	snprintf(copy, sizeof(copy), "%s", archive_path);
	base = basename(copy);
	snprintf(out, len, "%s", base);
	n = strlen(out);
	if (n > 7 && !strcmp(out + n - 7, ".tar.gz"))
		out[n - 7] = '\0';
	else if (n > 4 && !strcmp(out + n - 4, ".tgz"))
		out[n - 4] = '\0';
	if (!out[0])
		snprintf(out, len, "friday-report");
}

static int add_member(struct archive *a, const char *top, const struct out_file *f, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", top, f->name);
	archive_entry_set_pathname(e, path);
	archive_entry_set_size(e, (la_int64_t)f->len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	rc = archive_write_header(a, e);
	if (rc == ARCHIVE_OK && f->len &&
	    archive_write_data(a, f->data, f->len) != (la_ssize_t)f->len)
		rc = ARCHIVE_FATAL;
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : -EIO;
}

static int write_to_fd(int fd, const struct out_files *files, const char *top, char *err,
		       size_t err_len)
{
	struct archive *a = archive_write_new();
	time_t now = time(NULL);
	int ret = 0;

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		snprintf(err, err_len, "cannot start the archive: %s", archive_error_string(a));
		archive_write_free(a);
		return -EIO;
	}
	for (size_t i = 0; i < files->n && !ret; i++) {
		ret = add_member(a, top, &files->v[i], now);
		if (ret)
			snprintf(err, err_len, "cannot add %s: %s", files->v[i].name,
				 archive_error_string(a) ? archive_error_string(a) : "write failed");
	}
	if (archive_write_close(a) != ARCHIVE_OK && !ret) {
		snprintf(err, err_len, "cannot finish the archive: %s", archive_error_string(a));
		ret = -EIO;
	}
	archive_write_free(a);
	return ret;
}

int archive_write(const struct out_files *files, const char *archive_path, char *err,
		  size_t err_len)
{
	char tmp[4096], top[1024];
	int fd, ret;

	if (files->top)
		snprintf(top, sizeof(top), "%s", files->top);
	else
		archive_top_folder(archive_path, top, sizeof(top));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", archive_path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot create %s: %s", tmp, strerror(errno));
		return ret;
	}
	ret = write_to_fd(fd, files, top, err, err_len);
	if (!ret && fsync(fd) != 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot sync %s: %s", tmp, strerror(errno));
	}
	if (close(fd) != 0 && !ret) {
		ret = -errno;
		snprintf(err, err_len, "cannot close %s: %s", tmp, strerror(errno));
	}
	if (!ret && rename(tmp, archive_path) != 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot rename %s to %s: %s", tmp, archive_path, strerror(errno));
	}
	if (ret)
		unlink(tmp);
	return ret;
}

int64_t archive_free_bytes(const char *archive_path)
{
	char dir[4096], *slash;
	struct statvfs st;

	snprintf(dir, sizeof(dir), "%s", archive_path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (statvfs(dir, &st) != 0)
		return -errno;
	return (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

/* A member is TOP/NAME: whatever the top folder, the rest must be NAME. */
static bool member_matches(const char *path, const char *name)
{
	const char *slash = strchr(path, '/');

	return !strcmp(path, name) || (slash && !strcmp(slash + 1, name));
}

int archive_read_member(const char *archive_path, const char *name, char **data, size_t *len,
			char *err, size_t err_len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = -ENOENT;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, archive_path, 65536) != ARCHIVE_OK) {
		snprintf(err, err_len, "cannot open %s: %s", archive_path, archive_error_string(a));
		archive_read_free(a);
		return -EIO;
	}
	snprintf(err, err_len, "%s has no %s: not a friday archive", archive_path, name);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		la_int64_t size = archive_entry_size(e);
		char *buf;

		if (!member_matches(archive_entry_pathname(e), name))
			continue;
		buf = malloc(size + 1);
		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		if (archive_read_data(a, buf, size) != size) {
			snprintf(err, err_len, "%s: %s is damaged: %s", archive_path, name,
				 archive_error_string(a) ? archive_error_string(a) : "short read");
			free(buf);
			ret = -EIO;
			break;
		}
		buf[size] = '\0';
		*data = buf;
		if (len)
			*len = size;
		ret = 0;
		break;
	}
	if (ret == -ENOENT && archive_errno(a))
		snprintf(err, err_len, "%s is damaged: %s", archive_path, archive_error_string(a));
	archive_read_free(a);
	return ret;
}

int write_file_atomic(const char *path, const char *data, size_t len, char *err,
		      size_t err_len)
{
	char tmp[4096];
	FILE *f;
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "wx");
	if (!f) {
		ret = -errno;
		snprintf(err, err_len, "cannot create %s: %s", tmp, strerror(errno));
		return ret;
	}
	if (fwrite(data, 1, len, f) != len)
		ret = -EIO;
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) != 0)
		ret = -errno;
	if (ret) {
		snprintf(err, err_len, "cannot write %s: %s", path, strerror(-ret));
		unlink(tmp);
	}
	return ret;
}

int out_files_write_dir(const struct out_files *files, const char *dir, char *err,
			size_t err_len)
{
	char path[4096];
	int ret = 0;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "cannot make %s: %s", dir, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < files->n && !ret; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files->v[i].name);
		ret = write_file_atomic(path, files->v[i].data, files->v[i].len, err, err_len);
	}
	return ret;
}
