/*
 * The local metadata cache (docs/ARCHITECTURE.md, "The metadata cache"): copies of
 * immutable repository files (index files, snapshot records), exactly the
 * sealed bytes that were fetched, in one folder per repository id:
 *
 *     $XDG_CACHE_HOME/anemone/<repo id, 32 hex>/index/<name>
 *                                              /snapshots/<name>
 *
 * (root without XDG_CACHE_HOME: /var/cache/anemone; others ~/.cache).
 * Never trusted: whoever reads a file from here authenticates it exactly
 * as if it had been fetched, and drops it (then fetches it) when that
 * fails.  Everything here is best effort and never an error: a cache that
 * cannot be read or written is a cache that misses, and deleting it, even
 * during a run, costs only the fetches it saved.
 */
#ifndef ANEMONE_CACHE_H
#define ANEMONE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"

struct cache;

/* The cache's base folder into OUT (N bytes): 0, or -1 when none can be
 * named (no XDG_CACHE_HOME, no HOME, not root). */
int cache_base(char *out, size_t n);

/*
 * The cache of repository REPO_ID, its folders made (0700) as needed;
 * NULL when there is none to use (nothing recorded).  Folders of other
 * repositories not opened for CACHE_UNUSED_DAYS are removed.
 */
#define CACHE_UNUSED_DAYS 90
struct cache *cache_open(const uint8_t repo_id[REPO_ID_LEN]);
void cache_close(struct cache *c);

/* PATH is "index/<name>" or "snapshots/<name>".  Get: 0 and a malloc'd
 * copy, or -1 on a miss.  Put: write atomically (a temporary file renamed
 * into place), so concurrent runs only ever see whole files. */
int cache_get(struct cache *c, const char *path, uint8_t **buf, size_t *len);
void cache_put(struct cache *c, const char *path, const void *buf, size_t len);
/* Remove one entry (it failed authentication). */
void cache_drop(struct cache *c, const char *path);
/* Remove the entries of DIR whose name is not among NAMES[0..N) (sorted,
 * as store_list gives them): files the repository no longer has. */
void cache_keep_only(struct cache *c, const char *dir, char *const *names,
    size_t n);

#endif
