/* Repository handle: keys, config, sealing, the blob index, snapshots. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "error.h"
#include "keys.h"
#include "backup/cache.h"
#include "backup/meta.h"
#include "backup/repo.h"

static const char kdf_ctx[crypto_kdf_CONTEXTBYTES] = "anemone1";

void
pack_path(char out[80], const uint8_t name[PACK_NAME_LEN])
{
	memcpy(out, "packs/", 6);
	hex_encode(out + 6, name, PACK_NAME_LEN);
}

static void
config_check(const struct repo_keys *k, const struct repo_config *c,
    uint8_t mac[32])
{
	static const char label[] = "anemone config check";
	uint8_t msg[sizeof(label) - 1 + 4 + REPO_ID_LEN];

	memcpy(msg, label, sizeof(label) - 1);
	le32enc(msg + sizeof(label) - 1, c->version);
	memcpy(msg + sizeof(label) - 1 + 4, c->repo_id, REPO_ID_LEN);
	crypto_generichash(mac, 32, msg, sizeof(msg), k->check, 32);
}

/* Is DIR a folder of the layout that holds nothing (but hidden files)? */
static int
layout_dir_empty(struct store *st, const char *dir)
{
	char **names;
	size_t n;

	if (strcmp(dir, "packs") != 0 && strcmp(dir, "index") != 0 &&
	    strcmp(dir, "snapshots") != 0)
		return 0;
	if (store_list(st, dir, &names, &n) < 0)
		return 0;
	store_names_free(names, n);
	return n == 0;
}

/*
 * Is the location empty: nothing but hidden files and the layout's own
 * folders, empty (an append-only server has them made beforehand)?
 */
static int
store_empty(struct store *st)
{
	char **names;
	size_t n, i;
	int empty = 1;

	if (store_list(st, ".", &names, &n) < 0)
		return 1;	/* missing: empty */
	for (i = 0; i < n && empty; i++)
		empty = layout_dir_empty(st, names[i]);
	store_names_free(names, n);
	return empty;
}

static int
load_config(struct repo *r, const char *keyfile, int create, int *created)
{
	struct repo_config c;
	uint8_t *b = NULL, buf[CONFIG_LEN], mac[32];
	size_t n;
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		rc = store_get_all(r->st, "config", &b, &n);
		if (rc == STORE_NOTFOUND && create) {
			if (!store_empty(r->st))
				return fail("%s: not an anemone repository (no "
				    "config) and not empty", r->st->url);
			c.version = REPO_VERSION;
			randombytes_buf(c.repo_id, REPO_ID_LEN);
			config_check(r->k, &c, c.check);
			fmt_config_enc(buf, &c);
			rc = store_put(r->st, "config", buf, sizeof(buf));
			if (rc == STORE_EXISTS)
				continue;	/* another push won: read its */
			if (rc < 0)
				return -1;
			*created = 1;
			memcpy(r->repo_id, c.repo_id, REPO_ID_LEN);
			return 0;
		}
		if (rc == STORE_NOTFOUND)
			return fail("%s: not an anemone repository (no config)",
			    r->st->url);
		if (rc < 0)
			return -1;
		break;
	}
	if (b == NULL)
		return fail("%s: config: cannot create or read", r->st->url);
	rc = fmt_config_dec(b, n, &c);
	free(b);
	if (rc < 0)
		return fail_ctx("%s/config", r->st->url);
	config_check(r->k, &c, mac);
	if (crypto_verify_32(mac, c.check) != 0)
		return fail("%s: key %s does not belong to this repository",
		    r->st->url, keyfile);
	memcpy(r->repo_id, c.repo_id, REPO_ID_LEN);
	return 0;
}

struct repo *
repo_open_opts(const char *url, const char *keyfile, int create, int *created,
    const struct store_opts *so)
{
	struct store_opts o = { .timeout = STORE_TIMEOUT_DEFAULT };
	struct repo *r;
	uint8_t *master = NULL;

	if (so != NULL)
		o = *so;
	o.create = create;
	*created = 0;
	if (crypto_ready() < 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fail_errno("repository");
		return NULL;
	}
	if ((master = secret_alloc(KEY_LEN)) == NULL ||
	    (r->k = secret_alloc(sizeof(*r->k))) == NULL)
		goto bad;
	if (key_read_file(keyfile, master, 1) < 0)
		goto bad;
	crypto_kdf_derive_from_key(r->k->id, 32, 1, kdf_ctx, master);
	crypto_kdf_derive_from_key(r->k->enc, 32, 2, kdf_ctx, master);
	crypto_kdf_derive_from_key(r->k->chunk, 32, 3, kdf_ctx, master);
	crypto_kdf_derive_from_key(r->k->check, 32, 4, kdf_ctx, master);
	secret_free(master);
	master = NULL;
	if ((r->st = store_open(url, &o)) == NULL)
		goto bad;
	if (load_config(r, keyfile, create, created) < 0)
		goto bad;
	if (!o.no_cache)
		r->cache = cache_open(r->repo_id);	/* NULL: run without */
	chunker_init(&r->ch, r->k->chunk);
	return r;
bad:
	secret_free(master);
	repo_close(r);
	return NULL;
}

