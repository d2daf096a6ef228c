/* u64map.h: an open-addressing hash map from a pair of u64 to a pointer,
 * for the symbolizer's caches (address -> folded frame text) and the stack
 * folder, the unwinder's pending samples. */
#ifndef FRIDAY_U64MAP_H
#define FRIDAY_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t k1, k2;
	void *val;          /* NULL marks an empty slot: values must not be NULL */
};

struct u64map {
	struct u64map_slot *slots;
	size_t cap, n;      /* cap is a power of two */
};

void *u64map_get(const struct u64map *m, uint64_t k1, uint64_t k2);
/* Inserts or replaces; 0 or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t k1, uint64_t k2, void *val);
/* Removes a key; its value (for the caller to free), or NULL. */
void *u64map_del(struct u64map *m, uint64_t k1, uint64_t k2);
/* Frees the table; with free_val, also every value. */
void u64map_free(struct u64map *m, void (*free_val)(void *));

static inline uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* FNV-1a over bytes, for string keys. */
static inline uint64_t hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

#endif
