/*
 * push_stream(): set up a push, run its threads over the stream, then
 * write the index and the snapshot record; push_impl.h has the plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backup/push_impl.h"
#include "error.h"

void
push_set_failed(struct push *p)
{
	/* mutex held */
	if (!p->failed) {
		snprintf(p->err, sizeof(p->err), "%s", lasterr());
		p->failed = 1;
	}
	pthread_cond_broadcast(&p->cv_chunk);
	pthread_cond_broadcast(&p->cv_upl);
	pthread_cond_broadcast(&p->cv_cat);
	ring_wake(&p->ring);
}

void
push_fail(struct push *p)
{
	pthread_mutex_lock(&p->mu);
	push_set_failed(p);
	pthread_mutex_unlock(&p->mu);
}

static int
alloc_pack(struct pack *k)
{
	k->buf = malloc(PACKBUF);
	k->ents = calloc(PACK_MAX_ENTRIES, sizeof(*k->ents));
	return k->buf != NULL && k->ents != NULL ? 0 : -1;
}

static void
free_pack(struct pack *k)
{
	free(k->buf);
	free(k->ents);
}

void
push_free(struct push *p)
{
	size_t i;

	for (i = 0; i < RING; i++) {
		free(p->jobs[i].buf);
		free(p->jobs[i].out);
	}
	free_pack(&p->cur);
	for (i = 0; i < NUPL; i++)
		free_pack(&p->up[i]);
	free(p->hdr);
	free(p->list);
	free(p->lists);
	free(p->ix);
	free(p->cat_lists);
	cat_buf_free(&p->cat);
	ring_destroy(&p->ring);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_chunk);
	pthread_cond_destroy(&p->cv_upl);
	pthread_cond_destroy(&p->cv_cat);
	free(p);
}

struct push *
push_new(struct repo *r, int fd)
{
	struct push *p;
	size_t i;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		fail_errno("push");
		return NULL;
	}
	p->r = r;
	p->fd = fd;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_chunk, NULL);
	pthread_cond_init(&p->cv_upl, NULL);
	pthread_cond_init(&p->cv_cat, NULL);
	ring_init(&p->ring, &p->mu, &p->failed, RING);
	for (i = 0; i < RING; i++)
		if ((p->jobs[i].buf = malloc(RESERVE + READ_SIZE)) == NULL ||
		    (p->jobs[i].out = malloc(ZBOUND)) == NULL)
			goto oom;
	for (i = 0; i < NUPL; i++)
		if (alloc_pack(&p->up[i]) < 0)
			goto oom;
	if (alloc_pack(&p->cur) < 0 ||
	    (p->hdr = malloc(PACK_HEADER_LEN(PACK_MAX_ENTRIES))) == NULL ||
	    (p->list = malloc(LIST_MAX_RAW)) == NULL)
		goto oom;
	randombytes_buf(p->cur.name, PACK_NAME_LEN);
	return p;
oom:
	fail_errno("push");
	push_free(p);
	return NULL;
}

int
push_start(struct push *p, void *(*worker)(void *), void *(*writer)(void *),
    void *arg, int stages)
{
	int k, want = stages & PUSH_UPLOAD ? NUPL : 0;

	for (p->nworkers = 0; worker != NULL && p->nworkers < NWORKERS;
	    p->nworkers++)
		if (pthread_create(&p->worker_t[p->nworkers], NULL, worker,
		    arg) != 0)
			break;
	p->have_writer = pthread_create(&p->writer_t, NULL, writer, arg) == 0;
	for (p->nupl = 0; p->nupl < want; p->nupl++) {
		k = p->nupl;
		p->ua[k].p = p;
		p->ua[k].k = k;
		if (pthread_create(&p->upl_t[k], NULL, push_uploader,
		    &p->ua[k]) != 0)
			break;
	}
	/* whoever reads the stream also catalogues it, once */
	if (stages & PUSH_READ) {
		p->have_reader = pthread_create(&p->reader_t, NULL,
		    push_reader, p) == 0;
		p->have_cat = pthread_create(&p->cat_t, NULL,
		    push_cataloguer, p) == 0;
	}
	if ((worker != NULL && p->nworkers < NWORKERS) || !p->have_writer ||
	    p->nupl < want || (stages & PUSH_READ && (!p->have_reader ||
	    !p->have_cat)))
		return fail("cannot start threads");
	return 0;
}

void
push_join(struct push *p)
{
	int i;

	/* after a failure the reader stops once its current read returns */
	if (p->have_reader)
		pthread_join(p->reader_t, NULL);
	pthread_mutex_lock(&p->mu);
	if (!p->have_cat)	/* workers and writer wait for no scan */
		p->cat_off = 1;
	pthread_mutex_unlock(&p->mu);
	if (p->have_cat)
		pthread_join(p->cat_t, NULL);
	pthread_mutex_lock(&p->mu);
	ring_close(&p->ring);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++)
		pthread_join(p->worker_t[i], NULL);
	if (p->have_writer)
		pthread_join(p->writer_t, NULL);
	else {
		pthread_mutex_lock(&p->mu);
		p->up_stop = 1;
		pthread_cond_broadcast(&p->cv_upl);
		pthread_mutex_unlock(&p->mu);
	}
	for (i = 0; i < p->nupl; i++)
		pthread_join(p->upl_t[i], NULL);
}

/* Run the threads over the stream; then, everything the snapshot uses
 * being stored, the index and the record. */
static int
run(struct push *p, const char *name, push_progress progress,
    push_gate gate, void *arg, char id[2 * SNAP_ID_LEN + 1])
{
	if (push_start(p, push_worker, push_writer, p,
	    PUSH_READ | PUSH_UPLOAD) < 0 || push_chunk(p, progress, arg) < 0)
		push_fail(p);
	push_join(p);
	if (p->failed)
		return fail("%s", p->err);
	/* the index first: a refused snapshot's data is reused next time */
	if (push_ix_write(p) < 0 || (gate != NULL && gate(arg) < 0) ||
	    push_write_snapshot(p, name, id) < 0)
		return -1;
	return 0;
}

int
push_stream(struct repo *r, int fd, const char *name,
    push_progress progress, push_gate gate, void *arg,
    char id[2 * SNAP_ID_LEN + 1], struct push_stats *st)
{
	return push_stream_as(r, fd, name, NULL, 0, gate, arg, id, st,
	    progress);
}

int
push_stream_as(struct repo *r, int fd, const char *name,
    const uint8_t as_id[SNAP_ID_LEN], uint64_t as_time, push_gate gate,
    void *arg, char id[2 * SNAP_ID_LEN + 1], struct push_stats *st,
    push_progress progress)
{
	struct push *p;
	uint32_t *orph = NULL;
	size_t norph = 0;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (!fmt_snap_name_valid(name))
		return fail("bad snapshot name '%s' (1-64 of A-Z a-z 0-9 . _ -, "
		    "not starting with '.')", name);
	if (repo_load_index(r, 1, &orph, &norph) < 0)
		return -1;
	if ((p = push_new(r, fd)) == NULL) {
		free(orph);
		return -1;
	}
	if (as_id != NULL) {
		memcpy(p->as_id, as_id, SNAP_ID_LEN);
		p->as_time = as_time;
	}
	if (push_adopt_orphans(p, orph, norph) == 0)
		rc = run(p, name, progress, gate, arg, id);
	*st = p->st;
	free(orph);
	push_free(p);
	return rc;
}
