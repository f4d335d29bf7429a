/*
 * Catalogues in memory: indexing, path selection, diff (members.h).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/members.h"
#include "error.h"

int
catalog_index(struct catalog *c, uint8_t *buf, size_t len)
{
	struct cat_iter it;
	struct cat_entry e, *nv;
	size_t cap = 0;
	int r;

	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	if (cat_open(&it, buf, len) < 0)
		return -1;
	while ((r = cat_next(&it, &e)) == 1) {
		if (c->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((nv = realloc(c->v, cap * sizeof(*nv))) == NULL)
				return fail_errno("catalogue");
			c->v = nv;
		}
		c->v[c->n++] = e;
	}
	c->end = it.off;
	return r;
}

void
catalog_free(struct catalog *c)
{
	free(c->buf);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The part of a path that names a member: no "./" or "/" in front, no
 * "/" behind.  Returns the length; *P advanced. */
static size_t
norm(const char **p, size_t n)
{
	const char *s = *p;

	for (;;) {
		if (n >= 2 && s[0] == '.' && s[1] == '/') {
			s += 2;
			n -= 2;
		} else if (n >= 1 && s[0] == '/') {
			s++;
			n--;
		} else {
			break;
		}
	}
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (n == 1 && s[0] == '.')
		n = 0;
	*p = s;
	return n;
}

int
sel_init(struct member_sel *s, char *const *pats, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->pats = pats;
	s->n = n;
	if ((s->hit = calloc(n + 1, 1)) == NULL ||
	    (s->scratch = malloc(CAT_PATH_MAX + 1)) == NULL) {
		sel_free(s);
		return fail_errno("paths");
	}
	return 0;
}

void
sel_free(struct member_sel *s)
{
	free(s->hit);
	free(s->scratch);
	s->hit = NULL;
	s->scratch = NULL;
}

int
sel_match(struct member_sel *s, const struct cat_entry *e)
{
	const char *p = (const char *)e->path, *q;
	char pat[CAT_PATH_MAX + 1];
	size_t n = norm(&p, e->path_len), i, m;
	int any = 0;

	if (s->n == 0)
		return 1;
	memcpy(s->scratch, p, n);
	s->scratch[n] = '\0';
	for (i = 0; i < s->n; i++) {
		q = s->pats[i];
		m = norm(&q, strlen(q));
		if (m > CAT_PATH_MAX)
			continue;
		memcpy(pat, q, m);
		pat[m] = '\0';
		/* an empty pattern ("." or "/") is the whole archive */
		if (m == 0 || fnmatch(pat, s->scratch,
		    FNM_PATHNAME | FNM_LEADING_DIR) == 0) {
			s->hit[i] = 1;
			any = 1;
		}
	}
	return any;
}

const char *
sel_unmatched(const struct member_sel *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->hit[i])
			return s->pats[i];
	return NULL;
}

unsigned
member_changes(const struct cat_entry *a, const struct cat_entry *b)
{
	unsigned ch = 0;

	if (a->type != b->type)
		ch |= CH_TYPE;
	if (a->size != b->size)
		ch |= CH_SIZE;
	if (a->mtime != b->mtime || a->mtime_ns != b->mtime_ns)
		ch |= CH_MTIME;
	if (memcmp(a->hash, b->hash, CAT_HASH_LEN) != 0 ||
	    a->devmajor != b->devmajor || a->devminor != b->devminor)
		ch |= CH_CONTENT;
	if (a->mode != b->mode)
		ch |= CH_MODE;
	if (a->uid != b->uid || a->gid != b->gid || a->uname_len !=
	    b->uname_len || a->gname_len != b->gname_len ||
	    memcmp(a->uname, b->uname, a->uname_len) != 0 ||
	    memcmp(a->gname, b->gname, a->gname_len) != 0)
		ch |= CH_OWNER;
	if (a->link_len != b->link_len ||
	    memcmp(a->link, b->link, a->link_len) != 0)
		ch |= CH_LINK;
	return ch;
}

const char *
changes_str(char *buf, size_t n, unsigned ch)
{
	static const char *names[] = { "type", "size", "mtime", "content",
	    "mode", "owner", "link" };
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ch & (1u << i) && len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s",
			    len ? "," : "", names[i]);
	return buf;
}

/* Sorting members by normalised path, then stream order. */
static int
path_cmp(const struct cat_entry *a, const struct cat_entry *b)
{
	const char *p = (const char *)a->path, *q = (const char *)b->path;
	size_t n = norm(&p, a->path_len), m = norm(&q, b->path_len);
	int c = memcmp(p, q, n < m ? n : m);

	return c ? c : (n > m) - (n < m);
}

static int
order_cmp(const void *x, const void *y)
{
	const struct cat_entry *a = *(const struct cat_entry *const *)x;
	const struct cat_entry *b = *(const struct cat_entry *const *)y;
	int c = path_cmp(a, b);

	return c ? c : (a > b) - (a < b);
}

/* Members sorted by path, only the last of each path kept. */
static const struct cat_entry **
by_path(const struct catalog *c, size_t *n)
{
	const struct cat_entry **v = malloc((c->n + 1) * sizeof(*v));
	size_t i, k = 0;

	if (v == NULL) {
		fail_errno("catalogue");
		return NULL;
	}
	for (i = 0; i < c->n; i++)
		v[i] = &c->v[i];
	qsort(v, c->n, sizeof(*v), order_cmp);
	for (i = 0; i < c->n; i++) {
		if (k > 0 && path_cmp(v[k - 1], v[i]) == 0)
			k--;
		v[k++] = v[i];
	}
	*n = k;
	return v;
}

int
catalog_diff(const struct catalog *a, const struct catalog *b, diff_cb cb,
    void *arg)
{
	const struct cat_entry **va, **vb;
	size_t na, nb, i = 0, j = 0;
	int c, rc = 0;

	va = by_path(a, &na);
	vb = by_path(b, &nb);
	if (va == NULL || vb == NULL) {
		free(va);
		free(vb);
		return -1;
	}
	while (rc == 0 && (i < na || j < nb)) {
		c = i == na ? 1 : j == nb ? -1 : path_cmp(va[i], vb[j]);
		if (c < 0)
			rc = cb(arg, va[i++], NULL, 0);
		else if (c > 0)
			rc = cb(arg, NULL, vb[j++], 0);
		else {
			rc = cb(arg, va[i], vb[j], member_changes(va[i], vb[j]));
			i++;
			j++;
		}
	}
	free(va);
	free(vb);
	return rc;
}

const struct cat_entry *
catalog_find(const struct catalog *c, const char *path)
{
	const char *q = path, *p;
	size_t m = norm(&q, strlen(q)), i, n;

	for (i = c->n; i-- > 0;) {
		p = (const char *)c->v[i].path;
		n = norm(&p, c->v[i].path_len);
		if (n == m && memcmp(p, q, n) == 0)
			return &c->v[i];
	}
	return NULL;
}
