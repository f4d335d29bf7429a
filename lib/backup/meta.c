/* Metadata fetch through the cache, many files in flight: see meta.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "backup/meta.h"

#define BATCH 16	/* files one worker asks the store for at once */
#define RING (2 * META_WORKERS * BATCH)	/* files fetched ahead of OPEN */

struct slot {
	uint8_t *b;
	size_t n;
	int ready, cached, failed;
	char err[512];
};

struct fetch {
	struct store *st;
	struct cache *c;
	const char *dir;
	char *const *names;
	size_t n;
	size_t next;		/* next file a worker takes */
	size_t done;		/* files handed to OPEN */
	int stop;
	struct slot ring[RING];
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void
path_of(const struct fetch *f, size_t i, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", f->dir, f->names[i]);
}

/* Fetch files [I, I + K) into S[]: the cache first, then the store, the
 * misses in one request of many files. */
static void
fetch_batch(struct fetch *f, size_t i, size_t k, struct slot *s)
{
	char paths[BATCH][256];
	const char *miss[BATCH];
	uint8_t *bufs[BATCH];
	size_t lens[BATCH], at[BATCH], nm = 0, j;

	for (j = 0; j < k; j++) {
		memset(&s[j], 0, sizeof(s[j]));
		path_of(f, i + j, paths[j], sizeof(paths[j]));
		if (cache_get(f->c, paths[j], &s[j].b, &s[j].n) == 0)
			s[j].cached = 1;
		else {
			at[nm] = j;
			miss[nm++] = paths[j];
		}
	}
	if (nm == 0)
		return;
	if (store_get_many(f->st, miss, nm, bufs, lens) < 0) {
		for (j = 0; j < nm; j++) {
			s[at[j]].failed = 1;
			snprintf(s[at[j]].err, sizeof(s[at[j]].err), "%s",
			    lasterr());
		}
		return;
	}
	for (j = 0; j < nm; j++) {
		s[at[j]].b = bufs[j];
		s[at[j]].n = lens[j];
	}
}

static void *
worker(void *arg)
{
	struct fetch *f = arg;
	struct slot s[BATCH];
	size_t i, k, j;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (!f->stop && f->next < f->n &&
		    f->next + BATCH > f->done + RING)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop || f->next >= f->n) {
			pthread_mutex_unlock(&f->mu);
			return NULL;
		}
		i = f->next;
		k = f->n - i < BATCH ? f->n - i : BATCH;
		f->next += k;
		pthread_mutex_unlock(&f->mu);
		fetch_batch(f, i, k, s);
		pthread_mutex_lock(&f->mu);
		for (j = 0; j < k; j++) {
			s[j].ready = 1;
			f->ring[(i + j) % RING] = s[j];
		}
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
}

/* Take in file I (S): from the cache when it passes, else fetched. */
static int
take(struct fetch *f, size_t i, struct slot *s, meta_open_fn open, void *arg)
{
	char path[256];
	int rc;

	if (s->failed)
		return fail("%s", s->err);
	path_of(f, i, path, sizeof(path));
	if (open(arg, i, s->b, s->n) == 0) {
		if (!s->cached)
			cache_put(f->c, path, s->b, s->n);
		return 0;
	}
	if (!s->cached)
		return -1;
	/* never trusted: a cached copy that fails is replaced by the real one */
	cache_drop(f->c, path);
	free(s->b);
	s->b = NULL;
	if (store_get_all(f->st, path, &s->b, &s->n) < 0)
		return -1;
	if ((rc = open(arg, i, s->b, s->n)) == 0)
		cache_put(f->c, path, s->b, s->n);
	return rc;
}

/* The caller's side: hand every file to OPEN in order. */
static int
consume(struct fetch *f, meta_open_fn open, void *arg)
{
	struct slot s;
	size_t i;
	int rc = 0;

	for (i = 0; i < f->n && rc == 0; i++) {
		pthread_mutex_lock(&f->mu);
		while (!f->ring[i % RING].ready)
			pthread_cond_wait(&f->cv, &f->mu);
		s = f->ring[i % RING];
		f->ring[i % RING].ready = 0;
		f->done = i + 1;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		rc = take(f, i, &s, open, arg);
		free(s.b);
	}
	return rc;
}

int
meta_fetch(struct store *st, struct cache *c, const char *dir,
    char *const *names, size_t n, meta_open_fn open, void *arg)
{
	struct fetch f = { .st = st, .c = c, .dir = dir, .names = names,
	    .n = n };
	pthread_t th[META_WORKERS];
	size_t i, nth = (n + BATCH - 1) / BATCH, started = 0;
	int rc;

	if (nth > META_WORKERS)
		nth = META_WORKERS;
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[started], NULL, worker, &f) == 0)
			started++;
	if (started == 0 && n > 0) {
		rc = fail("%s: cannot start a thread", dir);
		goto out;
	}
	rc = consume(&f, open, arg);
	pthread_mutex_lock(&f.mu);
	f.stop = 1;
	pthread_cond_broadcast(&f.cv);
	pthread_mutex_unlock(&f.mu);
out:
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < RING; i++)
		if (f.ring[i].ready)
			free(f.ring[i].b);
	pthread_cond_destroy(&f.cv);
	pthread_mutex_destroy(&f.mu);
	return rc;
}
