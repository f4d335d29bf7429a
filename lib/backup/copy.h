/*
 * Copying snapshots between repositories of one key (catch-up of a
 * friend who was away, or a new friend), without the source data: the
 * snapshot's stream is read back from one repository and pushed into the
 * other, where only the chunks it lacks are stored; the record keeps the
 * snapshot's id, name and time, sealed for the target's repository id.
 */
#ifndef ANEMONE_COPY_H
#define ANEMONE_COPY_H

#include "backup/push.h"

/*
 * Copy snapshot S of SRC (index loaded) into DST.  Nothing is recorded
 * at DST unless the whole stream came through intact.  The new record's
 * id (normally S's) goes to ID.  0 or -1 (lasterr).
 */
int copy_snapshot(struct repo *src, struct repo *dst,
    const struct snapshot *s, char id[2 * SNAP_ID_LEN + 1],
    struct push_stats *st);

#endif
