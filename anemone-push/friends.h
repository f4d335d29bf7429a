/* anemone-push -F: one stream to several repositories (friends.c). */
#ifndef ANEMONE_PUSH_FRIENDS_H
#define ANEMONE_PUSH_FRIENDS_H

#include "store/store_opts.h"

/* Push stdin as NAME to the N repositories URL; the exit status. */
int push_friends(const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *name, double slow, int quiet);

#endif
