/*
 * Finding damage inside packs: every segment of a pack authenticated and
 * opened, every blob checked against its id, so that a pack whose header
 * is sound but whose contents are not is found too (the repair of
 * anemone-push -C -V marks such packs bad and stores their blobs again).
 */
#ifndef ANEMONE_DAMAGE_H
#define ANEMONE_DAMAGE_H

#include "backup/repo.h"

/* Read pack NUM of R whole and check all of it: 0 sound, 1 damaged
 * (lasterr names the pack and what is wrong), -1 on a store error. */
int pack_verify(struct repo *r, uint32_t num);

#endif
