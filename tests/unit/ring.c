/*
 * Unit tests of the ordered ring (lib/backup/ring.h) shared by push and
 * pull: slots out in sequence whatever order workers finish them in, at
 * most SIZE in use, close drains, a failure ends every wait.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "backup/ring.h"
#include "tap.h"

#define SIZE	4
#define ITEMS	2000
#define NWORK	3

/* Calls that cannot block, in one thread: the bookkeeping. */
static void
test_sequence(void)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct ring r;
	int failed = 0, a, b, c, i;

	ring_init(&r, &mu, &failed, SIZE);
	pthread_mutex_lock(&mu);
	for (i = 0; i < 3; i++) {
		is_int(ring_wait_free(&r, r.put), i, "free slot %d", i);
		ring_put(&r);
	}
	a = ring_take(&r);
	b = ring_take(&r);
	c = ring_take(&r);
	ok(a == 0 && b == 1 && c == 2, "workers take slots in order of arrival");
	ring_finish(&r, c);
	ring_finish(&r, b);
	ring_finish(&r, a);
	for (i = 0; i < 3; i++) {
		is_int(ring_next_out(&r), i, "out in sequence: %d", i);
		ring_release(&r);
	}
	is_int(ring_wait_free(&r, r.put), 3, "the ring wraps: slot 3");
	ring_put(&r);
	is_int(ring_wait_free(&r, r.put), 0, "then slot 0");
	ring_put(&r);
	is_int(ring_take(&r), 3, "taken across the wrap: 3");
	is_int(ring_take(&r), 0, "then 0");
	ring_close(&r);
	is_int(ring_take(&r), -1, "closed and all taken: workers stop");
	ring_finish(&r, 0);
	ring_finish(&r, 3);
	ok(ring_next_out(&r) == 3 && (ring_release(&r), ring_next_out(&r)) == 0,
	    "closed: what was put still comes out in order");
	ring_release(&r);
	is_int(ring_next_out(&r), -1, "closed and drained: the consumer stops");
	failed = 1;
	ok(ring_wait_free(&r, r.put + SIZE) == -1 && ring_take(&r) == -1 &&
	    ring_next_out(&r) == -1, "a failure ends every wait");
	pthread_mutex_unlock(&mu);
	ring_destroy(&r);
}

/* Threads: NWORK workers finishing in scrambled order, one consumer. */
struct bench {
	pthread_mutex_t mu;
	struct ring r;
	int failed, fail_at;
	uint64_t val[SIZE];	/* sequence number carried by each slot */
	uint64_t got, bad, maxuse;
};

static void *
worker(void *arg)
{
	struct bench *b = arg;
	volatile uint64_t spin;
	uint64_t v;
	int slot;

	pthread_mutex_lock(&b->mu);
	while ((slot = ring_take(&b->r)) >= 0) {
		v = b->val[slot];
		pthread_mutex_unlock(&b->mu);
		/* uneven work, so that later slots often finish first */
		for (spin = 0; spin < (v * 2654435761u) % 20000; spin++)
			;
		pthread_mutex_lock(&b->mu);
		if (b->fail_at >= 0 && v == (uint64_t)b->fail_at) {
			b->failed = 1;
			ring_wake(&b->r);
			break;
		}
		ring_finish(&b->r, slot);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static void *
consumer(void *arg)
{
	struct bench *b = arg;
	int slot;

	pthread_mutex_lock(&b->mu);
	while ((slot = ring_next_out(&b->r)) >= 0) {
		if (b->val[slot] != b->got)
			b->bad++;
		b->got++;
		ring_release(&b->r);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static void
run(struct bench *b, int fail_at)
{
	pthread_t w[NWORK], c;
	uint64_t i;
	int k, slot;

	memset(b, 0, sizeof(*b));
	b->fail_at = fail_at;
	pthread_mutex_init(&b->mu, NULL);
	ring_init(&b->r, &b->mu, &b->failed, SIZE);
	for (k = 0; k < NWORK; k++)
		pthread_create(&w[k], NULL, worker, b);
	pthread_create(&c, NULL, consumer, b);
	pthread_mutex_lock(&b->mu);
	for (i = 0; i < ITEMS; i++) {
		if ((slot = ring_wait_free(&b->r, b->r.put)) < 0)
			break;
		b->val[slot] = i;
		ring_put(&b->r);
		if (b->r.put - b->r.out > b->maxuse)
			b->maxuse = b->r.put - b->r.out;
	}
	ring_close(&b->r);
	pthread_mutex_unlock(&b->mu);
	for (k = 0; k < NWORK; k++)
		pthread_join(w[k], NULL);
	pthread_join(c, NULL);
	ring_destroy(&b->r);
	pthread_mutex_destroy(&b->mu);
}

static void
test_threads(void)
{
	static struct bench b;

	run(&b, -1);
	ok(b.got == ITEMS && b.bad == 0, "%d items through %d workers, out "
	    "in sequence (%llu out of place)", ITEMS, NWORK,
	    (unsigned long long)b.bad);
	ok(b.maxuse <= SIZE, "never more than %d slots in use (%llu)", SIZE,
	    (unsigned long long)b.maxuse);
	run(&b, 700);
	ok(b.failed && b.got <= 700 && b.bad == 0, "a worker's failure at item "
	    "700 stops every thread; %llu came out before, in sequence",
	    (unsigned long long)b.got);
}

int
main(void)
{
	test_sequence();
	test_threads();
	return done_testing();
}
