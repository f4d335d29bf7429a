/* pack_verify() (damage.h). */
#include <stdlib.h>

#include <zstd.h>

#include "backup/damage.h"
#include "error.h"

#define SEG_IN_MAX	(SEG_MAX + SEG_MAX / 64 + 4096)

/* Open every segment of the pack in BUF (entries E[0..N)) and check each
 * blob; 0 or 1 (damaged, lasterr says where). */
static int
check_all(struct repo *r, uint32_t num, const struct blob_entry *e,
    size_t n, const uint8_t *buf, uint8_t *seg, uint8_t *scratch,
    ZSTD_DCtx *zd)
{
	char bn[2 * BLOB_ID_LEN + 1], pn[80];
	int64_t open_at = -1;
	size_t i;

	pack_path(pn, r->packs[num]);
	for (i = 0; i < n; i++) {
		hex_encode(bn, e[i].id, BLOB_ID_LEN);
		if (open_at != (int64_t)e[i].seg_off) {
			if (repo_open_segment(r, zd, r->packs[num], &e[i],
			    buf + e[i].seg_off, seg, scratch) < 0) {
				fail_ctx("%s/%s: blob %s", r->st->url, pn, bn);
				return 1;
			}
			open_at = e[i].seg_off;
		}
		if (repo_check_blob(r, &e[i], seg + e[i].member_off) < 0) {
			fail_ctx("%s/%s: blob %s", r->st->url, pn, bn);
			return 1;
		}
	}
	return 0;
}

int
pack_verify(struct repo *r, uint32_t num)
{
	struct blob_entry *e = NULL;
	uint8_t *buf = NULL, *seg = malloc(SEG_MAX);
	uint8_t *scratch = malloc(SEG_IN_MAX);
	ZSTD_DCtx *zd = ZSTD_createDCtx();
	char pn[80];
	uint64_t end = 0;
	size_t n = 0, i;
	int rc = -1;

	pack_path(pn, r->packs[num]);
	if (seg == NULL || scratch == NULL || zd == NULL) {
		fail("out of memory");
		goto out;
	}
	if (repo_read_pack_header(r, r->packs[num], &e, &n) < 0) {
		rc = 1;		/* the header says where it is damaged */
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((uint64_t)e[i].seg_off + e[i].seg_sealed > end)
			end = (uint64_t)e[i].seg_off + e[i].seg_sealed;
	if ((buf = malloc(end ? end : 1)) == NULL) {
		fail_errno("%s", pn);
		goto out;
	}
	if (store_get(r->st, pn, 0, buf, end) < 0)
		goto out;
	rc = check_all(r, num, e, n, buf, seg, scratch, zd);
out:
	free(e);
	free(buf);
	free(seg);
	free(scratch);
	ZSTD_freeDCtx(zd);
	return rc;
}
