/* The ordered ring of the push and pull engines (ring.h). */
#include "backup/ring.h"

void
ring_init(struct ring *r, pthread_mutex_t *mu, const int *failed,
    unsigned size)
{
	*r = (struct ring){ .mu = mu, .failed = failed, .size = size };
	pthread_cond_init(&r->cv_free, NULL);
	pthread_cond_init(&r->cv_take, NULL);
	pthread_cond_init(&r->cv_out, NULL);
}

void
ring_destroy(struct ring *r)
{
	pthread_cond_destroy(&r->cv_free);
	pthread_cond_destroy(&r->cv_take);
	pthread_cond_destroy(&r->cv_out);
}

int
ring_wait_free(struct ring *r, uint64_t seq)
{
	while (!*r->failed && seq - r->out >= r->size)
		pthread_cond_wait(&r->cv_free, r->mu);
	return *r->failed ? -1 : (int)(seq % r->size);
}

void
ring_put(struct ring *r)
{
	r->done[r->put++ % r->size] = 0;
	pthread_cond_signal(&r->cv_take);
}

void
ring_close(struct ring *r)
{
	r->closed = 1;
	pthread_cond_broadcast(&r->cv_take);
	pthread_cond_broadcast(&r->cv_out);
}

int
ring_take(struct ring *r)
{
	while (!*r->failed && r->taken == r->put && !r->closed)
		pthread_cond_wait(&r->cv_take, r->mu);
	if (*r->failed || r->taken == r->put)
		return -1;
	return (int)(r->taken++ % r->size);
}

void
ring_finish(struct ring *r, int slot)
{
	r->done[slot] = 1;
	/* the consumer waits for one particular slot: wake it whichever
	 * finished (one consumer, so a signal reaches it) */
	pthread_cond_signal(&r->cv_out);
}

int
ring_next_out(struct ring *r)
{
	unsigned slot;

	for (;;) {
		slot = (unsigned)(r->out % r->size);
		if (*r->failed || (r->out < r->put && r->done[slot]) ||
		    (r->closed && r->out == r->put))
			break;
		pthread_cond_wait(&r->cv_out, r->mu);
	}
	if (*r->failed || r->out == r->put)
		return -1;
	return (int)slot;
}

void
ring_release(struct ring *r)
{
	r->done[r->out++ % r->size] = 0;
	pthread_cond_signal(&r->cv_free);
}

void
ring_wake(struct ring *r)
{
	pthread_cond_broadcast(&r->cv_free);
	pthread_cond_broadcast(&r->cv_take);
	pthread_cond_broadcast(&r->cv_out);
}
