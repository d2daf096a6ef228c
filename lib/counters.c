/* counters.c: named kernel counters (see counters.h). */
#include "lib/counters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static bool name_matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(pattern, name, n - 1);
	return !strcmp(pattern, name);
}

int counters_read_flat(const char *path, const char *const *names, size_t n,
		       uint64_t *vals, bool *found)
{
	char *text = read_file_alloc(path, NULL), *line, *save;
	int nr_found = 0;

	if (!text)
		return -errno ? -errno : -EIO;
	memset(vals, 0, n * sizeof(*vals));
	if (found)
		memset(found, 0, n * sizeof(*found));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		for (size_t i = 0; i < n; i++) {
			if (!name_matches(names[i], line))
				continue;
			vals[i] += strtoull(sp + 1, NULL, 10);
			if (found && !found[i])
				found[i] = true, nr_found++;
			else if (!found)
				nr_found++;
		}
	}
	free(text);
	return nr_found;
}

/* One "Prefix: a b c" header and its "Prefix: 1 2 3" values. */
static int scan_pair(char *hdr, char *vals_line, const char *const *names, size_t n,
		     uint64_t *vals, bool *found)
{
	char *hs, *vs, *h, *v, *colon = strchr(hdr, ':');
	size_t plen;
	int nr = 0;

	if (!colon)
		return 0;
	plen = colon - hdr + 1;
	h = strtok_r(colon + 1, " ", &hs);
	v = strtok_r(strchr(vals_line, ':') ? strchr(vals_line, ':') + 1 : vals_line, " ", &vs);
	for (; h && v; h = strtok_r(NULL, " ", &hs), v = strtok_r(NULL, " ", &vs)) {
		for (size_t i = 0; i < n; i++) {
			if (strncmp(names[i], hdr, plen) || strcmp(names[i] + plen, h))
				continue;
			vals[i] = strtoull(v, NULL, 10);
			if (found)
				found[i] = true;
			nr++;
		}
	}
	return nr;
}

int counters_read_paired(const char *path, const char *const *names, size_t n,
			 uint64_t *vals, bool *found)
{
	char *text = read_file_alloc(path, NULL), *line, *save, *prev = NULL;
	int nr_found = 0;

	if (!text)
		return -errno ? -errno : -EIO;
	memset(vals, 0, n * sizeof(*vals));
	if (found)
		memset(found, 0, n * sizeof(*found));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *pc = prev ? strchr(prev, ':') : NULL;

		/* A values line repeats the header's prefix. */
		if (pc && !strncmp(prev, line, pc - prev + 1)) {
			nr_found += scan_pair(prev, line, names, n, vals, found);
			prev = NULL;
		} else {
			prev = line;
		}
	}
	free(text);
	return nr_found;
}