void
repo_close(struct repo *r)
{
	if (r == NULL)
		return;
	store_close(r->st);
	cache_close(r->cache);
	secret_free(r->k);
	free(r->slots);
	free(r->packs);
	free(r->packset);
	free(r);
}

void
repo_blob_id(const struct repo *r, const void *p, size_t n,
    uint8_t id[BLOB_ID_LEN])
{
	crypto_generichash(id, BLOB_ID_LEN, p, n, r->k->id, 32);
}

void
repo_seal(const struct repo *r, const uint8_t *ad, size_t adlen,
    const uint8_t *pt, size_t n, uint8_t *out)
{
	unsigned long long clen;

	randombytes_buf(out, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_LEN, &clen,
	    pt, n, ad, adlen, NULL, out, r->k->enc);
}

int
repo_unseal(const struct repo *r, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t n, uint8_t *pt)
{
	unsigned long long plen;

	if (n < SEAL_OVERHEAD)
		return -1;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL,
	    in + NONCE_LEN, n - NONCE_LEN, ad, adlen, in, r->k->enc);
}

int
repo_open_segment(const struct repo *r, void *zdctx,
    const uint8_t pack[PACK_NAME_LEN], const struct blob_entry *e,
    const uint8_t *in, uint8_t *out, uint8_t *scratch)
{
	uint8_t ad[SEG_AD_LEN];
	uint8_t *pt = (e->flags & FLAG_ZSTD) ? scratch : out;
	size_t n;

	fmt_seg_ad(ad, r->repo_id, pack, e->seg_off, e->flags, e->seg_raw);
	if (repo_unseal(r, ad, sizeof(ad), in, e->seg_sealed, pt) != 0)
		return fail("authentication failed (damaged, moved, or "
		    "swapped with another object)");
	if (e->flags & FLAG_ZSTD) {
		n = ZSTD_decompressDCtx(zdctx, out, SEG_MAX, scratch,
		    e->seg_sealed - SEAL_OVERHEAD);
		if (ZSTD_isError(n) || n != e->seg_raw)
			return fail("bad compressed data");
	}
	return 0;
}

int
repo_check_blob(const struct repo *r, const struct blob_entry *e,
    const uint8_t *pt)
{
	uint8_t id[BLOB_ID_LEN];

	repo_blob_id(r, pt, e->raw_len, id);
	if (sodium_memcmp(id, e->id, BLOB_ID_LEN) != 0)
		return fail("content does not match its id");
	return 0;
}

/* ---- the blob index ---- */

static size_t
slot_of(const uint8_t id[BLOB_ID_LEN], size_t mask)
{
	return (size_t)le64dec(id) & mask;
}

static int
grow(struct repo *r)
{
	struct ix_slot *old = r->slots, *ns;
	size_t oldn = r->nslots, n = oldn ? oldn * 2 : 4096, i, j;

	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return fail_errno("blob index");
	for (i = 0; i < oldn; i++) {
		if (!old[i].used)
			continue;
		for (j = slot_of(old[i].e.id, n - 1); ns[j].used;
		    j = (j + 1) & (n - 1))
			;
		ns[j] = old[i];
	}
	free(old);
	r->slots = ns;
	r->nslots = n;
	return 0;
}

int
repo_lookup(struct repo *r, const uint8_t id[BLOB_ID_LEN], struct ix_slot *out)
{
	size_t j, mask = r->nslots - 1;

	if (r->nslots == 0)
		return -1;
	for (j = slot_of(id, mask); r->slots[j].used; j = (j + 1) & mask) {
		if (memcmp(r->slots[j].e.id, id, BLOB_ID_LEN) == 0) {
			*out = r->slots[j];
			return 0;
		}
	}
	return -1;
}

