/*
 * Repository storage: a flat namespace of immutable files under one root,
 * behind one interface with two backends, a local directory (store_local.c)
 * and SFTP (store_sftp.c).  The backup engine speaks only this.
 *
 * Contract for every backend:
 *  - put() creates a new file atomically and durably (temporary name, then
 *    a rename that never replaces; fsync where the backend can).  It never
 *    overwrites: an existing file gives STORE_EXISTS.
 *  - Paths are relative, '/'-separated, made by the engine (e.g.
 *    "packs/ab/ab12...").  put() creates missing parent directories.
 *  - Functions may be called from several threads at once on one store.
 *  - Errors return a negative STORE_* code with lasterr() set to one line
 *    naming the location and the file.
 */
#ifndef ANEMONE_STORE_H
#define ANEMONE_STORE_H

#include <stddef.h>
#include <stdint.h>

enum {
	STORE_OK = 0,
	STORE_ERR = -1,		/* I/O, connection, permission, ... */
	STORE_NOTFOUND = -2,	/* no such file (or directory for list) */
	STORE_EXISTS = -3,	/* put() of a name that already exists */
};

/* seconds for connect and stalled I/O when no -o timeout= is given */
#define STORE_TIMEOUT_DEFAULT 30

struct store_opts {
	const char *identity;	/* sftp: -i key file, or NULL for defaults */
	const char *known_hosts;/* sftp: known_hosts file, or NULL */
	int accept_new;		/* sftp: add an unknown host key */
	int timeout;		/* sftp: seconds for connect / stalled I/O */
	int create;		/* create the root if missing */
	int no_cache;		/* -o no-cache: for the engine's metadata cache */
};

struct store_ops {
	int (*put)(void *be, const char *path, const void *buf, size_t len);
	/* read LEN bytes at OFF exactly (short file: STORE_ERR) */
	int (*get)(void *be, const char *path, uint64_t off, void *buf, size_t len);
	int (*size)(void *be, const char *path, uint64_t *size);
	/* names (not paths) in DIR, hidden ones (".*") left out, in any
	 * order (store_list() sorts them) */
	int (*list)(void *be, const char *dir, char ***names, size_t *n);
	void (*close)(void *be);
	/* optional: whole files PATHS[0..N) into malloc'd BUFS[i] of LENS[i]
	 * bytes, many requests in flight; all or nothing */
	int (*get_many)(void *be, const char *const *paths, size_t n,
	    uint8_t **bufs, size_t *lens);
	/* optional: make every operation under way, and any later one, fail
	 * at once (a repository given up on) */
	void (*abort)(void *be);
};

struct store {
	const struct store_ops *ops;
	void *be;
	char *url;		/* for messages */
};

/* Open a location: "sftp://[user@]host[:port]/path" or a local path. */
struct store *store_open(const char *url, const struct store_opts *o);
void store_close(struct store *s);
/* Give up on S: what is under way fails now (when the backend can). */
void store_abort(struct store *s);

/* Read a whole file into a malloc'd buffer (caller frees). */
int store_get_all(struct store *s, const char *path, uint8_t **buf, size_t *len);
/* Read N whole files (the backend's get_many, or one by one): 0 with
 * every BUFS[i] malloc'd, or a negative STORE_* code and none. */
int store_get_many(struct store *s, const char *const *paths, size_t n,
    uint8_t **bufs, size_t *lens);

static inline int store_put(struct store *s, const char *p, const void *b, size_t n)
{ return s->ops->put(s->be, p, b, n); }
static inline int store_get(struct store *s, const char *p, uint64_t off, void *b, size_t n)
{ return s->ops->get(s->be, p, off, b, n); }
static inline int store_size(struct store *s, const char *p, uint64_t *sz)
{ return s->ops->size(s->be, p, sz); }

/* The names (not paths) in DIR, sorted by strcmp; free them with
 * store_names_free(). */
int store_list(struct store *s, const char *dir, char ***names, size_t *n);
/* Free the N names of a list and the array (NULL is fine). */
void store_names_free(char **names, size_t n);

/* Backend constructors (store_open dispatches). */
struct store *store_local_open(const char *path, const struct store_opts *o);
struct store *store_sftp_open(const char *url, const struct store_opts *o);

#endif
