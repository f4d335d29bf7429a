/*
 * anemone-push -C SOURCE: catch a friend up, or fill a new friend's
 * repository, from another friend's, without the source data.  Every
 * snapshot at SOURCE (or each called NAME) whose id a target lacks is
 * copied (copy.h): only the chunks the target lacks are uploaded, and the
 * record keeps its id and time.  Each target fails alone.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/copy.h"
#include "error.h"
#include "human.h"
#include "push_tool.h"

/* Does V[0..N) hold a snapshot with S's id? */
static int
has(const struct snapshot *v, size_t n, const struct snapshot *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(v[i].snap_id, s->snap_id, SNAP_ID_LEN) == 0)
			return 1;
	return 0;
}

static void
copied(const char *url, const char *id, const struct snapshot *s,
    const struct push_stats *st)
{
	char stored[16];

	human_size(stored, st->stored);
	fprintf(stderr, "%s@%s: copied to %s: stored %s, %llu of %llu "
	    "chunks new\n", s->name, id, url, stored,
	    (unsigned long long)st->new_chunks, (unsigned long long)st->chunks);
}

/* Copy what DST lacks of SRC's snapshots V[0..N) (NAME: only those);
 * how many were copied, or -1 (lasterr: the first failure). */
static int
copy_to(struct repo *src, const struct snapshot *v, size_t n,
    const char *url, const char *keyfile, const struct store_opts *so,
    const char *name, int quiet)
{
	struct snapshot *have;
	struct push_stats st;
	struct repo *dst;
	char id[2 * SNAP_ID_LEN + 1];
	size_t nhave, i;
	int created, k = 0, rc = 0;

	if ((dst = repo_open_opts(url, keyfile, 1, &created, so)) == NULL)
		return -1;
	if (repo_snapshots(dst, &have, &nhave) < 0) {
		repo_close(dst);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if ((name != NULL && strcmp(v[i].name, name) != 0) ||
		    has(have, nhave, &v[i]))
			continue;
		if ((rc = copy_snapshot(src, dst, &v[i], id, &st)) == 0) {
			remember(dst, id);
			printf("%s@%s %s\n", v[i].name, id, url);
			if (!quiet)
				copied(url, id, &v[i], &st);
			k++;
		}
	}
	snapshots_free(have, nhave);
	repo_close(dst);
	return rc < 0 ? -1 : k;
}

int
push_copy(const char *from, const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *name, int quiet)
{
	struct snapshot *v;
	struct repo *src;
	size_t nv;
	int i, created, bad = 0, k;

	signal(SIGPIPE, SIG_IGN);	/* a failed push ends the copy's pipe */
	if ((src = repo_open_opts(from, keyfile, 0, &created, so)) == NULL ||
	    repo_load_index(src, 0, NULL, NULL) < 0 ||
	    repo_snapshots(src, &v, &nv) < 0)
		errx(1, "%s", lasterr());
	for (i = 0; i < n; i++) {
		if ((k = copy_to(src, v, nv, url[i], keyfile, so, name,
		    quiet)) < 0) {
			warnx("%s: %s", url[i], lasterr());
			bad++;
		} else if (!quiet)
			fprintf(stderr, "anemone-push: %s: %d snapshots "
			    "copied from %s\n", url[i], k, from);
	}
	snapshots_free(v, nv);
	repo_close(src);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return bad == 0 ? 0 : bad == n ? 1 : 3;
}
