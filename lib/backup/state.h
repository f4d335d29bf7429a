/*
 * The client's memory of a repository: every snapshot it has seen or
 * made there (id, name, time), in a small file of its own, so that a
 * repository that later hides one of them (a rollback, a replayed old
 * copy, a deleted record) is noticed.  The repository never depends on
 * it: without a state file everything works, only without this check.
 * The file's format and place: man/anemone-pull.1 (FILES), docs/STATE.md.
 */
#ifndef ANEMONE_STATE_H
#define ANEMONE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"

#define STATE_MAX_BYTES	(32u << 20)	/* about 300,000 snapshots */

struct state_snap {
	uint8_t id[SNAP_ID_LEN];
	uint64_t time_ns;
	char name[NAME_MAX_LEN + 1];
};

struct state {
	uint8_t repo_id[REPO_ID_LEN];
	struct state_snap *v;	/* malloc'd */
	size_t n;
};

/*
 * The state file of repository REPO_ID: $XDG_STATE_HOME/anemone/ID, else
 * /var/lib/anemone/ID for root, else ~/.local/state/anemone/ID (ID: the
 * repository id in hex).  Malloc'd into *PATH; 0 or -1 (lasterr).
 */
int state_path(const uint8_t repo_id[REPO_ID_LEN], char **path);

/*
 * Parse the text of a state file (N bytes; memory only, fuzzed).  FNAME
 * names it in messages ("FNAME:LINE:COL: ...").  With REPO_ID not NULL
 * the file must be that repository's.  0, or -1 with lasterr.
 */
int state_parse(const char *buf, size_t n, const char *fname,
    const uint8_t *repo_id, struct state *st);

/* The canonical text of ST (entries sorted by name, time, id), malloc'd
 * into *OUT (*N bytes).  0 or -1. */
int state_format(const struct state *st, char **out, size_t *n);

/* Read the state file PATH of REPO_ID.  A missing file is an empty
 * state (a new machine).  0, or -1 with lasterr naming the file. */
int state_load(const char *path, const uint8_t repo_id[REPO_ID_LEN],
    struct state *st);

/*
 * Add (or update) the snapshots ADD[0..NADD) and forget the ids
 * DROP[0..NDROP) in the state file PATH of REPO_ID: under a lock, the
 * file is read again, changed, and replaced atomically (a new file of
 * mode 0600, fsync, rename, fsync of the folder); its folder is made
 * (0700) when missing.  Nothing is written when nothing changes.  0, or
 * -1 with lasterr naming the file.
 */
int state_update(const char *path, const uint8_t repo_id[REPO_ID_LEN],
    const struct state_snap *add, size_t nadd,
    const uint8_t (*drop)[SNAP_ID_LEN], size_t ndrop);

/*
 * Compare what ST remembers with what the repository at URL shows: the
 * snapshot ids IDS[0..NIDS) it lists and the records V[0..NV) read from
 * it.  Every remembered snapshot must still be listed and, where its
 * record was read, have the same name and time.  Returns how many do
 * not (0: all well), their ids in *BAD (malloc'd, may be NULL when 0);
 * for the newest of them, lasterr names it and the newest snapshot of
 * its name among V (V NULL: the records are unknown, only the listing is
 * compared).  -1 on a memory error.
 */
long state_check(const struct state *st, const char *url,
    const uint8_t (*ids)[SNAP_ID_LEN], size_t nids,
    const struct snapshot *v, size_t nv, uint8_t (**bad)[SNAP_ID_LEN]);

/* A snapshot record as the state remembers it. */
void state_snap_from(struct state_snap *out, const struct snapshot *s);

void state_free(struct state *st);

#endif
