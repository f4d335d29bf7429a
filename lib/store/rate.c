/*
 * The upload cap (rate.h).  Each taker reserves its bytes under the lock,
 * possibly driving the bucket into debt, and then sleeps for its share of
 * the debt outside the lock: takers queue in the order they reserved, and
 * over any stretch of time no more than the rate times its length, plus
 * one small burst, goes out.  The bucket starts empty, so a measured
 * transfer sees the cap from its first byte.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "store/rate.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rate;		/* bytes per second, 0: no cap */
static double tokens;		/* bytes that may go now (negative: debt) */
static double last;		/* when TOKENS was right */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
store_rate_set(uint64_t bps)
{
	pthread_mutex_lock(&mu);
	rate = bps;
	tokens = 0;
	last = now();
	pthread_mutex_unlock(&mu);
}

size_t
store_rate_piece(size_t size)
{
	uint64_t r;
	size_t piece;

	pthread_mutex_lock(&mu);
	r = rate;
	pthread_mutex_unlock(&mu);
	if (r == 0)
		return size;
	piece = (size_t)(r / 16);	/* about 60 ms of the rate */
	if (piece < 1024)
		piece = 1024;
	return piece < size ? piece : size;
}

void
store_rate_take(size_t n)
{
	struct timespec ts;
	double t, burst, wait = 0;

	pthread_mutex_lock(&mu);
	if (rate != 0) {
		t = now();
		burst = (double)rate / 8;	/* saved while idle, at most */
		tokens += (t - last) * (double)rate;
		if (tokens > burst)
			tokens = burst;
		last = t;
		tokens -= (double)n;
		if (tokens < 0)
			wait = -tokens / (double)rate;
	}
	pthread_mutex_unlock(&mu);
	if (wait <= 0)
		return;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
