/* flame.c: turns a folded profile ("a;b;c 12" lines, root first) into the
 * compact frame table that report.html draws on a canvas: a string pool of
 * frame names and three arrays over the nodes of the merged call tree in
 * pre-order (children sorted by name, as flamegraph.pl does): the name's
 * index, the depth and the total count. The page derives x offsets, self
 * counts and subtree ends from these in one pass, so a 100k-frame profile
 * costs three integer arrays, not 100k DOM elements. */
#include "reports/flame.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ftree {
	/* string pool */
	char **names;
	uint32_t nr_names, cap_names;
	uint32_t *name_hash;        /* open addressing: name id + 1, 0 empty */
	uint32_t name_hash_size;
	/* nodes: 0 is the root */
	uint32_t *name, *parent, *first_child, *next_sibling, *depth;
	uint64_t *total;
	uint64_t *total_b;          /* a differential tree: BEFORE's counts */
	bool before_side;           /* lines now added are BEFORE's */
	bool diff;                  /* emit the two shares too */
	uint32_t nr_nodes, cap_nodes;
	uint32_t *child_hash;       /* (parent, name) -> node id + 1 */
	uint32_t child_hash_size;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static uint64_t hash_pair(uint32_t a, uint32_t b)
{
	uint64_t h = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;

	return h ^ (h >> 29);
}

static int grow_name_hash(struct ftree *t)
{
	uint32_t size = t->name_hash_size ? t->name_hash_size * 2 : 1024;
	uint32_t *nh = calloc(size, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (uint32_t id = 0; id < t->nr_names; id++) {
		uint64_t h = hash_bytes(t->names[id], strlen(t->names[id]));

		for (uint32_t s = h & (size - 1);; s = (s + 1) & (size - 1))
			if (!nh[s]) {
				nh[s] = id + 1;
				break;
			}
	}
	free(t->name_hash);
	t->name_hash = nh;
	t->name_hash_size = size;
	return 0;
}

/* The id of a frame name, added to the pool when new; -1 on OOM. */
static int64_t intern(struct ftree *t, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n);
	uint32_t slot;

	if ((t->nr_names + 1) * 2 > t->name_hash_size && grow_name_hash(t))
		return -1;
	for (slot = h & (t->name_hash_size - 1);; slot = (slot + 1) & (t->name_hash_size - 1)) {
		uint32_t id = t->name_hash[slot];

		if (!id)
			break;
		if (!strncmp(t->names[id - 1], s, n) && t->names[id - 1][n] == '\0')
			return id - 1;
	}
	if (t->nr_names == t->cap_names) {
		uint32_t cap = t->cap_names ? t->cap_names * 2 : 256;
		char **nn = realloc(t->names, cap * sizeof(*nn));

		if (!nn)
			return -1;
		t->names = nn;
		t->cap_names = cap;
	}
	t->names[t->nr_names] = strndup(s, n);
	if (!t->names[t->nr_names])
		return -1;
	t->name_hash[slot] = ++t->nr_names;
	return t->nr_names - 1;
}

#define GROW(arr, cap) do {					\
		void *p_ = realloc(arr, (cap) * sizeof(*(arr)));	\
		if (!p_)						\
			return -1;					\
		arr = p_;						\
	} while (0)

static int grow_nodes(struct ftree *t)
{
	uint32_t cap = t->cap_nodes ? t->cap_nodes * 2 : 1024;

	GROW(t->name, cap);
	GROW(t->parent, cap);
	GROW(t->first_child, cap);
	GROW(t->next_sibling, cap);
	GROW(t->depth, cap);
	GROW(t->total, cap);
	GROW(t->total_b, cap);
	t->cap_nodes = cap;
	return 0;
}

static int grow_child_hash(struct ftree *t)
{
	uint32_t size = t->child_hash_size ? t->child_hash_size * 2 : 2048;
	uint32_t *nh = calloc(size, sizeof(*nh));

	if (!nh)
		return -1;
	for (uint32_t id = 1; id < t->nr_nodes; id++) {
		uint64_t h = hash_pair(t->parent[id], t->name[id]);

		for (uint32_t s = h & (size - 1);; s = (s + 1) & (size - 1))
			if (!nh[s]) {
				nh[s] = id + 1;
				break;
			}
	}
	free(t->child_hash);
	t->child_hash = nh;
	t->child_hash_size = size;
	return 0;
}

