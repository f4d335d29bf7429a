/*
 * Several repositories of one key (-r, repeated): each opened and
 * guarded on its own, so that a friend who is away, or who shows a
 * rolled-back repository, is left out while the others serve.  The first
 * that answers serves; snapshots of equal content are found at the others
 * by their chunk lists, whose ids agree across repositories of one key.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "guard.h"
#include "pull.h"

/* Open repository I and run the guard; 0 or -1. */
static int
open_one(struct friends *f, int i, const char *keyfile,
    const struct store_opts *so, int accept, int mode)
{
	struct guard g;
	struct repo *r;
	int created, rc = -1;

	if ((r = repo_open_opts(f->url[i], keyfile, 0, &created, so)) == NULL)
		return -1;
	if (guard_open(&g, r, accept) == 0) {
		if (guard_repo(&g, r, mode == 'c') == 0 && (mode == 'l' ||
		    mode == 'S' || repo_load_index(r, 0, NULL, NULL) == 0))
			rc = 0;
		guard_close(&g);
	}
	if (rc < 0)
		repo_close(r);
	else
		f->r[i] = r;
	return rc;
}

int
friends_open(struct friends *f, const char *keyfile,
    const struct store_opts *so, int accept, int mode)
{
	int i, k = 0;

	for (i = 0; i < f->n; i++) {
		if (open_one(f, i, keyfile, so, accept, mode) == 0)
			k++;
		else if (f->n > 1)
			warnx("%s", lasterr());
	}
	if (k == 0 && f->n > 1)
		return fail("none of the %d repositories answers", f->n);
	return k == 0 ? -1 : k;
}

void
friends_close(struct friends *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (f->r[i] != NULL) {
			repo_close(f->r[i]);
			f->r[i] = NULL;
		}
}

int
friends_next(const struct friends *f, int i)
{
	for (; i < f->n; i++)
		if (f->r[i] != NULL)
			return i;
	return -1;
}

int
friends_select(struct friends *f, const char *spec, struct snapshot *s)
{
	int i, last;

	for (i = friends_next(f, 0); i >= 0; i = friends_next(f, i + 1)) {
		if (select_snapshot(f->r[i], spec, s) == 0)
			return i;
		last = friends_next(f, i + 1) < 0;
		if (!last)
			warnx("%s", lasterr());
	}
	return -1;
}

int
friends_same(struct friends *f, int i, const struct snapshot *s,
    struct snapshot *t)
{
	struct snapshot *v;
	size_t n, k;

	if (repo_snapshots(f->r[i], &v, &n) < 0)
		return -1;
	for (k = n; k-- > 0;)
		if (strcmp(v[k].name, s->name) == 0 && v[k].size == s->size &&
		    v[k].nlists == s->nlists && memcmp(v[k].lists, s->lists,
		    s->nlists * sizeof(*s->lists)) == 0) {
			*t = v[k];
			memset(&v[k], 0, sizeof(v[k]));
			snapshots_free(v, n);
			return 0;
		}
	snapshots_free(v, n);
	return fail("%s: no snapshot with this content", f->url[i]);
}

static int
has_id(const struct snapshot *v, size_t n, const uint8_t *id)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (memcmp(v[k].snap_id, id, SNAP_ID_LEN) == 0)
			return 1;
	return 0;
}

/* Name every snapshot (called NAME, unless NULL) that another repository
 * has and repository I lacks, once each; how many.  Snapshots are
 * compared by id: a push to several friends, and a copy, keep it. */
static int
lacks(struct friends *f, int i, struct snapshot **v, const size_t *n,
    const char *name)
{
	const struct snapshot *s;
	char id[2 * SNAP_ID_LEN + 1];
	size_t a;
	int j, c, miss = 0;

	for (j = 0; j < f->n; j++)
		for (a = 0; j != i && v[j] != NULL && a < n[j]; a++) {
			s = &v[j][a];
			if ((name != NULL && strcmp(s->name, name) != 0) ||
			    has_id(v[i], n[i], s->snap_id))
				continue;
			for (c = 0; c < j; c++)	/* named at the first */
				if (c != i && v[c] != NULL &&
				    has_id(v[c], n[c], s->snap_id))
					break;
			if (c < j)
				continue;
			hex_encode(id, s->snap_id, SNAP_ID_LEN);
			warnx("%s: lacks %s@%s (at %s)", f->url[i], s->name, id,
			    f->url[j]);
			miss++;
		}
	return miss;
}

/* Verify repository I, then name what it lacks; 0 when all is well. */
static int
check_one(struct friends *f, int i, struct snapshot **v, const size_t *n,
    const char *name, const char *spec)
{
	int bad = 0;

	if (check(f->r[i], spec) < 0) {
		warnx("%s", lasterr());
		bad = 1;
	}
	if (v[i] != NULL && lacks(f, i, v, n, name) > 0)
		bad = 1;
	return bad;
}

int
check_friends(struct friends *f, const char *spec)
{
	struct snapshot *v[FRIENDS_MAX] = { NULL };
	size_t n[FRIENDS_MAX] = { 0 };
	char name[NAME_MAX_LEN + 1];
	int i, bad = 0;

	if (f->n == 1)
		return check(f->r[0], spec);
	if (spec != NULL)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, "@"),
		    spec);
	for (i = 0; i < f->n; i++)
		if (f->r[i] != NULL && repo_snapshots(f->r[i], &v[i], &n[i]) < 0)
			v[i] = NULL;	/* check() reports it */
	for (i = 0; i < f->n; i++) {
		if (f->r[i] == NULL)
			bad++;	/* named when it was opened */
		else if (check_one(f, i, v, n, spec ? name : NULL, spec))
			bad++;
		else
			fprintf(stderr, "anemone-pull: %s: ok\n", f->url[i]);
	}
	for (i = 0; i < f->n; i++)
		if (v[i] != NULL)
			snapshots_free(v[i], n[i]);
	if (bad > 0)
		return fail("%d of %d repositories unreachable, with problems "
		    "or lacking snapshots", bad, f->n);
	return 0;
}
