/*
 * The writer of a push: takes finished jobs in stream order, seals each
 * job's new chunks as one segment into the open pack, adds every chunk to
 * the chunk list being built (itself stored as a blob when full), and
 * hands full packs to an idle uploader (push_upload.c).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backup/push_impl.h"
#include "error.h"

/* Seal the open pack's header and trailer after its segments. */
static void
close_pack(struct push *p, struct pack *c)
{
	uint8_t ad[AD_MAX];
	size_t hlen, adlen;

	hlen = fmt_pack_header_enc(p->hdr, c->ents, c->n);
	adlen = fmt_ad(ad, AD_PACK, p->r->repo_id, c->name, PACK_NAME_LEN);
	repo_seal(p->r, ad, adlen, p->hdr, hlen, c->buf + c->len);
	c->len += hlen + SEAL_OVERHEAD;
	fmt_pack_trailer_enc(c->buf + c->len, (uint32_t)(hlen + SEAL_OVERHEAD));
	c->len += PACK_TRAILER;
}

/* Hand the open pack to an uploader (waiting for one to be idle). */
static int
flush_pack(struct push *p)
{
	struct pack *c = &p->cur, t;
	int k;

	if (c->n == 0)
		return 0;
	close_pack(p, c);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (k = 0; k < NUPL && p->up_full[k]; k++)
			;
		if (k < NUPL || p->failed)
			break;
		pthread_cond_wait(&p->cv_upl, &p->mu);
	}
	if (p->failed) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	t = p->up[k];	/* an idle uploader's buffers */
	p->up[k] = *c;
	p->up_full[k] = 1;
	pthread_cond_broadcast(&p->cv_upl);
	pthread_mutex_unlock(&p->mu);
	*c = t;
	c->len = 0;
	c->n = 0;
	randombytes_buf(c->name, PACK_NAME_LEN);
	return 0;
}

/*
 * Seal a segment of N blobs (E, with kind, id and raw_len set) whose
 * plaintext is PT (RAW bytes), or whose compressed form is Z (ZLEN bytes
 * when not 0), into the open pack.
 */
static int
append_segment(struct push *p, struct blob_entry *e, size_t n,
    const uint8_t *pt, size_t raw, const uint8_t *z, size_t zlen)
{
	struct pack *c = &p->cur;
	uint8_t ad[SEG_AD_LEN], flags = zlen ? FLAG_ZSTD : 0;
	size_t slen = (zlen ? zlen : raw) + SEAL_OVERHEAD, i, moff = 0;

	if ((c->len + slen > PACK_TARGET || c->n + n > PACK_MAX_ENTRIES) &&
	    c->n > 0 && flush_pack(p) < 0)
		return -1;
	fmt_seg_ad(ad, p->r->repo_id, c->name, (uint32_t)c->len, flags,
	    (uint32_t)raw);
	repo_seal(p->r, ad, sizeof(ad), zlen ? z : pt, zlen ? zlen : raw,
	    c->buf + c->len);
	for (i = 0; i < n; i++) {
		e[i].flags = flags;
		e[i].first = i == 0;
		e[i].seg_off = (uint32_t)c->len;
		e[i].seg_sealed = (uint32_t)slen;
		e[i].seg_raw = (uint32_t)raw;
		e[i].member_off = (uint32_t)moff;
		moff += e[i].raw_len;
		c->ents[c->n++] = e[i];
	}
	c->len += slen;
	return 0;
}

/* Remember the id of a chunk list, in stream order, for the snapshot. */
static int
add_list_ref(struct push *p, const uint8_t id[BLOB_ID_LEN], uint32_t len)
{
	struct list_ref *nl;

	if (p->nlists == p->caplists) {
		p->caplists = p->caplists ? p->caplists * 2 : 64;
		if ((nl = realloc(p->lists, p->caplists * sizeof(*nl))) == NULL)
			return fail_errno("chunk lists");
		p->lists = nl;
	}
	memcpy(p->lists[p->nlists].id, id, BLOB_ID_LEN);
	p->lists[p->nlists].raw_len = len;
	p->nlists++;
	return 0;
}

