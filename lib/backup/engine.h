/*
 * The backup engine: push a stream into a repository as a new snapshot,
 * pull a snapshot back out, verify snapshots.  Threads: push reads on a
 * reader, chunks on the caller's thread, hashes and compresses on two
 * workers, orders, seals and packs on a writer, stores packs on an uploader;
 * pull fetches on the caller's thread, opens blobs on two workers and
 * writes in order on a writer.  Memory is bounded by fixed rings.
 */
#ifndef ANEMONE_ENGINE_H
#define ANEMONE_ENGINE_H

#include <stdint.h>

#include "backup/repo.h"

struct push_stats {
	uint64_t in_bytes;	/* stream bytes read */
	uint64_t chunks;	/* chunks in the stream */
	uint64_t new_chunks;	/* of which new to the repository */
	uint64_t new_raw;	/* their plaintext bytes */
	uint64_t stored;	/* bytes written: packs, index, snapshot */
	uint32_t packs;		/* packs written */
	uint32_t reused_packs;	/* packs of an interrupted push, adopted */
};

typedef void (*push_progress)(const struct push_stats *st, void *arg);

/*
 * Read FD to its end and store it as a new snapshot NAME.  The new id
 * (16 hex) goes to ID.  PROGRESS (may be NULL) is called from the reading
 * thread now and then.  0 or -1 (lasterr); on failure nothing visible
 * changes: what was stored is reused by the next push.
 */
int push_stream(struct repo *r, int fd, const char *name,
    push_progress progress, void *arg, char id[2 * SNAP_ID_LEN + 1],
    struct push_stats *st);

/*
 * Write snapshot S to FD (FD < 0: write nothing, verify only).  Every
 * blob is authenticated and checked against its id before a byte of it
 * is written.  0 or -1 with lasterr naming the object.
 */
int pull_stream(struct repo *r, const struct snapshot *s, int fd);

#endif
