/* pprof.c: folded stacks -> the pprof protobuf (github.com/google/pprof
 * proto/profile.proto), gzipped with zlib. The wire format is written by
 * hand: varints and length-delimited fields are all it needs. Every
 * frame becomes a function and a location; a frame followed by inlined
 * frames (_[i]) is one location with one line per frame, innermost first,
 * as pprof models inlining. */
#include "reports/flamegraph.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/stackfold.h"
#include "lib/strbuf.h"
#include "lib/u64map.h"

/* profile.proto field numbers */
enum {
	P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_LOCATION = 4, P_FUNCTION = 5, P_STRING_TABLE = 6,
	P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11, P_PERIOD = 12,
	VT_TYPE = 1, VT_UNIT = 2,
	S_LOCATION_ID = 1, S_VALUE = 2,
	L_ID = 1, L_LINE = 4,
	LN_FUNCTION_ID = 1,
	F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3, F_FILENAME = 4,
};

static void pb_varint(struct strbuf *sb, uint64_t v)
{
	char b[10];
	size_t n = 0;

	do {
		b[n++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	sb_appendn(sb, b, n);
}

static void pb_uint(struct strbuf *sb, int field, uint64_t v)
{
	pb_varint(sb, (uint64_t)field << 3);
	pb_varint(sb, v);
}

static void pb_bytes(struct strbuf *sb, int field, const char *data, size_t len)
{
	pb_varint(sb, (uint64_t)field << 3 | 2);
	pb_varint(sb, len);
	sb_appendn(sb, data, len);
}

/* ---- interning ---- */

struct interner {
	struct u64map map;          /* (hash, len) -> index + 1 */
	const char **s;
	uint32_t *len;
	size_t n, cap;
};

static int64_t intern(struct interner *in, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len);
	uintptr_t found = (uintptr_t)u64map_get(&in->map, h, len);

	if (found && in->len[found - 1] == len && !memcmp(in->s[found - 1], s, len))
		return (int64_t)(found - 1);
	if (in->n == in->cap) {
		size_t ncap = in->cap ? in->cap * 2 : 1024;
		const char **ns = realloc(in->s, ncap * sizeof(*ns));
		uint32_t *nl;

		if (!ns)
			return -ENOMEM;
		in->s = ns;
		if (!(nl = realloc(in->len, ncap * sizeof(*nl))))
			return -ENOMEM;
		in->len = nl;
		in->cap = ncap;
	}
	in->s[in->n] = s;
	in->len[in->n] = (uint32_t)len;
	/* On a (vanishingly rare) hash collision the later string simply
	 * gets its own entry. */
	if (!found && u64map_put(&in->map, h, len, (void *)(uintptr_t)(in->n + 1)))
		return -ENOMEM;
	return (int64_t)in->n++;
}

static void interner_free(struct interner *in)
{
	u64map_free(&in->map, NULL);
	free(in->s);
	free(in->len);
}

struct encoder {
	struct interner strings;    /* string_table */
	struct interner functions;  /* frame text -> function id - 1 */
	struct interner locations;  /* "frame;inl_[i];..." -> location id - 1 */
	struct strbuf out;          /* the Profile message */
	struct strbuf tmp;
	int64_t kernel_file;
};

static int64_t str_id(struct encoder *e, const char *s, size_t len)
{
	return intern(&e->strings, s, len);
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	return len >= 4 && !memcmp(s + len - 4, suffix, 4);
}

/* A new function: its message goes out at once. */
static int64_t function_id(struct encoder *e, const char *frame, size_t len)
{
	size_t before = e->functions.n, name_len = len;
	int64_t id = intern(&e->functions, frame, len), name;
	bool kernel = has_suffix(frame, len, "_[k]");

	if (id < 0 || e->functions.n == before)
		return id < 0 ? id : id + 1;
	if (kernel || has_suffix(frame, len, "_[i]"))
		name_len -= 4;
	if ((name = str_id(e, frame, name_len)) < 0)
		return name;
	e->tmp.len = 0;
	pb_uint(&e->tmp, F_ID, (uint64_t)id + 1);
	pb_uint(&e->tmp, F_NAME, (uint64_t)name);
	pb_uint(&e->tmp, F_SYSTEM_NAME, (uint64_t)name);
	if (kernel)
		pb_uint(&e->tmp, F_FILENAME, (uint64_t)e->kernel_file);
	pb_bytes(&e->out, P_FUNCTION, e->tmp.buf, e->tmp.len);
	return id + 1;
}

/* A location for a frame and the inlined frames after it (frames[0..n)). */
static int64_t location_id(struct encoder *e, const char *text, size_t len,
			   const char *const *frames, const size_t *lens, size_t n)
{
	size_t before = e->locations.n;
	int64_t id = intern(&e->locations, text, len), fids[64];
	struct strbuf line = { 0 };

	if (id < 0 || e->locations.n == before)
		return id < 0 ? id : id + 1;
	for (size_t i = 0; i < n && i < 64; i++)
		if ((fids[i] = function_id(e, frames[i], lens[i])) < 0)
			return fids[i];
	e->tmp.len = 0;
	pb_uint(&e->tmp, L_ID, (uint64_t)id + 1);
	/* Lines innermost first: the last inlined frame, ..., the caller. */
	for (size_t i = n; i-- > 0;) {
		line.len = 0;
		pb_uint(&line, LN_FUNCTION_ID, (uint64_t)fids[i < 64 ? i : 63]);
		pb_bytes(&e->tmp, L_LINE, line.buf, line.len);
	}
	sb_free(&line);
	pb_bytes(&e->out, P_LOCATION, e->tmp.buf, e->tmp.len);
	return id + 1;
}

static size_t frame_len(const char *p, const char *end)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));

	return (size_t)((semi ? semi : end) - p);
}

