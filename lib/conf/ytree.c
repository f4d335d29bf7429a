#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <yaml.h>

#include "error.h"
#include "io.h"
#include "keys.h"
#include "quote.h"
#include "conf/ytree.h"

/*
 * The YAML may hold private keys inline.  Each copy of one is wiped:
 *  - the input buffer: ytree_read_file() grows it by copying and wiping
 *    the old one (never realloc), ytree_input_free() wipes it;
 *  - libyaml never sees a key: every run of 43 base64 characters and '='
 *    reaches it as a random placeholder of the same length (struct mask),
 *    so neither its input buffers nor the scalars it grows by realloc and
 *    frees unwiped hold key bytes;
 *  - our tree: the placeholder is swapped back in the node's text, in the
 *    arena, which ytree_free() wipes whole.
 * Not covered: a key spelled with escapes ("\x41...") in double quotes.
 */

/* Bump allocator: the tree is freed at once. */
#define CHUNK (64u * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

static void *
arena_alloc(struct ytree *t, size_t n)
{
	struct chunk *c = t->arena;
	size_t size;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (c == NULL || c->size - c->used < n) {
		size = n > CHUNK / 2 ? n : CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL) {
			fail_errno("%s", t->name);
			return NULL;
		}
		c->size = size;
		c->used = 0;
		if (n > CHUNK / 2 && t->arena != NULL) {
			/* keep filling the current small chunk */
			c->next = ((struct chunk *)t->arena)->next;
			((struct chunk *)t->arena)->next = c;
		} else {
			c->next = t->arena;
			t->arena = c;
		}
	}
	c->used += n;
	return (char *)c->data + c->used - n;
}

void
ytree_free(struct ytree *t)
{
	struct chunk *c, *next;

	if (t == NULL)
		return;
	for (c = t->arena; c != NULL; c = next) {
		next = c->next;
		sodium_memzero(c->data, c->used);
		free(c);
	}
	free(t);
}

/*
 * Check UTF-8 (no overlongs, surrogates or code points past U+10FFFF) and
 * refuse NUL, naming the place.
 */
static int
check_utf8(const char *name, const unsigned char *s, size_t len)
{
	size_t i = 0, k, need;
	uint32_t line = 1, col = 1, cp, min;

	while (i < len) {
		unsigned char c = s[i];

		if (c == 0)
			return fail("%s:%u:%u: NUL byte in input", name, line,
			    col);
		if (c < 0x80) {
			i++;
			if (c == '\n') {
				line++;
				col = 1;
			} else
				col++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07, min = 0x10000;
		else
			goto bad;
		if (len - i <= need)
			goto bad;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += need + 1;
		col++;
	}
	return 0;
bad:
	return fail("%s:%u:%u: not valid UTF-8", name, line, col);
}

/* --- keys kept away from libyaml --- */

/* A run of 43 base64 characters and '=' in the input: a key, maybe. */
struct run {
	size_t at;			/* byte offset */
	size_t ci;			/* character index, as libyaml's marks */
};

struct mask {
	const char *buf;
	size_t len, off;		/* off: bytes handed to libyaml */
	struct run *runs;
	size_t n, next;			/* next: first run not yet handed */
	char ph[KEY_B64_LEN];		/* the placeholder */
};

static int
b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Find every run (a maximal one, not after a backslash, where it could
 * be part of an escape) and pick a random placeholder.
 */
static int
mask_init(struct mask *m, const char *name, const char *buf, size_t len)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, j, ci = 0, cap = 0;
	struct run *r;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->len = len;
	if (crypto_ready() < 0)
		return -1;
	randombytes_buf(m->ph, sizeof(m->ph));
	for (j = 0; j < KEY_B64_LEN - 1; j++)
		m->ph[j] = abc[(unsigned char)m->ph[j] & 63];
	m->ph[KEY_B64_LEN - 1] = '=';
	while (i < len) {
		for (j = i; j < len && b64(s[j]); j++)
			;
		if (j - i == KEY_B64_LEN - 1 && j < len && s[j] == '=' &&
		    (j + 1 == len || (!b64(s[j + 1]) && s[j + 1] != '=')) &&
		    (i == 0 || s[i - 1] != '\\')) {
			if (m->n == cap) {
				cap = cap ? 2 * cap : 16;
				if ((r = reallocarray(m->runs, cap,
				    sizeof(*r))) == NULL)
					return fail_errno("%s", name);
				m->runs = r;
			}
			m->runs[m->n].at = i;
			m->runs[m->n++].ci = ci;
		}
		if (j > i) {
			ci += j - i;
			i = j;
		} else if ((s[i++] & 0xc0) != 0x80)
			ci++;
	}
	return 0;
}

