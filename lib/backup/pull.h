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

#endif
