/*
 * Rollback detection (docs/STATE.md): compare what the repository shows
 * with what this client remembers of it, refuse a repository that hides
 * a snapshot it saw (unless -A), and remember every record read.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "human.h"
#include "guard.h"

int
guard_open(struct guard *g, const struct repo *r, int accept)
{
	memset(g, 0, sizeof(*g));
	g->accept = accept;
	if (state_path(r->repo_id, &g->path) < 0) {
		/* no place for it: work without (the state is optional) */
		warnx("warning: %s; rollback detection is off", lasterr());
		g->path = NULL;
		return 0;
	}
	return state_load(g->path, r->repo_id, &g->st);
}

/* The snapshot ids the repository lists (names that are not ids, such as
 * an upload's temporary name, are not snapshots). */
static int
listed_ids(struct repo *r, uint8_t (**ids)[SNAP_ID_LEN], size_t *n)
{
	char **names;
	size_t cnt = 0, i, k = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	rc = store_list(r->st, "snapshots", &names, &cnt);
	if (rc < 0 && rc != STORE_NOTFOUND)
		return -1;
	if (cnt > 0 && (*ids = malloc(cnt * SNAP_ID_LEN)) == NULL)
		rc = fail("out of memory");
	for (i = 0; i < cnt && *ids != NULL; i++)
		if (hex_decode((*ids)[k], names[i], SNAP_ID_LEN) == 0)
			k++;
	store_names_free(names, cnt);
	*n = k;
	return rc == -1 ? -1 : 0;
}

/* Forget the snapshots BAD[0..N) after -A, naming each. */
static int
forget(struct guard *g, const char *url, uint8_t (*bad)[SNAP_ID_LEN], long n)
{
	char id[2 * SNAP_ID_LEN + 1], t[32];
	long i;
	size_t j;

	for (i = 0; i < n; i++)
		for (j = 0; j < g->st.n; j++) {
			if (memcmp(g->st.v[j].id, bad[i], SNAP_ID_LEN) != 0)
				continue;
			hex_encode(id, bad[i], SNAP_ID_LEN);
			human_time(t, g->st.v[j].time_ns);
			warnx("%s: accepting (-A) that snapshot %s@%s of %s, "
			    "which this client saw, is gone or changed", url,
			    g->st.v[j].name, id, t);
		}
	return state_update(g->path, g->st.repo_id, NULL, 0,
	    (const uint8_t (*)[SNAP_ID_LEN])bad, (size_t)n);
}

int
guard_check(struct guard *g, struct repo *r, const struct snapshot *v,
    size_t nv)
{
	uint8_t (*ids)[SNAP_ID_LEN], (*bad)[SNAP_ID_LEN];
	size_t nids;
	long n;
	int rc = 0;

	if (g->path == NULL || g->st.n == 0)
		return 0;
	if (listed_ids(r, &ids, &nids) < 0)
		return -1;
	n = state_check(&g->st, r->st->url, (const uint8_t (*)[SNAP_ID_LEN])ids,
	    nids, v, nv, &bad);
	free(ids);
	if (n < 0)
		return -1;
	if (n > 0 && !g->accept) {
		char why[900];
		snprintf(why, sizeof(why), "%s", lasterr());
		rc = fail("%s (a rollback, or a deletion: -A accepts the "
		    "repository as it is now)", why);
	} else if (n > 0) {
		rc = forget(g, r->st->url, bad, n);
	}
	free(bad);
	return rc;
}

void
guard_remember(struct guard *g, const struct snapshot *v, size_t n)
{
	struct state_snap *add;
	size_t i;

	if (g->path == NULL || n == 0)
		return;
	if ((add = malloc(n * sizeof(*add))) == NULL) {
		warnx("warning: out of memory; rollback detection will not "
		    "know these snapshots");
		return;
	}
	for (i = 0; i < n; i++)
		state_snap_from(&add[i], &v[i]);
	if (state_update(g->path, g->st.repo_id, add, n, NULL, 0) < 0)
		warnx("warning: %s; rollback detection will not know these "
		    "snapshots", lasterr());
	free(add);
}

void
guard_close(struct guard *g)
{
	state_free(&g->st);
	free(g->path);
	g->path = NULL;
}

int
guard_repo(struct guard *g, struct repo *r, int soft)
{
	struct snapshot *v = NULL;
	size_t n = 0;
	int rc;

	if (g->path == NULL)
		return 0;
	if (repo_snapshots(r, &v, &n) < 0) {
		if (!soft)
			return -1;
		v = NULL;	/* -c reports the bad record itself */
		n = 0;
	}
	if ((rc = guard_check(g, r, v, n)) == 0)
		guard_remember(g, v, n);
	if (v != NULL)
		snapshots_free(v, n);
	return rc;
}
