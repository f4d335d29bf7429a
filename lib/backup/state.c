/*
 * The state file's text (docs/STATE.md), parsed and written in memory,
 * and the comparison of what it remembers with what a repository shows.
 *
 *	anemone-state 1
 *	repo <32 hex>
 *	<16 hex id> <time in ns since 1970> <name>	(one line per snapshot)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/state.h"
#include "error.h"
#include "human.h"

#define MAGIC "anemone-state 1"

/* A cursor over the text, for messages with line and column. */
struct cur {
	const char *p, *end, *line;	/* next byte, end, start of line */
	unsigned long lineno;
	const char *fname;
};

static int
bad(const struct cur *c, const char *at, const char *msg)
{
	return fail("%s:%lu:%lu: %s", c->fname, c->lineno,
	    (unsigned long)(at - c->line) + 1, msg);
}

/* The current line (without its newline) in [*S, *E); moves past it. */
static int
next_line(struct cur *c, const char **s, const char **e)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));

	c->lineno++;
	c->line = c->p;
	if (nl == NULL)
		return bad(c, c->end, "no newline at the end of the file");
	*s = c->p;
	*e = nl;
	c->p = nl + 1;
	return 0;
}

/* Exactly 2*N lowercase hex digits at *S, then a space or the end E. */
static int
take_hex(struct cur *c, const char **s, const char *e, uint8_t *out,
    size_t n, const char *what)
{
	char hex[2 * REPO_ID_LEN + 1], msg[64];
	const char *sp = memchr(*s, ' ', (size_t)(e - *s));
	size_t len = (size_t)((sp != NULL ? sp : e) - *s);

	snprintf(msg, sizeof(msg), "bad %s (want %zu lowercase hex digits)",
	    what, 2 * n);
	if (len != 2 * n || 2 * n >= sizeof(hex))
		return bad(c, *s, msg);
	memcpy(hex, *s, len);
	hex[len] = '\0';
	if (hex_decode(out, hex, n) < 0)
		return bad(c, *s, msg);
	*s += len;
	return 0;
}

/* A decimal time in ns: digits, no leading zero, no overflow. */
static int
take_time(struct cur *c, const char **s, const char *e, uint64_t *t)
{
	const char *p = *s;
	uint64_t v = 0;

	if (p == e || *p < '0' || *p > '9' || (*p == '0' && p + 1 < e &&
	    p[1] >= '0' && p[1] <= '9'))
		return bad(c, p, "bad time (want nanoseconds since 1970 in "
		    "decimal)");
	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return bad(c, *s, "time out of range");
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*t = v;
	*s = p;
	return 0;
}

static int
take_space(struct cur *c, const char **s, const char *e)
{
	if (*s == e || **s != ' ')
		return bad(c, *s, "want one space");
	(*s)++;
	return 0;
}

/* One snapshot line into SN. */
static int
snap_line(struct cur *c, const char *s, const char *e, struct state_snap *sn)
{
	size_t len;

	if (take_hex(c, &s, e, sn->id, SNAP_ID_LEN, "snapshot id") < 0 ||
	    take_space(c, &s, e) < 0 || take_time(c, &s, e, &sn->time_ns) < 0 ||
	    take_space(c, &s, e) < 0)
		return -1;
	len = (size_t)(e - s);
	if (len == 0 || len > NAME_MAX_LEN || memchr(s, '\0', len) != NULL)
		return bad(c, s, "bad snapshot name");
	memcpy(sn->name, s, len);
	sn->name[len] = '\0';
	if (!fmt_snap_name_valid(sn->name))
		return bad(c, s, "bad snapshot name");
	return 0;
}

/* The two header lines. */
static int
header(struct cur *c, const uint8_t *repo_id, struct state *st)
{
	const char *s = NULL, *e = NULL;

	if (next_line(c, &s, &e) < 0)
		return -1;
	if ((size_t)(e - s) != strlen(MAGIC) || memcmp(s, MAGIC, strlen(MAGIC)))
		return bad(c, s, "not an anemone state file (want \""
		    MAGIC "\")");
	if (next_line(c, &s, &e) < 0)
		return -1;
	if (e - s < 5 || memcmp(s, "repo ", 5) != 0)
		return bad(c, s, "want \"repo\" and the repository id");
	s += 5;
	if (take_hex(c, &s, e, st->repo_id, REPO_ID_LEN, "repository id") < 0)
		return -1;
	if (s != e)
		return bad(c, s, "trailing characters");
	if (repo_id != NULL && memcmp(repo_id, st->repo_id, REPO_ID_LEN) != 0)
		return bad(c, c->line + 5, "the state of another repository");
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(((const struct state_snap *)a)->id,
	    ((const struct state_snap *)b)->id, SNAP_ID_LEN);
}

