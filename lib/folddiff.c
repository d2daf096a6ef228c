/* folddiff.c: two folded profiles compared by shares (see folddiff.h).
 * Each profile is read into three tables keyed by text (lib/stackfold):
 * whole stacks, frames counted once per stack (inclusive), and leaves
 * (self); the two sides are then walked as a union. */
#include "lib/folddiff.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/stackfold.h"
#include "lib/strbuf.h"

#define MAX_FRAMES 1024   /* frames of one stack checked for repeats */

struct side {
	struct fold_table stacks, incl, self, procs;
};

static struct fold_entry *fold_get(const struct fold_table *t, const char *s, size_t len)
{
	for (struct fold_entry *e = u64map_get(&t->by_hash, hash_bytes(s, len), 0); e; e = e->next)
		if (e->len == len && !memcmp(e->stack, s, len))
			return e;
	return NULL;
}

/* Adds a stack's count to every distinct frame on it (recursion counts
 * once), to its leaf, and to its process. */
static int add_frames(struct side *s, const char *stack, size_t len, uint64_t n)
{
	const char *start[MAX_FRAMES], *p = stack, *end = stack + len;
	size_t flen[MAX_FRAMES], nr = 0;
	int err = 0;

	start[0] = stack;
	flen[0] = len;
	while (p <= end && nr < MAX_FRAMES) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end;

		start[nr] = p;
		flen[nr++] = (size_t)(stop - p);
		p = stop + 1;
		if (!semi)
			break;
	}
	err = fold_add(&s->procs, start[0], flen[0], n);
	for (size_t i = 1; i < nr && !err; i++) {
		bool seen = false;

		for (size_t j = 1; j < i && !seen; j++)
			seen = flen[j] == flen[i] && !memcmp(start[j], start[i], flen[i]);
		if (!seen)
			err = fold_add(&s->incl, start[i], flen[i], n);
	}
	if (!err && nr > 1)
		err = fold_add(&s->self, start[nr - 1], flen[nr - 1], n);
	return err;
}

static int read_side(struct side *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int err = 0;

	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), stack_len;
		uint64_t value;

		if (fold_parse_line(p, n, &stack_len, &value) && value) {
			err = fold_add(&s->stacks, p, stack_len, value);
			if (!err)
				err = add_frames(s, p, stack_len, value);
		}
		p += n + 1;
	}
	return err;
}

static void side_free(struct side *s)
{
	fold_free(&s->stacks);
	fold_free(&s->incl);
	fold_free(&s->self);
	fold_free(&s->procs);
}

static double pct_of(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0;
}

static double value_of(const struct fold_table *t, const char *s, size_t len)
{
	struct fold_entry *e = fold_get(t, s, len);

	return e ? (double)e->value : 0;
}

static int by_change(const void *a, const void *b)
{
	const struct fold_share *x = a, *y = b;
	double dx = fabs(x->after_pct - x->before_pct), dy = fabs(y->after_pct - y->before_pct);

	if (dx != dy)
		return dx < dy ? 1 : -1;
	dx = fmax(x->before_pct, x->after_pct);
	dy = fmax(y->before_pct, y->after_pct);
	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The union of two frame tables as shares, sorted by |change|. */
static int share_union(const struct fold_table *bi, const struct fold_table *bs,
		       const struct fold_table *ai, const struct fold_table *as,
		       uint64_t bt, uint64_t at, struct fold_share **out, size_t *nr)
{
	size_t cap = bi->nr_stacks + ai->nr_stacks, n = 0;
	struct fold_share *v = calloc(cap ? cap : 1, sizeof(*v));
	const struct fold_table *sides[2] = { bi, ai };

	if (!v)
		return -ENOMEM;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sides[k]->by_hash.cap; i++)
			for (struct fold_entry *e = sides[k]->by_hash.slots[i].val; e; e = e->next) {
				if (k == 1 && fold_get(bi, e->stack, e->len))
					continue;   /* counted from BEFORE already */
				v[n].name = strdup(e->stack);
				if (!v[n].name)
					goto oom;
				v[n].before_pct = pct_of(value_of(bi, e->stack, e->len), bt);
				v[n].after_pct = pct_of(value_of(ai, e->stack, e->len), at);
				if (bs) {
					v[n].self_before_pct = pct_of(value_of(bs, e->stack, e->len), bt);
					v[n].self_after_pct = pct_of(value_of(as, e->stack, e->len), at);
				}
				n++;
			}
	qsort(v, n, sizeof(*v), by_change);
	*out = v;
	*nr = n;
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	return -ENOMEM;
}