struct ix_slot *
repo_insert(struct repo *r, const uint8_t id[BLOB_ID_LEN], int *isnew)
{
	size_t j, mask;

	*isnew = 0;
	if ((r->nused + 1) * 10 > r->nslots * 7 && grow(r) < 0)
		return NULL;
	mask = r->nslots - 1;
	for (j = slot_of(id, mask); r->slots[j].used; j = (j + 1) & mask)
		if (memcmp(r->slots[j].e.id, id, BLOB_ID_LEN) == 0)
			return &r->slots[j];
	memset(&r->slots[j], 0, sizeof(r->slots[j]));
	memcpy(r->slots[j].e.id, id, BLOB_ID_LEN);
	r->slots[j].used = 1;
	r->slots[j].pack = PACK_NONE;
	r->nused++;
	*isnew = 1;
	return &r->slots[j];
}

static int
pack_find(struct repo *r, const uint8_t name[PACK_NAME_LEN], size_t *pos)
{
	size_t j, mask = r->npackset - 1;

	for (j = slot_of(name, mask); r->packset[j]; j = (j + 1) & mask)
		if (memcmp(r->packs[r->packset[j] - 1], name, PACK_NAME_LEN) == 0) {
			*pos = j;
			return 1;
		}
	*pos = j;
	return 0;
}

int
repo_add_pack(struct repo *r, const uint8_t name[PACK_NAME_LEN], uint32_t *num)
{
	size_t pos, i, n;
	uint32_t *ns;
	void *np;

	if ((r->npacks + 1) * 2 > r->npackset) {
		n = r->npackset ? r->npackset * 2 : 1024;
		if ((ns = calloc(n, sizeof(*ns))) == NULL)
			return fail_errno("pack table");
		free(r->packset);
		r->packset = ns;
		r->npackset = n;
		for (i = 0; i < r->npacks; i++) {
			pack_find(r, r->packs[i], &pos);
			r->packset[pos] = (uint32_t)i + 1;
		}
	}
	if (pack_find(r, name, &pos)) {
		*num = r->packset[pos] - 1;
		return 0;
	}
	if (r->npacks == r->packcap) {
		n = r->packcap ? r->packcap * 2 : 256;
		if ((np = realloc(r->packs, n * PACK_NAME_LEN)) == NULL)
			return fail_errno("pack table");
		r->packs = np;
		r->packcap = n;
	}
	memcpy(r->packs[r->npacks], name, PACK_NAME_LEN);
	r->packset[pos] = (uint32_t)r->npacks + 1;
	*num = (uint32_t)r->npacks++;
	return 0;
}

static int
add_entry(struct repo *r, uint32_t pack, const struct blob_entry *e)
{
	struct ix_slot *s;
	int isnew;

	if ((s = repo_insert(r, e->id, &isnew)) == NULL)
		return -1;
	if (!isnew && s->pack != PACK_NONE)
		return 0;	/* stored twice (concurrent pushes): keep one */
	s->pack = pack;
	s->e = *e;
	return 0;
}

static int
index_entry_cb(void *arg, const uint8_t pack[PACK_NAME_LEN],
    const struct blob_entry *e)
{
	struct repo *r = arg;
	uint32_t num;

	if (repo_add_pack(r, pack, &num) < 0)
		return -1;
	return add_entry(r, num, e);
}

/* Take in index file FNAME (B, N bytes): authenticate, then add its
 * entries (nothing of a file that fails). */
static int
index_take(struct repo *r, const char *fname, const uint8_t *b, size_t n)
{
	uint8_t name[PACK_NAME_LEN], ad[AD_MAX], *pt;
	size_t adlen;
	int rc = -1;

	if (hex_decode(name, fname, PACK_NAME_LEN) < 0)
		return fail("index/%s: not an index name", fname);
	if (n < SEAL_OVERHEAD)
		return fail("%s/index/%s: truncated", r->st->url, fname);
	if ((pt = malloc(n)) == NULL)
		return fail_errno("index/%s", fname);
	adlen = fmt_ad(ad, AD_INDEX, r->repo_id, name, PACK_NAME_LEN);
	if (repo_unseal(r, ad, adlen, b, n, pt) != 0)
		fail("%s/index/%s: authentication failed (damaged, renamed, or "
		    "from another repository)", r->st->url, fname);
	else if (fmt_index_dec(pt, n - SEAL_OVERHEAD, index_entry_cb, r) < 0)
		fail_ctx("%s/index/%s", r->st->url, fname);
	else
		rc = 0;
	free(pt);
	return rc;
}

