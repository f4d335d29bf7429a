/*
 * One stream, several repositories (push.h, push_fan()).  A front push
 * runs the reader, the chunker and its own workers, which hash each job
 * once, claim its chunks in every repository's index and compress the
 * new ones once per distinct set of new chunks (once when the friends
 * are in step).  A dispatcher takes the front's jobs in stream order and
 * copies into each repository's ring what that repository lacks; there a
 * push of its own (writer, uploaders, index, record: push_pack.c and on)
 * seals and stores it.  The front alone scans the tar stream
 * (push_catalog.c); each repository's writer stores that one catalogue.  Every push has its own lock and failure flag, so
 * a friend that fails drops out alone; one whose ring stays full for SLOW
 * seconds is abandoned, so the others go on and memory stays bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zstd.h>

#include "backup/push_impl.h"
#include "error.h"

#define ZLEVEL	3

/* What the front's workers leave for the dispatcher, per ring slot. */
struct fan_slot {
	uint8_t isnew[FAN_MAX][JOB_CHUNKS];
	size_t seg[FAN_MAX], outlen[FAN_MAX];
	int grp[FAN_MAX];	/* the first repository with the same new set */
	uint8_t *out[FAN_MAX];	/* ZBOUND each */
};

struct fan {
	struct push *front;
	int n;
	struct push *d[FAN_MAX];
	int dead[FAN_MAX];	/* dropped out (front->mu) */
	double slow;
	struct fan_slot slot[RING];
};

/* Claim J's chunks in repository D's index: its new set in ISNEW. */
static int
claim(struct push *d, const struct job *j, uint8_t *isnew)
{
	struct ix_slot *s;
	uint32_t i;
	int nw;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < j->n; i++) {
		if ((s = repo_insert(d->r, j->ids[i], &nw)) == NULL) {
			push_set_failed(d);
			pthread_mutex_unlock(&d->mu);
			return -1;
		}
		isnew[i] = (uint8_t)nw;
	}
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* Gather J's chunks marked in ISNEW into DST; their length. */
static size_t
gather(const struct job *j, const uint8_t *isnew, uint8_t *dst)
{
	size_t off = 0, seg = 0;
	uint32_t i;

	for (i = 0; i < j->n; off += j->lens[i], i++)
		if (isnew[i]) {
			memcpy(dst + seg, j->data + off, j->lens[i]);
			seg += j->lens[i];
		}
	return seg;
}

/* Hash once, claim everywhere, compress once per distinct new set. */
static void
fan_work(struct fan *f, int k, ZSTD_CCtx *zc, uint8_t *scratch)
{
	struct job *j = &f->front->jobs[k];
	struct fan_slot *fs = &f->slot[k];
	size_t off = 0, c;
	uint32_t i;
	int d, e;

	for (i = 0; i < j->n; off += j->lens[i], i++)
		repo_blob_id(f->front->r, j->data + off, j->lens[i], j->ids[i]);
	for (d = 0; d < f->n; d++) {
		if (claim(f->d[d], j, fs->isnew[d]) < 0)
			memset(fs->isnew[d], 0, j->n);	/* it is out anyway */
		for (e = 0; e < d; e++)
			if (memcmp(fs->isnew[e], fs->isnew[d], j->n) == 0)
				break;
		fs->grp[d] = e;
		if (e < d)
			continue;
		fs->seg[d] = gather(j, fs->isnew[d], scratch);
		fs->outlen[d] = 0;
		if (fs->seg[d] == 0)
			continue;
		c = ZSTD_compressCCtx(zc, fs->out[d], ZBOUND, scratch,
		    fs->seg[d], ZLEVEL);
		if (!ZSTD_isError(c) && c < fs->seg[d] - fs->seg[d] / 32)
			fs->outlen[d] = c;
	}
}

static void *
fan_worker(void *arg)
{
	struct fan *f = arg;
	struct push *p = f->front;
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	uint8_t *scratch = malloc(SEG_MAX);
	int slot;

	pthread_mutex_lock(&p->mu);
	if (zc == NULL || scratch == NULL) {
		fail("out of memory");
		push_set_failed(p);
	}
	while ((slot = ring_take(&p->ring)) >= 0) {
		pthread_mutex_unlock(&p->mu);
		fan_work(f, slot, zc, scratch);
		pthread_mutex_lock(&p->mu);
		ring_finish(&p->ring, slot);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeCCtx(zc);
	free(scratch);
	return NULL;
}

/* Wait for a free slot in D's ring, at most f->slow seconds: the slot,
 * or -1 when D is out (failed, or abandoned now).  D's mutex held. */
static int
wait_room(struct fan *f, struct push *d)
{
	struct timespec until;
	int s;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)f->slow;
	s = ring_wait_free_until(&d->ring, d->ring.put, &until);
	if (s == -2) {
		fail("too slow: no room for %.0f s, abandoned (what it stored "
		    "is reused by the next push)", f->slow);
		push_set_failed(d);
		return -1;
	}
	return s;
}

