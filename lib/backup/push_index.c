/*
 * The index a push writes: the packs it stored (and those an interrupted
 * push left behind), collected as index plaintext and written sealed as
 * index files, every INDEX_EVERY packs (push_upload.c) and at the end.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backup/cache.h"
#include "backup/push_impl.h"
#include "error.h"

static int
ix_reserve(struct push *p, size_t more)
{
	uint8_t *n;
	size_t cap;

	if (p->ixlen + more <= p->ixcap)
		return 0;
	cap = p->ixcap ? p->ixcap : 65536;
	while (cap < p->ixlen + more)
		cap *= 2;
	if ((n = realloc(p->ix, cap)) == NULL)
		return fail_errno("index");
	p->ix = n;
	p->ixcap = cap;
	return 0;
}

int
push_ix_add_pack(struct push *p, const uint8_t name[PACK_NAME_LEN],
    const struct blob_entry *e, size_t n)
{
	if (p->ixlen == 0) {
		if (ix_reserve(p, INDEX_HEAD_LEN) < 0)
			return -1;
		p->ixlen = INDEX_HEAD_LEN;	/* filled in when written */
	}
	if (ix_reserve(p, INDEX_PACK_LEN(n)) < 0)
		return -1;
	p->ixlen += fmt_index_pack_enc(p->ix + p->ixlen, name, e, n);
	p->ixpacks++;
	return 0;
}

/* Write IX (LEN bytes of index plaintext naming NPACKS packs) sealed. */
int
push_ix_write_buf(struct push *p, uint8_t *ix, size_t len, uint32_t npacks)
{
	uint8_t name[PACK_NAME_LEN], ad[AD_MAX];
	char path[80];
	uint8_t *out;
	size_t adlen;
	int rc;

	if (npacks == 0)
		return 0;
	fmt_index_head_enc(ix, npacks);
	if ((out = malloc(len + SEAL_OVERHEAD)) == NULL)
		return fail_errno("index");
	randombytes_buf(name, sizeof(name));
	adlen = fmt_ad(ad, AD_INDEX, p->r->repo_id, name, PACK_NAME_LEN);
	repo_seal(p->r, ad, adlen, ix, len, out);
	memcpy(path, "index/", 6);
	hex_encode(path + 6, name, PACK_NAME_LEN);
	rc = store_put(p->r->st, path, out, len + SEAL_OVERHEAD);
	if (rc == 0)	/* ours, so authentic: the next run need not fetch it */
		cache_put(p->r->cache, path, out, len + SEAL_OVERHEAD);
	free(out);
	if (rc < 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	p->st.stored += len + SEAL_OVERHEAD;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Write the collected index (no uploader running). */
int
push_ix_write(struct push *p)
{
	if (push_ix_write_buf(p, p->ix, p->ixlen, p->ixpacks) < 0)
		return -1;
	p->ixlen = 0;
	p->ixpacks = 0;
	return 0;
}

/* Put the packs an interrupted push left without an index into ours. */
int
push_adopt_orphans(struct push *p, const uint32_t *orph, size_t n)
{
	struct blob_entry *e;
	size_t i, cnt;
	int rc;

	for (i = 0; i < n; i++) {
		if (repo_read_pack_header(p->r, p->r->packs[orph[i]], &e, &cnt) < 0)
			return -1;
		rc = push_ix_add_pack(p, p->r->packs[orph[i]], e, cnt);
		free(e);
		if (rc < 0)
			return -1;
		p->st.reused_packs++;
	}
	return 0;
}