/* libyaml's read handler: the input, each run replaced by the placeholder. */
static int
mask_read(void *data, unsigned char *out, size_t size, size_t *got)
{
	struct mask *m = data;
	size_t n = m->len - m->off < size ? m->len - m->off : size, i, lo, hi;

	memcpy(out, m->buf + m->off, n);
	for (i = m->next; i < m->n && m->runs[i].at < m->off + n; i++) {
		lo = m->runs[i].at > m->off ? m->runs[i].at : m->off;
		hi = m->runs[i].at + KEY_B64_LEN;
		if (hi > m->off + n)
			hi = m->off + n;
		memcpy(out + (lo - m->off), m->ph + (lo - m->runs[i].at),
		    hi - lo);
	}
	m->off += n;
	while (m->next < m->n && m->runs[m->next].at + KEY_B64_LEN <= m->off)
		m->next++;
	*got = n;
	return 1;
}

/*
 * The placeholders in the text of scalar NODE (from START to END, in
 * characters) back to what the input holds there.  The scalar's last
 * runs are its content; earlier ones were in a comment after a block
 * scalar's "|".  0, or -1 if the runs do not add up (never seen: a
 * loud error rather than a wrong key).
 */
static int
mask_restore(const struct mask *m, const char *name, struct ynode *node,
    size_t start, size_t end)
{
	char *text = node->text;
	size_t len = node->n;
	size_t lo = 0, hi = m->n, mid, k = 0, found = 0;
	char *p;

	while (lo < hi) {		/* first run at or after START */
		mid = (lo + hi) / 2;
		if (m->runs[mid].ci < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo; hi < m->n && m->runs[hi].ci < end; hi++)
		;
	for (p = text; (p = memmem(p, len - (size_t)(p - text), m->ph,
	    KEY_B64_LEN)) != NULL; p += KEY_B64_LEN)
		found++;
	if (found > hi - lo)
		return fail("%s:%u:%u: internal error: cannot restore a "
		    "base64 key here", name, node->line, node->col);
	k = hi - found;
	for (p = text; found > 0 && (p = memmem(p, len - (size_t)(p - text),
	    m->ph, KEY_B64_LEN)) != NULL; p += KEY_B64_LEN)
		memcpy(p, m->buf + m->runs[k++].at, KEY_B64_LEN);
	return 0;
}

/* Nodes of open collections wait on a stack until their end event. */
struct builder {
	struct ytree *t;
	struct mask *m;
	struct ynode **stack;		/* children of open collections */
	size_t n, cap;
	size_t open[YTREE_MAX_DEPTH];	/* stack index where each starts */
	struct ynode *coll[YTREE_MAX_DEPTH];
	size_t depth, nodes;
};

static int
push(struct builder *b, struct ynode *node)
{
	struct ynode **s;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;

		if ((s = reallocarray(b->stack, cap, sizeof(*s))) == NULL)
			return fail_errno("%s", b->t->name);
		b->stack = s;
		b->cap = cap;
	}
	b->stack[b->n++] = node;
	return 0;
}

static struct ynode *
new_node(struct builder *b, int type, const yaml_mark_t *m)
{
	struct ynode *node;

	if (++b->nodes > YTREE_MAX_NODES) {
		fail("%s:%zu:%zu: too many YAML nodes (more than %u)",
		    b->t->name, m->line + 1, m->column + 1, YTREE_MAX_NODES);
		return NULL;
	}
	if ((node = arena_alloc(b->t, sizeof(*node))) == NULL)
		return NULL;
	memset(node, 0, sizeof(*node));
	node->type = (uint8_t)type;
	node->line = (uint32_t)m->line + 1;
	node->col = (uint32_t)m->column + 1;
	return node;
}

static int
key_cmp(const struct ynode *a, const struct ynode *b)
{
	int c = memcmp(a->text, b->text, a->n < b->n ? a->n : b->n);

	if (c != 0)
		return c;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	/* equal keys: by position, so the first duplicate sorts second */
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return (a->col > b->col) - (a->col < b->col);
}

static int
key_qsort_cmp(const void *a, const void *b)
{
	return key_cmp(*(struct ynode *const *)a, *(struct ynode *const *)b);
}

