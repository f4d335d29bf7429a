/*
 * pull: snapshot record -> chunk lists -> runs of blobs of one pack
 * (batches, planned in stream order by the caller's thread) -> NWORKERS
 * workers, each taking the next planned batch, fetching it with one ranged
 * read and opening it (authenticate, decompress, check id) -> written in
 * stream order by a writer thread.  Several workers keep several reads in
 * flight, hiding the round trip of each; at most PRING batches are held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "backup/pull.h"
#include "backup/ring.h"
#include "error.h"
#include "io.h"

#define PRING		6
#define NWORKERS	4	/* ranged reads in flight */
#define BATCH_IN	(2u << 20)
#define BATCH_RAW	(2u << 20)
#define BATCH_BLOBS	1024
#define GAP_MAX		(64u << 10)
#define SEG_IN_MAX	(SEG_MAX + SEG_MAX / 64 + 4096)

struct batch {
	uint32_t pack;
	uint64_t lo, hi;	/* range of the pack in IN */
	size_t n, outlen;
	struct blob_entry e[BATCH_BLOBS];
	uint32_t cut_lo[BATCH_BLOBS], cut_len[BATCH_BLOBS];	/* used part */
	uint8_t *in;		/* BATCH_IN + SEG_IN_MAX */
	uint8_t *out;		/* BATCH_RAW + CHUNK_MAX */
	int bad;		/* OUTLEN bytes good, then ERR */
	char err[1024];
};

struct pull {
	struct repo *r;
	const struct snapshot *s;
	char what[160];		/* "snapshot NAME@ID" */
	/* what to fetch: the stream's lists, or the catalogue's */
	const struct list_ref *lists;
	uint32_t nlists;
	uint64_t chunks, size;
	const struct pull_range *rv;	/* NULL: everything */
	size_t nr;
	/* where to: FD, or MEM (SIZE bytes) */
	int fd;
	uint8_t *mem;
	uint64_t written;
	pull_progress progress;
	void *arg;
	pthread_mutex_t mu;
	struct ring ring;	/* of batches */
	struct batch batches[PRING];
	int failed;
	int stop;		/* a batch went bad: plan no more (mu) */
	char err[1024];
};

static void
set_failed(struct pull *p)
{
	if (!p->failed) {
		snprintf(p->err, sizeof(p->err), "%s", lasterr());
		p->failed = 1;
	}
	ring_wake(&p->ring);
}

static void
blob_name(char out[2 * BLOB_ID_LEN + 1], const uint8_t id[BLOB_ID_LEN])
{
	hex_encode(out, id, BLOB_ID_LEN);
}

/*
 * Fetch batch B with one ranged read and open its blobs into B->out:
 * authenticate and decompress each segment once, check ids when
 * verifying.  0 or -1 with lasterr naming the blob.
 */
static int
open_batch(struct pull *p, struct batch *b, ZSTD_DCtx *zd, uint8_t *seg,
    uint8_t *scratch)
{
	char bn[2 * BLOB_ID_LEN + 1], pn[80];
	struct blob_entry *e;
	size_t i, o;
	int64_t cached = -1;

	pack_path(pn, p->r->packs[b->pack]);
	if (store_get(p->r->st, pn, b->lo, b->in, b->hi - b->lo) < 0) {
		b->outlen = 0;
		blob_name(bn, b->e[0].id);
		return fail_ctx("%s: blob %s", p->what, bn);
	}
	for (i = 0, o = 0; i < b->n; i++) {
		e = &b->e[i];
		if (cached != (int64_t)e->seg_off &&
		    repo_open_segment(p->r, zd, p->r->packs[b->pack], e,
		    b->in + (e->seg_off - b->lo), seg, scratch) < 0)
			goto bad;
		cached = e->seg_off;
		/* the segment is authenticated where the (authenticated)
		 * index says the blob is; verify also recomputes ids */
		if (p->fd < 0 && repo_check_blob(p->r, e, seg + e->member_off) < 0)
			goto bad;
		memcpy(b->out + o, seg + e->member_off + b->cut_lo[i],
		    b->cut_len[i]);
		o += b->cut_len[i];
	}
	b->outlen = o;
	return 0;
bad:
	b->outlen = o;
	blob_name(bn, e->id);
	return fail_ctx("%s: blob %s in %s/%s", p->what, bn, p->r->st->url, pn);
}

