/*
 * push: stream -> chunks -> (hash, dedup, compress, seal) -> packs ->
 * index -> snapshot record, in that order of durability.
 *
 * Threads share one mutex.  A reader fills a ring of RING jobs with the
 * stream; the caller's thread cuts each into chunks; two workers take
 * jobs in order of arrival (hash, claim new chunks, compress), finish in
 * any order; the writer consumes them strictly in stream order (chunk
 * lists need it), seals segments into the open pack and hands full packs
 * to NUPL uploaders, each storing one pack at a time, so that puts overlap
 * (the store keeps a connection per concurrent caller).  An uploader adds
 * a pack to the index only once its put has completed; at most NUPL + 1
 * packs are buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "backup/engine.h"
#include "error.h"

#define RING		6
#define NWORKERS	2
#define NUPL		2	/* packs being stored at once */
#define JOB_CHUNKS	(SEG_MAX / CHUNK_MIN + 1)
#define RESERVE		CHUNK_MAX		/* room for the previous job's tail */
#define READ_SIZE	(SEG_MAX - CHUNK_MAX)	/* read ahead into each job */
#define PACK_MAX_ENTRIES 16384
#define ZLEVEL		3
#define INDEX_EVERY	128	/* packs per intermediate index file */
#define ZBOUND		(SEG_MAX + SEG_MAX / 128 + 1024)	/* >= ZSTD_compressBound */
#define PACKBUF		(PACK_TARGET + ZBOUND + SEAL_OVERHEAD + 8 + \
			 PACK_MAX_ENTRIES * ENTRY_LEN + SEAL_OVERHEAD + PACK_TRAILER)

enum { J_FREE, J_READ, J_FILLED, J_BUSY, J_DONE };

/*
 * A job: up to SEG_MAX bytes of consecutive chunks.  The worker hashes
 * them, claims the new ones in the index, moves the new ones to the front
 * of DATA (the segment plaintext, SEG bytes) and compresses it into OUT
 * when that pays.  The writer seals the segment into the pack.
 */
struct job {
	int state;
	size_t len;		/* bytes in DATA */
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
};

struct pack {
	uint8_t *buf;
	size_t len;
	uint8_t name[PACK_NAME_LEN];
	struct blob_entry *ents;	/* PACK_MAX_ENTRIES */
	size_t n;
};

struct push {
	struct repo *r;
	pthread_mutex_t mu;
	pthread_cond_t cv_reader, cv_worker, cv_writer, cv_upl;
	struct job ring[RING];
	uint64_t next_read, next_seq, next_work, next_write;
	pthread_cond_t cv_chunk;
	int eof, failed;
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

	struct push_stats st;
};

static void
set_failed(struct push *p)
{
	/* mutex held */
	if (!p->failed) {
		snprintf(p->err, sizeof(p->err), "%s", lasterr());
		p->failed = 1;
	}
	pthread_cond_broadcast(&p->cv_reader);
	pthread_cond_broadcast(&p->cv_chunk);
	pthread_cond_broadcast(&p->cv_worker);
	pthread_cond_broadcast(&p->cv_writer);
	pthread_cond_broadcast(&p->cv_upl);
}

static void
fail_locked(struct push *p)
{
	pthread_mutex_lock(&p->mu);
	set_failed(p);
	pthread_mutex_unlock(&p->mu);
}

/* ---- workers ---- */

static int
work(struct push *p, struct job *j, ZSTD_CCtx *zc)
{
	struct ix_slot *s;
	size_t off = 0, c;
	uint32_t i;
	int isnew;

	for (i = 0; i < j->n; i++) {
		repo_blob_id(p->r, j->data + off, j->lens[i], j->ids[i]);
		off += j->lens[i];
	}
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < j->n; i++) {
		if ((s = repo_insert(p->r, j->ids[i], &isnew)) == NULL) {
			pthread_mutex_unlock(&p->mu);
			return -1;
		}
		j->isnew[i] = (uint8_t)isnew;
	}
	pthread_mutex_unlock(&p->mu);
	/* gather the new chunks at the front: the segment */
	j->seg = 0;
	for (i = 0, off = 0; i < j->n; off += j->lens[i], i++) {
		if (!j->isnew[i])
			continue;
		if (j->seg != off)
			memmove(j->data + j->seg, j->data + off, j->lens[i]);
		j->seg += j->lens[i];
	}
	j->outlen = 0;
	if (j->seg == 0)
		return 0;
	c = ZSTD_compressCCtx(zc, j->out, ZBOUND, j->data, j->seg, ZLEVEL);
	if (!ZSTD_isError(c) && c < j->seg - j->seg / 32)
		j->outlen = c;
	return 0;
}

