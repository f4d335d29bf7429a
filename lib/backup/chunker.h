/*
 * Content-defined chunking: a FastCDC-style gear hash whose table and
 * masks come from a per-repository secret (docs/FORMAT.md, "Chunking").
 */
#ifndef ANEMONE_CHUNKER_H
#define ANEMONE_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#define CHUNK_MIN	(16u * 1024)
#define CHUNK_AVG	(64u * 1024)
#define CHUNK_MAX	(256u * 1024)

struct chunker {
	uint64_t gear[256];
	uint64_t mask_s;	/* before CHUNK_AVG: more bits, fewer cuts */
	uint64_t mask_l;	/* after it: fewer bits */
};

/* Derive the gear table and masks from a 32-byte SEED. */
void chunker_init(struct chunker *c, const uint8_t seed[32]);

/*
 * Length of the chunk that starts at P, given N bytes there.  The caller
 * passes at least CHUNK_MAX bytes unless the stream ends (EOF set), so
 * the answer is always final: 1..min(N, CHUNK_MAX), or 0 when N is 0.
 */
size_t chunker_next(const struct chunker *c, const uint8_t *p, size_t n,
    int eof);

#endif