static int64_t new_node(struct ftree *t, uint32_t parent, uint32_t name)
{
	uint32_t id;

	if (t->nr_nodes == t->cap_nodes && grow_nodes(t))
		return -1;
	id = t->nr_nodes++;
	t->name[id] = name;
	t->parent[id] = parent;
	t->first_child[id] = UINT32_MAX;
	t->next_sibling[id] = UINT32_MAX;
	t->depth[id] = id ? t->depth[parent] + 1 : 0;
	t->total[id] = 0;
	t->total_b[id] = 0;
	if (id) {
		t->next_sibling[id] = t->first_child[parent];
		t->first_child[parent] = id;
	}
	return id;
}

static int64_t child_of(struct ftree *t, uint32_t parent, uint32_t name)
{
	uint64_t h = hash_pair(parent, name);
	uint32_t slot;
	int64_t id;

	if ((t->nr_nodes + 1) * 2 > t->child_hash_size && grow_child_hash(t))
		return -1;
	for (slot = h & (t->child_hash_size - 1);; slot = (slot + 1) & (t->child_hash_size - 1)) {
		uint32_t c = t->child_hash[slot];

		if (!c)
			break;
		if (t->parent[c - 1] == parent && t->name[c - 1] == name)
			return c - 1;
	}
	id = new_node(t, parent, name);
	if (id >= 0)
		t->child_hash[slot] = (uint32_t)id + 1;
	return id;
}

/* One folded line: frames separated by ';', a space, the count. */
static int add_line(struct ftree *t, const char *line, size_t n)
{
	const char *sp = NULL, *p, *end;
	uint64_t count = 0;
	uint32_t node = 0;

	for (size_t i = n; i > 0; i--)
		if (line[i - 1] == ' ') {
			sp = line + i - 1;
			break;
		}
	if (!sp || sp == line)
		return 0;
	for (p = sp + 1; p < line + n; p++) {
		if (*p < '0' || *p > '9')
			return 0;   /* not a folded line: skip it */
		count = count * 10 + (uint64_t)(*p - '0');
	}
	/* the arrays move when the tree grows: index them afresh */
	(t->before_side ? t->total_b : t->total)[0] += count;
	for (p = line; p < sp; p = end + 1) {
		int64_t name, child;

		end = memchr(p, ';', (size_t)(sp - p));
		if (!end)
			end = sp;
		name = intern(t, p, (size_t)(end - p));
		if (name < 0)
			return -ENOMEM;
		child = child_of(t, node, (uint32_t)name);
		if (child < 0)
			return -ENOMEM;
		node = (uint32_t)child;
		(t->before_side ? t->total_b : t->total)[node] += count;
		if (end == sp)
			break;
	}
	return 0;
}

static const struct ftree *sort_tree;

static int by_name(const void *a, const void *b)
{
	const struct ftree *t = sort_tree;

	return strcmp(t->names[t->name[*(const uint32_t *)a]], t->names[t->name[*(const uint32_t *)b]]);
}

/* Children in name order, like flamegraph.pl, so a frame keeps its place
 * between two profiles of the same program. */
static int sort_children(struct ftree *t)
{
	uint32_t *kids = malloc(sizeof(*kids) * (t->nr_nodes + 1));

	if (!kids)
		return -ENOMEM;
	sort_tree = t;
	for (uint32_t id = 0; id < t->nr_nodes; id++) {
		uint32_t n = 0;

		for (uint32_t c = t->first_child[id]; c != UINT32_MAX; c = t->next_sibling[c])
			kids[n++] = c;
		if (n < 2)
			continue;
		qsort(kids, n, sizeof(*kids), by_name);
		t->first_child[id] = kids[0];
		for (uint32_t i = 0; i + 1 < n; i++)
			t->next_sibling[kids[i]] = kids[i + 1];
		t->next_sibling[kids[n - 1]] = UINT32_MAX;
	}
	free(kids);
	return 0;
}

static void emit_names(const struct ftree *t, struct strbuf *sb)
{
	json_t *arr = json_array();
	char *text;

	for (uint32_t i = 0; i < t->nr_names; i++) {
		json_t *s = json_string(t->names[i]);

		if (!s) {
			/* not UTF-8 (a raw symbol): keep its ASCII, mark the rest */
			char *copy = strdup(t->names[i]);

			for (char *c = copy; c && *c; c++)
				if ((unsigned char)*c >= 0x80)
					*c = '?';
			s = json_string(copy ? copy : "?");
			free(copy);
		}
		json_array_append_new(arr, s);
	}
	text = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
	sb_append(sb, text ? text : "[]");
	free(text);
	json_decref(arr);
}

/* A node's share of one side's total, in parts per million. */
static double ppm(uint64_t v, uint64_t total)
{
	return total ? 1e6 * (double)v / (double)total : 0;
}