static void *
worker(void *arg)
{
	struct push *p = arg;
	struct job *j;
	ZSTD_CCtx *zc;

	zc = ZSTD_createCCtx();
	pthread_mutex_lock(&p->mu);
	if (zc == NULL) {
		fail("out of memory");
		set_failed(p);
	}
	for (;;) {
		while (!p->failed && p->next_work == p->next_seq && !p->eof)
			pthread_cond_wait(&p->cv_worker, &p->mu);
		if (p->failed || p->next_work == p->next_seq)
			break;
		j = &p->ring[p->next_work++ % RING];
		j->state = J_BUSY;
		pthread_mutex_unlock(&p->mu);
		if (work(p, j, zc) < 0) {
			fail_locked(p);
			pthread_mutex_lock(&p->mu);
			break;
		}
		pthread_mutex_lock(&p->mu);
		j->state = J_DONE;
		pthread_cond_signal(&p->cv_writer);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeCCtx(zc);
	return NULL;
}

/* ---- writer ---- */

/* Hand the open pack to an uploader (waiting for one to be idle). */
static int
flush_pack(struct push *p)
{
	struct pack *c = &p->cur, t;
	uint8_t ad[1 + REPO_ID_LEN + PACK_NAME_LEN];
	size_t hlen, i;
	int k;

	if (c->n == 0)
		return 0;
	memcpy(p->hdr, "ANPH", 4);
	le32enc(p->hdr + 4, (uint32_t)c->n);
	for (i = 0; i < c->n; i++)
		entry_put(p->hdr + 8 + i * ENTRY_LEN, &c->ents[i]);
	hlen = 8 + c->n * ENTRY_LEN;
	ad[0] = 'P';
	memcpy(ad + 1, p->r->repo_id, REPO_ID_LEN);
	memcpy(ad + 1 + REPO_ID_LEN, c->name, PACK_NAME_LEN);
	repo_seal(p->r, ad, sizeof(ad), p->hdr, hlen, c->buf + c->len);
	c->len += hlen + SEAL_OVERHEAD;
	le32enc(c->buf + c->len, (uint32_t)(hlen + SEAL_OVERHEAD));
	memcpy(c->buf + c->len + 4, "ANP1", 4);
	c->len += PACK_TRAILER;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (k = 0; k < NUPL && p->up_full[k]; k++)
			;
		if (k < NUPL || p->failed)
			break;
		pthread_cond_wait(&p->cv_upl, &p->mu);
	}
	if (p->failed) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	t = p->up[k];	/* an idle uploader's buffers */
	p->up[k] = *c;
	p->up_full[k] = 1;
	pthread_cond_broadcast(&p->cv_upl);
	pthread_mutex_unlock(&p->mu);
	*c = t;
	c->len = 0;
	c->n = 0;
	randombytes_buf(c->name, PACK_NAME_LEN);
	return 0;
}

/*
 * Seal a segment of N blobs (E, with kind, id and raw_len set) whose
 * plaintext is PT (RAW bytes), or whose compressed form is Z (ZLEN bytes
 * when not 0), into the open pack.
 */
static int
append_segment(struct push *p, struct blob_entry *e, size_t n,
    const uint8_t *pt, size_t raw, const uint8_t *z, size_t zlen)
{
	struct pack *c = &p->cur;
	uint8_t ad[SEG_AD_LEN], flags = zlen ? FLAG_ZSTD : 0;
	size_t slen = (zlen ? zlen : raw) + SEAL_OVERHEAD, i, moff = 0;

	if ((c->len + slen > PACK_TARGET || c->n + n > PACK_MAX_ENTRIES) &&
	    c->n > 0 && flush_pack(p) < 0)
		return -1;
	seg_ad(ad, p->r->repo_id, c->name, (uint32_t)c->len, flags,
	    (uint32_t)raw);
	repo_seal(p->r, ad, sizeof(ad), zlen ? z : pt, zlen ? zlen : raw,
	    c->buf + c->len);
	for (i = 0; i < n; i++) {
		e[i].flags = flags;
		e[i].first = i == 0;
		e[i].seg_off = (uint32_t)c->len;
		e[i].seg_sealed = (uint32_t)slen;
		e[i].seg_raw = (uint32_t)raw;
		e[i].member_off = (uint32_t)moff;
		moff += e[i].raw_len;
		c->ents[c->n++] = e[i];
	}
	c->len += slen;
	return 0;
}

