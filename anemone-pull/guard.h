/*
 * anemone-pull's rollback detection (guard.c), over the state file of
 * lib/backup/state.h.  The functions print warnings themselves (this is
 * tool code); errors are left in lasterr for main().
 */
#ifndef ANEMONE_PULL_GUARD_H
#define ANEMONE_PULL_GUARD_H

#include "backup/repo.h"
#include "backup/state.h"

struct guard {
	char *path;		/* NULL: no state file (no place for one) */
	struct state st;	/* what this client remembers */
	int accept;		/* -A: accept missing snapshots, forget them */
};

/* Read the state of R (a damaged file is an error).  0 or -1. */
int guard_open(struct guard *g, const struct repo *r, int accept);

/* Compare with what R lists and the records V[0..N) read from it; a
 * snapshot gone or changed is an error naming it and the newest of its
 * name, or with -A is forgotten (each one named in a warning).  0 or -1. */
int guard_check(struct guard *g, struct repo *r, const struct snapshot *v,
    size_t n);

/* Remember the records V[0..N) (a failure is only a warning). */
void guard_remember(struct guard *g, const struct snapshot *v, size_t n);

/* Read every record of R and do both (SOFT: a record that cannot be
 * read leaves only the listing to compare).  0 or -1. */
int guard_repo(struct guard *g, struct repo *r, int soft);

void guard_close(struct guard *g);

#endif
