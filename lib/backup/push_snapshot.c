/*
 * The snapshot record a push writes last, once everything it names is
 * stored: a clear head and the sealed body, under a fresh random id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "backup/cache.h"
#include "backup/push_impl.h"
#include "error.h"

/* Seal BODY (BLEN bytes) as the record of snapshot H into REC. */
static void
seal_record(struct push *p, const struct snap_head *h, const uint8_t *body,
    size_t blen, uint8_t *rec)
{
	uint8_t ad[AD_MAX];
	size_t adlen;

	fmt_snap_head_enc(rec, h);
	adlen = fmt_ad(ad, AD_SNAP, h->repo_id, h->snap_id, SNAP_ID_LEN);
	repo_seal(p->r, ad, adlen, body, blen, rec + SNAP_HEAD_LEN);
}

int
push_write_snapshot(struct push *p, const char *name,
    char idhex[2 * SNAP_ID_LEN + 1])
{
	struct snapshot s;
	struct snap_head h;
	struct timespec ts;
	uint8_t *body = NULL, *rec = NULL;
	char path[64];
	size_t blen, rlen;
	int rc = -1, tries;

	memset(&s, 0, sizeof(s));
	clock_gettime(CLOCK_REALTIME, &ts);
	s.time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (p->as_time != 0)
		s.time_ns = p->as_time;
	s.size = p->st.in_bytes;
	s.chunks = p->st.chunks;
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.nlists = (uint32_t)p->nlists;
	s.lists = p->lists;
	if (p->tar.status == TAR_COMPLETE) {
		s.tar = 1;
		s.cat_size = p->cat.len;
		s.cat_chunks = p->cat_chunks;
		s.ncat = (uint32_t)p->ncat_lists;
		s.cat = p->cat_lists;
	}
	if (fmt_snap_body_enc(&s, &body, &blen) < 0)
		return -1;
	rlen = SNAP_HEAD_LEN + blen + SEAL_OVERHEAD;
	if ((rec = malloc(rlen)) == NULL) {
		fail_errno("snapshot");
		goto out;
	}
	memcpy(h.repo_id, p->r->repo_id, REPO_ID_LEN);
	for (tries = 0; tries < 4; tries++) {
		/* a given id first (the same snapshot at several friends) */
		if (tries == 0 && p->as_time != 0)
			memcpy(h.snap_id, p->as_id, SNAP_ID_LEN);
		else
			randombytes_buf(h.snap_id, SNAP_ID_LEN);
		seal_record(p, &h, body, blen, rec);
		hex_encode(idhex, h.snap_id, SNAP_ID_LEN);
		snprintf(path, sizeof(path), "snapshots/%s", idhex);
		rc = store_put(p->r->st, path, rec, rlen);
		if (rc != STORE_EXISTS)
			break;
	}
	if (rc == 0) {
		p->st.stored += rlen;
		cache_put(p->r->cache, path, rec, rlen);
	}
	rc = rc == 0 ? 0 : -1;
out:
	free(body);
	free(rec);
	return rc;
}
