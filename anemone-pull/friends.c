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

int
check_friends(struct friends *f, const char *spec)
{
	int i, bad = 0;

	if (f->n == 1)
		return check(f->r[0], spec);
	for (i = 0; i < f->n; i++) {
		if (f->r[i] == NULL)
			bad++;	/* named when it was opened */
		else if (check(f->r[i], spec) < 0) {
			warnx("%s", lasterr());
			bad++;
		} else
			fprintf(stderr, "anemone-pull: %s: ok\n", f->url[i]);
	}
	if (bad > 0)
		return fail("%d of %d repositories unreachable or with "
		    "problems", bad, f->n);
	return 0;
}
