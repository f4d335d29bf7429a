/*
 * -c: verify every record, and every object the selected snapshots use.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pull.h"

/* Every object snapshot S uses: its stream's and its catalogue's. */
static int
verify(struct repo *r, const struct snapshot *s)
{
	struct catalog c;
	uint8_t *buf;
	size_t len;
	int rc;

	if (pull_stream(r, s, -1) < 0)
		return -1;
	if (!s->tar)
		return 0;
	if (pull_catalog(r, s, &buf, &len) < 0)
		return -1;
	rc = catalog_index(&c, buf, len);
	catalog_free(&c);
	return rc < 0 ? fail_ctx("snapshot %s: catalogue", s->name) : 0;
}

/* Verify: every record, and every object the selected ones use. */
int
check(struct repo *r, const char *spec)
{
	struct snapshot s;
	char **names;
	size_t n, i, seen = 0;
	int rc, bad = 0;

	if (spec != NULL && strchr(spec, '@') != NULL) {
		if (select_snapshot(r, spec, &s) < 0)
			return -1;
		rc = verify(r, &s);
		snapshot_free(&s);
		return rc;
	}
	rc = store_list(r->st, "snapshots", &names, &n);
	if (rc < 0 && rc != STORE_NOTFOUND)
		return -1;
	for (i = 0; i < n; i++) {
		if (repo_load_snapshot(r, names[i], &s) < 0) {
			warnx("%s", lasterr());
			bad = 1;
		} else {
			if (spec != NULL && strcmp(spec, s.name) == 0)
				seen++;
			if ((spec == NULL || strcmp(spec, s.name) == 0) &&
			    verify(r, &s) < 0) {
				warnx("%s", lasterr());
				bad = 1;
			}
			snapshot_free(&s);
		}
	}
	store_names_free(names, n);
	if (bad)
		return fail("%s: problems found", r->st->url);
	if (spec != NULL && seen == 0)
		return fail("%s: no snapshot named %s", r->st->url, spec);
	return 0;
}