struct names_arg {
	struct repo *r;
	char **names;
	struct snapshot *v;	/* snapshots: one per name */
};

static int
index_open_cb(void *arg, size_t i, const uint8_t *b, size_t n)
{
	struct names_arg *a = arg;

	return index_take(a->r, a->names[i], b, n);
}

/* Keep the names of DIR that are LEN bytes of hex (the others are not the
 * repository's: ignored); the cache keeps copies of those alone. */
static void
names_filter(struct repo *r, const char *dir, char **names, size_t *n,
    size_t len)
{
	size_t i, k = 0;

	for (i = 0; i < *n; i++) {
		if (strlen(names[i]) == 2 * len &&
		    strspn(names[i], "0123456789abcdef") == 2 * len)
			names[k++] = names[i];
		else
			free(names[i]);
	}
	*n = k;
	cache_keep_only(r->cache, dir, names, k);
}

int
repo_read_pack_header(struct repo *r, const uint8_t name[PACK_NAME_LEN],
    struct blob_entry **v, size_t *cnt)
{
	uint8_t tail[PACK_TRAILER], ad[AD_MAX];
	uint8_t *h = NULL, *pt = NULL;
	char path[80];
	uint64_t size, hoff;
	size_t adlen;
	uint32_t hlen;
	int rc = -1;

	pack_path(path, name);
	if (store_size(r->st, path, &size) < 0)
		return -1;
	if (size < PACK_TRAILER)
		return fail("%s/%s: truncated", r->st->url, path);
	if (store_get(r->st, path, size - PACK_TRAILER, tail, sizeof(tail)) < 0)
		return -1;
	if (fmt_pack_trailer_dec(tail, size, &hlen, &hoff) < 0)
		return fail_ctx("%s/%s", r->st->url, path);
	if ((h = malloc(hlen)) == NULL || (pt = malloc(hlen)) == NULL) {
		fail_errno("%s", path);
		goto out;
	}
	if (store_get(r->st, path, hoff, h, hlen) < 0)
		goto out;
	adlen = fmt_ad(ad, AD_PACK, r->repo_id, name, PACK_NAME_LEN);
	if (repo_unseal(r, ad, adlen, h, hlen, pt) != 0) {
		fail("%s/%s: header authentication failed", r->st->url, path);
		goto out;
	}
	if (fmt_pack_header_dec(pt, hlen - SEAL_OVERHEAD, hoff, v, cnt) < 0) {
		fail_ctx("%s/%s", r->st->url, path);
		goto out;
	}
	rc = 0;
out:
	free(h);
	free(pt);
	return rc;
}

int
repo_load_index(struct repo *r, int orphans, uint32_t **orph, size_t *norph)
{
	char **names = NULL;
	uint8_t pname[PACK_NAME_LEN];
	struct blob_entry *e;
	size_t n = 0, i, j, cnt, pos, cap = 0;
	uint32_t num, *o = NULL, *no;
	struct names_arg a;
	int rc;

	if (orph != NULL) {
		*orph = NULL;
		*norph = 0;
	}
	rc = store_list(r->st, "index", &names, &n);
	if (rc < 0 && rc != STORE_NOTFOUND)
		return -1;
	names_filter(r, "index", names, &n, PACK_NAME_LEN);
	a = (struct names_arg){ .r = r, .names = names };
	rc = meta_fetch(r->st, r->cache, "index", names, n, index_open_cb, &a);
	store_names_free(names, n);
	if (rc < 0)
		return -1;
	if (!orphans)
		return 0;
	rc = store_list(r->st, "packs", &names, &n);
	if (rc < 0 && rc != STORE_NOTFOUND)
		return -1;
	for (i = 0; i < n; i++) {
		if (hex_decode(pname, names[i], PACK_NAME_LEN) < 0)
			continue;
		if (r->npackset > 0 && pack_find(r, pname, &pos))
			continue;
		/* No index names it: an interrupted push.  Reuse it. */
		if (repo_read_pack_header(r, pname, &e, &cnt) < 0)
			continue;	/* unreadable: unused, so harmless */
		if (repo_add_pack(r, pname, &num) < 0)
			goto bad;
		for (j = 0; j < cnt; j++)
			if (add_entry(r, num, &e[j]) < 0) {
				free(e);
				goto bad;
			}
		free(e);
		if (*norph == cap) {
			cap = cap ? cap * 2 : 16;
			if ((no = realloc(o, cap * sizeof(*o))) == NULL) {
				fail_errno("pack table");
				goto bad;
			}
			o = no;
		}
		o[(*norph)++] = num;
	}
	store_names_free(names, n);
	*orph = o;
	return 0;
bad:
	free(o);
	*norph = 0;
	store_names_free(names, n);
	return -1;
}

