/*
 * Fetching the repository's metadata (index files, snapshot records):
 * from the local cache (backup/cache.h) when it holds a file, else from
 * the store, many files at once.
 */
#ifndef ANEMONE_META_H
#define ANEMONE_META_H

#include <stddef.h>
#include <stdint.h>

#include "backup/cache.h"
#include "store/store.h"

/*
 * OPEN authenticates and takes in file I (B, N bytes, from the cache or
 * the store: it must not care which, and check them in full).  0, or -1
 * with lasterr set; it must take in nothing of a file it refuses.
 */
typedef int (*meta_open_fn)(void *arg, size_t i, const uint8_t *b, size_t n);

/* Workers, each asking the store for a batch of files at once (the SFTP
 * store sends a batch's requests back to back on one connection; four
 * workers keep its four connections busy). */
#define META_WORKERS 4

/*
 * Hand DIR/NAMES[i] to OPEN for every i, in order.  A file the cache C
 * holds is read from it; when OPEN refuses cached bytes the entry is
 * dropped and the file fetched from ST instead (a damaged, truncated,
 * swapped or foreign entry costs one fetch, never a wrong answer).  Files
 * fetched from ST that OPEN accepts are added to C.  C may be NULL (no
 * cache).  Memory: at most 128 files held at once.  0, or
 * -1 with lasterr set (by OPEN or the store) at the first failure.
 */
int meta_fetch(struct store *st, struct cache *c, const char *dir,
    char *const *names, size_t n, meta_open_fn open, void *arg);

#endif
