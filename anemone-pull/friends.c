/*
 * anemone-pull with -F: several repositories of one key.  The first that
 * answers serves; when a restore fails part-way (a blob missing or
 * damaged there, the friend gone), it resumes at the same byte from the
 * next repository holding the same snapshot content (same chunk lists:
 * ids agree across repositories of one key), and so on while each
 * attempt gets further.  -c verifies each repository in turn.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/pull.h"
#include "error.h"
#include "pull_tool.h"

/* Open each repository that answers (index loaded unless listing);
 * the number open, R[i] NULL for the others (named on stderr). */
static int
open_all(struct repo **r, const char **url, int n, const char *keyfile,
    const struct store_opts *so, int index)
{
	int i, created, k = 0;

	for (i = 0; i < n; i++) {
		r[i] = repo_open_opts(url[i], keyfile, 0, &created, so);
		if (r[i] != NULL && index &&
		    repo_load_index(r[i], 0, NULL, NULL) < 0) {
			repo_close(r[i]);
			r[i] = NULL;
		}
		if (r[i] == NULL)
			warnx("%s", lasterr());
		else
			k++;
	}
	return k;
}

/* The snapshot at R with the content of S (same name, size and chunk
 * lists), newest first.  0 or -1. */
static int
same_content(struct repo *r, const struct snapshot *s, struct snapshot *out)
{
	struct snapshot *v;
	size_t n, i;

	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	for (i = n; i-- > 0;)
		if (strcmp(v[i].name, s->name) == 0 && v[i].size == s->size &&
		    v[i].nlists == s->nlists && memcmp(v[i].lists, s->lists,
		    s->nlists * sizeof(*s->lists)) == 0) {
			*out = v[i];
			v[i].lists = NULL;
			snapshots_free(v, n);
			return 0;
		}
	snapshots_free(v, n);
	return fail("%s: no snapshot with this content", r->st->url);
}

/* Restore S (from R[first]) to stdout, resuming at other repositories
 * while each attempt gets further.  0 or -1. */
static int
restore(struct repo **r, int n, int first, const struct snapshot *s)
{
	struct snapshot t;
	uint64_t at = 0, got;
	int i, stuck = 0, rc;

	for (i = first; stuck < n; i = (i + 1) % n, stuck++) {
		if (r[i] == NULL)
			continue;
		got = at;
		if (i != first || at > 0)
			fprintf(stderr, "anemone-pull: %s at byte %llu from %s\n",
			    at > 0 ? "resuming" : "trying", (unsigned long long)at,
			    r[i]->st->url);
		if (i == first)
			rc = pull_stream_from(r[i], s, 1, at, &got);
		else if ((rc = same_content(r[i], s, &t)) == 0) {
			rc = pull_stream_from(r[i], &t, 1, at, &got);
			snapshot_free(&t);
		}
		if (rc == 0)
			return 0;
		warnx("%s", lasterr());
		if (got > at) {
			at = got;
			stuck = 0;
		}
	}
	return fail("no repository could serve the rest from byte %llu",
	    (unsigned long long)at);
}

/* -c: each repository in turn, each reported; 0 or -1. */
static int
check_all(struct repo **r, const char **url, int n, const char *spec)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		if (r[i] == NULL)
			bad++;
		else if (check(r[i], spec) < 0) {
			warnx("%s", lasterr());
			bad++;
		} else
			fprintf(stderr, "anemone-pull: %s: ok\n", url[i]);
	}
	if (bad > 0)
		return fail("%d of %d repositories unreachable or with "
		    "problems", bad, n);
	return 0;
}

int
pull_friends(int mode, const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *spec)
{
	struct repo *r[FRIENDS_MAX];
	struct snapshot s;
	int i, first, rc = -1;

	if (open_all(r, url, n, keyfile, so, mode != 'l') == 0)
		errx(1, "no repository answers");
	for (first = 0; r[first] == NULL; first++)
		;
	if (mode == 'c')
		rc = check_all(r, url, n, spec);
	else if (mode == 'l')
		rc = list(r[first], spec);
	else if ((rc = select_snapshot(r[first], spec, &s)) == 0) {
		rc = restore(r, n, first, &s);
		snapshot_free(&s);
	}
	for (i = 0; i < n; i++)
		if (r[i] != NULL)
			repo_close(r[i]);
	if (rc < 0)
		errx(1, "%s", lasterr());
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