/* ---- snapshots ---- */

/* Take in snapshot record FNAME (B, N bytes) into S. */
static int
snap_take(struct repo *r, const char *fname, const uint8_t *b, size_t n,
    struct snapshot *s)
{
	uint8_t want[SNAP_ID_LEN], ad[AD_MAX], *pt;
	struct snap_head h;
	char other[2 * SNAP_ID_LEN + 1];
	size_t slen, adlen;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (hex_decode(want, fname, SNAP_ID_LEN) < 0)
		return fail("%s/snapshots/%s: not a snapshot name", r->st->url,
		    fname);
	if (fmt_snap_head_dec(b, n, &h) < 0)
		return fail_ctx("%s/snapshots/%s", r->st->url, fname);
	if (memcmp(h.repo_id, r->repo_id, REPO_ID_LEN) != 0)
		return fail("%s/snapshots/%s: snapshot record copied from "
		    "another repository", r->st->url, fname);
	if (memcmp(h.snap_id, want, SNAP_ID_LEN) != 0) {
		hex_encode(other, h.snap_id, SNAP_ID_LEN);
		return fail("%s/snapshots/%s: snapshot record of %s replayed "
		    "under another name", r->st->url, fname, other);
	}
	slen = n - SNAP_HEAD_LEN;
	if ((pt = malloc(slen)) == NULL)
		return fail_errno("snapshots/%s", fname);
	adlen = fmt_ad(ad, AD_SNAP, r->repo_id, want, SNAP_ID_LEN);
	if (repo_unseal(r, ad, adlen, b + SNAP_HEAD_LEN, slen, pt) != 0)
		fail("%s/snapshots/%s: snapshot record authentication failed "
		    "(damaged, renamed, or from another repository)",
		    r->st->url, fname);
	else if (fmt_snap_body_dec(pt, slen - SEAL_OVERHEAD, s) < 0)
		fail_ctx("%s/snapshots/%s", r->st->url, fname);
	else {
		memcpy(s->snap_id, want, SNAP_ID_LEN);
		rc = 0;
	}
	free(pt);
	return rc;
}

static int
snap_open_cb(void *arg, size_t i, const uint8_t *b, size_t n)
{
	struct names_arg *a = arg;

	snapshot_free(&a->v[i]);	/* a refused cached copy: start again */
	return snap_take(a->r, a->names[i], b, n, &a->v[i]);
}

int
repo_load_snapshot(struct repo *r, const char *idhex, struct snapshot *s)
{
	char *name = (char *)idhex;
	struct names_arg a = { .r = r, .names = &name, .v = s };

	memset(s, 0, sizeof(*s));
	if (strlen(idhex) != 2 * SNAP_ID_LEN)
		return fail("%s/snapshots/%s: not a snapshot name", r->st->url,
		    idhex);
	return meta_fetch(r->st, r->cache, "snapshots", &name, 1, snap_open_cb,
	    &a);
}

static int
cmp_snap(const void *a, const void *b)
{
	const struct snapshot *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return memcmp(x->snap_id, y->snap_id, SNAP_ID_LEN);
}

void
snapshots_free(struct snapshot *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snapshot_free(&v[i]);
	free(v);
}

int
repo_snapshots(struct repo *r, struct snapshot **out, size_t *nout)
{
	struct snapshot *v = NULL;
	struct names_arg a;
	char **names = NULL;
	size_t n = 0, k = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	rc = store_list(r->st, "snapshots", &names, &n);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc < 0)
		return -1;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		store_names_free(names, n);
		return fail_errno("snapshots");
	}
	cache_keep_only(r->cache, "snapshots", names, n);
	a = (struct names_arg){ .r = r, .names = names, .v = v };
	rc = meta_fetch(r->st, r->cache, "snapshots", names, n, snap_open_cb,
	    &a);
	store_names_free(names, n);
	if (rc < 0) {
		snapshots_free(v, n);
		return -1;
	}
	k = n;
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_snap);
	*out = v;
	*nout = k;
	return 0;
}