/* No id twice; SORTED is a copy of the entries, sorted by id. */
static int
no_duplicates(const char *fname, struct state_snap *sorted, size_t n)
{
	char hex[2 * SNAP_ID_LEN + 1];
	size_t i;

	qsort(sorted, n, sizeof(*sorted), cmp_id);
	for (i = 1; i < n; i++)
		if (memcmp(sorted[i - 1].id, sorted[i].id, SNAP_ID_LEN) == 0) {
			hex_encode(hex, sorted[i].id, SNAP_ID_LEN);
			return fail("%s: snapshot %s listed twice", fname, hex);
		}
	return 0;
}

int
state_parse(const char *buf, size_t n, const char *fname,
    const uint8_t *repo_id, struct state *st)
{
	struct cur c = { buf, buf + n, buf, 0, fname };
	struct state_snap *v = NULL, *sorted;
	const char *s = NULL, *e = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if (n > STATE_MAX_BYTES)
		return fail("%s: over %u MiB: not a state file", fname,
		    STATE_MAX_BYTES >> 20);
	if (header(&c, repo_id, st) < 0)
		return -1;
	while (c.p < c.end) {
		if (cnt == cap) {
			struct state_snap *nv;
			cap = cap ? 2 * cap : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				return fail("out of memory");
			}
			v = nv;
		}
		if (next_line(&c, &s, &e) < 0 || snap_line(&c, s, e, &v[cnt]) < 0) {
			free(v);
			return -1;
		}
		cnt++;
	}
	if (cnt > 0 && (sorted = malloc(cnt * sizeof(*v))) == NULL) {
		free(v);
		return fail("out of memory");
	}
	rc = cnt > 0 ? (memcpy(sorted, v, cnt * sizeof(*v)),
	    no_duplicates(fname, sorted, cnt)) : 0;
	if (cnt > 0)
		free(sorted);
	if (rc < 0) {
		free(v);
		return -1;
	}
	st->v = v;
	st->n = cnt;
	return 0;
}

static int
cmp_snap(const void *a, const void *b)
{
	const struct state_snap *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return memcmp(x->id, y->id, SNAP_ID_LEN);
}

int
state_format(const struct state *st, char **out, size_t *n)
{
	struct state_snap *v = NULL;
	char hex[2 * REPO_ID_LEN + 1], *buf;
	size_t cap, len, i;
	int w;

	cap = 64 + st->n * (2 * SNAP_ID_LEN + 22 + NAME_MAX_LEN + 1);
	if ((buf = malloc(cap)) == NULL ||
	    (st->n > 0 && (v = malloc(st->n * sizeof(*v))) == NULL)) {
		free(buf);
		return fail("out of memory");
	}
	if (st->n > 0) {
		memcpy(v, st->v, st->n * sizeof(*v));
		qsort(v, st->n, sizeof(*v), cmp_snap);
	}
	hex_encode(hex, st->repo_id, REPO_ID_LEN);
	len = (size_t)snprintf(buf, cap, MAGIC "\nrepo %s\n", hex);
	for (i = 0; i < st->n; i++) {
		hex_encode(hex, v[i].id, SNAP_ID_LEN);
		w = snprintf(buf + len, cap - len, "%s %llu %s\n", hex,
		    (unsigned long long)v[i].time_ns, v[i].name);
		len += (size_t)w;
	}
	free(v);
	*out = buf;
	*n = len;
	return 0;
}

void
state_snap_from(struct state_snap *out, const struct snapshot *s)
{
	memcpy(out->id, s->snap_id, SNAP_ID_LEN);
	out->time_ns = s->time_ns;
	snprintf(out->name, sizeof(out->name), "%s", s->name);
}

void
state_free(struct state *st)
{
	free(st->v);
	st->v = NULL;
	st->n = 0;
}

/* The newest record named NAME among V, or NULL. */
static const struct snapshot *
newest(const struct snapshot *v, size_t n, const char *name)
{
	const struct snapshot *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0 && (best == NULL ||
		    v[i].time_ns > best->time_ns || (v[i].time_ns ==
		    best->time_ns && memcmp(v[i].snap_id, best->snap_id,
		    SNAP_ID_LEN) > 0)))
			best = &v[i];
	return best;
}

static int
cmp_rec(const void *a, const void *b)
{
	return memcmp((*(const struct snapshot *const *)a)->snap_id,
	    (*(const struct snapshot *const *)b)->snap_id, SNAP_ID_LEN);
}

static int
cmp_idv(const void *a, const void *b)
{
	return memcmp(a, b, SNAP_ID_LEN);
}

