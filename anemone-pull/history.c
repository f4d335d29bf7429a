/*
 * -H NAME PATH: every snapshot of NAME, oldest first, in which the member
 * PATH appeared, changed (size, mtime, content, ...) or went away, so
 * that a user finds the last good version to restore.
 */
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "pull.h"

static void
line(const struct snapshot *s, const char *state, const struct cat_entry *e,
    const char *what, int tty)
{
	char id[2 * SNAP_ID_LEN + 1], t[32], mt[32];

	hex_encode(id, s->snap_id, SNAP_ID_LEN);
	iso_time(t, (int64_t)(s->time_ns / 1000000000u));
	if (e != NULL)
		iso_time(mt, e->mtime);
	if (tty)
		printf("%s@%s  %s  %-8s %12llu  %s  %s\n", s->name, id, t, state,
		    e ? (unsigned long long)e->size : 0ULL, e ? mt : "-", what);
	else
		printf("%s@%s\t%s\t%s\t%llu\t%s\t%s\n", s->name, id, t, state,
		    e ? (unsigned long long)e->size : 0ULL, e ? mt : "", what);
}

int
show_history(struct repo *r, const char *name, const char *path)
{
	struct snapshot *v;
	struct catalog c, prev;
	const struct cat_entry *e, *pe = NULL;
	char what[64];
	size_t n, i, shown = 0;
	int tty = isatty(1), rc = -1;
	unsigned ch;

	memset(&prev, 0, sizeof(prev));
	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) != 0)
			continue;
		if (load_catalog(r, &v[i], &c) < 0)
			goto out;
		e = catalog_find(&c, path);
		if (e != NULL && pe == NULL)
			line(&v[i], "added", e, "", tty), shown++;
		else if (e == NULL && pe != NULL)
			line(&v[i], "removed", NULL, "", tty), shown++;
		else if (e != NULL && (ch = member_changes(pe, e)) != 0)
			line(&v[i], "changed", e, changes_str(what,
			    sizeof(what), ch), tty), shown++;
		catalog_free(&prev);
		prev = c;
		pe = e;
	}
	if (shown == 0)
		fail("%s: in no snapshot named %s", path, name);
	else
		rc = 0;
out:
	catalog_free(&prev);
	snapshots_free(v, n);
	return rc;
}
