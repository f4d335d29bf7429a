/*
 * The uploaders of a push: uploader K stores the pack the writer put in
 * slot K, then adds it to the index being collected.  Every INDEX_EVERY
 * packs the uploader whose pack fills the index takes it and writes it
 * out while the others go on with a fresh one.
 */
#include <stdlib.h>

#include "backup/push_impl.h"
#include "error.h"

#define INDEX_EVERY	128	/* packs per intermediate index file */

/* Add the stored pack UP to the index, writing it out when full.  Mutex
 * held (released while writing). */
static int
index_pack(struct push *p, const struct pack *up)
{
	uint8_t *ix;
	size_t ixlen;
	uint32_t ixpacks;
	int rc;

	if (push_ix_add_pack(p, up->name, up->ents, up->n) < 0)
		return -1;
	if (p->ixpacks < INDEX_EVERY)
		return 0;
	ix = p->ix;
	ixlen = p->ixlen;
	ixpacks = p->ixpacks;
	p->ix = NULL;
	p->ixlen = p->ixcap = 0;
	p->ixpacks = 0;
	pthread_mutex_unlock(&p->mu);
	rc = push_ix_write_buf(p, ix, ixlen, ixpacks);
	free(ix);
	pthread_mutex_lock(&p->mu);
	return rc;
}

void *
push_uploader(void *arg)
{
	struct upl_arg *ua = arg;
	struct push *p = ua->p;
	struct pack *up = &p->up[ua->k];
	char path[80];
	int rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->up_full[ua->k] && !p->up_stop && !p->failed)
			pthread_cond_wait(&p->cv_upl, &p->mu);
		if (p->failed || !p->up_full[ua->k])
			break;
		pthread_mutex_unlock(&p->mu);

		pack_path(path, up->name);
		rc = store_put(p->r->st, path, up->buf, up->len);

		pthread_mutex_lock(&p->mu);
		if (rc == 0)
			rc = index_pack(p, up);
		if (rc < 0) {
			push_set_failed(p);
			break;
		}
		p->st.stored += up->len;
		p->st.packs++;
		p->up_full[ua->k] = 0;
		pthread_cond_broadcast(&p->cv_upl);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}
