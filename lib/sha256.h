/* sha256.h: SHA-256 for the archive manifest (FIPS 180-4). */
#ifndef FRIDAY_SHA256_H
#define FRIDAY_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t state[8];
	uint64_t nr_bytes;
	uint8_t block[64];
	size_t block_len;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* Hex digest of a buffer into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
