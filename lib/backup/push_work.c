/*
 * The workers of a push: each takes the next job of the ring, hashes its
 * chunks, claims the new ones in the index, gathers them into the
 * segment and compresses it when that pays.  Jobs finish in any order;
 * the writer (push_pack.c) takes them in stream order.
 */
#include <string.h>

#include <zstd.h>

#include "backup/push_impl.h"
#include "error.h"

#define ZLEVEL		3

int
push_work_job(struct push *p, struct job *j, void *zc)
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
	/* the gathering below moves bytes the tar scan may still read */
	push_cat_wait(p, j);
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

void *
push_worker(void *arg)
{
	struct push *p = arg;
	ZSTD_CCtx *zc;
	int slot;

	zc = ZSTD_createCCtx();
	pthread_mutex_lock(&p->mu);
	if (zc == NULL) {
		fail("out of memory");
		push_set_failed(p);
	}
	while ((slot = ring_take(&p->ring)) >= 0) {
		pthread_mutex_unlock(&p->mu);
		if (push_work_job(p, &p->jobs[slot], zc) < 0) {
			push_fail(p);
			pthread_mutex_lock(&p->mu);
			break;
		}
		pthread_mutex_lock(&p->mu);
		ring_finish(&p->ring, slot);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeCCtx(zc);
	return NULL;
}
