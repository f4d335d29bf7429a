/*
 * An open repository: its store, its keys (guarded memory), its id, and
 * the in-memory index of every blob (id -> pack, offset, lengths).
 * docs/FORMAT.md describes what is stored.
 */
#ifndef ANEMONE_REPO_H
#define ANEMONE_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "backup/chunker.h"
#include "backup/format.h"
#include "store/store.h"

/* Subkeys, each 32 bytes, in one guarded allocation. */
struct repo_keys {
	uint8_t id[32];
	uint8_t enc[32];
	uint8_t chunk[32];
	uint8_t check[32];
};

#define PACK_NONE UINT32_MAX	/* blob claimed by this push, not yet stored */

struct ix_slot {
	struct blob_entry e;
	uint32_t pack;		/* index into repo.packs, or PACK_NONE */
	uint8_t used;
};

struct repo {
	struct store *st;
	struct repo_keys *k;
	uint8_t repo_id[REPO_ID_LEN];
	struct chunker ch;
	/* blob index: open addressing, power-of-two size */
	struct ix_slot *slots;
	size_t nslots, nused;
	/* pack names known, and a set for finding them */
	uint8_t (*packs)[PACK_NAME_LEN];
	size_t npacks, packcap;
	uint32_t *packset;	/* open addressing of pack numbers + 1 */
	size_t npackset;
	struct cache *cache;	/* metadata cache, or NULL (backup/cache.h) */
};

/*
 * Open the repository at URL with the key in KEYFILE and store options SO
 * (sftp: key, known_hosts, timeout; NULL for the defaults).  With CREATE
 * (which overrides SO->create), a missing or empty location is
 * initialised (*CREATED set).  A key that does not belong to the
 * repository fails here.  NULL with lasterr set.
 */
struct store_opts;
struct cache;
struct repo *repo_open_opts(const char *url, const char *keyfile, int create,
    int *created, const struct store_opts *so);
void repo_close(struct repo *r);

/* Load every index file; with ORPHANS, also read the header of every
 * pack no index names (written by an interrupted push) and return their
 * numbers in *ORPH (malloc'd).  0 or -1. */
int repo_load_index(struct repo *r, int orphans, uint32_t **orph, size_t *norph);

/* Keyed BLAKE2b-256 of a plaintext. */
void repo_blob_id(const struct repo *r, const void *p, size_t n,
    uint8_t id[BLOB_ID_LEN]);

/* Seal PT into OUT (n + SEAL_OVERHEAD bytes) under AD. */
void repo_seal(const struct repo *r, const uint8_t *ad, size_t adlen,
    const uint8_t *pt, size_t n, uint8_t *out);
/* Open a sealed object of N bytes into PT (n - SEAL_OVERHEAD).  0 or -1
 * (no lasterr: the caller names the object). */
int repo_unseal(const struct repo *r, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t n, uint8_t *pt);

/*
 * Open the segment E belongs to (IN holds its e->seg_sealed bytes, read
 * from pack PACK) into OUT (SEG_MAX bytes): authenticate, decompress,
 * check its length.  SCRATCH holds SEG_MAX bytes.  0 or -1 with lasterr
 * (without the object's name: the caller adds it).
 */
int repo_open_segment(const struct repo *r, void *zdctx,
    const uint8_t pack[PACK_NAME_LEN], const struct blob_entry *e,
    const uint8_t *in, uint8_t *out, uint8_t *scratch);

/* Check that a blob's plaintext matches its id.  0 or -1 (lasterr). */
int repo_check_blob(const struct repo *r, const struct blob_entry *e,
    const uint8_t *pt);

/* Index lookup: a copy of the slot, 0 when found, -1 when absent. */
int repo_lookup(struct repo *r, const uint8_t id[BLOB_ID_LEN], struct ix_slot *out);
/* Insert (not locking).  Returns the slot, existing or new (*isnew). */
struct ix_slot *repo_insert(struct repo *r, const uint8_t id[BLOB_ID_LEN], int *isnew);
/* Register a pack name, returning its number. */
int repo_add_pack(struct repo *r, const uint8_t name[PACK_NAME_LEN], uint32_t *num);

/* Read a pack's header: malloc'd entries with offsets.  0 or -1. */
int repo_read_pack_header(struct repo *r, const uint8_t name[PACK_NAME_LEN],
    struct blob_entry **v, size_t *cnt);

/* Store paths. */
void pack_path(char out[80], const uint8_t name[PACK_NAME_LEN]);

/* Snapshots: list all (decrypted, sorted by time then id), or load one. */
int repo_snapshots(struct repo *r, struct snapshot **v, size_t *n);
int repo_load_snapshot(struct repo *r, const char *idhex, struct snapshot *s);
void snapshots_free(struct snapshot *v, size_t n);


#endif
