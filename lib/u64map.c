/* u64map.c: the open-addressing map of u64map.h (linear probing, grown at
 * half full). */
#include "lib/u64map.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct u64map *m, uint64_t k1, uint64_t k2)
{
	size_t mask = m->cap - 1, i = hash_u64(k1 ^ hash_u64(k2)) & mask;

	while (m->slots[i].val && (m->slots[i].k1 != k1 || m->slots[i].k2 != k2))
		i = (i + 1) & mask;
	return i;
}

void *u64map_get(const struct u64map *m, uint64_t k1, uint64_t k2)
{
	if (!m->cap)
		return NULL;
	return m->slots[slot_of(m, k1, k2)].val;
}

/* A large calloc maps the shared zero page: a probe's read maps it and
 * the first write to each page faults again, with a TLB flush (half the
 * time of a 100k-stack flame graph on this VM). Writing one byte a page
 * first faults each page once. (A malloc + memset would be folded back
 * into calloc by the compiler.) */
static void prefault(void *p, size_t bytes)
{
	volatile char *c = p;

	for (size_t off = 0; off < bytes; off += 4096)
		c[off] = 0;
}

static int grow(struct u64map *m)
{
	struct u64map old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	prefault(m->slots, m->cap * sizeof(*m->slots));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].val) {
			m->slots[slot_of(m, old.slots[i].k1, old.slots[i].k2)] = old.slots[i];
			m->n++;
		}
	free(old.slots);
	return 0;
}

int u64map_put(struct u64map *m, uint64_t k1, uint64_t k2, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	i = slot_of(m, k1, k2);
	if (!m->slots[i].val)
		m->n++;
	m->slots[i].k1 = k1;
	m->slots[i].k2 = k2;
	m->slots[i].val = val;
	return 0;
}

static size_t home_of(const struct u64map *m, const struct u64map_slot *s)
{
	return hash_u64(s->k1 ^ hash_u64(s->k2)) & (m->cap - 1);
}

/* Linear probing without tombstones: after emptying a slot, later
 * entries of the same run move back into it when their home slot allows. */
void *u64map_del(struct u64map *m, uint64_t k1, uint64_t k2)
{
	size_t mask, i, j;
	void *val;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	i = slot_of(m, k1, k2);
	if (!(val = m->slots[i].val))
		return NULL;
	m->slots[i].val = NULL;
	m->n--;
	for (j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		size_t home = home_of(m, &m->slots[j]);
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);

		if (stays)
			continue;
		m->slots[i] = m->slots[j];
		m->slots[j].val = NULL;
		i = j;
	}
	return val;
}

void u64map_free(struct u64map *m, void (*free_val)(void *))
{
	for (size_t i = 0; free_val && i < m->cap; i++)
		if (m->slots[i].val)
			free_val(m->slots[i].val);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
