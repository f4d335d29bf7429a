/*
 * One upload rate cap for the whole process: a token bucket that every
 * sender of every store takes from before it sends, so the cap holds
 * across all connections and repositories of a push together.
 */
#ifndef ANEMONE_STORE_RATE_H
#define ANEMONE_STORE_RATE_H

#include <stddef.h>
#include <stdint.h>

#define RATE_MIN	1024u	/* bytes per second */

/* Cap uploads at BPS bytes per second (0: no cap).  Call before any
 * store is opened. */
void store_rate_set(uint64_t bps);

/* The largest piece a sender should take at once (SIZE when uncapped),
 * so that no single wait is long and the flow stays even. */
size_t store_rate_piece(size_t size);

/* Wait until N more bytes may be sent. */
void store_rate_take(size_t n);

#endif
