/*
 * The front of a push: a reader thread fills the ring's jobs with the
 * stream; the caller's thread cuts each job into whole chunks and puts it
 * in the ring for the workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup/push_impl.h"
#include "error.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read into J up to READ_SIZE bytes, after its RESERVE; *EOF at the end. */
static int
read_job(struct push *p, struct job *j, int *eof)
{
	ssize_t got;

	j->rlen = 0;
	while (!*eof && j->rlen < READ_SIZE) {
		got = read(p->fd, j->buf + RESERVE + j->rlen, READ_SIZE - j->rlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fail_errno("reading the stream");
		if (got == 0)
			*eof = 1;
		j->rlen += (size_t)got;
	}
	return 0;
}

/*
 * The reading thread: fill free jobs, in order, with READ_SIZE bytes of
 * the stream each (less only where it ends), leaving RESERVE bytes in
 * front for the tail the chunker carries over from the job before.
 */
void *
push_reader(void *arg)
{
	struct push *p = arg;
	struct job *j;
	int eof = 0, slot;

	/* a bigger pipe lets the producer run ahead: fewer, larger reads */
	(void)fcntl(p->fd, F_SETPIPE_SZ, 1 << 20);
	while (!eof) {
		pthread_mutex_lock(&p->mu);
		slot = ring_wait_free(&p->ring, p->next_read);
		pthread_mutex_unlock(&p->mu);
		if (slot < 0)
			break;
		j = &p->jobs[slot];
		if (read_job(p, j, &eof) < 0) {
			push_fail(p);
			return NULL;
		}
		pthread_mutex_lock(&p->mu);
		j->reof = eof;
		p->st.in_bytes += j->rlen;
		j->seq = p->next_read++;
		pthread_cond_signal(&p->cv_chunk);
		pthread_cond_broadcast(&p->cv_cat);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/*
 * Cut job J's bytes (the carried TAIL of *TLEN bytes, then what was read)
 * into whole chunks up to SEG_MAX bytes; the bytes after the last chunk,
 * fewer than CHUNK_MAX, go back to TAIL for the next job.  (With
 * READ_SIZE = SEG_MAX - CHUNK_MAX the tail stays under CHUNK_MAX: a job
 * stops short of SEG_MAX only past SEG_MAX - CHUNK_MAX.)
 */
static int
cut_job(const struct chunker *ch, struct job *j, uint8_t *tail, size_t *tlen)
{
	size_t have, pos, n;
	int eof = j->reof;

	j->data = j->buf + RESERVE - *tlen;
	memcpy(j->data, tail, *tlen);
	have = *tlen + j->rlen;
	j->n = 0;
	for (pos = 0; pos < have && (eof || have - pos >= CHUNK_MAX); pos += n) {
		n = chunker_next(ch, j->data + pos, have - pos, eof);
		if (pos + n > SEG_MAX || j->n == JOB_CHUNKS)
			break;
		j->lens[j->n++] = (uint32_t)n;
	}
	*tlen = have - pos;
	if (*tlen >= RESERVE || (j->n == 0 && !eof))
		return fail("internal error: chunking tail of %zu bytes", *tlen);
	memcpy(tail, j->data + pos, *tlen);
	return 0;
}

/* The chunking thread (the caller's): cut each job read, in order. */
int
push_chunk(struct push *p, push_progress progress, void *arg)
{
	uint8_t *tail;
	size_t tlen = 0;
	struct job *j;
	double last = now(), t;
	struct push_stats snap;
	int eof, rc = -1;

	if ((tail = malloc(RESERVE)) == NULL)
		return fail_errno("push");
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->failed && p->next_read == p->ring.put)
			pthread_cond_wait(&p->cv_chunk, &p->mu);
		if (p->failed) {
			pthread_mutex_unlock(&p->mu);
			goto out;
		}
		j = &p->jobs[p->ring.put % RING];
		pthread_mutex_unlock(&p->mu);
		eof = j->reof;	/* J is not ours once put */
		if (cut_job(&p->r->ch, j, tail, &tlen) < 0)
			goto out;
		if (j->n > 0) {
			pthread_mutex_lock(&p->mu);
			ring_put(&p->ring);
			pthread_mutex_unlock(&p->mu);
		}
		if (eof && tlen == 0)
			break;
		if (progress != NULL && (t = now()) - last >= 0.25) {
			last = t;
			pthread_mutex_lock(&p->mu);
			snap = p->st;
			pthread_mutex_unlock(&p->mu);
			progress(&snap, arg);
		}
	}
	rc = 0;
out:
	free(tail);
	return rc;
}
