/*
 * The repository's stored formats (docs/FORMAT.md): constants, structures,
 * and for each format its encoder and decoder, kept together in one file
 * per format (format_*.c, named below) so that they change together and
 * round-trip (tests/unit/format.c).  Decoders work on memory only, check
 * every length and field, return 0 or -1 with lasterr() saying what is
 * wrong (the caller names the object), and are fuzzed (fuzz/fuzz-*.c).
 * Encoders cannot fail unless they allocate.
 */
#ifndef ANEMONE_FORMAT_H
#define ANEMONE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "bytes.h"
#include "hex.h"

#define REPO_VERSION	2
#define REPO_ID_LEN	16
#define BLOB_ID_LEN	32
#define PACK_NAME_LEN	32
#define SNAP_ID_LEN	8
#define NONCE_LEN	24
#define TAG_LEN		16
#define SEAL_OVERHEAD	(NONCE_LEN + TAG_LEN)
#define CONFIG_LEN	60
#define ENTRY_LEN	42	/* kind, flags, raw, sealed, id */
#define LISTENT_LEN	(BLOB_ID_LEN + 4)
#define LIST_MAX_ENTRIES 8192
#define LIST_MAX_RAW	(4 + LIST_MAX_ENTRIES * LISTENT_LEN)
#define SEG_MAX		(1u << 20)	/* plaintext of one segment */
#define PACK_TARGET	(8u << 20)
#define PACK_TRAILER	8
#define NAME_MAX_LEN	64

#define KIND_DATA	'B'
#define KIND_LIST	'L'
#define FLAG_ZSTD	1

/* ---- format_ad.c: associated data binding a sealed object to its place */

#define AD_PACK		'P'	/* pack header: repo id, pack name */
#define AD_INDEX	'I'	/* index file: repo id, file name */
#define AD_SNAP		'S'	/* snapshot body: repo id, snapshot id */
#define AD_SEG		'D'	/* segment: repo id, pack name, offset, flags, raw */
#define AD_MAX		(1 + REPO_ID_LEN + PACK_NAME_LEN + 4 + 1 + 4)
#define SEG_AD_LEN	AD_MAX

/* KIND || repo id || NAME (NAMELEN bytes) into AD; returns its length. */
size_t fmt_ad(uint8_t ad[AD_MAX], uint8_t kind,
    const uint8_t repo_id[REPO_ID_LEN], const uint8_t *name, size_t namelen);
/* A segment's: AD_SEG || repo id || pack name || offset || flags || raw. */
void fmt_seg_ad(uint8_t ad[SEG_AD_LEN], const uint8_t repo_id[REPO_ID_LEN],
    const uint8_t pack[PACK_NAME_LEN], uint32_t off, uint8_t flags,
    uint32_t raw);

/* ---- format_config.c: the config file (CONFIG_LEN bytes, in clear) */

/* The check MAC is computed and verified by the caller. */
struct repo_config {
	uint32_t version;
	uint8_t repo_id[REPO_ID_LEN];
	uint8_t check[32];
};
void fmt_config_enc(uint8_t out[CONFIG_LEN], const struct repo_config *c);
int fmt_config_dec(const uint8_t *b, size_t n, struct repo_config *c);

/* ---- format_pack.c: blob entries, pack header and trailer */

/*
 * One blob as pack headers and index files describe it.  Blobs are stored
 * in segments: one sealed (and maybe compressed) run of the plaintexts of
 * consecutive blobs.  On disk an entry is kind, flags, raw length, sealed
 * length, id; the sealed length is that of the segment for the first blob
 * of a segment and 0 for the others.
 */
struct blob_entry {
	uint8_t id[BLOB_ID_LEN];
	uint8_t kind;		/* KIND_DATA or KIND_LIST */
	uint8_t flags;		/* FLAG_ZSTD, of the segment */
	uint8_t first;		/* first blob of its segment */
	uint32_t raw_len;	/* plaintext length of this blob */
	uint32_t seg_off;	/* segment: offset in the pack */
	uint32_t seg_sealed;	/* segment: bytes in the pack */
	uint32_t seg_raw;	/* segment: plaintext bytes */
	uint32_t member_off;	/* this blob's offset in the segment plaintext */
};

/* Encode one entry (ENTRY_LEN bytes). */
void fmt_entry_enc(uint8_t *p, const struct blob_entry *e);

/*
 * Decode COUNT entries at P into V, grouping segments and filling in
 * offsets; the segments must end exactly at AREA_END when it is not 0,
 * and *END receives where they end.
 */
int fmt_entries_dec(const uint8_t *p, uint32_t count, struct blob_entry *v,
    uint64_t area_end, uint64_t *end);