/* Store the list being built as a list blob and remember its id. */
static int
emit_list(struct push *p)
{
	struct blob_entry e;
	struct list_ref *nl;
	struct ix_slot *s;
	size_t n = 4 + (size_t)p->nlist * LISTENT_LEN;
	int isnew;

	if (p->nlist == 0)
		return 0;
	le32enc(p->list, p->nlist);
	memset(&e, 0, sizeof(e));
	repo_blob_id(p->r, p->list, n, e.id);
	pthread_mutex_lock(&p->mu);
	s = repo_insert(p->r, e.id, &isnew);
	pthread_mutex_unlock(&p->mu);
	if (s == NULL)
		return -1;
	if (isnew) {
		/* ids do not compress: lists are stored raw */
		e.kind = KIND_LIST;
		e.raw_len = (uint32_t)n;
		if (append_segment(p, &e, 1, p->list, n, NULL, 0) < 0)
			return -1;
	}
	if (p->nlists == p->caplists) {
		p->caplists = p->caplists ? p->caplists * 2 : 64;
		if ((nl = realloc(p->lists, p->caplists * sizeof(*nl))) == NULL)
			return fail_errno("chunk lists");
		p->lists = nl;
	}
	memcpy(p->lists[p->nlists].id, e.id, BLOB_ID_LEN);
	p->lists[p->nlists].raw_len = (uint32_t)n;
	p->nlists++;
	p->nlist = 0;
	return 0;
}

static int
list_add(struct push *p, const uint8_t id[BLOB_ID_LEN], uint32_t len)
{
	uint8_t *e = p->list + 4 + (size_t)p->nlist * LISTENT_LEN;

	memcpy(e, id, BLOB_ID_LEN);
	le32enc(e + BLOB_ID_LEN, len);
	p->nlist++;
	if (id[0] == 0 || p->nlist == LIST_MAX_ENTRIES)
		return emit_list(p);
	return 0;
}

/* Pack a finished job: its segment, then its chunks in the list. */
static int
write_job(struct push *p, struct job *j, struct blob_entry *e)
{
	uint32_t i, k = 0;

	for (i = 0; i < j->n; i++) {
		if (!j->isnew[i])
			continue;
		memcpy(e[k].id, j->ids[i], BLOB_ID_LEN);
		e[k].kind = KIND_DATA;
		e[k].raw_len = j->lens[i];
		k++;
	}
	if (k > 0 && append_segment(p, e, k, j->data, j->seg, j->out,
	    j->outlen) < 0)
		return -1;
	for (i = 0; i < j->n; i++)
		if (list_add(p, j->ids[i], j->lens[i]) < 0)
			return -1;
	return 0;
}

static void *
writer(void *arg)
{
	struct push *p = arg;
	struct job *j;
	struct blob_entry *e = calloc(JOB_CHUNKS, sizeof(*e));
	uint32_t i, nnew;

	pthread_mutex_lock(&p->mu);
	if (e == NULL) {
		fail("out of memory");
		set_failed(p);
	}
	for (;;) {
		j = &p->ring[p->next_write % RING];
		while (!p->failed && !(p->next_write < p->next_seq &&
		    j->state == J_DONE) && !(p->eof && p->next_write == p->next_seq))
			pthread_cond_wait(&p->cv_writer, &p->mu);
		if (p->failed || p->next_write == p->next_seq)
			break;
		pthread_mutex_unlock(&p->mu);
		if (write_job(p, j, e) < 0) {
			fail_locked(p);
			pthread_mutex_lock(&p->mu);
			break;
		}
		for (i = 0, nnew = 0; i < j->n; i++)
			nnew += j->isnew[i];
		pthread_mutex_lock(&p->mu);
		p->st.chunks += j->n;
		p->st.new_chunks += nnew;
		p->st.new_raw += j->seg;
		j->state = J_FREE;
		p->next_write++;
		pthread_cond_signal(&p->cv_reader);
	}
	if (!p->failed) {
		pthread_mutex_unlock(&p->mu);
		if (emit_list(p) < 0 || flush_pack(p) < 0)
			fail_locked(p);
		pthread_mutex_lock(&p->mu);
	}
	p->up_stop = 1;
	pthread_cond_broadcast(&p->cv_upl);
	pthread_mutex_unlock(&p->mu);
	free(e);
	return NULL;
}

