/*
 * -t: the members of a snapshot, or those the paths select, in stream
 * order.  A path that selects nothing is an error (as with tar).
 */
#include <unistd.h>

#include "error.h"
#include "pull.h"

int
show_members(struct repo *r, const char *spec, char *const *paths, size_t n)
{
	struct snapshot s;
	struct catalog c;
	struct member_sel sel;
	const char *miss;
	int tty = isatty(1), rc = -1;
	size_t i;

	if (select_snapshot(r, spec, &s) < 0)
		return -1;
	if (load_catalog(r, &s, &c) < 0) {
		snapshot_free(&s);
		return -1;
	}
	if (sel_init(&sel, paths, n) < 0)
		goto out;
	for (i = 0; i < c.n; i++)
		if (sel_match(&sel, &c.v[i]))
			show_member(stdout, &c.v[i], tty);
	if ((miss = sel_unmatched(&sel)) != NULL)
		fail("%s: not in snapshot %s", miss, spec);
	else
		rc = 0;
	sel_free(&sel);
out:
	catalog_free(&c);
	snapshot_free(&s);
	return rc;
}
