/*
 * -d OLD NEW: the members added, removed and changed between two
 * snapshots, by path.  Tab-separated: A, D or M, the path, and for M what
 * changed (type, size, mtime, content, mode, owner, link).  On a terminal
 * "+", "-" and "~" lead the lines instead.
 */
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "pull.h"

struct diff_out {
	struct member_sel *sel;
	int tty;
	uint64_t n;
};

static int
one(void *arg, const struct cat_entry *a, const struct cat_entry *b,
    unsigned ch)
{
	struct diff_out *d = arg;
	const struct cat_entry *e = b != NULL ? b : a;
	char what[64];

	if (a != NULL && b != NULL && ch == 0)
		return 0;
	if (!sel_match(d->sel, e))
		return 0;
	if (a == NULL)
		fputs(d->tty ? "+ " : "A\t", stdout);
	else if (b == NULL)
		fputs(d->tty ? "- " : "D\t", stdout);
	else
		fputs(d->tty ? "~ " : "M\t", stdout);
	put_escaped(stdout, e->path, e->path_len);
	if (a != NULL && b != NULL)
		printf(d->tty ? "  (%s)" : "\t%s", changes_str(what,
		    sizeof(what), ch));
	putchar('\n');
	d->n++;
	return 0;
}

int
show_diff(struct repo *r, const char *old, const char *new,
    char *const *paths, size_t n)
{
	struct snapshot s[2];
	struct catalog c[2];
	struct member_sel sel;
	struct diff_out d = { &sel, isatty(1), 0 };
	int rc = -1, k, loaded = 0;

	memset(c, 0, sizeof(c));
	for (k = 0; k < 2; k++) {
		if (select_snapshot(r, k ? new : old, &s[k]) < 0)
			goto out;
		loaded++;
		if (load_catalog(r, &s[k], &c[k]) < 0)
			goto out;
	}
	if (sel_init(&sel, paths, n) < 0)
		goto out;
	rc = catalog_diff(&c[0], &c[1], one, &d);
	sel_free(&sel);
out:
	for (k = 0; k < loaded; k++)
		snapshot_free(&s[k]);
	catalog_free(&c[0]);
	catalog_free(&c[1]);
	return rc;
}