/* Copy into repository number I's ring what it lacks of front job K. */
static int
give(struct fan *f, int i, int k)
{
	struct push *d = f->d[i];
	struct job *j = &f->front->jobs[k], *dj;
	struct fan_slot *fs = &f->slot[k];
	int s, g = fs->grp[i];

	pthread_mutex_lock(&d->mu);
	if ((s = wait_room(f, d)) < 0) {
		pthread_mutex_unlock(&d->mu);
		return -1;
	}
	pthread_mutex_unlock(&d->mu);
	dj = &d->jobs[s];	/* ours until put */
	dj->n = j->n;
	memcpy(dj->lens, j->lens, j->n * sizeof(j->lens[0]));
	memcpy(dj->ids, j->ids, j->n * sizeof(j->ids[0]));
	memcpy(dj->isnew, fs->isnew[i], j->n);
	dj->data = dj->buf;
	dj->seg = gather(j, fs->isnew[i], dj->buf);
	dj->outlen = fs->outlen[g];
	if (dj->outlen > 0)
		memcpy(dj->out, fs->out[g], dj->outlen);
	pthread_mutex_lock(&d->mu);
	ring_put(&d->ring);
	s = ring_take(&d->ring);	/* the work is done: finish it */
	if (s >= 0)
		ring_finish(&d->ring, s);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* The dispatcher: front jobs in stream order to every repository still
 * in; the front fails when none is. */
static void *
fan_dispatch(void *arg)
{
	struct fan *f = arg;
	struct push *p = f->front;
	int k, i, alive;

	pthread_mutex_lock(&p->mu);
	while ((k = ring_next_out(&p->ring)) >= 0) {
		pthread_mutex_unlock(&p->mu);
		for (i = 0, alive = 0; i < f->n; i++) {
			if (!f->dead[i] && give(f, i, k) < 0) {
				f->dead[i] = 1;
				/* its packs on the way fail now, not
				 * at the slow friend's pace */
				store_abort(f->d[i]->r->st);
			}
			alive += !f->dead[i];
		}
		pthread_mutex_lock(&p->mu);
		push_cat_wait(p, &p->jobs[k]);	/* the reader reuses it next */
		ring_release(&p->ring);
		if (alive == 0) {
			fail("no repository is left");
			push_set_failed(p);
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
fan_free(struct fan *f)
{
	int k, i;

	for (k = 0; k < RING; k++)
		for (i = 0; i < f->n; i++)
			free(f->slot[k].out[i]);
	for (i = 0; i < f->n; i++)
		if (f->d[i] != NULL) {
			/* the front's catalogue, lent (join_all) */
			memset(&f->d[i]->cat, 0, sizeof(f->d[i]->cat));
			push_free(f->d[i]);
		}
	if (f->front != NULL)
		push_free(f->front);
	free(f);
}

/* Load repository I's index and adopt what an interrupted push left
 * there; a repository that cannot is out from the start. */
static void
fan_prepare(struct fan *f, int i)
{
	struct push *d = f->d[i];
	uint32_t *orph = NULL;
	size_t norph = 0;

	if (sodium_memcmp(d->r->k, f->front->r->k, sizeof(*d->r->k)) != 0)
		fail("not the key of the first repository");
	else if (repo_load_index(d->r, 1, &orph, &norph) == 0 &&
	    push_adopt_orphans(d, orph, norph) == 0) {
		free(orph);
		return;
	}
	free(orph);
	push_set_failed(d);
	f->dead[i] = 1;
}

static struct fan *
fan_new(struct repo **r, int n, int fd, double slow)
{
	struct fan *f;
	int k, i;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		fail_errno("push");
		return NULL;
	}
	f->n = n;
	f->slow = slow;
	if ((f->front = push_new(r[0], fd)) == NULL)
		goto bad;
	for (i = 0; i < n; i++)
		if ((f->d[i] = push_new(r[i], -1)) == NULL)
			goto bad;
	for (k = 0; k < RING; k++)
		for (i = 0; i < n; i++)
			if ((f->slot[k].out[i] = malloc(ZBOUND)) == NULL) {
				fail_errno("push");
				goto bad;
			}
	for (i = 0; i < n; i++)
		fan_prepare(f, i);
	return f;
bad:
	fan_free(f);
	return NULL;
}

/* Start every thread: each repository's writer and uploaders, then the
 * front; 0 when all run (join_all joins what started). */
static int
start_all(struct fan *f)
{
	int i, rc = 0;

	for (i = 0; i < f->n; i++)
		if (push_start(f->d[i], NULL, push_writer, f->d[i],
		    PUSH_UPLOAD) < 0)
			rc = -1;
	if (push_start(f->front, fan_worker, fan_dispatch, f, PUSH_READ) < 0)
		rc = -1;
	return rc;
}

static void
join_uploaders(struct push *d)
{
	int k;

	for (k = 0; k < d->nupl; k++)
		pthread_join(d->upl_t[k], NULL);
	d->nupl = 0;
}

/* One id and one time for the record at every repository, so that
 * NAME@ID names the same snapshot at each friend (and a copy between
 * them knows it is there already). */
static void
same_record(struct fan *f)
{
	struct timespec ts;
	uint8_t id[SNAP_ID_LEN];
	int i;

	randombytes_buf(id, sizeof(id));
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < f->n; i++) {
		memcpy(f->d[i]->as_id, id, sizeof(id));
		f->d[i]->as_time = (uint64_t)ts.tv_sec * 1000000000u +
		    (uint64_t)ts.tv_nsec;
	}
}

/* Wait for the front, then every writer (each stores the front's
 * catalogue, lent to it here); commit each repository still in (index,
 * then, once GATE allows, record) before waiting for those that dropped
 * out. */
static void
join_all(struct fan *f, const char *name, push_gate gate, void *arg,
    struct push_result *res)
{
	struct push *p = f->front, *d;
	int i, gated = 0;

	push_join(p);
	for (i = 0; i < f->n; i++) {
		d = f->d[i];
		pthread_mutex_lock(&d->mu);
		if (p->failed && !d->failed) {
			fail("%s", p->err);
			push_set_failed(d);
		}
		d->cat = p->cat;
		d->tar = p->tar;
		d->cat_off = 1;
		pthread_cond_broadcast(&d->cv_cat);
		ring_close(&d->ring);
		if (!d->have_writer) {
			d->up_stop = 1;
			pthread_cond_broadcast(&d->cv_upl);
		}
		pthread_mutex_unlock(&d->mu);
		if (d->have_writer)
			pthread_join(d->writer_t, NULL);
	}
	for (i = 0; i < f->n; i++) {
		if ((d = f->d[i])->failed)
			continue;
		join_uploaders(d);
		d->st.in_bytes = p->st.in_bytes;
		if (push_ix_write(d) < 0)
			push_set_failed(d);
	}
	same_record(f);
	for (i = 0; i < f->n; i++) {
		if ((d = f->d[i])->failed)
			continue;
		/* the gate once, before the first record */
		if (gate != NULL && gated == 0)
			gated = gate(arg) < 0 ? -1 : 1;
		if (gated < 0 || push_write_snapshot(d, name, res[i].id) < 0)
			push_set_failed(d);
		res[i].ok = !d->failed;
	}
	for (i = 0; i < f->n; i++)
		join_uploaders(f->d[i]);
}

int
push_fan(struct repo **r, int n, int fd, const char *name, double slow,
    push_progress progress, push_gate gate, void *arg,
    struct push_result *res)
{
	struct fan *f;
	int i, nok = 0;

	memset(res, 0, (size_t)n * sizeof(*res));
	if (n < 1 || n > FAN_MAX)
		return fail("1 to %d repositories", FAN_MAX);
	if (!fmt_snap_name_valid(name))
		return fail("bad snapshot name '%s' (1-64 of A-Z a-z 0-9 . _ -, "
		    "not starting with '.')", name);
	if ((f = fan_new(r, n, fd, slow)) == NULL)
		return -1;
	if (start_all(f) < 0 || push_chunk(f->front, progress, arg) < 0)
		push_fail(f->front);
	join_all(f, name, gate, arg, res);
	for (i = 0; i < n; i++) {
		res[i].st = f->d[i]->st;
		res[i].st.in_bytes = f->front->st.in_bytes;
		if (!res[i].ok)
			snprintf(res[i].err, sizeof(res[i].err), "%s",
			    f->d[i]->err);
		nok += res[i].ok;
	}
	fan_free(f);
	return nok;
}
