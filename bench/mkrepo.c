/*
 * mkrepo: grow a repository's history fast, for benchmarks, through the
 * library (no pushing of terabytes, no thousand pushes one by one).
 *
 *     mkrepo KEYFILE REPO NAME SNAPSHOTS INDEXES ENTRIES
 *
 * REPO must hold a snapshot NAME (pushed for real).  Adds SNAPSHOTS
 * snapshot records, copies of the latest NAME (same chunk lists, so any
 * of them pulls back the same stream; later times, new ids), and INDEXES
 * index files, each naming ENTRIES blobs with random ids in packs of at
 * most 16384 blobs, as nightly pushes would have left them.  Those packs
 * are never read by -l, push or pull of NAME, and are not stored: the
 * index is what every run loads, and what the benchmark measures.
 * Prints nothing; exit 0, or 1 with one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "backup/repo.h"

#define PACK_BLOBS	16384

/* One index file of N random data blobs (64 KiB, one segment each). */
static int
write_index(struct repo *r, uint32_t n)
{
	uint32_t npacks = (n + PACK_BLOBS - 1) / PACK_BLOBS, i, k, cnt;
	size_t len = INDEX_HEAD_LEN + (size_t)npacks * INDEX_PACK_LEN(0) +
	    (size_t)n * ENTRY_LEN, adlen;
	uint8_t name[PACK_NAME_LEN], pack[PACK_NAME_LEN], ad[AD_MAX];
	uint8_t *pt, *out, *p;
	struct blob_entry *e;
	char path[80];
	int rc = -1;

	pt = malloc(len);
	out = malloc(len + SEAL_OVERHEAD);
	e = calloc(PACK_BLOBS, sizeof(*e));
	if (pt == NULL || out == NULL || e == NULL) {
		fail_errno("index");
		goto done;
	}
	fmt_index_head_enc(pt, npacks);
	p = pt + INDEX_HEAD_LEN;
	for (i = 0; i < npacks; i++) {
		cnt = n - i * PACK_BLOBS < PACK_BLOBS ? n - i * PACK_BLOBS :
		    PACK_BLOBS;
		for (k = 0; k < cnt; k++) {
			e[k] = (struct blob_entry){ .kind = KIND_DATA,
			    .first = 1, .raw_len = 65536,
			    .seg_sealed = 65536 + SEAL_OVERHEAD };
			randombytes_buf(e[k].id, BLOB_ID_LEN);
		}
		randombytes_buf(pack, sizeof(pack));
		p += fmt_index_pack_enc(p, pack, e, cnt);
	}
	randombytes_buf(name, sizeof(name));
	adlen = fmt_ad(ad, AD_INDEX, r->repo_id, name, PACK_NAME_LEN);
	repo_seal(r, ad, adlen, pt, len, out);
	memcpy(path, "index/", 6);
	hex_encode(path + 6, name, PACK_NAME_LEN);
	rc = store_put(r->st, path, out, len + SEAL_OVERHEAD) < 0 ? -1 : 0;
done:
	free(pt);
	free(out);
	free(e);
	return rc;
}

/* A copy of snapshot BASE under a new id, DT nanoseconds later. */
static int
write_snapshot(struct repo *r, const struct snapshot *base, uint64_t dt)
{
	struct snapshot s = *base;
	struct snap_head h;
	uint8_t *body = NULL, *rec = NULL, ad[AD_MAX];
	char path[64], idhex[2 * SNAP_ID_LEN + 1];
	size_t blen, rlen, adlen;
	int rc = -1;

	s.time_ns += dt;
	if (fmt_snap_body_enc(&s, &body, &blen) < 0)
		return -1;
	rlen = SNAP_HEAD_LEN + blen + SEAL_OVERHEAD;
	if ((rec = malloc(rlen)) == NULL) {
		fail_errno("snapshot");
		goto done;
	}
	memcpy(h.repo_id, r->repo_id, REPO_ID_LEN);
	randombytes_buf(h.snap_id, SNAP_ID_LEN);
	fmt_snap_head_enc(rec, &h);
	adlen = fmt_ad(ad, AD_SNAP, h.repo_id, h.snap_id, SNAP_ID_LEN);
	repo_seal(r, ad, adlen, body, blen, rec + SNAP_HEAD_LEN);
	hex_encode(idhex, h.snap_id, SNAP_ID_LEN);
	snprintf(path, sizeof(path), "snapshots/%s", idhex);
	rc = store_put(r->st, path, rec, rlen) < 0 ? -1 : 0;
done:
	free(body);
	free(rec);
	return rc;
}

static long
count(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 100000000) {
		fprintf(stderr, "mkrepo: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

/* The latest snapshot called NAME. */
static int
find_base(struct repo *r, const char *name, struct snapshot *base)
{
	struct snapshot *v;
	size_t n, i, k = SIZE_MAX;

	if (repo_snapshots(r, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			k = i;
	if (k == SIZE_MAX) {
		snapshots_free(v, n);
		return fail("no snapshot named %s", name);
	}
	*base = v[k];
	v[k].lists = NULL;
	snapshots_free(v, n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct snapshot base;
	struct repo *r;
	long nsnap, nix, nent, i;
	int created, rc = 1;

	memset(&base, 0, sizeof(base));
	if (argc != 7) {
		fprintf(stderr, "usage: mkrepo KEYFILE REPO NAME SNAPSHOTS "
		    "INDEXES ENTRIES\n");
		return 2;
	}
	nsnap = count(argv[4], "snapshot count");
	nix = count(argv[5], "index count");
	nent = count(argv[6], "entry count");
	if ((r = repo_open_opts(argv[2], argv[1], 0, &created, NULL)) == NULL)
		goto out;
	if (find_base(r, argv[3], &base) < 0)
		goto out;
	for (i = 0; i < nix; i++)
		if (nent > 0 && write_index(r, (uint32_t)nent) < 0)
			goto out;
	for (i = 0; i < nsnap; i++)
		if (write_snapshot(r, &base, (uint64_t)(i + 1) * 1000) < 0)
			goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "mkrepo: %s\n", lasterr());
	snapshot_free(&base);
	repo_close(r);
	return rc;
}
