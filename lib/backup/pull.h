/*
 * Pull: write a snapshot back out, or verify it.  The caller's thread
 * plans ranged reads in stream order, four workers fetch and open them, a
 * writer writes them in order; memory is bounded by a fixed ring.
 */
#ifndef ANEMONE_PULL_H
#define ANEMONE_PULL_H

#include "backup/repo.h"

/*
 * Write snapshot S to FD (FD < 0: write nothing, verify only).  Every
 * blob is authenticated and checked against its id before a byte of it
 * is written.  0 or -1 with lasterr naming the object.
 */
int pull_stream(struct repo *r, const struct snapshot *s, int fd);

/* Stream bytes [off, off + len). */
struct pull_range {
	uint64_t off, len;
};
/* Called from the writing thread after each write. */
typedef void (*pull_progress)(uint64_t written, void *arg);

/*
 * Write the N ranges V of snapshot S's stream (sorted, not overlapping;
 * V NULL: the whole stream) to FD, fetching only the chunks that hold
 * them.  PROGRESS may be NULL.  0 or -1 (lasterr).
 */
int pull_ranges(struct repo *r, const struct snapshot *s,
    const struct pull_range *v, size_t n, int fd, pull_progress progress,
    void *arg);

/* Snapshot S's catalogue plaintext into *BUF (malloc'd, *LEN bytes). */
int pull_catalog(struct repo *r, const struct snapshot *s, uint8_t **buf,
    size_t *len);

#endif
