/* anemone-pull: the modes of main.c, and several repositories (friends.c). */
#ifndef ANEMONE_PULL_TOOL_H
#define ANEMONE_PULL_TOOL_H

#include "backup/repo.h"
#include "store/store_opts.h"

/* main.c: list, select NAME[@ID], verify; 0 or -1 (lasterr). */
int list(struct repo *r, const char *name);
int select_snapshot(struct repo *r, const char *spec, struct snapshot *s);
int check(struct repo *r, const char *spec);

#define FRIENDS_MAX	8

/* friends.c: MODE (0, 'l' or 'c') over the N repositories URL with the
 * operand SPEC (may be NULL); the exit status (anemone-pull(1)). */
int pull_friends(int mode, const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *spec);

/* health.c: -S over the N repositories URL, names older than MAXAGE
 * seconds (0: no limit) reported; the exit status. */
/* "30m", "12h", "3d", "90" (seconds): at most 10 years.  0 or -1. */
int parse_age(const char *s, double *sec);
int pull_health(const char **url, int n, const char *keyfile,
    const struct store_opts *so, double maxage);

#endif