static void *
worker(void *arg)
{
	struct pull *p = arg;
	ZSTD_DCtx *zd = ZSTD_createDCtx();
	uint8_t *scratch = malloc(SEG_IN_MAX), *seg = malloc(SEG_MAX);
	int slot, rc;

	pthread_mutex_lock(&p->mu);
	if (zd == NULL || scratch == NULL || seg == NULL) {
		fail("out of memory");
		set_failed(p);
	}
	while ((slot = ring_take(&p->ring)) >= 0) {
		pthread_mutex_unlock(&p->mu);
		rc = open_batch(p, &p->batches[slot], zd, seg, scratch);
		pthread_mutex_lock(&p->mu);
		/* the writer writes what came before the bad blob, then fails:
		 * a restore going on elsewhere starts right there */
		p->batches[slot].bad = rc < 0;
		if (rc < 0) {
			snprintf(p->batches[slot].err,
			    sizeof(p->batches[slot].err), "%s", lasterr());
			p->stop = 1;
		}
		ring_finish(&p->ring, slot);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeDCtx(zd);
	free(scratch);
	free(seg);
	return NULL;
}

static void *
writer(void *arg)
{
	struct pull *p = arg;
	struct batch *b;
	int slot, rc;

	pthread_mutex_lock(&p->mu);
	while ((slot = ring_next_out(&p->ring)) >= 0) {
		b = &p->batches[slot];
		pthread_mutex_unlock(&p->mu);
		rc = 0;
		if (p->mem != NULL) {
			if (b->outlen > p->size - p->written)
				rc = fail("%s: more bytes than the record says",
				    p->what);
			else
				memcpy(p->mem + p->written, b->out, b->outlen);
		} else if (p->fd >= 0 && write_all(p->fd, b->out, b->outlen) < 0) {
			rc = fail_errno("writing the output");
		}
		p->written += b->outlen;
		if (rc == 0 && p->progress != NULL)
			p->progress(p->written, p->arg);
		if (rc == 0 && b->bad)
			rc = fail("%s", b->err);
		pthread_mutex_lock(&p->mu);
		if (rc < 0) {
			set_failed(p);
			break;
		}
		ring_release(&p->ring);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the fetching side (caller's thread) ---- */

struct fetch {
	struct pull *p;
	struct batch *cur;	/* being filled, or NULL */
	uint64_t raw;
	size_t ri;		/* the range being planned */
};

/* Hand the planned batch to the workers (who fetch and open it). */
static int
dispatch(struct fetch *f)
{
	struct pull *p = f->p;
	int stop;

	if (f->cur == NULL)
		return 0;
	f->cur = NULL;
	pthread_mutex_lock(&p->mu);
	ring_put(&p->ring);
	stop = p->stop;
	pthread_mutex_unlock(&p->mu);
	return stop ? fail("stopped") : 0;
}

/* Plan bytes [CLO, CLO + CLEN) of the blob in slot S. */
static int
add_blob(struct fetch *f, const struct ix_slot *s, uint32_t clo, uint32_t clen)
{
	struct pull *p = f->p;
	struct batch *b = f->cur;
	const struct blob_entry *e = &s->e;
	uint64_t lo = e->seg_off, hi = (uint64_t)e->seg_off + e->seg_sealed;
	int slot;

	if (b != NULL) {
		if (s->pack != b->pack ||
		    (hi > b->hi ? hi : b->hi) - (lo < b->lo ? lo : b->lo) > BATCH_IN ||
		    (lo > b->hi && lo - b->hi > GAP_MAX) ||
		    (b->lo > hi && b->lo - hi > GAP_MAX) ||
		    b->outlen + clen > BATCH_RAW || b->n == BATCH_BLOBS) {
			if (dispatch(f) < 0)
				return -1;
			b = NULL;
		}
	}
	if (b == NULL) {
		pthread_mutex_lock(&p->mu);
		slot = ring_wait_free(&p->ring, p->ring.put);
		pthread_mutex_unlock(&p->mu);
		if (slot < 0)
			return -1;
		b = &p->batches[slot];
		b->pack = s->pack;
		b->lo = lo;
		b->hi = hi;
		b->n = 0;
		b->outlen = 0;
		f->cur = b;
	}
	if (lo < b->lo)
		b->lo = lo;
	if (hi > b->hi)
		b->hi = hi;
	b->cut_lo[b->n] = clo;
	b->cut_len[b->n] = clen;
	b->e[b->n++] = *e;
	b->outlen += clen;	/* planned; the worker recomputes */
	return 0;
}

/* Fetch and open one list blob into OUT (SEG_MAX bytes). */
static int
read_list(struct pull *p, const struct list_ref *lr, uint8_t *out,
    uint8_t *in, uint8_t *scratch, ZSTD_DCtx *zd)
{
	struct ix_slot s;
	char bn[2 * BLOB_ID_LEN + 1], pn[80];

	blob_name(bn, lr->id);
	if (repo_lookup(p->r, lr->id, &s) < 0 || s.pack == PACK_NONE)
		return fail("%s: chunk list %s: missing (no index names it)",
		    p->what, bn);
	if (s.e.kind != KIND_LIST || s.e.raw_len != lr->raw_len ||
	    s.e.member_off != 0 || s.e.seg_raw != s.e.raw_len)
		return fail("%s: chunk list %s: the index disagrees with the "
		    "snapshot", p->what, bn);
	pack_path(pn, p->r->packs[s.pack]);
	if (store_get(p->r->st, pn, s.e.seg_off, in, s.e.seg_sealed) < 0)
		return fail_ctx("%s: chunk list %s", p->what, bn);
	if (repo_open_segment(p->r, zd, p->r->packs[s.pack], &s.e, in, out,
	    scratch) < 0 || repo_check_blob(p->r, &s.e, out) < 0)
		return fail_ctx("%s: chunk list %s in %s/%s", p->what, bn,
		    p->r->st->url, pn);
	return 0;
}

/* Plan the parts of the chunk at stream offset OFF (LEN bytes) that the
 * ranges cover: all of it when there are none. */
static int
plan_chunk(struct fetch *f, const struct ix_slot *slot, uint64_t off,
    uint32_t len)
{
	struct pull *p = f->p;
	const struct pull_range *r;
	uint64_t lo, hi;

	if (p->rv == NULL)
		return add_blob(f, slot, 0, len);
	while (f->ri < p->nr) {
		r = &p->rv[f->ri];
		if (r->off >= off + len)
			return 0;
		lo = r->off > off ? r->off : off;
		hi = r->off + r->len < off + len ? r->off + r->len : off + len;
		if (hi > lo && add_blob(f, slot, (uint32_t)(lo - off),
		    (uint32_t)(hi - lo)) < 0)
			return -1;
		if (r->off + r->len > off + len)
			return 0;	/* it goes on in the next chunk */
		f->ri++;
	}
	return 0;
}

/* Plan the blobs of one checked chunk list LIST of CNT entries. */
static int
fetch_list(struct fetch *f, const uint8_t *list, uint32_t cnt,
    uint64_t *chunks, uint64_t *bytes)
{
	struct pull *p = f->p;
	struct ix_slot slot;
	char bn[2 * BLOB_ID_LEN + 1];
	const uint8_t *id;
	uint32_t j, len;

	for (j = 0; j < cnt; j++) {
		fmt_list_entry_dec(list, j, &id, &len);
		if (repo_lookup(p->r, id, &slot) < 0 || slot.pack == PACK_NONE) {
			blob_name(bn, id);
			return fail("%s: blob %s: missing (no index names it)",
			    p->what, bn);
		}
		if (slot.e.kind != KIND_DATA || slot.e.raw_len != len) {
			blob_name(bn, id);
			return fail("%s: blob %s: the index disagrees with the "
			    "chunk list", p->what, bn);
		}
		if (plan_chunk(f, &slot, *bytes, len) < 0)
			return -1;
		(*chunks)++;
		*bytes += len;
	}
	return 0;
}

/* The caller's thread: read each chunk list, plan its blobs in order. */
static int
fetch_all(struct pull *p)
{
	struct fetch f = { .p = p };
	uint8_t *list, *in, *scratch;
	ZSTD_DCtx *zd;
	char bn[2 * BLOB_ID_LEN + 1];
	uint64_t chunks = 0, bytes = 0;
	uint32_t i, cnt;
	int rc = -1;

	list = malloc(SEG_MAX);
	in = malloc(SEG_IN_MAX);
	scratch = malloc(SEG_IN_MAX);
	zd = ZSTD_createDCtx();
	if (list == NULL || in == NULL || scratch == NULL || zd == NULL) {
		fail("out of memory");
		goto out;
	}
	for (i = 0; i < p->nlists; i++) {
		if (p->rv != NULL && f.ri == p->nr)
			break;	/* past the last range: no more lists needed */
		if (read_list(p, &p->lists[i], list, in, scratch, zd) < 0)
			goto out;
		if (fmt_list_dec(list, p->lists[i].raw_len, &cnt) < 0) {
			blob_name(bn, p->lists[i].id);
			fail_ctx("%s: chunk list %s", p->what, bn);
			goto out;
		}
		if (fetch_list(&f, list, cnt, &chunks, &bytes) < 0)
			goto out;
	}
	if (dispatch(&f) < 0)
		goto out;
	if (p->rv != NULL && f.ri < p->nr) {
		fail("%s: the catalogue names bytes past the end of the stream",
		    p->what);
		goto out;
	}
	if (p->rv == NULL && (chunks != p->chunks || bytes != p->size)) {
		fail("%s: chunk lists give %llu bytes in %llu chunks, the "
		    "record says %llu in %llu", p->what,
		    (unsigned long long)bytes, (unsigned long long)chunks,
		    (unsigned long long)p->size, (unsigned long long)p->chunks);
		goto out;
	}
	rc = 0;
out:
	free(list);
	free(in);
	free(scratch);
	ZSTD_freeDCtx(zd);
	return rc;
}

/* Start the workers and the writer, plan every batch, wait for them. */
static void
run(struct pull *p)
{
	pthread_t w[NWORKERS], wr;
	int nw, have_wr, i;

	for (nw = 0; nw < NWORKERS; nw++)
		if (pthread_create(&w[nw], NULL, worker, p) != 0)
			break;
	have_wr = pthread_create(&wr, NULL, writer, p) == 0;
	if (nw < NWORKERS || !have_wr) {
		fail("cannot start threads");
		pthread_mutex_lock(&p->mu);
		set_failed(p);
		pthread_mutex_unlock(&p->mu);
	} else if (fetch_all(p) < 0) {
		pthread_mutex_lock(&p->mu);
		if (!p->stop)	/* else the writer fails at the bad batch */
			set_failed(p);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	ring_close(&p->ring);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < nw; i++)
		pthread_join(w[i], NULL);
	if (have_wr)
		pthread_join(wr, NULL);
}

/* Set up P for snapshot S, run it, tear it down. */
static int
pull_run(struct pull *p, struct repo *r, const struct snapshot *s)
{
	char idhex[2 * SNAP_ID_LEN + 1];
	int rc = -1;
	size_t i;

	p->r = r;
	p->s = s;
	if (p->fd >= 0)	/* a bigger pipe: fewer, larger writes */
		(void)fcntl(p->fd, F_SETPIPE_SZ, 1 << 20);
	hex_encode(idhex, s->snap_id, SNAP_ID_LEN);
	snprintf(p->what, sizeof(p->what), "snapshot %s@%s%s", s->name, idhex,
	    p->lists == s->cat ? ": catalogue" : "");
	pthread_mutex_init(&p->mu, NULL);
	ring_init(&p->ring, &p->mu, &p->failed, PRING);
	for (i = 0; i < PRING; i++)
		if ((p->batches[i].in = malloc(BATCH_IN + SEG_IN_MAX)) == NULL ||
		    (p->batches[i].out = malloc(BATCH_RAW + CHUNK_MAX)) == NULL) {
			fail_errno("pull");
			goto out;
		}
	run(p);
	if (p->failed) {
		fail("%s", p->err);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < PRING; i++) {
		free(p->batches[i].in);
		free(p->batches[i].out);
	}
	ring_destroy(&p->ring);
	pthread_mutex_destroy(&p->mu);
	return rc;
}

int
pull_ranges(struct repo *r, const struct snapshot *s,
    const struct pull_range *v, size_t n, int fd, pull_progress progress,
    void *arg)
{
	struct pull *p;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return fail_errno("pull");
	p->lists = s->lists;
	p->nlists = s->nlists;
	p->chunks = s->chunks;
	p->size = s->size;
	p->rv = v;
	p->nr = n;
	p->fd = fd;
	p->progress = progress;
	p->arg = arg;
	rc = pull_run(p, r, s);
	free(p);
	return rc;
}

int
pull_stream(struct repo *r, const struct snapshot *s, int fd)
{
	return pull_ranges(r, s, NULL, 0, fd, NULL, NULL);
}

int
pull_catalog(struct repo *r, const struct snapshot *s, uint8_t **buf,
    size_t *len)
{
	struct pull *p;
	int rc;

	*buf = NULL;
	*len = 0;
	if (!s->tar || s->cat_size > CAT_SIZE_MAX)
		return fail("snapshot %s: no catalogue", s->name);
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->mem = malloc(s->cat_size)) == NULL) {
		free(p);
		return fail_errno("catalogue");
	}
	p->lists = s->cat;
	p->nlists = s->ncat;
	p->chunks = s->cat_chunks;
	p->size = s->cat_size;
	p->fd = -1;
	rc = pull_run(p, r, s);
	if (rc == 0) {
		*buf = p->mem;
		*len = s->cat_size;
	} else {
		free(p->mem);
	}
	free(p);
	return rc;
}
