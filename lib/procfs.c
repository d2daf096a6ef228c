/* procfs.c: parsers for /proc text files (see procfs.h). They walk the
 * buffer line by line and token by token without copying lines into fixed
 * buffers, so a very long line (the "intr" line of /proc/stat on a big
 * host) costs nothing, and every number is checked: a token that is not
 * wholly digits, or that overflows, makes the whole file -EINVAL rather
 * than a made-up zero. */
#include "lib/procfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct line {
	const char *s, *end;   /* [s, end), without the newline */
};

struct tok {
	const char *s;
	size_t len;
};

/* Next line of the buffer; false at its end. */
static bool line_next(const char **cursor, struct line *l)
{
	const char *p = *cursor, *nl;

	if (!p || !*p)
		return false;
	nl = strchr(p, '\n');
	l->s = p;
	l->end = nl ? nl : p + strlen(p);
	*cursor = nl ? nl + 1 : l->end;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool line_is_empty(const struct line *l)
{
	for (const char *p = l->s; p < l->end; p++)
		if (!is_blank(*p) && *p != '\r')
			return false;
	return true;
}

/* Next whitespace-separated token of [*p, end); false when none is left. */
static bool tok_next(const char **p, const char *end, struct tok *t)
{
	const char *s = *p;

	while (s < end && (is_blank(*s) || *s == '\r'))
		s++;
	if (s >= end)
		return false;
	t->s = s;
	while (s < end && !is_blank(*s) && *s != '\r')
		s++;
	t->len = s - t->s;
	*p = s;
	return true;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return t->len == strlen(word) && !memcmp(t->s, word, t->len);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The whole token as an unsigned number in base 10 or 16; no sign, no
 * prefix, no trailing characters, no overflow. */
static int tok_u64(const struct tok *t, int base, uint64_t *val)
{
	uint64_t v = 0;

	if (t->len == 0)
		return -EINVAL;
	for (size_t i = 0; i < t->len; i++) {
		int d = hex_digit(t->s[i]);

		if (d < 0 || d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*val = v;
	return 0;
}

static int tok_s64(const struct tok *t, int64_t *val)
{
	struct tok digits = *t;
	bool neg = t->len > 0 && t->s[0] == '-';
	uint64_t v;

	if (neg) {
		digits.s++;
		digits.len--;
	}
	if (tok_u64(&digits, 10, &v) || v > (uint64_t)INT64_MAX + neg)
		return -EINVAL;
	*val = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* A plain decimal "123" or "1.25" (what loadavg and PSI print); strtod
 * alone would also take "nan", "inf" and hex floats. */
static int tok_double(const struct tok *t, double *val)
{
	char buf[64];
	size_t dots = 0;

	if (t->len == 0 || t->len >= sizeof(buf) || t->s[0] == '.' || t->s[t->len - 1] == '.')
		return -EINVAL;
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] == '.')
			dots++;
		else if (t->s[i] < '0' || t->s[i] > '9')
			return -EINVAL;
	}
	if (dots > 1)
		return -EINVAL;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	*val = strtod(buf, NULL);
	return 0;
}

static bool text_empty(const char *text)
{
	const char *cur = text;
	struct line l;

	while (line_next(&cur, &l))
		if (!line_is_empty(&l))
			return false;
	return true;
}

/* ---- generic key value --------------------------------------------------- */

int procfs_kv_get(const char *text, const char *key, uint64_t *val)
{
	const char *cur = text;
	size_t klen = strlen(key);
	struct line l;

	if (!text || text_empty(text))
		return -ENODATA;
	while (line_next(&cur, &l)) {
		const char *p = l.s;
		struct tok t, unit;
		uint64_t v;

		if ((size_t)(l.end - l.s) <= klen || memcmp(l.s, key, klen))
			continue;
		p += klen;
		if (*p == ':')
			p++;
		else if (!is_blank(*p))
			continue;       /* a longer key that starts with this one */
		if (!tok_next(&p, l.end, &t) || tok_u64(&t, 10, &v))
			return -EINVAL;
		/* Only a unit may follow the number ("kB"). */
		if (tok_next(&p, l.end, &unit) && (!tok_is(&unit, "kB") || tok_next(&p, l.end, &t)))
			return -EINVAL;
		*val = v;
		return 0;
	}
	return -ENOENT;
}

char *procfs_read_alloc(const char *root, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/proc/%s", root ? root : "", name);
	return read_file_alloc(path, NULL);
}

/* Reads ROOT/proc/NAME and hands it to parse; -errno of the read. */
static char *read_or_errno(const char *root, const char *name, int *err)
{
	char *text;

	errno = 0;
	text = procfs_read_alloc(root, name);
	*err = text ? 0 : (errno ? -errno : -EIO);
	return text;
}

/* ---- /proc/stat ------------------------------------------------------------ */

static int parse_cpu_line(const struct line *l, const struct tok *first,
			  struct proc_cpu_times *ct)
{
	const char *p = first->s + first->len;
	struct tok t;
	uint64_t id;

	memset(ct, 0, sizeof(*ct));
	ct->cpu = -1;
	if (first->len > 3) {
		struct tok num = { first->s + 3, first->len - 3 };

		if (tok_u64(&num, 10, &id) || id > 1u << 24)
			return -EINVAL;
		ct->cpu = (int)id;
	}
	while (tok_next(&p, l->end, &t)) {
		uint64_t v;

		if (tok_u64(&t, 10, &v))
			return -EINVAL;
		/* Fields a newer kernel may add past guest_nice are not ours. */
		if (ct->nr_fields < CPU_NR_TIMES)
			ct->jiffies[ct->nr_fields] = v;
		ct->nr_fields++;
	}
	/* user nice system idle: every kernel since 2.4 prints these. */
	return ct->nr_fields >= 4 ? 0 : -EINVAL;
}

static int stat_add_cpu(struct proc_stat *out, const struct proc_cpu_times *ct)
{
	struct proc_cpu_times *n = realloc(out->cpus, (out->nr_cpus + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	out->cpus = n;
	out->cpus[out->nr_cpus++] = *ct;
	return 0;
}

struct stat_key {
	const char *name;
	size_t offset;
	unsigned int bit;
};

static const struct stat_key stat_keys[] = {
	{ "ctxt", offsetof(struct proc_stat, ctxt), 1 },
	{ "processes", offsetof(struct proc_stat, processes), 2 },
	{ "procs_running", offsetof(struct proc_stat, procs_running), 4 },
	{ "procs_blocked", offsetof(struct proc_stat, procs_blocked), 8 },
	{ "btime", offsetof(struct proc_stat, btime), 16 },
};
#define STAT_REQUIRED_KEYS (1 | 2 | 4 | 8)

static int parse_stat_line(const struct line *l, struct proc_stat *out, unsigned int *seen)
{
	const char *p = l->s;
	struct tok t, v;

	if (!tok_next(&p, l->end, &t))
		return 0;
	if (t.len >= 3 && !memcmp(t.s, "cpu", 3)) {
		struct proc_cpu_times ct;
		int err = parse_cpu_line(l, &t, &ct);

		if (err)
			return err;
		if (ct.cpu < 0) {
			out->total = ct;
			*seen |= 32;
			return 0;
		}
		return stat_add_cpu(out, &ct);
	}
	for (size_t i = 0; i < ARRAY_SIZE(stat_keys); i++) {
		if (!tok_is(&t, stat_keys[i].name))
			continue;
		if (!tok_next(&p, l->end, &v) ||
		    tok_u64(&v, 10, (uint64_t *)((char *)out + stat_keys[i].offset)))
			return -EINVAL;
		*seen |= stat_keys[i].bit;
	}
	return 0;     /* intr, softirq and lines to come are not ours */
}

int procfs_parse_stat(const char *text, struct proc_stat *out)
{
	const char *cur = text;
	unsigned int seen = 0;
	struct line l;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!text || text_empty(text))
		return -ENODATA;
	while (!err && line_next(&cur, &l))
		err = parse_stat_line(&l, out, &seen);
	if (!err && ((seen & STAT_REQUIRED_KEYS) != STAT_REQUIRED_KEYS || !(seen & 32) ||
		     out->nr_cpus == 0))
		err = -EINVAL;
	if (err)
		procfs_stat_free(out);
	return err;
}

int procfs_read_stat(const char *root, struct proc_stat *out)
{
	int err;
	char *text = read_or_errno(root, "stat", &err);

	memset(out, 0, sizeof(*out));
	if (!text)
		return err;
	err = procfs_parse_stat(text, out);
	free(text);
	return err;
}

void procfs_stat_free(struct proc_stat *st)
{
	free(st->cpus);
	memset(st, 0, sizeof(*st));
}

uint64_t cpu_times_total(const struct proc_cpu_times *t)
{
	uint64_t sum = 0;

	/* guest and guest_nice are already inside user and nice. */
	for (int i = 0; i < CPU_GUEST; i++)
		sum += t->jiffies[i];
	return sum;
}

/* ---- growable arrays of records -------------------------------------------- */

static void *grow(void *arr, size_t *cap, size_t nr, size_t elem)
{
	void *n;

	if (nr < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	n = realloc(arr, *cap * elem);
	return n;
}

/* Copies a token into a fixed name field; -EINVAL if it does not fit. */
static int tok_name(const struct tok *t, char *dst, size_t size)
{
	if (t->len == 0 || t->len >= size)
		return -EINVAL;
	memcpy(dst, t->s, t->len);
	dst[t->len] = '\0';
	return 0;
}

/* ---- files of one record a line ------------------------------------------- */

/* diskstats, net/dev and softnet_stat are each a list of records, one a
 * line. One loop reads all three, so blank lines, growth, a bad line
 * (the whole file is -EINVAL) and freeing on error are handled alike. */
struct record_file {
	const char *name;                 /* below ROOT/proc */
	size_t record_size;
	/* Fills ((T *)records)[row] from l; 0 or a negative errno. */
	int (*parse_line)(const struct line *l, void *records, size_t row);
	/* Lines that are no record (NULL: every non-empty line is one). */
	bool (*is_header)(const struct line *l);
	size_t nr_headers;                /* how many is_header lines the file has */
};

/* The records of text in a malloc'd array (NULL when there are none). */
static void *parse_records(const char *text, const struct record_file *rf,
			   size_t *nr, int *err)
{
	const char *cur = text;
	size_t cap = 0, count = 0, headers = 0;
	void *arr = NULL, *n;
	struct line l;

	*nr = 0;
	*err = 0;
	if (!text || text_empty(text)) {
		*err = -ENODATA;
		return NULL;
	}
	while (!*err && line_next(&cur, &l)) {
		if (line_is_empty(&l))
			continue;
		if (rf->is_header && rf->is_header(&l)) {
			headers++;
			continue;
		}
		n = grow(arr, &cap, count, rf->record_size);
		if (!n) {
			*err = -ENOMEM;
			break;
		}
		arr = n;
		*err = rf->parse_line(&l, arr, count);
		count += !*err;
	}
	if (!*err && headers != rf->nr_headers)
		*err = -EINVAL;
	if (*err) {
		free(arr);
		return NULL;
	}
	*nr = count;
	return arr;
}

static void *read_records(const char *root, const struct record_file *rf,
			  size_t *nr, int *err)
{
	char *text = read_or_errno(root, rf->name, err);
	void *arr;

	*nr = 0;
	if (!text)
		return NULL;
	arr = parse_records(text, rf, nr, err);
	free(text);
	return arr;
}

/* ---- /proc/diskstats --------------------------------------------------------- */

static int parse_disk_line(const struct line *l, void *records, size_t row)
{
	struct proc_disk *d = (struct proc_disk *)records + row;
	const char *p = l->s;
	struct tok t;
	uint64_t v;

	memset(d, 0, sizeof(*d));
	if (!tok_next(&p, l->end, &t) || tok_u64(&t, 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	d->major = (unsigned int)v;
	if (!tok_next(&p, l->end, &t) || tok_u64(&t, 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	d->minor = (unsigned int)v;
	if (!tok_next(&p, l->end, &t) || tok_name(&t, d->name, sizeof(d->name)))
		return -EINVAL;
	while (tok_next(&p, l->end, &t)) {
		if (d->nr_stats >= DISK_NR_STATS || tok_u64(&t, 10, &d->stat[d->nr_stats]))
			return -EINVAL;
		d->nr_stats++;
	}
	/* 14, 18 or 20 columns: before 4.18, 4.18 (discards), 5.5 (flushes). */
	if (d->nr_stats != 11 && d->nr_stats != 15 && d->nr_stats != 17)
		return -EINVAL;
	return 0;
}

static const struct record_file diskstats_file = {
	.name = "diskstats",
	.record_size = sizeof(struct proc_disk),
	.parse_line = parse_disk_line,
};

int procfs_parse_diskstats(const char *text, struct proc_disk **out, size_t *nr)
{
	int err;

	*out = parse_records(text, &diskstats_file, nr, &err);
	return err;
}

int procfs_read_diskstats(const char *root, struct proc_disk **out, size_t *nr)
{
	int err;

	*out = read_records(root, &diskstats_file, nr, &err);
	return err;
}

/* ---- /proc/net/snmp, /proc/net/netstat ------------------------------------------ */

/* True when the line starts with "PROTO:". */
static bool line_is_proto(const struct line *l, const char *proto)
{
	size_t n = strlen(proto);

	return (size_t)(l->end - l->s) > n && !memcmp(l->s, proto, n) && l->s[n] == ':';
}

/* Finds field in the header line, then the value at the same place. The
 * whole pair is checked first: a cut line is not trusted in any field. */
static int snmp_pair_get(const struct line *hdr, const struct line *vals, size_t skip,
			 const char *field, int64_t *val)
{
	const char *hp = hdr->s + skip, *vp = vals->s + skip;
	struct tok ht, vt;
	int found = -ENOENT;
	int64_t v, hit = 0;

	for (;;) {
		bool have_h = tok_next(&hp, hdr->end, &ht);
		bool have_v = tok_next(&vp, vals->end, &vt);

		if (have_h != have_v)
			return -EINVAL;     /* a truncated line, or a stray value */
		if (!have_h)
			break;
		if (tok_s64(&vt, &v))
			return -EINVAL;
		if (found == -ENOENT && tok_is(&ht, field)) {
			hit = v;
			found = 0;
		}
	}
	if (!found)
		*val = hit;
	return found;
}

int procfs_snmp_get(const char *text, const char *proto, const char *field, int64_t *val)
{
	const char *cur = text;
	struct line hdr, vals;

	if (!text || text_empty(text))
		return -ENODATA;
	while (line_next(&cur, &hdr)) {
		if (!line_is_proto(&hdr, proto))
			continue;
		if (!line_next(&cur, &vals) || !line_is_proto(&vals, proto))
			return -EINVAL;
		return snmp_pair_get(&hdr, &vals, strlen(proto) + 1, field, val);
	}
	return -ENOENT;
}

/* ---- /proc/net/dev ---------------------------------------------------------------- */

static int parse_netdev_line(const struct line *l, void *records, size_t row)
{
	struct proc_netdev *d = (struct proc_netdev *)records + row;
	uint64_t *fields[] = {
		&d->rx_bytes, &d->rx_packets, &d->rx_errs, &d->rx_drop, &d->rx_fifo,
		&d->rx_frame, &d->rx_compressed, &d->rx_multicast,
		&d->tx_bytes, &d->tx_packets, &d->tx_errs, &d->tx_drop, &d->tx_fifo,
		&d->tx_colls, &d->tx_carrier, &d->tx_compressed,
	};
	const char *p = l->s, *colon;
	struct tok name, t;
	size_t i;

	memset(d, 0, sizeof(*d));
	/* "  eth0: 123 ..." and, with big counters on old kernels, "eth0:123". */
	colon = memchr(l->s, ':', l->end - l->s);
	if (!colon)
		return -EINVAL;
	if (!tok_next(&p, colon, &name) || tok_name(&name, d->name, sizeof(d->name)))
		return -EINVAL;
	p = colon + 1;
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (!tok_next(&p, l->end, &t) || tok_u64(&t, 10, fields[i]))
			return -EINVAL;
	return tok_next(&p, l->end, &t) ? -EINVAL : 0;
}

/* The two header lines are the ones with '|' column groups. */
static bool netdev_is_header(const struct line *l)
{
	return memchr(l->s, '|', l->end - l->s) != NULL;
}

static const struct record_file netdev_file = {
	.name = "net/dev",
	.record_size = sizeof(struct proc_netdev),
	.parse_line = parse_netdev_line,
	.is_header = netdev_is_header,
	.nr_headers = 2,
};

int procfs_parse_netdev(const char *text, struct proc_netdev **out, size_t *nr)
{
	int err;

	*out = parse_records(text, &netdev_file, nr, &err);
	return err;
}

int procfs_read_netdev(const char *root, struct proc_netdev **out, size_t *nr)
{
	int err;

	*out = read_records(root, &netdev_file, nr, &err);
	return err;
}

/* ---- /proc/loadavg ------------------------------------------------------------------ */

int procfs_parse_loadavg(const char *text, struct proc_loadavg *out)
{
	const char *cur = text, *p, *slash;
	struct proc_loadavg la = { 0 };
	struct tok t, r, total;
	struct line l;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (!text || text_empty(text))
		return -ENODATA;
	if (!line_next(&cur, &l))
		return -EINVAL;
	p = l.s;
	if (!tok_next(&p, l.end, &t) || tok_double(&t, &la.avg1) ||
	    !tok_next(&p, l.end, &t) || tok_double(&t, &la.avg5) ||
	    !tok_next(&p, l.end, &t) || tok_double(&t, &la.avg15) ||
	    !tok_next(&p, l.end, &t))
		return -EINVAL;
	slash = memchr(t.s, '/', t.len);
	if (!slash)
		return -EINVAL;
	r = (struct tok){ t.s, slash - t.s };
	total = (struct tok){ slash + 1, t.len - (slash - t.s) - 1 };
	if (tok_u64(&r, 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	la.nr_runnable = (unsigned int)v;
	if (tok_u64(&total, 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	la.nr_threads = (unsigned int)v;
	if (!tok_next(&p, l.end, &t) || tok_u64(&t, 10, &v) || v > INT32_MAX ||
	    tok_next(&p, l.end, &t))
		return -EINVAL;
	la.last_pid = (int)v;
	*out = la;
	return 0;
}

int procfs_read_loadavg(const char *root, struct proc_loadavg *out)
{
	int err;
	char *text = read_or_errno(root, "loadavg", &err);

	memset(out, 0, sizeof(*out));
	if (!text)
		return err;
	err = procfs_parse_loadavg(text, out);
	free(text);
	return err;
}

/* ---- /proc/pressure/ ------------------------------------------------------------------ */

/* "avg10=0.12 avg60=0.05 avg300=0.01 total=12345": all four, in order. */
static int parse_psi_line(const char *p, const char *end, struct psi_line *pl)
{
	static const char *const keys[] = { "avg10=", "avg60=", "avg300=", "total=" };
	double *avgs[] = { &pl->avg10, &pl->avg60, &pl->avg300 };
	struct tok t, v;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		size_t klen = strlen(keys[i]);

		if (!tok_next(&p, end, &t) || t.len <= klen || memcmp(t.s, keys[i], klen))
			return -EINVAL;
		v = (struct tok){ t.s + klen, t.len - klen };
		if (i < 3 ? tok_double(&v, avgs[i]) : tok_u64(&v, 10, &pl->total_us))
			return -EINVAL;
	}
	if (tok_next(&p, end, &t))
		return -EINVAL;
	pl->present = true;
	return 0;
}

int procfs_parse_pressure(const char *text, struct proc_pressure *out)
{
	const char *cur = text;
	struct proc_pressure pr = { 0 };
	struct line l;

	memset(out, 0, sizeof(*out));
	if (!text || text_empty(text))
		return -ENODATA;
	while (line_next(&cur, &l)) {
		const char *p = l.s;
		struct psi_line *pl;
		struct tok t;

		if (line_is_empty(&l))
			continue;
		if (!tok_next(&p, l.end, &t))
			return -EINVAL;
		if (tok_is(&t, "some"))
			pl = &pr.some;
		else if (tok_is(&t, "full"))
			pl = &pr.full;
		else
			return -EINVAL;
		if (pl->present || parse_psi_line(p, l.end, pl))
			return -EINVAL;
	}
	if (!pr.some.present)
		return -EINVAL;
	*out = pr;
	return 0;
}

int procfs_read_pressure(const char *root, const char *resource, struct proc_pressure *out)
{
	char name[64];
	int err;
	char *text;

	snprintf(name, sizeof(name), "pressure/%s", resource);
	text = read_or_errno(root, name, &err);
	memset(out, 0, sizeof(*out));
	if (!text)
		return err == -EOPNOTSUPP ? -ENOENT : err;   /* psi=0 on the command line */
	err = procfs_parse_pressure(text, out);
	free(text);
	return err;
}

/* ---- /proc/net/softnet_stat ---------------------------------------------------------- */

/* Columns (net-procfs.c softnet_seq_show): processed, dropped, time_squeeze,
 * five zeros, cpu_collision, received_rps, flow_limit_count, backlog length
 * (5.10+), cpu index (5.10+). */
#define SOFTNET_MIN_COLS 10
#define SOFTNET_MAX_COLS 32

static int parse_softnet_line(const struct line *l, void *records, size_t row)
{
	struct softnet_cpu *all = records, *sc = all + row;
	uint64_t cols[SOFTNET_MAX_COLS] = { 0 };
	const char *p = l->s;
	struct tok t;
	int n = 0;

	while (tok_next(&p, l->end, &t)) {
		if (n >= SOFTNET_MAX_COLS || tok_u64(&t, 16, &cols[n]))
			return -EINVAL;
		n++;
	}
	if (n < SOFTNET_MIN_COLS)
		return -EINVAL;
	memset(sc, 0, sizeof(*sc));
	sc->nr_cols = n;
	sc->processed = cols[0];
	sc->dropped = cols[1];
	sc->time_squeeze = cols[2];
	sc->received_rps = cols[9];
	sc->flow_limit_count = n > 10 ? cols[10] : 0;
	sc->cpu = n > 12 ? (int)cols[12] : (int)row;
	/* Every row of one kernel has the same columns; a short row is a cut. */
	return row > 0 && sc->nr_cols != all[0].nr_cols ? -EINVAL : 0;
}

static const struct record_file softnet_file = {
	.name = "net/softnet_stat",
	.record_size = sizeof(struct softnet_cpu),
	.parse_line = parse_softnet_line,
};

int procfs_parse_softnet(const char *text, struct softnet_cpu **out, size_t *nr)
{
	int err;

	*out = parse_records(text, &softnet_file, nr, &err);
	return err;
}

int procfs_read_softnet(const char *root, struct softnet_cpu **out, size_t *nr)
{
	int err;

	*out = read_records(root, &softnet_file, nr, &err);
	return err;
}

/* ---- /proc/PID/stat and schedstat ---------------------------------------------------- */

/* Fields after "(comm)", numbered as in proc(5): field 3 is the state. */
#define PID_STAT_MIN_FIELD 22   /* starttime */
#define PID_STAT_MAX_FIELD 64

static int pid_stat_field_u64(struct tok *f, int nr_f, int field, uint64_t *v)
{
	return field - 3 < nr_f ? tok_u64(&f[field - 3], 10, v) : -EINVAL;
}

int procfs_parse_pid_stat(const char *text, struct proc_pid_stat *out)
{
	struct tok f[PID_STAT_MAX_FIELD], pidt;
	const char *open_p, *close_p, *p, *end;
	struct proc_pid_stat ps = { 0 };
	uint64_t v;
	int64_t threads;
	int nr_f = 0;

	memset(out, 0, sizeof(*out));
	if (!text || text_empty(text))
		return -ENODATA;
	/* comm may hold spaces and ')': it runs from the first '(' to the last ')'. */
	open_p = strchr(text, '(');
	close_p = strrchr(text, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -EINVAL;
	p = text;
	if (!tok_next(&p, open_p, &pidt) || tok_u64(&pidt, 10, &v) || v > INT32_MAX ||
	    tok_next(&p, open_p, &pidt))
		return -EINVAL;
	ps.pid = (pid_t)v;
	snprintf(ps.comm, sizeof(ps.comm), "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	p = close_p + 1;
	end = strchr(p, '\n');
	end = end ? end : p + strlen(p);
	while (nr_f < PID_STAT_MAX_FIELD && tok_next(&p, end, &f[nr_f]))
		nr_f++;
	if (nr_f < PID_STAT_MIN_FIELD - 2 || f[0].len != 1)
		return -EINVAL;
	ps.state = f[0].s[0];
	if (pid_stat_field_u64(f, nr_f, 4, &v) || v > INT32_MAX)
		return -EINVAL;
	ps.ppid = (pid_t)v;
	if (pid_stat_field_u64(f, nr_f, 10, &ps.minflt) ||
	    pid_stat_field_u64(f, nr_f, 12, &ps.majflt) ||
	    pid_stat_field_u64(f, nr_f, 14, &ps.utime) ||
	    pid_stat_field_u64(f, nr_f, 15, &ps.stime) ||
	    tok_s64(&f[20 - 3], &threads) ||
	    pid_stat_field_u64(f, nr_f, 22, &ps.starttime))
		return -EINVAL;
	ps.nr_threads = threads;
	ps.processor = -1;
	if (nr_f > 39 - 3) {
		if (pid_stat_field_u64(f, nr_f, 39, &v) || v > INT32_MAX)
			return -EINVAL;
		ps.processor = (int)v;
	}
	*out = ps;
	return 0;
}

static char *read_pid_file(const char *root, pid_t pid, const char *file, int *err)
{
	char name[64];

	snprintf(name, sizeof(name), "%d/%s", (int)pid, file);
	return read_or_errno(root, name, err);
}

int procfs_read_pid_stat(const char *root, pid_t pid, struct proc_pid_stat *out)
{
	int err;
	char *text = read_pid_file(root, pid, "stat", &err);

	memset(out, 0, sizeof(*out));
	if (!text)
		return err == -ESRCH ? -ENOENT : err;    /* it exited while we looked */
	err = procfs_parse_pid_stat(text, out);
	free(text);
	return err;
}

int procfs_parse_pid_schedstat(const char *text, struct proc_pid_schedstat *out)
{
	const char *cur = text, *p;
	struct proc_pid_schedstat s;
	struct line l;
	struct tok t;

	memset(out, 0, sizeof(*out));
	if (!text || text_empty(text))
		return -ENODATA;
	if (!line_next(&cur, &l))
		return -EINVAL;
	p = l.s;
	if (!tok_next(&p, l.end, &t) || tok_u64(&t, 10, &s.run_ns) ||
	    !tok_next(&p, l.end, &t) || tok_u64(&t, 10, &s.wait_ns) ||
	    !tok_next(&p, l.end, &t) || tok_u64(&t, 10, &s.timeslices) ||
	    tok_next(&p, l.end, &t))
		return -EINVAL;
	*out = s;
	return 0;
}

int procfs_read_pid_schedstat(const char *root, pid_t pid, struct proc_pid_schedstat *out)
{
	int err;
	char *text = read_pid_file(root, pid, "schedstat", &err);

	memset(out, 0, sizeof(*out));
	if (!text)
		return err == -ESRCH ? -ENOENT : err;
	err = procfs_parse_pid_schedstat(text, out);
	free(text);
	return err;
}
