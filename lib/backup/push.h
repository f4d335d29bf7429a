/*
 * Push: read a stream to its end and store it in a repository as a new
 * snapshot.  Threads: a reader fills buffers, the caller's thread cuts
 * chunks, two workers hash and compress, a writer orders, seals and
 * packs, two uploaders store packs (push_impl.h has the plan).  Memory is
 * bounded by a fixed ring.
 */
#ifndef ANEMONE_PUSH_H
#define ANEMONE_PUSH_H

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
 * Called once the stream has ended and everything the snapshot uses is
 * stored, just before its record is written: -1 (lasterr set) refuses
 * the snapshot, for instance because the stream's producer failed.
 */
typedef int (*push_gate)(void *arg);

/*
 * Read FD to its end and store it as a new snapshot NAME.  The new id
 * (16 hex) goes to ID.  PROGRESS (may be NULL) is called from the chunking
 * thread now and then, GATE (may be NULL) before the record is written;
 * both get ARG.  0 or -1 (lasterr); on failure nothing visible changes:
 * what was stored is reused by the next push.
 */
int push_stream(struct repo *r, int fd, const char *name,
    push_progress progress, push_gate gate, void *arg,
    char id[2 * SNAP_ID_LEN + 1], struct push_stats *st);

/*
 * The same, the record taking id AS_ID and time AS_TIME (ns) when AS_ID
 * is not NULL (another id only if that one is taken): a copy (copy.h).
 */
int push_stream_as(struct repo *r, int fd, const char *name,
    const uint8_t as_id[SNAP_ID_LEN], uint64_t as_time, push_gate gate,
    void *arg, char id[2 * SNAP_ID_LEN + 1], struct push_stats *st,
    push_progress progress);

/*
 * One stream to several repositories of one key (push_fan.c): read, cut,
 * hash and compress once; each repository gets the chunks it lacks,
 * sealed for it, and its own snapshot record.  A repository that fails
 * (away, full, cut) or whose queue stays full for SLOW seconds (a slow
 * friend: abandoned, so that memory stays bounded and the others go on)
 * drops out alone; what it stored is reused by its next push.
 */
#define FAN_MAX	8

struct push_result {
	int ok;				/* the snapshot is stored there */
	char id[2 * SNAP_ID_LEN + 1];
	char err[1024];			/* why not, when !ok */
	struct push_stats st;
};

/* RES[i] for R[i]; the number of repositories that got the snapshot, or
 * -1 (lasterr) when none could (the stream itself failed).  PROGRESS and
 * GATE as for push_stream(), GATE called once before the first record. */
int push_fan(struct repo **r, int n, int fd, const char *name, double slow,
    push_progress progress, push_gate gate, void *arg,
    struct push_result *res);

#endif
