/*
 * Inside a push (push.h): stream -> chunks -> (hash, dedup, compress,
 * seal) -> packs -> index -> snapshot record, in that order of
 * durability.  One file per stage:
 *
 *   push_read.c      a reader thread fills the ring's jobs with the
 *                    stream; the caller's thread cuts each into chunks
 *   push_work.c      NWORKERS workers take jobs in order (hash, claim new
 *                    chunks in the index, compress), finish in any order
 *   push_pack.c      the writer takes them strictly in stream order (chunk
 *                    lists need it), seals segments into the open pack,
 *                    builds the chunk lists, hands full packs on
 *   push_upload.c    NUPL uploaders, each storing one pack at a time so
 *                    that puts overlap (the store keeps a connection per
 *                    concurrent caller); a pack enters the index only once
 *                    its put has completed; at most NUPL + 1 packs are held
 *   push_index.c     the index being collected and the index files
 *   push_snapshot.c  the snapshot record, written last
 *   push_stream.c    setup, the threads' start and end, teardown
 *   push_fan.c       one stream to several repositories (push.h)
 *
 * Threads share one mutex, MU; the ring of jobs (ring.h) uses it too.
 */
#ifndef ANEMONE_PUSH_IMPL_H
#define ANEMONE_PUSH_IMPL_H

#include <pthread.h>

#include "backup/push.h"
#include "backup/ring.h"
#include "backup/tarscan.h"

#define RING		6
#define NWORKERS	2
#define NUPL		2	/* packs being stored at once */
#define JOB_CHUNKS	(SEG_MAX / CHUNK_MIN + 1)
#define RESERVE		CHUNK_MAX		/* room for the previous job's tail */
#define READ_SIZE	(SEG_MAX - CHUNK_MAX)	/* read ahead into each job */
#define PACK_MAX_ENTRIES 16384
#define ZBOUND		(SEG_MAX + SEG_MAX / 128 + 1024)	/* >= ZSTD_compressBound */
#define PACKBUF		(PACK_TARGET + ZBOUND + SEAL_OVERHEAD + 8 + \
			 PACK_MAX_ENTRIES * ENTRY_LEN + SEAL_OVERHEAD + PACK_TRAILER)

/*
 * A job: up to SEG_MAX bytes of consecutive chunks.  The worker hashes
 * them, claims the new ones in the index, moves the new ones to the front
 * of DATA (the segment plaintext, SEG bytes) and compresses it into OUT
 * when that pays.  The writer seals the segment into the pack.
 */
struct job {
	uint32_t n;		/* chunks */
	uint32_t lens[JOB_CHUNKS];
	uint8_t ids[JOB_CHUNKS][BLOB_ID_LEN];
	uint8_t isnew[JOB_CHUNKS];
	size_t seg;		/* plaintext bytes of new chunks */
	size_t outlen;		/* compressed length, 0 = stored raw */
	uint8_t *buf;		/* RESERVE + READ_SIZE */
	size_t rlen;		/* bytes read into buf + RESERVE */
	int reof;		/* the stream ended in this read */
	uint8_t *data;		/* start of the job's bytes, in buf */
	uint8_t *out;		/* ZBOUND */
	uint64_t seq;		/* its place in the stream, in jobs */
};

struct pack {
	uint8_t *buf;
	size_t len;
	uint8_t name[PACK_NAME_LEN];
	struct blob_entry *ents;	/* PACK_MAX_ENTRIES */
	size_t n;
};

struct upl_arg {
	struct push *p;
	int k;		/* slot */
};

struct push {
	struct repo *r;
	int fd;
	/* the record's id and time when given (push_fan, copies), else 0 */
	uint8_t as_id[SNAP_ID_LEN];
	uint64_t as_time;	/* ns; 0: none given */
	pthread_mutex_t mu;
	pthread_cond_t cv_chunk, cv_upl;
	struct ring ring;	/* of jobs */
	struct job jobs[RING];
	uint64_t next_read;	/* jobs read; ring.put: jobs chunked */
	int failed;
	char err[1024];

	/* writer */
	struct pack cur;
	uint8_t *hdr;		/* header plaintext scratch */
	uint8_t *list;		/* list being built */
	uint32_t nlist;
	struct list_ref *lists;
	size_t nlists, caplists;

	/* uploaders: slot i belongs to uploader i */
	struct pack up[NUPL];	/* valid when up_full[i] */
	int up_full[NUPL], up_stop;
	uint8_t *ix;		/* index plaintext being collected (mu) */
	size_t ixlen, ixcap;
	uint32_t ixpacks;

	/* the catalogue (push_catalog.c) */
	pthread_cond_t cv_cat;
	uint64_t cat_seq;	/* jobs handed to the scan */
	uint64_t cat_released;	/* jobs the scan holds no more */
	int cat_eof, cat_off;	/* the scan has ended: workers go on */
	struct cat_buf cat;
	struct tar_result tar;
	struct list_ref *cat_lists;
	size_t ncat_lists;
	uint64_t cat_chunks;

	/* threads */
	pthread_t worker_t[NWORKERS], writer_t, upl_t[NUPL], reader_t, cat_t;
	struct upl_arg ua[NUPL];
	int nworkers, have_writer, nupl, have_reader, have_cat;

	struct push_stats st;
};

/* push_stream.c: a push with its lock, ring and buffers, or NULL
 * (lasterr); and its end. */
struct push *push_new(struct repo *r, int fd);
void push_free(struct push *p);
/*
 * Start a push's threads: WORKER (NWORKERS of them, none when NULL) and
 * WRITER with ARG, then with PUSH_UPLOAD the uploaders, with PUSH_READ
 * the reader; 0 when all run (push_join() joins what started either
 * way).  push_join(): wait for them in the order the data flows.
 */
#define PUSH_READ	1
#define PUSH_UPLOAD	2
int push_start(struct push *p, void *(*worker)(void *),
    void *(*writer)(void *), void *arg, int stages);
void push_join(struct push *p);
/* Record the failure (mutex held) and wake everyone. */
void push_set_failed(struct push *p);
/* The same, taking the mutex. */
void push_fail(struct push *p);

/* push_read.c */
void *push_reader(void *arg);
int push_chunk(struct push *p, push_progress progress, void *arg);

/* push_work.c */
void *push_worker(void *arg);
/* Hash, claim and compress job J's chunks. */
int push_work_job(struct push *p, struct job *j, void *zc);

/* push_pack.c */
void *push_writer(void *arg);
/* Pack job J (E: JOB_CHUNKS scratch entries); close the list being built. */
int push_write_job(struct push *p, struct job *j, struct blob_entry *e);
int push_emit_list(struct push *p);

/* push_catalog.c */
void *push_cataloguer(void *arg);
/* Wait (mutex held) until the scan is past job J. */
void push_cat_wait(struct push *p, const struct job *j);
/* The writer, after the stream: store the catalogue (if any). */
int push_store_catalog(struct push *p, struct blob_entry *e);

/* push_upload.c */
void *push_uploader(void *arg);

/* push_index.c */
int push_ix_add_pack(struct push *p, const uint8_t name[PACK_NAME_LEN],
    const struct blob_entry *e, size_t n);
int push_ix_write_buf(struct push *p, uint8_t *ix, size_t len,
    uint32_t npacks);
int push_ix_write(struct push *p);
int push_adopt_orphans(struct push *p, const uint32_t *orph, size_t n);

/* push_snapshot.c */
int push_write_snapshot(struct push *p, const char *name,
    char idhex[2 * SNAP_ID_LEN + 1]);

#endif
