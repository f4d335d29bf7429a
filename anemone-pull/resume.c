/*
 * A restore that goes on at another friend: when a repository fails
 * part-way (a blob missing or damaged there, the friend gone), the bytes
 * already written stay written and the rest comes from the next
 * repository that holds the same content, and so on while each attempt
 * gets further.  Blobs are checked against their ids before a byte of
 * them is written, so every byte written is the snapshot's.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "pull.h"

struct resume {
	uint64_t done;		/* bytes written by earlier attempts */
	uint64_t got;		/* by this one */
	int progress;
};

static void
on_write(uint64_t written, void *arg)
{
	struct resume *rs = arg;

	rs->got = written;
	if (rs->progress)
		progress_update(rs->done + written);
}

/* V[0..N) (NULL: the whole stream of SIZE bytes) less its first DONE
 * bytes of output, into OUT (N + 1 entries); how many. */
static size_t
remaining(const struct pull_range *v, size_t n, uint64_t size,
    uint64_t done, struct pull_range *out)
{
	struct pull_range whole = { 0, size };
	size_t i, k = 0;

	if (v == NULL) {
		v = &whole;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		if (done >= v[i].len) {
			done -= v[i].len;
			continue;
		}
		out[k].off = v[i].off + done;
		out[k++].len = v[i].len - done;
		done = 0;
	}
	return k;
}

/* One attempt at repository I (its copy of S when I is not FIRST). */
static int
attempt(struct friends *f, int i, int first, const struct snapshot *s,
    const struct pull_range *v, size_t n, struct pull_range *left,
    struct resume *rs)
{
	struct snapshot t;
	size_t k;
	int rc;

	if (i != first && friends_same(f, i, s, &t) < 0)
		return -1;
	/* a whole stream from its start keeps the record's size check */
	k = remaining(v, n, s->size, rs->done, left);
	rc = pull_ranges(f->r[i], i == first ? s : &t,
	    v == NULL && rs->done == 0 ? NULL : left, k, 1, on_write, rs);
	if (i != first)
		snapshot_free(&t);
	return rc;
}

int
restore_ranges(struct friends *f, int first, const struct snapshot *s,
    const struct pull_range *v, size_t n, int progress)
{
	struct resume rs = { 0, 0, progress };
	struct pull_range *left;
	int i, stuck;

	if ((left = calloc(n + 1, sizeof(*left))) == NULL)
		return fail_errno("restore");
	for (i = first, stuck = 0; stuck < f->n; i = (i + 1) % f->n) {
		stuck++;
		if (f->r[i] == NULL)
			continue;
		if (i != first || rs.done > 0)
			fprintf(stderr, "anemone-pull: going on after %llu bytes "
			    "from %s\n", (unsigned long long)rs.done, f->url[i]);
		rs.got = 0;
		if (attempt(f, i, first, s, v, n, left, &rs) == 0) {
			free(left);
			return 0;
		}
		if (f->n > 1)
			warnx("%s", lasterr());
		if (rs.got > 0) {	/* it got further: everyone may again */
			rs.done += rs.got;
			stuck = 0;
		}
	}
	free(left);
	if (f->n == 1)
		return -1;
	return fail("no repository could serve the rest after %llu bytes",
	    (unsigned long long)rs.done);
}
