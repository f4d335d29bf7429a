/*
 * copy_snapshot() (copy.h): a thread pulls the stream from the source
 * into a pipe; the push reads the other end as it would read tar, so the
 * chunks, their ids and the catalogue come out as at the source, and the
 * target's index decides what is new.  The push's gate waits for the
 * pull: a stream that could not be read whole writes no record (what was
 * stored is reused by the next attempt).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "backup/copy.h"
#include "backup/pull.h"
#include "error.h"

struct feed {
	struct repo *src;
	const struct snapshot *s;
	int fd;			/* the pipe's write end, closed when done */
	pthread_t t;
	int started, joined, rc;
	char err[1024];
};

static void *
feeder(void *arg)
{
	struct feed *f = arg;

	f->rc = pull_stream(f->src, f->s, f->fd);
	if (f->rc < 0)
		snprintf(f->err, sizeof(f->err), "%s", lasterr());
	close(f->fd);	/* the push sees the end of the stream */
	return NULL;
}

static void
feed_join(struct feed *f)
{
	if (f->started && !f->joined) {
		pthread_join(f->t, NULL);
		f->joined = 1;
	}
}

/* The gate: did the whole stream come from the source? */
static int
pulled(void *arg)
{
	struct feed *f = arg;

	feed_join(f);
	return f->rc < 0 ? fail("%s; nothing copied", f->err) : 0;
}

int
copy_snapshot(struct repo *src, struct repo *dst,
    const struct snapshot *s, char id[2 * SNAP_ID_LEN + 1],
    struct push_stats *st)
{
	struct feed f = { .src = src, .s = s };
	int fds[2], rc;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return fail_errno("pipe");
	f.fd = fds[1];
	if (pthread_create(&f.t, NULL, feeder, &f) != 0) {
		close(fds[0]);
		close(fds[1]);
		return fail("cannot start a thread");
	}
	f.started = 1;
	rc = push_stream_as(dst, fds[0], s->name, s->snap_id, s->time_ns,
	    pulled, &f, id, st, NULL);
	close(fds[0]);	/* a push that failed early stops the pull (EPIPE) */
	feed_join(&f);
	return rc;
}