/* Say what is wrong with the remembered K: R is its record now shown (or
 * NULL, when it is missing), V[0..N) every record read. */
static void
explain(const char *url, const struct state_snap *k,
    const struct snapshot *r, const struct snapshot *v, size_t n,
    long more)
{
	char id[2 * SNAP_ID_LEN + 1], id2[2 * SNAP_ID_LEN + 1], t[32], t2[32];
	char tail[48] = "";
	const struct snapshot *nw;

	hex_encode(id, k->id, SNAP_ID_LEN);
	human_time(t, k->time_ns);
	if (more > 0)
		snprintf(tail, sizeof(tail), " (and %ld more)", more);
	if (r != NULL) {
		human_time(t2, r->time_ns);
		fail("%s: snapshot %s was %s of %s when this client saw it, "
		    "now the repository shows %s of %s%s", url, id, k->name, t,
		    r->name, t2, tail);
		return;
	}
	if (v == NULL) {
		fail("%s: snapshot %s@%s of %s, which this client saw, is "
		    "missing%s", url, k->name, id, t, tail);
		return;
	}
	if ((nw = newest(v, n, k->name)) == NULL) {
		fail("%s: snapshot %s@%s of %s, which this client saw, is "
		    "missing, and the repository shows no %s at all%s", url,
		    k->name, id, t, k->name, tail);
		return;
	}
	hex_encode(id2, nw->snap_id, SNAP_ID_LEN);
	human_time(t2, nw->time_ns);
	fail("%s: snapshot %s@%s of %s, which this client saw, is missing; "
	    "the newest %s there is %s of %s%s", url, k->name, id, t, k->name,
	    id2, t2, tail);
}

/* Is K wrong: not listed, or its record different?  *R: its record. */
static int
wrong(const struct state_snap *k, const uint8_t (*ids)[SNAP_ID_LEN],
    size_t nids, const struct snapshot **recs, size_t nv,
    const struct snapshot **r)
{
	struct snapshot key, *kp = &key;
	const struct snapshot **hit;

	*r = NULL;
	if (bsearch(k->id, ids, nids, SNAP_ID_LEN, cmp_idv) == NULL)
		return 1;
	memcpy(key.snap_id, k->id, SNAP_ID_LEN);
	hit = bsearch(&kp, recs, nv, sizeof(*recs), cmp_rec);
	if (hit == NULL)
		return 0;	/* listed, its record unread: no verdict */
	*r = *hit;
	return strcmp(k->name, (*hit)->name) != 0 ||
	    k->time_ns != (*hit)->time_ns;
}

long
state_check(const struct state *st, const char *url,
    const uint8_t (*ids)[SNAP_ID_LEN], size_t nids,
    const struct snapshot *v, size_t nv, uint8_t (**bad)[SNAP_ID_LEN])
{
	uint8_t (*sid)[SNAP_ID_LEN] = NULL, (*out)[SNAP_ID_LEN] = NULL;
	const struct snapshot **recs = NULL, *r, *worst_r = NULL;
	const struct state_snap *worst = NULL;
	long cnt = 0;
	size_t i;

	*bad = NULL;
	if (st->n == 0)
		return 0;
	sid = malloc((nids ? nids : 1) * SNAP_ID_LEN);
	recs = malloc((nv ? nv : 1) * sizeof(*recs));
	out = malloc(st->n * SNAP_ID_LEN);
	if (sid == NULL || recs == NULL || out == NULL) {
		free(sid), free(recs), free(out);
		return fail("out of memory");
	}
	if (nids > 0)
		memcpy(sid, ids, nids * SNAP_ID_LEN);
	qsort(sid, nids, SNAP_ID_LEN, cmp_idv);
	for (i = 0; i < nv; i++)
		recs[i] = &v[i];
	qsort(recs, nv, sizeof(*recs), cmp_rec);
	for (i = 0; i < st->n; i++) {
		const struct state_snap *k = &st->v[i];
		if (!wrong(k, (const uint8_t (*)[SNAP_ID_LEN])sid, nids, recs,
		    nv, &r))
			continue;
		memcpy(out[cnt++], k->id, SNAP_ID_LEN);
		/* report the newest: a rollback hides the latest first */
		if (worst == NULL || k->time_ns > worst->time_ns ||
		    (k->time_ns == worst->time_ns &&
		    memcmp(k->id, worst->id, SNAP_ID_LEN) > 0)) {
			worst = k;
			worst_r = r;
		}
	}
	if (worst != NULL)
		explain(url, worst, worst_r, v, nv, cnt - 1);
	free(sid);
	free(recs);
	if (cnt == 0)
		free(out);
	else
		*bad = out;
	return cnt;
}