static int by_pct(const void *a, const void *b)
{
	const struct fold_path *x = a, *y = b;

	if (x->pct != y->pct)
		return x->pct < y->pct ? 1 : -1;
	return strcmp(x->stack, y->stack);
}

/* Stacks of `have` that `lack` does not hold. */
static int paths_only_in(const struct fold_table *have, const struct fold_table *lack,
			 struct fold_path **out, size_t *nr)
{
	struct fold_path *v = calloc(have->nr_stacks ? have->nr_stacks : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < have->by_hash.cap; i++)
		for (struct fold_entry *e = have->by_hash.slots[i].val; e; e = e->next) {
			if (fold_get(lack, e->stack, e->len))
				continue;
			v[n].stack = strdup(e->stack);
			if (!v[n].stack) {
				*out = v;
				*nr = n;
				return -ENOMEM;
			}
			v[n++].pct = pct_of(e->value, have->total);
		}
	qsort(v, n, sizeof(*v), by_pct);
	*out = v;
	*nr = n;
	return 0;
}

/* difffolded style: every stack of either side, BEFORE scaled to AFTER. */
static int render_diff_folded(const struct side *b, const struct side *a, struct fold_diff *d)
{
	struct fold_table both = { 0 };
	double scale = b->stacks.total ? (double)a->stacks.total / (double)b->stacks.total : 0;
	struct strbuf sb = { 0 };
	char *sorted, *p, *nl;
	size_t len;
	int err = 0;

	if (!a->stacks.total)
		scale = 1;   /* nothing after: keep BEFORE's own counts */
	for (int k = 0; k < 2 && !err; k++) {
		const struct fold_table *t = k ? &a->stacks : &b->stacks;

		for (size_t i = 0; i < t->by_hash.cap && !err; i++)
			for (struct fold_entry *e = t->by_hash.slots[i].val; e && !err; e = e->next)
				err = fold_add(&both, e->stack, e->len, 0);
	}
	sorted = err ? NULL : fold_render(&both, &len);
	fold_free(&both);
	if (!sorted)
		return -ENOMEM;
	/* the rendered lines end in " 0": put the two counts there instead */
	for (p = sorted; *p; p = nl + 1) {
		size_t stack_len;
		uint64_t zero;

		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!fold_parse_line(p, (size_t)(nl - p), &stack_len, &zero))
			continue;
		sb_appendn(&sb, p, stack_len);
		sb_printf(&sb, " %.0f %.0f\n", value_of(&b->stacks, p, stack_len) * scale,
			  value_of(&a->stacks, p, stack_len));
	}
	free(sorted);
	d->folded = sb_take(&sb, &d->folded_len);
	return d->folded ? 0 : -ENOMEM;
}

int fold_diff_compute(const char *before, size_t before_len, const char *after,
		      size_t after_len, struct fold_diff *d)
{
	struct side b = { 0 }, a = { 0 };
	int err;

	memset(d, 0, sizeof(*d));
	err = read_side(&b, before, before_len);
	if (!err)
		err = read_side(&a, after, after_len);
	d->before_total = b.stacks.total;
	d->after_total = a.stacks.total;
	if (!err)
		err = share_union(&b.incl, &b.self, &a.incl, &a.self, b.stacks.total,
				  a.stacks.total, &d->fns, &d->nr_fns);
	if (!err)
		err = share_union(&b.procs, NULL, &a.procs, NULL, b.stacks.total, a.stacks.total,
				  &d->procs, &d->nr_procs);
	if (!err)
		err = paths_only_in(&b.stacks, &a.stacks, &d->vanished, &d->nr_vanished);
	if (!err)
		err = paths_only_in(&a.stacks, &b.stacks, &d->appeared, &d->nr_appeared);
	if (!err)
		err = render_diff_folded(&b, &a, d);
	side_free(&b);
	side_free(&a);
	if (err)
		fold_diff_free(d);
	return err;
}

void fold_diff_free(struct fold_diff *d)
{
	for (size_t i = 0; i < d->nr_fns; i++)
		free(d->fns[i].name);
	for (size_t i = 0; i < d->nr_procs; i++)
		free(d->procs[i].name);
	for (size_t i = 0; i < d->nr_vanished; i++)
		free(d->vanished[i].stack);
	for (size_t i = 0; i < d->nr_appeared; i++)
		free(d->appeared[i].stack);
	free(d->fns);
	free(d->procs);
	free(d->vanished);
	free(d->appeared);
	free(d->folded);
	memset(d, 0, sizeof(*d));
}