static int
before(const struct ynode *a, const struct ynode *b)
{
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/* Refuse a mapping with the same key twice, naming the later one. */
static int
check_dups(struct builder *b, struct ynode *map)
{
	struct ynode **keys, *dup = NULL, *first = NULL;
	size_t n = map->n / 2, i, j;
	char q[QUOTE_MAX];

	if (n < 2)
		return 0;
	if (n <= 16) {
		for (j = 1; j < n; j++)
			for (i = 0; i < j && dup == NULL; i++)
				if (map->kids[2 * i]->n == map->kids[2 * j]->n &&
				    memcmp(map->kids[2 * i]->text,
				    map->kids[2 * j]->text,
				    map->kids[2 * j]->n) == 0) {
					first = map->kids[2 * i];
					dup = map->kids[2 * j];
				}
	} else {
		if ((keys = malloc(n * sizeof(*keys))) == NULL)
			return fail_errno("%s", b->t->name);
		for (i = 0; i < n; i++)
			keys[i] = map->kids[2 * i];
		qsort(keys, n, sizeof(*keys), key_qsort_cmp);
		for (i = 1; i < n; i++) {
			if (keys[i]->n != keys[i - 1]->n ||
			    memcmp(keys[i]->text, keys[i - 1]->text,
			    keys[i]->n) != 0)
				continue;
			/* keys[i - 1] is the first of its run only if ... */
			if (i >= 2 && keys[i - 2]->n == keys[i]->n &&
			    memcmp(keys[i - 2]->text, keys[i]->text,
			    keys[i]->n) == 0)
				continue;
			if (dup == NULL || before(keys[i], dup)) {
				dup = keys[i];
				first = keys[i - 1];
			}
		}
		free(keys);
	}
	if (dup == NULL)
		return 0;
	return fail("%s:%u:%u: duplicate key %s (first at line %u, "
	    "column %u)", b->t->name, dup->line, dup->col,
	    quote(q, dup->text, dup->n), first->line, first->col);
}

static int
open_coll(struct builder *b, int type, const yaml_event_t *ev)
{
	struct ynode *node;

	if (b->depth == YTREE_MAX_DEPTH)
		return fail("%s:%zu:%zu: nested too deeply (more than %d "
		    "levels)", b->t->name, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, YTREE_MAX_DEPTH);
	if ((node = new_node(b, type, &ev->start_mark)) == NULL)
		return -1;
	b->coll[b->depth] = node;
	b->open[b->depth++] = b->n;
	return 0;
}

static struct ynode *
close_coll(struct builder *b)
{
	struct ynode *node = b->coll[--b->depth];
	size_t start = b->open[b->depth], n = b->n - start;

	if (n > 0) {
		node->kids = arena_alloc(b->t, n * sizeof(*node->kids));
		if (node->kids == NULL)
			return NULL;
		memcpy(node->kids, b->stack + start, n * sizeof(*node->kids));
	}
	node->n = (uint32_t)n;
	b->n = start;
	if (node->type == YNODE_MAP && check_dups(b, node) < 0)
		return NULL;
	return node;
}

/* Add a finished node to its parent (or make it the root). */
static int
attach(struct builder *b, struct ynode *node)
{
	struct ynode *parent;

	if (b->depth == 0) {
		b->t->root = node;
		return 0;
	}
	parent = b->coll[b->depth - 1];
	if (parent->type == YNODE_MAP && (b->n - b->open[b->depth - 1]) % 2 == 0
	    && node->type != YNODE_SCALAR)
		return fail("%s:%u:%u: a mapping key must be a scalar",
		    b->t->name, node->line, node->col);
	return push(b, node);
}

static int
refuse_extras(struct builder *b, const yaml_event_t *ev,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	const char *name = b->t->name;
	size_t line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;

	if (anchor != NULL)
		return fail("%s:%zu:%zu: YAML anchors are not allowed", name,
		    line, col);
	if (tag != NULL)
		return fail("%s:%zu:%zu: YAML tags are not allowed", name, line,
		    col);
	return 0;
}

static int
parser_error(const char *name, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	const yaml_mark_t *m = &p->problem_mark;
	const char *what = p->problem ? p->problem : "syntax error";
	size_t i, line = 1, col = 1;

	if (p->error == YAML_READER_ERROR) {
		/* a byte offset: count lines and characters up to it */
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)buf[i] & 0xc0) != 0x80)
				col++;
		}
		return fail("%s:%zu:%zu: YAML: %s", name, line, col, what);
	}
	if (p->error == YAML_MEMORY_ERROR)
		return fail("%s: out of memory", name);
	if (p->context != NULL)
		return fail("%s:%zu:%zu: YAML: %s %s", name, m->line + 1,
		    m->column + 1, what, p->context);
	return fail("%s:%zu:%zu: YAML: %s", name, m->line + 1, m->column + 1,
	    what);
}

