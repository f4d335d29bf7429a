/*
 * Whole files, many at once, on one raw SFTP channel (sftp_proto.h):
 * OPEN, then FSTAT and READs, then CLOSE for each, up to 32 files in
 * flight, so N small files cost about two round trips plus the transfer
 * rather than four round trips each.  For the repository's metadata on a
 * cold cache.
 */
#ifndef ANEMONE_SFTP_MANY_H
#define ANEMONE_SFTP_MANY_H

#include <stddef.h>
#include <stdint.h>

#include "store/sftp_proto.h"

/*
 * Read the files PATHS[0..N) (full paths on the server) over R into
 * malloc'd BUFS[i] of LENS[i] bytes.  NAMES[i] names file i in messages.
 * 0, or -1 with lasterr set and no buffer left; after -1 the channel
 * holds unread replies and must not be used again.
 */
int sftp_many(struct rawsftp *r, const char *const *paths,
    const char *const *names, size_t n, uint8_t **bufs, size_t *lens);

#endif
