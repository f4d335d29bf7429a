/*
 * A snapshot's catalogue in memory, and the questions asked of it:
 * which members a list of paths selects (paths, directory prefixes and
 * globs), and what changed between two catalogues.
 */
#ifndef ANEMONE_MEMBERS_H
#define ANEMONE_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "backup/catalog.h"

struct catalog {
	uint8_t *buf;		/* catalogue plaintext (malloc'd, owned) */
	size_t len;
	struct cat_entry *v;	/* entries, stream order; point into buf */
	size_t n;
	uint64_t end;		/* stream offset after the last member */
};

/* Parse C->buf (LEN bytes, taken over) into C->v.  0 or -1 (lasterr). */
int catalog_index(struct catalog *c, uint8_t *buf, size_t len);
void catalog_free(struct catalog *c);

/*
 * Path patterns as a user gives them.  Leading "./" and "/" are ignored
 * on both sides, so "etc/passwd", "./etc/passwd" and "/etc/passwd" are
 * one member.  A pattern selects the members it matches (fnmatch(3),
 * '*' and '?' not crossing '/') and everything below them.
 */
struct member_sel {
	char *const *pats;
	size_t n;
	uint8_t *hit;		/* per pattern: matched something */
	char *scratch;		/* CAT_PATH_MAX + 1 */
};
int sel_init(struct member_sel *s, char *const *pats, size_t n);
void sel_free(struct member_sel *s);
/* Does E match (no patterns: everything does)?  Marks the hits. */
int sel_match(struct member_sel *s, const struct cat_entry *e);
/* The first pattern that matched nothing, or NULL. */
const char *sel_unmatched(const struct member_sel *s);

/* What differs between two versions of a member (bits). */
#define CH_TYPE		0x01
#define CH_SIZE		0x02
#define CH_MTIME	0x04
#define CH_CONTENT	0x08
#define CH_MODE		0x10
#define CH_OWNER	0x20
#define CH_LINK		0x40
unsigned member_changes(const struct cat_entry *a, const struct cat_entry *b);
/* "size,mtime,content": the names of the bits in CH, into BUF. */
const char *changes_str(char *buf, size_t n, unsigned ch);

/*
 * Walk two catalogues by path (the last member of a path wins, as when
 * tar extracts): CB gets (A, B) for every path in either, A or B NULL
 * when it is only in one, with the changes.  Paths in byte order.
 */
typedef int (*diff_cb)(void *arg, const struct cat_entry *a,
    const struct cat_entry *b, unsigned changes);
int catalog_diff(const struct catalog *a, const struct catalog *b,
    diff_cb cb, void *arg);

/* The last member named PATH (normalised as for patterns), or NULL. */
const struct cat_entry *catalog_find(const struct catalog *c,
    const char *path);

#endif