static int
handle(struct builder *b, yaml_event_t *ev, int *docs, int *done)
{
	struct ynode *node;
	const char *name = b->t->name;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_NO_EVENT:
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return fail("%s:%zu:%zu: more than one YAML document",
			    name, ev->start_mark.line + 1,
			    ev->start_mark.column + 1);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	case YAML_ALIAS_EVENT:
		return fail("%s:%zu:%zu: YAML aliases are not allowed", name,
		    ev->start_mark.line + 1, ev->start_mark.column + 1);
	case YAML_SCALAR_EVENT:
		if (refuse_extras(b, ev, ev->data.scalar.anchor,
		    ev->data.scalar.tag) < 0)
			return -1;
		if ((node = new_node(b, YNODE_SCALAR, &ev->start_mark)) == NULL)
			return -1;
		node->n = (uint32_t)ev->data.scalar.length;
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if ((node->text = arena_alloc(b->t, node->n + 1)) == NULL)
			return -1;
		memcpy(node->text, ev->data.scalar.value, node->n);
		node->text[node->n] = '\0';
		if (mask_restore(b->m, name, node, ev->start_mark.index,
		    ev->end_mark.index) < 0)
			return -1;
		return attach(b, node);
	case YAML_SEQUENCE_START_EVENT:
		if (refuse_extras(b, ev, ev->data.sequence_start.anchor,
		    ev->data.sequence_start.tag) < 0)
			return -1;
		return open_coll(b, YNODE_SEQ, ev);
	case YAML_MAPPING_START_EVENT:
		if (refuse_extras(b, ev, ev->data.mapping_start.anchor,
		    ev->data.mapping_start.tag) < 0)
			return -1;
		return open_coll(b, YNODE_MAP, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			return fail("%s: YAML: unbalanced collection", name);
		if ((node = close_coll(b)) == NULL)
			return -1;
		return attach(b, node);
	}
	return 0;
}

struct ytree *
ytree_load(const char *name, const char *buf, size_t len)
{
	struct builder b;
	struct mask m;
	yaml_parser_t parser;
	yaml_event_t ev;
	int docs = 0, done = 0, rc = 0;

	if (len > YTREE_MAX_INPUT) {
		fail("%s: input too large (more than %u MiB)", name,
		    YTREE_MAX_INPUT >> 20);
		return NULL;
	}
	if (check_utf8(name, (const unsigned char *)buf, len) < 0)
		return NULL;
	memset(&b, 0, sizeof(b));
	if (mask_init(&m, name, buf, len) < 0) {
		free(m.runs);
		return NULL;
	}
	if ((b.t = calloc(1, sizeof(*b.t))) == NULL) {
		fail_errno("%s", name);
		free(m.runs);
		return NULL;
	}
	b.t->name = name;
	b.m = &m;
	if (!yaml_parser_initialize(&parser)) {
		fail("%s: out of memory", name);
		free(m.runs);
		free(b.t);
		return NULL;
	}
	yaml_parser_set_input(&parser, mask_read, &m);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(name, &parser, buf, len);
			break;
		}
		rc = handle(&b, &ev, &docs, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	free(b.stack);
	free(m.runs);
	if (rc < 0) {
		ytree_free(b.t);
		return NULL;
	}
	return b.t;
}

struct ynode *
ytree_get(const struct ynode *m, const char *key)
{
	size_t klen = strlen(key);
	uint32_t i;

	if (m == NULL || m->type != YNODE_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->n == klen &&
		    memcmp(m->kids[i]->text, key, klen) == 0)
			return m->kids[i + 1];
	return NULL;
}

/* Grow *BUF (LEN bytes used) to CAP bytes: a copy, the old one wiped. */
static int
grow(char **buf, size_t len, size_t cap, const char *name)
{
	char *nb;

	if ((nb = malloc(cap)) == NULL)
		return fail_errno("%s", name);
	memcpy(nb, *buf, len);
	sodium_memzero(*buf, len);
	free(*buf);
	*buf = nb;
	return 0;
}

int
ytree_read_file(const char *path, char **out, size_t *outlen)
{
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	size_t len = 0, cap = 64 * 1024;
	char *buf = NULL;
	ssize_t n;
	int fd;

	if (crypto_ready() < 0)
		return -1;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open_nofollow(path, O_RDONLY, 0)) < 0)
		return -1;
	if ((buf = malloc(cap)) == NULL) {
		fail_errno("%s", name);
		goto bad;
	}
	for (;;) {
		if (len == cap) {
			if (cap > YTREE_MAX_INPUT) {
				fail("%s: input too large (more than %u MiB)",
				    name, YTREE_MAX_INPUT >> 20);
				goto bad;
			}
			cap *= 2;
			if (grow(&buf, len, cap, name) < 0)
				goto bad;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_errno("%s", name);
			goto bad;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > YTREE_MAX_INPUT) {
		fail("%s: input too large (more than %u MiB)", name,
		    YTREE_MAX_INPUT >> 20);
		goto bad;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*out = buf;
	*outlen = len;
	return 0;
bad:
	ytree_input_free(buf, len);
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}

void
ytree_input_free(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	sodium_memzero(buf, len);
	free(buf);
}
