/*
 * Restoring a snapshot, whole or in part.  NAME PATH... writes a tar
 * stream of just the members the paths select, each with all its headers
 * (pax and GNU long-name headers included), then an end-of-archive
 * marker.  Only the chunks that hold those bytes are fetched.  With
 * several repositories, the first that has the snapshot serves and the
 * others take over where it fails (resume.c).
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "io.h"
#include "pull.h"

#define END_MARKER	1024	/* two zero blocks */

/* The byte ranges of the selected members, neighbours merged. */
static int
plan(struct catalog *c, struct member_sel *sel, struct pull_range **out,
    size_t *nout, uint64_t **ends)
{
	struct pull_range *v;
	uint64_t total = 0;
	size_t i, n = 0, m = 0;

	if ((v = calloc(c->n + 1, sizeof(*v))) == NULL ||
	    (*ends = calloc(c->n + 1, sizeof(**ends))) == NULL) {
		free(v);
		return fail_errno("restore");
	}
	for (i = 0; i < c->n; i++) {
		if (!sel_match(sel, &c->v[i]))
			continue;
		if (n > 0 && v[n - 1].off + v[n - 1].len == c->v[i].off)
			v[n - 1].len += c->v[i].span;
		else
			v[n++] = (struct pull_range){ c->v[i].off, c->v[i].span };
		total += c->v[i].span;
		(*ends)[m++] = total;
	}
	*out = v;
	*nout = n;
	return (int)m;
}

/* The catalogue of S (at repository FIRST) from the first that can. */
static int
catalog_any(struct friends *f, int first, const struct snapshot *s,
    struct catalog *c)
{
	struct snapshot t;
	int i, rc;

	if (load_catalog(f->r[first], s, c) == 0)
		return 0;
	for (i = friends_next(f, 0); i >= 0; i = friends_next(f, i + 1)) {
		if (i == first)
			continue;
		warnx("%s", lasterr());
		if (friends_same(f, i, s, &t) < 0)
			continue;
		rc = load_catalog(f->r[i], &t, c);
		snapshot_free(&t);
		if (rc == 0)
			return 0;
	}
	return -1;
}

int
restore_part(struct friends *f, const char *spec, char *const *paths,
    size_t n, int progress)
{
	static const uint8_t zero[END_MARKER];
	struct snapshot s;
	struct catalog c;
	struct member_sel sel;
	struct pull_range *v = NULL;
	uint64_t *ends = NULL, total = 0;
	const char *miss;
	size_t nv = 0, i;
	int rc = -1, members, first;

	if ((first = friends_select(f, spec, &s)) < 0)
		return -1;
	memset(&sel, 0, sizeof(sel));
	memset(&c, 0, sizeof(c));
	if (catalog_any(f, first, &s, &c) < 0 || sel_init(&sel, paths, n) < 0 ||
	    (members = plan(&c, &sel, &v, &nv, &ends)) < 0)
		goto out;
	if ((miss = sel_unmatched(&sel)) != NULL) {
		fail("%s: not in snapshot %s", miss, spec);
		goto out;
	}
	for (i = 0; i < nv; i++)
		total += v[i].len;
	if (progress)
		progress_start(total, ends, (size_t)members);
	rc = restore_ranges(f, first, &s, v, nv, progress);
	if (rc == 0 && write_all(1, zero, sizeof(zero)) < 0)
		rc = fail_errno("writing the output");
	if (progress)
		progress_end();
out:
	free(v);
	free(ends);
	sel_free(&sel);
	catalog_free(&c);
	snapshot_free(&s);
	return rc;
}

/* The whole stream. */
int
restore_all(struct friends *f, const char *spec, int progress)
{
	struct snapshot s;
	int rc, first;

	if ((first = friends_select(f, spec, &s)) < 0)
		return -1;
	if (progress)
		progress_start(s.size, NULL, 0);
	rc = restore_ranges(f, first, &s, NULL, 0, progress);
	if (progress)
		progress_end();
	snapshot_free(&s);
	return rc;
}

int
load_catalog(struct repo *r, const struct snapshot *s, struct catalog *c)
{
	uint8_t *buf;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (!s->tar)
		return fail("snapshot %s: no catalogue (its stream is not a tar "
		    "archive)", s->name);
	if (pull_catalog(r, s, &buf, &len) < 0)
		return -1;
	if (catalog_index(c, buf, len) < 0)
		return fail_ctx("snapshot %s", s->name);
	return 0;
}
