/*
 * The repository's stored formats (docs/FORMAT.md): constants, byte
 * encodings, and parsers that work on memory only.  Parsers check every
 * length and field, return 0 or -1 with lasterr() describing what is
 * wrong (the caller names the object), and are fuzzed (fuzz/fuzz-*.c).
 */
#ifndef ANEMONE_FORMAT_H
#define ANEMONE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "bytes.h"
#include "hex.h"

#define REPO_VERSION	1
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
void entry_put(uint8_t *p, const struct blob_entry *e);

/*
 * Decode COUNT entries at P into V, grouping segments and filling in
 * offsets; the segments must end exactly at AREA_END when it is not 0,
 * and *END receives where they end.
 */
int entries_parse(const uint8_t *p, uint32_t count, struct blob_entry *v,
    uint64_t area_end, uint64_t *end);

/* config: CONFIG_LEN bytes.  The check MAC is verified by the caller. */
struct repo_config {
	uint32_t version;
	uint8_t repo_id[REPO_ID_LEN];
	uint8_t check[32];
};
void config_put(uint8_t out[CONFIG_LEN], const struct repo_config *c);
int config_parse(const uint8_t *b, size_t n, struct repo_config *c);

/*
 * Pack trailer: the last PACK_TRAILER bytes of a pack of PACK_SIZE bytes.
 * Gives the sealed header's length and offset.
 */
int pack_trailer_parse(const uint8_t tail[PACK_TRAILER], uint64_t pack_size,
    uint32_t *hdr_len, uint64_t *hdr_off);

/*
 * Pack header plaintext; HDR_OFF is where the blob area ends.  Returns a
 * malloc'd array of entries with offsets filled in.
 */
int pack_header_parse(const uint8_t *pt, size_t n, uint64_t hdr_off,
    struct blob_entry **v, size_t *cnt);

/* Index plaintext: CB is called for every entry (non-zero stops: -1). */
typedef int (*index_cb)(void *arg, const uint8_t pack[PACK_NAME_LEN],
    const struct blob_entry *e);
int index_parse(const uint8_t *pt, size_t n, index_cb cb, void *arg);

/* Snapshot records. */
struct snap_head {
	uint8_t repo_id[REPO_ID_LEN];
	uint8_t snap_id[SNAP_ID_LEN];
};
#define SNAP_HEAD_LEN	(4 + REPO_ID_LEN + SNAP_ID_LEN)
int snap_outer_parse(const uint8_t *b, size_t n, struct snap_head *h);

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
};
int snap_body_parse(const uint8_t *pt, size_t n, struct snapshot *s);
/* Body plaintext into a malloc'd buffer. */
int snap_body_build(const struct snapshot *s, uint8_t **out, size_t *n);
void snapshot_free(struct snapshot *s);

/* A valid snapshot name: 1..64 of [A-Za-z0-9._-], not starting with '.'. */
int name_valid(const char *name);

/* List blob plaintext: entries point into PT (LISTENT_LEN apart). */
int list_parse(const uint8_t *pt, size_t n, uint32_t *count);

/* Hex helpers. */

#endif
