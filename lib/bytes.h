/*
 * Fixed-width integers to and from bytes, named as BSD's <sys/endian.h>:
 * the repository formats are little-endian, the SFTP protocol big-endian.
 */
#ifndef ANEMONE_BYTES_H
#define ANEMONE_BYTES_H

#include <stdint.h>

static inline void
le32enc(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
le32dec(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
le64enc(uint8_t *p, uint64_t v)
{
	le32enc(p, (uint32_t)v);
	le32enc(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t
le64dec(const uint8_t *p)
{
	return (uint64_t)le32dec(p) | (uint64_t)le32dec(p + 4) << 32;
}

static inline void
be32enc(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t
be32dec(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

#endif
