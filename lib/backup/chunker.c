/* FastCDC-style chunker with a keyed gear table (docs/FORMAT.md). */
#include <string.h>

#include <sodium.h>

#include "backup/chunker.h"

#define MASK_S_BITS 18
#define MASK_L_BITS 14

void
chunker_init(struct chunker *c, const uint8_t seed[32])
{
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = "gearseed";
	uint8_t ks[256 * 8 + 256];
	uint8_t used[64] = { 0 };
	size_t i, k = 256 * 8;
	int bits = 0;

	crypto_stream_chacha20(ks, sizeof(ks), nonce, seed);
	for (i = 0; i < 256; i++)
		memcpy(&c->gear[i], ks + 8 * i, 8);
	/* Key-chosen distinct bit positions among the top 48 bits of h. */
	c->mask_s = c->mask_l = 0;
	while (bits < MASK_S_BITS && k < sizeof(ks)) {
		unsigned pos = 16 + ks[k++] % 48;
		if (used[pos])
			continue;
		used[pos] = 1;
		c->mask_s |= (uint64_t)1 << pos;
		if (bits < MASK_L_BITS)
			c->mask_l |= (uint64_t)1 << pos;
		bits++;
	}
	/* 256 bytes of keystream all but never fail to give 18 of 48 */
	for (i = 63; bits < MASK_S_BITS; i--) {
		if (used[i])
			continue;
		used[i] = 1;
		c->mask_s |= (uint64_t)1 << i;
		bits++;
	}
	sodium_memzero(ks, sizeof(ks));
}

size_t
chunker_next(const struct chunker *c, const uint8_t *p, size_t n, int eof)
{
	const uint64_t *gear = c->gear;
	const uint64_t ms = c->mask_s, ml = c->mask_l;
	uint64_t h = 0;
	size_t i, avg, max;

	if (n <= CHUNK_MIN)
		return n;
	max = n < CHUNK_MAX ? n : CHUNK_MAX;
	avg = max < CHUNK_AVG ? max : CHUNK_AVG;
	/* warm the 64-byte window up so the first test sees a full one */
	for (i = CHUNK_MIN - 64; i < CHUNK_MIN; i++)
		h = (h << 1) + gear[p[i]];
	for (; i < avg; i++) {
		h = (h << 1) + gear[p[i]];
		if (!(h & ms))
			return i + 1;
	}
	for (; i < max; i++) {
		h = (h << 1) + gear[p[i]];
		if (!(h & ml))
			return i + 1;
	}
	(void)eof;
	return max;
}
