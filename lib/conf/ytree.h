/*
 * A small YAML loader on libyaml's event parser: the document becomes a
 * tree of scalars, sequences and mappings, each node marked with its line
 * and column.  It refuses what a configuration file has no use for and an
 * attacker would love: anchors and aliases (no alias bombs), tags, more
 * than one document, duplicate mapping keys, non-scalar keys, input that
 * is not UTF-8 or holds a NUL byte, more than YTREE_MAX_INPUT bytes,
 * YTREE_MAX_DEPTH nesting levels or YTREE_MAX_NODES nodes.
 *
 * Errors read "NAME:LINE:COL: message" (NAME is the file name given).
 */
#ifndef ANEMONE_YTREE_H
#define ANEMONE_YTREE_H

#include <stddef.h>
#include <stdint.h>

#define YTREE_MAX_INPUT (16u << 20)
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_NODES 1000000

enum ynode_type { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
	uint8_t type;			/* enum ynode_type */
	uint8_t plain;			/* scalar written without quotes */
	uint32_t line, col;		/* 1-based; col counts characters */
	uint32_t n;			/* SEQ: items; MAP: 2 * pairs */
	union {
		char *text;		/* SCALAR: NUL-terminated, length n */
		struct ynode **kids;	/* SEQ items; MAP key, value, ... */
	};
};

struct ytree {
	const char *name;		/* borrowed from the caller */
	struct ynode *root;		/* NULL for an empty document */
	void *arena;
};

/*
 * Parse LEN bytes at BUF.  NAME (kept by pointer) is used in messages.
 * Returns the tree, or NULL with lasterr set.
 */
struct ytree *ytree_load(const char *name, const char *buf, size_t len);

void ytree_free(struct ytree *t);

/*
 * Read PATH ("-" is standard input) into a malloc'd buffer, refusing more
 * than YTREE_MAX_INPUT bytes and a symbolic link (the file may hold a
 * private key).  0 or -1 (lasterr).  Free the buffer with
 * ytree_input_free().
 */
int ytree_read_file(const char *path, char **buf, size_t *len);

/* Wipe the LEN bytes at BUF (they may hold a key) and free it; NULL ok. */
void ytree_input_free(char *buf, size_t len);

/* In mapping M, the value of KEY, or NULL. */
struct ynode *ytree_get(const struct ynode *m, const char *key);

#endif
