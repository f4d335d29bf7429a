/*
 * Associated data of sealed objects (docs/FORMAT.md): each object is bound
 * to its kind, its repository and its name, so that a sealed object moved,
 * renamed or copied from another repository fails authentication.
 */
#include <string.h>

#include "backup/format.h"

size_t
fmt_ad(uint8_t ad[AD_MAX], uint8_t kind, const uint8_t repo_id[REPO_ID_LEN],
    const uint8_t *name, size_t namelen)
{
	ad[0] = kind;
	memcpy(ad + 1, repo_id, REPO_ID_LEN);
	memcpy(ad + 1 + REPO_ID_LEN, name, namelen);
	return 1 + REPO_ID_LEN + namelen;
}

void
fmt_seg_ad(uint8_t ad[SEG_AD_LEN], const uint8_t repo_id[REPO_ID_LEN],
    const uint8_t pack[PACK_NAME_LEN], uint32_t off, uint8_t flags,
    uint32_t raw)
{
	size_t n = fmt_ad(ad, AD_SEG, repo_id, pack, PACK_NAME_LEN);

	le32enc(ad + n, off);
	ad[n + 4] = flags;
	le32enc(ad + n + 5, raw);
}