/* The value of node id under key k: name, depth, count; in a differential
 * tree the width is the mean of the two shares (so a vanished path keeps
 * half its old width), then BEFORE's and AFTER's shares. */
static void emit_value(const struct ftree *t, struct strbuf *sb, size_t k, uint32_t id,
		       bool first)
{
	double b = ppm(t->total_b[id], t->total_b[0]), a = ppm(t->total[id], t->total[0]);
	const char *sep = first ? "" : ",";

	if (k == 0)
		sb_printf(sb, "%s%u", sep, t->name[id]);
	else if (k == 1)
		sb_printf(sb, "%s%u", sep, t->depth[id]);
	else if (k == 2 && !t->diff)
		sb_printf(sb, "%s%llu", sep, (unsigned long long)t->total[id]);
	else
		sb_printf(sb, "%s%.0f", sep, k == 2 ? round((a + b) / 2) : k == 3 ? round(b) : round(a));
}

/* Pre-order walk with an explicit stack: the order the page expects. */
static int emit_nodes(const struct ftree *t, struct strbuf *sb)
{
	uint32_t *order = malloc(sizeof(*order) * t->nr_nodes), *stack;
	uint32_t n = 0, top = 0;
	static const char *const keys[] = { "n", "d", "v", "b", "a" };
	size_t nr_keys = t->diff ? 5 : 3;

	stack = malloc(sizeof(*stack) * (t->nr_nodes + 1));
	if (!order || !stack) {
		free(order);
		free(stack);
		return -ENOMEM;
	}
	stack[top++] = 0;
	while (top) {
		uint32_t id = stack[--top], nk = 0, first = top;

		order[n++] = id;
		for (uint32_t c = t->first_child[id]; c != UINT32_MAX; c = t->next_sibling[c])
			stack[top++] = c, nk++;
		/* reverse, so the first child is popped first */
		for (uint32_t i = 0; i < nk / 2; i++) {
			uint32_t tmp = stack[first + i];

			stack[first + i] = stack[top - 1 - i];
			stack[top - 1 - i] = tmp;
		}
	}
	for (size_t k = 0; k < nr_keys; k++) {
		sb_printf(sb, ",\"%s\":[", keys[k]);
		for (uint32_t i = 0; i < n; i++)
			emit_value(t, sb, k, order[i], i == 0);
		sb_append(sb, "]");
	}
	free(order);
	free(stack);
	return 0;
}

static void ftree_free(struct ftree *t)
{
	for (uint32_t i = 0; i < t->nr_names; i++)
		free(t->names[i]);
	free(t->names);
	free(t->name_hash);
	free(t->name);
	free(t->parent);
	free(t->first_child);
	free(t->next_sibling);
	free(t->depth);
	free(t->total);
	free(t->total_b);
	free(t->child_hash);
}

static int add_text(struct ftree *t, const char *folded, size_t len)
{
	const char *p = folded, *end = folded + len;
	int err = 0;

	while (!err && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n && p[n - 1] == '\r')
			n--;
		err = add_line(t, p, n);
		p += n + 1;
		if (nl)
			p = nl + 1;
	}
	return err;
}

static int flame_build(const char *before, size_t before_len, const char *after,
		       size_t after_len, struct strbuf *sb, size_t *nr_nodes)
{
	struct ftree t = { 0 };
	int64_t root;
	int err = 0;

	root = intern(&t, "all", 3);
	if (root < 0 || new_node(&t, 0, (uint32_t)root) < 0)
		err = -ENOMEM;
	t.diff = before != NULL;
	if (!err && before) {
		t.before_side = true;
		err = add_text(&t, before, before_len);
		t.before_side = false;
	}
	if (!err)
		err = add_text(&t, after, after_len);
	if (!err)
		err = sort_children(&t);
	if (!err) {
		sb_append(sb, "{\"names\":");
		emit_names(&t, sb);
		err = emit_nodes(&t, sb);
		sb_append(sb, "}");
	}
	if (nr_nodes)
		*nr_nodes = t.nr_nodes;
	ftree_free(&t);
	return err ? err : (sb->oom ? -ENOMEM : 0);
}

int flame_table_json(const char *folded, size_t len, struct strbuf *sb, size_t *nr_nodes)
{
	return flame_build(NULL, 0, folded, len, sb, nr_nodes);
}

int flame_diff_table_json(const char *before, size_t before_len, const char *after,
			  size_t after_len, struct strbuf *sb, size_t *nr_nodes)
{
	return flame_build(before ? before : "", before ? before_len : 0, after, after_len, sb,
			   nr_nodes);
}