/* Pack header plaintext: magic, count, entries. */
#define PACK_HEADER_LEN(n)	(8 + (size_t)(n) * ENTRY_LEN)
/* Encode N entries into OUT (PACK_HEADER_LEN(n) bytes); returns that. */
size_t fmt_pack_header_enc(uint8_t *out, const struct blob_entry *e, size_t n);
/*
 * Decode a pack header plaintext; HDR_OFF is where the blob area ends.
 * Returns a malloc'd array of entries with offsets filled in.
 */
int fmt_pack_header_dec(const uint8_t *pt, size_t n, uint64_t hdr_off,
    struct blob_entry **v, size_t *cnt);

/* Pack trailer: the sealed header's length, then the magic. */
void fmt_pack_trailer_enc(uint8_t out[PACK_TRAILER], uint32_t hdr_len);
/*
 * Decode the last PACK_TRAILER bytes of a pack of PACK_SIZE bytes into
 * the sealed header's length and offset.
 */
int fmt_pack_trailer_dec(const uint8_t tail[PACK_TRAILER], uint64_t pack_size,
    uint32_t *hdr_len, uint64_t *hdr_off);

/* ---- format_index.c: index file plaintext */

#define INDEX_HEAD_LEN		8
#define INDEX_PACK_LEN(n)	(PACK_NAME_LEN + 4 + (size_t)(n) * ENTRY_LEN)
/* The head of an index naming NPACKS packs (INDEX_HEAD_LEN bytes). */
void fmt_index_head_enc(uint8_t out[INDEX_HEAD_LEN], uint32_t npacks);
/* One pack's record (INDEX_PACK_LEN(n) bytes, after the head); returns that. */
size_t fmt_index_pack_enc(uint8_t *out, const uint8_t name[PACK_NAME_LEN],
    const struct blob_entry *e, size_t n);
/* Decode: CB is called for every entry (non-zero stops: -1). */
typedef int (*index_cb)(void *arg, const uint8_t pack[PACK_NAME_LEN],
    const struct blob_entry *e);
int fmt_index_dec(const uint8_t *pt, size_t n, index_cb cb, void *arg);

/* ---- format_list.c: chunk list blob plaintext */

#define LIST_LEN(count)		(4 + (size_t)(count) * LISTENT_LEN)
/* Entry I of a list being built in LIST (LIST_MAX_RAW bytes). */
void fmt_list_entry_enc(uint8_t *list, uint32_t i,
    const uint8_t id[BLOB_ID_LEN], uint32_t len);
/* Close a list of COUNT entries; returns its length, LIST_LEN(count). */
size_t fmt_list_head_enc(uint8_t *list, uint32_t count);
/* Check a list plaintext and give its entry count. */
int fmt_list_dec(const uint8_t *pt, size_t n, uint32_t *count);
/* Entry I of a checked list: *ID points into PT. */
void fmt_list_entry_dec(const uint8_t *pt, uint32_t i, const uint8_t **id,
    uint32_t *len);

/* ---- format_snapshot.c: snapshot records and names */

/* The record's clear head: magic, repo id, snapshot id. */
struct snap_head {
	uint8_t repo_id[REPO_ID_LEN];
	uint8_t snap_id[SNAP_ID_LEN];
};
#define SNAP_HEAD_LEN	(4 + REPO_ID_LEN + SNAP_ID_LEN)
void fmt_snap_head_enc(uint8_t out[SNAP_HEAD_LEN], const struct snap_head *h);
/* Decode the head of a whole record of N bytes (head, then sealed body). */
int fmt_snap_head_dec(const uint8_t *b, size_t n, struct snap_head *h);

struct list_ref {
	uint8_t id[BLOB_ID_LEN];
	uint32_t raw_len;
};

struct snapshot {
	uint8_t snap_id[SNAP_ID_LEN];
	uint64_t time_ns;
	uint64_t size;
	uint64_t chunks;
	char name[NAME_MAX_LEN + 1];
	uint32_t nlists;
	struct list_ref *lists;	/* malloc'd */
	/* the catalogue (catalog.h), when the stream is a tar archive */
	uint8_t tar;		/* 1: catalogued tar archive, 0: no catalogue */
	uint64_t cat_size, cat_chunks;
	uint32_t ncat;
	struct list_ref *cat;	/* malloc'd */
};
#define CAT_SIZE_MAX	(UINT64_C(1) << 32)	/* catalogue plaintext bytes */
/* Body plaintext into a malloc'd buffer. */
int fmt_snap_body_enc(const struct snapshot *s, uint8_t **out, size_t *n);
int fmt_snap_body_dec(const uint8_t *pt, size_t n, struct snapshot *s);
void snapshot_free(struct snapshot *s);

/* A valid snapshot name: 1..64 of [A-Za-z0-9._-], not starting with '.'. */
int fmt_snap_name_valid(const char *name);

#endif