static int encode_sample(struct encoder *e, const char *stack, size_t len, uint64_t value,
			 struct strbuf *locs, struct strbuf *sample)
{
	const char *frames[64];
	size_t lens[64], n = 0;
	uint64_t ids[1024];
	size_t nr_ids = 0;
	const char *p = stack, *end = stack + len;

	/* Walk root to leaf, grouping each frame with the inlined ones after it. */
	while (p < end && nr_ids < 1024) {
		const char *start = p;
		int64_t id;

		n = 0;
		do {
			size_t flen = frame_len(p, end);

			if (n < 64) {
				frames[n] = p;
				lens[n++] = flen;
			}
			p += flen + (p + flen < end);
		} while (p < end && has_suffix(p, frame_len(p, end), "_[i]"));
		id = location_id(e, start, (size_t)(frames[n - 1] + lens[n - 1] - start),
				 frames, lens, n);
		if (id < 0)
			return (int)id;
		ids[nr_ids++] = (uint64_t)id;
	}
	/* pprof wants the leaf first. */
	locs->len = 0;
	for (size_t i = nr_ids; i-- > 0;)
		pb_varint(locs, ids[i]);
	sample->len = 0;
	pb_bytes(sample, S_LOCATION_ID, locs->buf, locs->len);
	locs->len = 0;
	pb_varint(locs, value);
	pb_bytes(sample, S_VALUE, locs->buf, locs->len);
	pb_bytes(&e->out, P_SAMPLE, sample->buf, sample->len);
	return 0;
}

static void value_type(struct encoder *e, int field, const char *type, const char *unit)
{
	struct strbuf vt = { 0 };

	pb_uint(&vt, VT_TYPE, (uint64_t)str_id(e, type, strlen(type)));
	pb_uint(&vt, VT_UNIT, (uint64_t)str_id(e, unit, strlen(unit)));
	pb_bytes(&e->out, field, vt.buf, vt.len);
	sb_free(&vt);
}

static int gzip_buf(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap = compressBound((uLong)len) + 64;
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return -ENOMEM;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)) {
		free(buf);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

static int encode_samples(struct encoder *e, const char *folded, size_t len)
{
	struct strbuf locs = { 0 }, sample = { 0 };
	const char *p = folded, *end = folded + len;
	int err = 0;

	while (!err && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t stack_len;
		uint64_t value;

		if (!eol)
			eol = end;
		if (fold_parse_line(p, (size_t)(eol - p), &stack_len, &value) && value)
			err = encode_sample(e, p, stack_len, value, &locs, &sample);
		p = eol + 1;
	}
	sb_free(&locs);
	sb_free(&sample);
	return err;
}

int pprof_encode_gz(const char *folded, size_t len, const struct pprof_opts *o, char **out,
		    size_t *out_len)
{
	struct encoder e = { 0 };
	int err;

	str_id(&e, "", 0);   /* string_table[0] must be "" */
	e.kernel_file = str_id(&e, "[kernel]", 8);
	value_type(&e, P_SAMPLE_TYPE, o->sample_type, o->sample_unit);
	err = encode_samples(&e, folded, len);
	if (!err && o->period_type)
		value_type(&e, P_PERIOD_TYPE, o->period_type, o->period_unit);
	if (!err && o->period)
		pb_uint(&e.out, P_PERIOD, (uint64_t)o->period);
	if (!err && o->duration_ns)
		pb_uint(&e.out, P_DURATION_NANOS, (uint64_t)o->duration_ns);
	/* The string table last: every id above was interned by now. */
	for (size_t i = 0; !err && i < e.strings.n; i++)
		pb_bytes(&e.out, P_STRING_TABLE, e.strings.s[i], e.strings.len[i]);
	if (!err && (e.out.oom || e.tmp.oom))
		err = -ENOMEM;
	if (!err)
		err = gzip_buf(e.out.buf ? e.out.buf : "", e.out.len, out, out_len);
	sb_free(&e.out);
	sb_free(&e.tmp);
	interner_free(&e.strings);
	interner_free(&e.functions);
	interner_free(&e.locations);
	return err;
}