/* ---- uploader and index ---- */

static int
ix_reserve(struct push *p, size_t more)
{
	uint8_t *n;
	size_t cap;

	if (p->ixlen + more <= p->ixcap)
		return 0;
	cap = p->ixcap ? p->ixcap : 65536;
	while (cap < p->ixlen + more)
		cap *= 2;
	if ((n = realloc(p->ix, cap)) == NULL)
		return fail_errno("index");
	p->ix = n;
	p->ixcap = cap;
	return 0;
}

static int
ix_add_pack(struct push *p, const uint8_t name[PACK_NAME_LEN],
    const struct blob_entry *e, size_t n)
{
	size_t i;

	if (p->ixlen == 0) {
		if (ix_reserve(p, 8) < 0)
			return -1;
		p->ixlen = 8;
	}
	if (ix_reserve(p, PACK_NAME_LEN + 4 + n * ENTRY_LEN) < 0)
		return -1;
	memcpy(p->ix + p->ixlen, name, PACK_NAME_LEN);
	le32enc(p->ix + p->ixlen + PACK_NAME_LEN, (uint32_t)n);
	p->ixlen += PACK_NAME_LEN + 4;
	for (i = 0; i < n; i++, p->ixlen += ENTRY_LEN)
		entry_put(p->ix + p->ixlen, &e[i]);
	p->ixpacks++;
	return 0;
}