/* Store the list being built as a list blob and remember its id. */
int
push_emit_list(struct push *p)
{
	struct blob_entry e;
	struct ix_slot *s;
	size_t n;
	int isnew;

	if (p->nlist == 0)
		return 0;
	n = fmt_list_head_enc(p->list, p->nlist);
	memset(&e, 0, sizeof(e));
	repo_blob_id(p->r, p->list, n, e.id);
	pthread_mutex_lock(&p->mu);
	s = repo_insert(p->r, e.id, &isnew);
	pthread_mutex_unlock(&p->mu);
	if (s == NULL)
		return -1;
	if (isnew) {
		/* ids do not compress: lists are stored raw */
		e.kind = KIND_LIST;
		e.raw_len = (uint32_t)n;
		if (append_segment(p, &e, 1, p->list, n, NULL, 0) < 0)
			return -1;
	}
	if (add_list_ref(p, e.id, (uint32_t)n) < 0)
		return -1;
	p->nlist = 0;
	return 0;
}

static int
list_add(struct push *p, const uint8_t id[BLOB_ID_LEN], uint32_t len)
{
	fmt_list_entry_enc(p->list, p->nlist, id, len);
	p->nlist++;
	if (id[0] == 0 || p->nlist == LIST_MAX_ENTRIES)
		return push_emit_list(p);
	return 0;
}

/* Pack a finished job: its segment, then its chunks in the list. */
int
push_write_job(struct push *p, struct job *j, struct blob_entry *e)
{
	uint32_t i, k = 0;

	for (i = 0; i < j->n; i++) {
		if (!j->isnew[i])
			continue;
		memcpy(e[k].id, j->ids[i], BLOB_ID_LEN);
		e[k].kind = KIND_DATA;
		e[k].raw_len = j->lens[i];
		k++;
	}
	if (k > 0 && append_segment(p, e, k, j->data, j->seg, j->out,
	    j->outlen) < 0)
		return -1;
	for (i = 0; i < j->n; i++)
		if (list_add(p, j->ids[i], j->lens[i]) < 0)
			return -1;
	return 0;
}

/* At the end of the stream: the last list, the catalogue, the last pack. */
static void
finish(struct push *p, struct blob_entry *e)
{
	if (!p->failed) {
		pthread_mutex_unlock(&p->mu);
		if (push_emit_list(p) < 0)
			push_fail(p);
		pthread_mutex_lock(&p->mu);
	}
	while (!p->failed && !p->cat_off)
		pthread_cond_wait(&p->cv_cat, &p->mu);
	if (!p->failed) {
		pthread_mutex_unlock(&p->mu);
		if (push_store_catalog(p, e) < 0 || flush_pack(p) < 0)
			push_fail(p);
		pthread_mutex_lock(&p->mu);
	}
	p->up_stop = 1;
	pthread_cond_broadcast(&p->cv_upl);
}

void *
push_writer(void *arg)
{
	struct push *p = arg;
	struct job *j;
	struct blob_entry *e = calloc(JOB_CHUNKS, sizeof(*e));
	uint32_t i, nnew;
	int slot;

	pthread_mutex_lock(&p->mu);
	if (e == NULL) {
		fail("out of memory");
		push_set_failed(p);
	}
	while ((slot = ring_next_out(&p->ring)) >= 0) {
		j = &p->jobs[slot];
		pthread_mutex_unlock(&p->mu);
		if (push_write_job(p, j, e) < 0) {
			push_fail(p);
			pthread_mutex_lock(&p->mu);
			break;
		}
		for (i = 0, nnew = 0; i < j->n; i++)
			nnew += j->isnew[i];
		pthread_mutex_lock(&p->mu);
		p->st.chunks += j->n;
		p->st.new_chunks += nnew;
		p->st.new_raw += j->seg;
		ring_release(&p->ring);
	}
	finish(p, e);
	pthread_mutex_unlock(&p->mu);
	free(e);
	return NULL;
}
