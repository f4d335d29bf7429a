/*
 * Progress of a restore on a terminal (stderr), as anemone-push shows its
 * own: bytes written, rate, and for a part restore the members done.
 */
#include <stdio.h>
#include <time.h>

#include "human.h"
#include "pull.h"

static struct {
	double t0, last;
	uint64_t total;
	const uint64_t *ends;	/* output offset where each member ends */
	size_t nends, done;
} pg;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
progress_start(uint64_t total, const uint64_t *ends, size_t nends)
{
	pg.t0 = pg.last = now();
	pg.total = total;
	pg.ends = ends;
	pg.nends = nends;
	pg.done = 0;
}

void
progress_update(uint64_t written)
{
	char w[16], rate[16], all[16];
	double t = now(), dt = t - pg.t0;

	if (t - pg.last < 0.25)
		return;
	pg.last = t;
	while (pg.done < pg.nends && pg.ends[pg.done] <= written)
		pg.done++;
	human_size(w, written);
	human_size(all, pg.total);
	human_size(rate, dt > 0 ? (uint64_t)(written / dt) : 0);
	fprintf(stderr, "\r\033[Kwrote %s of %s  %s/s", w, all, rate);
	if (pg.nends > 0)
		fprintf(stderr, "  members %zu of %zu", pg.done, pg.nends);
}

void
progress_end(void)
{
	fprintf(stderr, "\r\033[K");
}