/* Write IX (LEN bytes of index plaintext naming NPACKS packs) sealed. */
static int
ix_write_buf(struct push *p, uint8_t *ix, size_t len, uint32_t npacks)
{
	uint8_t name[PACK_NAME_LEN], ad[1 + REPO_ID_LEN + PACK_NAME_LEN];
	char path[80];
	uint8_t *out;
	int rc;

	if (npacks == 0)
		return 0;
	memcpy(ix, "ANIX", 4);
	le32enc(ix + 4, npacks);
	if ((out = malloc(len + SEAL_OVERHEAD)) == NULL)
		return fail_errno("index");
	randombytes_buf(name, sizeof(name));
	ad[0] = 'I';
	memcpy(ad + 1, p->r->repo_id, REPO_ID_LEN);
	memcpy(ad + 1 + REPO_ID_LEN, name, PACK_NAME_LEN);
	repo_seal(p->r, ad, sizeof(ad), ix, len, out);
	memcpy(path, "index/", 6);
	hex_encode(path + 6, name, PACK_NAME_LEN);
	rc = store_put(p->r->st, path, out, len + SEAL_OVERHEAD);
	free(out);
	if (rc < 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	p->st.stored += len + SEAL_OVERHEAD;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Write the collected index (no uploader running). */
static int
ix_write(struct push *p)
{
	if (ix_write_buf(p, p->ix, p->ixlen, p->ixpacks) < 0)
		return -1;
	p->ixlen = 0;
	p->ixpacks = 0;
	return 0;
}

struct upl_arg {
	struct push *p;
	int k;		/* slot */
};

/*
 * Uploader K: store the pack in slot K, then (mutex held) add it to the
 * index.  Every INDEX_EVERY packs the one that fills the index takes it
 * and writes it out while the others go on with a fresh one.
 */
static void *
uploader(void *arg)
{
	struct upl_arg *ua = arg;
	struct push *p = ua->p;
	struct pack *up = &p->up[ua->k];
	uint8_t *ix = NULL;
	size_t ixlen = 0;
	uint32_t ixpacks = 0;
	char path[80];
	int rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->up_full[ua->k] && !p->up_stop && !p->failed)
			pthread_cond_wait(&p->cv_upl, &p->mu);
		if (p->failed || !p->up_full[ua->k])
			break;
		pthread_mutex_unlock(&p->mu);

		pack_path(path, up->name);
		rc = store_put(p->r->st, path, up->buf, up->len);

		pthread_mutex_lock(&p->mu);
		if (rc == 0)
			rc = ix_add_pack(p, up->name, up->ents, up->n);
		if (rc == 0 && p->ixpacks >= INDEX_EVERY) {
			ix = p->ix;
			ixlen = p->ixlen;
			ixpacks = p->ixpacks;
			p->ix = NULL;
			p->ixlen = p->ixcap = 0;
			p->ixpacks = 0;
		}
		if (rc == 0 && ix != NULL) {
			pthread_mutex_unlock(&p->mu);
			rc = ix_write_buf(p, ix, ixlen, ixpacks);
			free(ix);
			ix = NULL;
			pthread_mutex_lock(&p->mu);
		}
		if (rc < 0) {
			set_failed(p);
			break;
		}
		p->st.stored += up->len;
		p->st.packs++;
		p->up_full[ua->k] = 0;
		pthread_cond_broadcast(&p->cv_upl);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- reading and chunking ---- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The reading thread: fill free jobs, in order, with READ_SIZE bytes of
 * the stream each (less only where it ends), leaving RESERVE bytes in
 * front for the tail the chunker carries over from the job before.
 */
struct reader_arg {
	struct push *p;
	int fd;
};

static void *
reader(void *arg)
{
	struct reader_arg *ra = arg;
	struct push *p = ra->p;
	struct job *j;
	ssize_t got;
	int eof = 0;

	/* a bigger pipe lets the producer run ahead: fewer, larger reads */
	(void)fcntl(ra->fd, F_SETPIPE_SZ, 1 << 20);
	while (!eof) {
		pthread_mutex_lock(&p->mu);
		while (!p->failed && p->next_read - p->next_write >= RING)
			pthread_cond_wait(&p->cv_reader, &p->mu);
		if (p->failed) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		j = &p->ring[p->next_read % RING];
		pthread_mutex_unlock(&p->mu);
		j->rlen = 0;
		while (!eof && j->rlen < READ_SIZE) {
			got = read(ra->fd, j->buf + RESERVE + j->rlen,
			    READ_SIZE - j->rlen);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				fail_errno("reading the stream");
				fail_locked(p);
				return NULL;
			}
			if (got == 0)
				eof = 1;
			j->rlen += (size_t)got;
		}
		pthread_mutex_lock(&p->mu);
		j->reof = eof;
		j->state = J_READ;
		p->st.in_bytes += j->rlen;
		p->next_read++;
		pthread_cond_signal(&p->cv_chunk);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/*
 * The chunking thread (the caller's): cut each job's bytes (the carried
 * tail, then what was read) into whole chunks up to SEG_MAX bytes; the
 * bytes after the last chunk, fewer than CHUNK_MAX, go in front of the
 * next job's.  (With READ_SIZE = SEG_MAX - CHUNK_MAX the tail stays under
 * CHUNK_MAX: a job stops short of SEG_MAX only past SEG_MAX - CHUNK_MAX.)
 */
static int
chunk_stream(struct push *p, push_progress progress, void *arg)
{
	const struct chunker *ch = &p->r->ch;
	uint8_t *tail;
	size_t tlen = 0, have, pos, n;
	struct job *j;
	double last = now(), t;
	struct push_stats snap;
	int eof, rc = -1;

	if ((tail = malloc(RESERVE)) == NULL)
		return fail_errno("push");
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->failed && p->next_read == p->next_seq)
			pthread_cond_wait(&p->cv_chunk, &p->mu);
		if (p->failed) {
			pthread_mutex_unlock(&p->mu);
			goto out;
		}
		j = &p->ring[p->next_seq % RING];
		pthread_mutex_unlock(&p->mu);
		eof = j->reof;
		j->data = j->buf + RESERVE - tlen;
		memcpy(j->data, tail, tlen);
		have = tlen + j->rlen;
		j->n = 0;
		for (pos = 0; pos < have && (eof || have - pos >= CHUNK_MAX);
		    pos += n) {
			n = chunker_next(ch, j->data + pos, have - pos, eof);
			if (pos + n > SEG_MAX || j->n == JOB_CHUNKS)
				break;
			j->lens[j->n++] = (uint32_t)n;
		}
		j->len = pos;
		tlen = have - pos;
		if (tlen >= RESERVE || (j->n == 0 && !eof)) {
			fail("internal error: chunking tail of %zu bytes", tlen);
			goto out;
		}
		memcpy(tail, j->data + pos, tlen);
		if (j->n > 0) {
			pthread_mutex_lock(&p->mu);
			j->state = J_FILLED;
			p->next_seq++;
			pthread_cond_signal(&p->cv_worker);
			pthread_mutex_unlock(&p->mu);
		}
		if (eof && tlen == 0)
			break;
		if (progress != NULL && (t = now()) - last >= 0.25) {
			last = t;
			pthread_mutex_lock(&p->mu);
			snap = p->st;
			pthread_mutex_unlock(&p->mu);
			progress(&snap, arg);
		}
	}
	rc = 0;
out:
	free(tail);
	return rc;
}

/* ---- snapshot record ---- */

static int
write_snapshot(struct push *p, const char *name, char idhex[2 * SNAP_ID_LEN + 1])
{
	struct snapshot s;
	struct timespec ts;
	uint8_t *body = NULL, *rec = NULL, ad[1 + REPO_ID_LEN + SNAP_ID_LEN];
	char path[64];
	size_t blen, rlen;
	int rc = -1, tries;

	memset(&s, 0, sizeof(s));
	clock_gettime(CLOCK_REALTIME, &ts);
	s.time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	s.size = p->st.in_bytes;
	s.chunks = p->st.chunks;
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.nlists = (uint32_t)p->nlists;
	s.lists = p->lists;
	if (snap_body_build(&s, &body, &blen) < 0)
		return -1;
	rlen = SNAP_HEAD_LEN + blen + SEAL_OVERHEAD;
	if ((rec = malloc(rlen)) == NULL) {
		fail_errno("snapshot");
		goto out;
	}
	for (tries = 0; tries < 4; tries++) {
		randombytes_buf(s.snap_id, SNAP_ID_LEN);
		memcpy(rec, "ANS1", 4);
		memcpy(rec + 4, p->r->repo_id, REPO_ID_LEN);
		memcpy(rec + 4 + REPO_ID_LEN, s.snap_id, SNAP_ID_LEN);
		ad[0] = 'S';
		memcpy(ad + 1, p->r->repo_id, REPO_ID_LEN);
		memcpy(ad + 1 + REPO_ID_LEN, s.snap_id, SNAP_ID_LEN);
		repo_seal(p->r, ad, sizeof(ad), body, blen, rec + SNAP_HEAD_LEN);
		hex_encode(idhex, s.snap_id, SNAP_ID_LEN);
		snprintf(path, sizeof(path), "snapshots/%s", idhex);
		rc = store_put(p->r->st, path, rec, rlen);
		if (rc != STORE_EXISTS)
			break;
	}
	if (rc == 0)
		p->st.stored += rlen;
	rc = rc == 0 ? 0 : -1;
out:
	free(body);
	free(rec);
	return rc;
}

/* Put the packs an interrupted push left without an index into ours. */
static int
adopt_orphans(struct push *p, const uint32_t *orph, size_t n)
{
	struct blob_entry *e;
	size_t i, cnt;
	int rc;

	for (i = 0; i < n; i++) {
		if (repo_read_pack_header(p->r, p->r->packs[orph[i]], &e, &cnt) < 0)
			return -1;
		rc = ix_add_pack(p, p->r->packs[orph[i]], e, cnt);
		free(e);
		if (rc < 0)
			return -1;
		p->st.reused_packs++;
	}
	return 0;
}

static int
alloc_pack(struct pack *k)
{
	k->buf = malloc(PACKBUF);
	k->ents = calloc(PACK_MAX_ENTRIES, sizeof(*k->ents));
	return k->buf != NULL && k->ents != NULL ? 0 : -1;
}

int
push_stream(struct repo *r, int fd, const char *name,
    push_progress progress, void *arg, char id[2 * SNAP_ID_LEN + 1],
    struct push_stats *st)
{
	struct push *p;
	pthread_t w[NWORKERS], wr, up[NUPL], rd;
	struct reader_arg ra;
	struct upl_arg ua[NUPL];
	uint32_t *orph = NULL;
	size_t norph = 0, i;
	int nw = 0, have_wr = 0, nup = 0, have_rd = 0, rc = -1;

	memset(st, 0, sizeof(*st));
	if (!name_valid(name))
		return fail("bad snapshot name '%s' (1-64 of A-Z a-z 0-9 . _ -, "
		    "not starting with '.')", name);
	if (repo_load_index(r, 1, &orph, &norph) < 0)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		free(orph);
		return fail_errno("push");
	}
	p->r = r;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_reader, NULL);
	pthread_cond_init(&p->cv_chunk, NULL);
	pthread_cond_init(&p->cv_worker, NULL);
	pthread_cond_init(&p->cv_writer, NULL);
	pthread_cond_init(&p->cv_upl, NULL);
	for (i = 0; i < RING; i++) {
		if ((p->ring[i].buf = malloc(RESERVE + READ_SIZE)) == NULL ||
		    (p->ring[i].out = malloc(ZBOUND)) == NULL)
			goto oom;
	}
	for (i = 0; i < NUPL; i++)
		if (alloc_pack(&p->up[i]) < 0)
			goto oom;
	if (alloc_pack(&p->cur) < 0 ||
	    (p->hdr = malloc(8 + PACK_MAX_ENTRIES * ENTRY_LEN)) == NULL ||
	    (p->list = malloc(LIST_MAX_RAW)) == NULL)
		goto oom;
	randombytes_buf(p->cur.name, PACK_NAME_LEN);
	if (adopt_orphans(p, orph, norph) < 0)
		goto out;

	for (nw = 0; nw < NWORKERS; nw++)
		if (pthread_create(&w[nw], NULL, worker, p) != 0)
			break;
	have_wr = pthread_create(&wr, NULL, writer, p) == 0;
	for (nup = 0; nup < NUPL; nup++) {
		ua[nup].p = p;
		ua[nup].k = nup;
		if (pthread_create(&up[nup], NULL, uploader, &ua[nup]) != 0)
			break;
	}
	ra.p = p;
	ra.fd = fd;
	have_rd = pthread_create(&rd, NULL, reader, &ra) == 0;
	if (nw < NWORKERS || !have_wr || nup < NUPL || !have_rd) {
		fail("cannot start threads");
		fail_locked(p);
	} else if (chunk_stream(p, progress, arg) < 0) {
		fail_locked(p);
	}
	/* after a failure the reader stops once its current read returns */
	if (have_rd)
		pthread_join(rd, NULL);
	pthread_mutex_lock(&p->mu);
	p->eof = 1;
	pthread_cond_broadcast(&p->cv_worker);
	pthread_cond_broadcast(&p->cv_writer);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < (size_t)nw; i++)
		pthread_join(w[i], NULL);
	if (have_wr)
		pthread_join(wr, NULL);
	else {
		pthread_mutex_lock(&p->mu);
		p->up_stop = 1;
		pthread_cond_broadcast(&p->cv_upl);
		pthread_mutex_unlock(&p->mu);
	}
	for (i = 0; i < (size_t)nup; i++)
		pthread_join(up[i], NULL);
	if (p->failed) {
		fail("%s", p->err);
		goto out;
	}
	/* everything the snapshot uses is stored: index, then the record */
	if (ix_write(p) < 0 || write_snapshot(p, name, id) < 0)
		goto out;
	rc = 0;
	goto out;
oom:
	fail_errno("push");
out:
	*st = p->st;
	for (i = 0; i < RING; i++) {
		free(p->ring[i].buf);
		free(p->ring[i].out);
	}
	free(p->cur.buf);
	free(p->cur.ents);
	for (i = 0; i < NUPL; i++) {
		free(p->up[i].buf);
		free(p->up[i].ents);
	}
	free(p->hdr);
	free(p->list);
	free(p->lists);
	free(p->ix);
	free(orph);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_reader);
	pthread_cond_destroy(&p->cv_chunk);
	pthread_cond_destroy(&p->cv_worker);
	pthread_cond_destroy(&p->cv_writer);
	pthread_cond_destroy(&p->cv_upl);
	free(p);
	return rc;
}
