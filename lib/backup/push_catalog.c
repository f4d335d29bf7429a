/*
 * The catalogue of a push (catalog.h): a thread runs libarchive
 * (tarscan.c) over the very buffers the reader fills, so the stream is
 * read once and nothing is copied.  A worker may rearrange a job's bytes
 * (it gathers the new chunks), so it waits until the scan has moved past
 * that job (the scan holds at most one job's buffer at a time, as
 * libarchive's callback contract says).  A tar archive that is cut short
 * or damaged fails the push: no record is written.  Once the stream is
 * packed, the writer stores the catalogue as more chunks and lists, cut
 * by the same keyed chunker, so that it deduplicates across snapshots.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "backup/push_impl.h"
#include "error.h"

/* The scan's source: job after job as the reader fills them. */
static ssize_t
scan_next(void *arg, const void **buf)
{
	struct push *p = arg;
	struct job *j;
	ssize_t n = -1;

	pthread_mutex_lock(&p->mu);
	/* the job before is libarchive's no longer */
	if (p->cat_seq > 0 && p->cat_released < p->cat_seq) {
		p->cat_released = p->cat_seq;
		pthread_cond_broadcast(&p->cv_cat);
	}
	while (!p->failed && !p->cat_eof && p->next_read <= p->cat_seq)
		pthread_cond_wait(&p->cv_cat, &p->mu);
	if (p->cat_eof) {
		n = 0;
	} else if (!p->failed) {
		j = &p->jobs[p->cat_seq % RING];
		*buf = j->buf + RESERVE;
		n = (ssize_t)j->rlen;
		p->cat_eof = j->reof;
		p->cat_seq++;
	}
	pthread_mutex_unlock(&p->mu);
	return n;
}

void *
push_cataloguer(void *arg)
{
	struct push *p = arg;
	struct tar_src src = { scan_next, p };
	char why[512];
	int rc;

	rc = tarscan(&src, &p->cat, &p->tar);
	pthread_mutex_lock(&p->mu);
	if (rc == 0 && p->tar.status != TAR_NONE &&
	    p->tar.status != TAR_COMPLETE) {
		fail("%s; no snapshot written", tar_verdict(&p->tar, why,
		    sizeof(why)));
		push_set_failed(p);
	} else if (rc < 0 && !p->failed) {
		push_set_failed(p);
	}
	p->cat_off = 1;		/* workers need not wait any more */
	pthread_cond_broadcast(&p->cv_cat);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void
push_cat_wait(struct push *p, const struct job *j)
{
	/* mutex held */
	while (!p->failed && !p->cat_off && p->cat_released <= j->seq)
		pthread_cond_wait(&p->cv_cat, &p->mu);
}

/* The catalogue's chunks, a job's worth (SEG_MAX) at a time. */
static int
store_bytes(struct push *p, const uint8_t *c, size_t len, struct job *j,
    ZSTD_CCtx *zc, struct blob_entry *e)
{
	size_t pos = 0, n, take;

	while (pos < len) {
		j->n = 0;
		for (take = 0; pos + take < len && j->n < JOB_CHUNKS;
		    take += n) {
			n = chunker_next(&p->r->ch, c + pos + take,
			    len - pos - take, 1);
			if (take + n > SEG_MAX)
				break;
			j->lens[j->n++] = (uint32_t)n;
		}
		memcpy(j->buf, c + pos, take);
		j->data = j->buf;
		if (push_work_job(p, j, zc) < 0 || push_write_job(p, j, e) < 0)
			return -1;
		p->cat_chunks += j->n;
		pos += take;
	}
	return 0;
}

int
push_store_catalog(struct push *p, struct blob_entry *e)
{
	struct job *j = calloc(1, sizeof(*j));
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	struct list_ref *stream_lists = p->lists;
	size_t nstream = p->nlists, cap = p->caplists;
	int rc = -1;

	if (p->tar.status != TAR_COMPLETE) {
		free(j);
		ZSTD_freeCCtx(zc);
		return 0;
	}
	if (j == NULL || zc == NULL || (j->buf = malloc(SEG_MAX)) == NULL ||
	    (j->out = malloc(ZBOUND)) == NULL) {
		fail("out of memory");
		goto out;
	}
	/* the catalogue's lists are built where the stream's were */
	p->lists = NULL;
	p->nlists = p->caplists = 0;
	rc = store_bytes(p, p->cat.p, p->cat.len, j, zc, e) < 0 ||
	    push_emit_list(p) < 0 ? -1 : 0;
	p->cat_lists = p->lists;
	p->ncat_lists = p->nlists;
	p->lists = stream_lists;
	p->nlists = nstream;
	p->caplists = cap;
out:
	if (j != NULL) {
		free(j->buf);
		free(j->out);
	}
	free(j);
	ZSTD_freeCCtx(zc);
	return rc;
}
