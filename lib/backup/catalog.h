/*
 * The catalogue of a tar snapshot (docs/FORMAT.md, "Catalogues"): one
 * entry per member, in stream order, saying what the member is and where
 * its bytes sit in the stream.  Offsets are stored relative (each member's
 * span, from its first header to the next member's), so that unchanged
 * stretches of a stream give identical catalogue bytes, which the chunker
 * then deduplicates across snapshots.
 *
 * Encoding and parsing work on memory only; the parser checks every
 * length and is fuzzed (fuzz/fuzz-catalog.c).  Builders (a tar stream read
 * by tarscan.c, or a tree a future directory mode writes) append entries
 * with cat_append(); readers walk them with cat_next().
 */
#ifndef ANEMONE_CATALOG_H
#define ANEMONE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define CAT_MAGIC	"ANC1"
#define CAT_HEAD_LEN	12	/* magic, base offset (8) */
#define CAT_FIXED_LEN	92	/* an entry's fixed fields, its length included */
#define CAT_PATH_MAX	65535	/* path and link target, bytes */
#define CAT_NAME_MAX	255	/* user and group names */
#define CAT_HASH_LEN	16

/* Member types, as tar tv's first column shows them. */
#define CT_FILE		'-'
#define CT_DIR		'd'
#define CT_SYMLINK	'l'
#define CT_HARDLINK	'h'
#define CT_CHAR		'c'
#define CT_BLOCK	'b'
#define CT_FIFO		'p'
#define CT_SOCKET	's'

#define CF_SPARSE	1	/* stored sparse: SIZE is the logical size */

/*
 * One member.  PATH, LINK, UNAME and GNAME point at bytes that are not
 * NUL-terminated (into the catalogue for a parsed entry).  The member's
 * bytes in the stream are [off, off + span): its headers (pax and GNU
 * long-name headers included), hdr_len bytes, then its data and padding.
 */
struct cat_entry {
	uint8_t type;		/* CT_* */
	uint8_t flags;		/* CF_* */
	uint32_t mode;		/* permission bits, 07777 */
	uint64_t uid, gid;
	uint64_t size;		/* logical size */
	int64_t mtime;		/* seconds since 1970 */
	uint32_t mtime_ns;
	uint32_t devmajor, devminor;
	uint64_t hdr_len, span;
	uint8_t hash[CAT_HASH_LEN];	/* of the data; zero when none */
	uint64_t off;		/* stream offset (filled in by cat_next) */
	const uint8_t *path, *link, *uname, *gname;
	uint32_t path_len, link_len;
	uint8_t uname_len, gname_len;
};

/* A catalogue being built: a growable buffer. */
struct cat_buf {
	uint8_t *p;
	size_t len, cap;
	uint64_t count;
	uint64_t end;		/* stream offset after the last member */
};

/* Start a catalogue whose first member's header sits at BASE. */
int cat_begin(struct cat_buf *b, uint64_t base);
/* Append E (off ignored: members follow each other).  0 or -1. */
int cat_append(struct cat_buf *b, const struct cat_entry *e);
void cat_buf_free(struct cat_buf *b);

/*
 * Walking a catalogue: cat_open() checks the head, then each cat_next()
 * decodes one entry into E (pointers into P) and returns 1, 0 at the end,
 * or -1 (lasterr naming the byte offset) for a malformed entry.
 */
struct cat_iter {
	const uint8_t *p;
	size_t n, pos;
	uint64_t off;
};
int cat_open(struct cat_iter *it, const uint8_t *p, size_t n);
int cat_next(struct cat_iter *it, struct cat_entry *e);

#endif
