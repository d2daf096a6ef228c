/* stackfold.c: aggregation and rendering of folded stacks (stackfold.h). */
#include "lib/stackfold.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

int fold_add(struct fold_table *t, const char *stack, size_t len, uint64_t value)
{
	uint64_t h = hash_bytes(stack, len);
	struct fold_entry *head = u64map_get(&t->by_hash, h, 0), *e;

	for (e = head; e; e = e->next)
		if (e->len == len && !memcmp(e->stack, stack, len)) {
			e->value += value;
			t->total += value;
			return 0;
		}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->stack = malloc(len + 1))) {
		free(e);
		return -ENOMEM;
	}
	memcpy(e->stack, stack, len);
	e->stack[len] = '\0';
	e->len = len;
	e->value = value;
	e->next = head;
	if (u64map_put(&t->by_hash, h, 0, e)) {
		free(e->stack);
		free(e);
		return -ENOMEM;
	}
	t->nr_stacks++;
	t->total += value;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fold_entry *x = *(const struct fold_entry *const *)a;
	const struct fold_entry *y = *(const struct fold_entry *const *)b;

	return strcmp(x->stack, y->stack);
}

char *fold_render(struct fold_table *t, size_t *len)
{
	struct fold_entry **v = malloc((t->nr_stacks ? t->nr_stacks : 1) * sizeof(*v));
	struct strbuf sb = { 0 };
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->by_hash.cap; i++)
		for (struct fold_entry *e = t->by_hash.slots[i].val; e; e = e->next)
			v[n++] = e;
	qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		sb_appendn(&sb, v[i]->stack, v[i]->len);
		sb_printf(&sb, " %llu\n", (unsigned long long)v[i]->value);
	}
	free(v);
	if (!sb.len)
		sb_append(&sb, "");
	return sb_take(&sb, len);
}

static void entry_chain_free(void *p)
{
	struct fold_entry *e = p, *next;

	for (; e; e = next) {
		next = e->next;
		free(e->stack);
		free(e);
	}
}

void fold_free(struct fold_table *t)
{
	u64map_free(&t->by_hash, entry_chain_free);
	t->nr_stacks = 0;
	t->total = 0;
}

void fold_append_frame(struct strbuf *sb, const char *text, bool one_frame)
{
	size_t start;

	if (sb->len)
		sb_append(sb, ";");
	start = sb->len;
	sb_append(sb, text);
	for (size_t i = start; !sb->oom && i < sb->len; i++)
		if ((unsigned char)sb->buf[i] < ' ' || (one_frame && sb->buf[i] == ';'))
			sb->buf[i] = '_';
}

bool fold_parse_line(const char *line, size_t len, size_t *stack_len, uint64_t *value)
{
	size_t i = len;
	uint64_t v = 0;

	while (i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\r'))
		i--;
	len = i;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == len || i == 0 || line[i - 1] != ' ')
		return false;
	for (size_t j = i; j < len; j++)
		v = v * 10 + (uint64_t)(line[j] - '0');
	*value = v;
	*stack_len = i - 1;
	return *stack_len > 0;
}
