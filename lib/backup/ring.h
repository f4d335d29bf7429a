/*
 * The ordered ring of the push and pull engines: a producer puts slots in
 * sequence, workers take them in that order and finish them in any order,
 * one consumer takes them out strictly in sequence and frees them.  At
 * most SIZE slots are in use at once, which bounds memory.
 *
 * The ring has no lock of its own: it shares its owner's mutex MU, which
 * must be held around every call (the calls that wait release it while
 * waiting, as pthread_cond_wait does), and its owner's failure flag
 * FAILED, which ends every wait.  The owner calls ring_wake() when it sets
 * that flag.  Slots are numbers in 0..SIZE-1; the owner keeps their data.
 */
#ifndef ANEMONE_RING_H
#define ANEMONE_RING_H

#include <pthread.h>
#include <stdint.h>

#define RING_MAX	16

struct ring {
	pthread_mutex_t *mu;
	const int *failed;
	pthread_cond_t cv_free, cv_take, cv_out;
	unsigned size;
	uint64_t put, taken, out;	/* sequence numbers */
	uint8_t done[RING_MAX];		/* finished by a worker */
	int closed;			/* nothing more will be put */
};

/* SIZE <= RING_MAX. */
void ring_init(struct ring *r, pthread_mutex_t *mu, const int *failed,
    unsigned size);
void ring_destroy(struct ring *r);

/*
 * Producer: wait until sequence number SEQ (r->put, or a number of the
 * owner's own that runs ahead of it) has a free slot; return the slot, or
 * -1 once failed.
 */
int ring_wait_free(struct ring *r, uint64_t seq);
/* Producer: hand the next slot in sequence to the workers. */
void ring_put(struct ring *r);
/* Producer: nothing more will be put; workers and consumer drain. */
void ring_close(struct ring *r);

/* Worker: wait for the next slot put; -1 once failed or drained. */
int ring_take(struct ring *r);
/* Worker: slot SLOT is finished. */
void ring_finish(struct ring *r, int slot);

/* Consumer: wait for the next slot in sequence to be finished; -1 once
 * failed or drained. */
int ring_next_out(struct ring *r);
/* Consumer: the slot ring_next_out() gave is free again. */
void ring_release(struct ring *r);

/* Wake every waiter (the owner has set its failure flag). */
void ring_wake(struct ring *r);

#endif
