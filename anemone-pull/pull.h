/*
 * anemone-pull's modes, one file each: select.c (finding snapshots),
 * check.c (-c), members.c (-t), restore.c (the whole stream, or some
 * members), diff.c (-d), history.c (-H), show.c (printing members),
 * health.c (-S); several repositories (friends.c), a restore going on at
 * another of them (resume.c).
 */
#ifndef ANEMONE_PULL_TOOL_H
#define ANEMONE_PULL_TOOL_H

#include <stdio.h>

#include "backup/pull.h"
#include "backup/members.h"
#include "store/store_opts.h"

#define FRIENDS_MAX	8

/* The repositories of one key given with -r, in order; R[i] NULL for
 * those that do not answer (or failed the rollback guard). */
struct friends {
	const char *url[FRIENDS_MAX];
	struct repo *r[FRIENDS_MAX];
	int n;
};

/* friends.c: open each (index loaded unless INDEX is 0) and run the
 * rollback guard on it; one that fails is named on stderr and left out,
 * unless it is the only one.  The number open, or -1 (lasterr). */
int friends_open(struct friends *f, const char *keyfile,
    const struct store_opts *so, int accept, int mode);
void friends_close(struct friends *f);
/* The first repository from I on that answers, or -1. */
int friends_next(const struct friends *f, int i);
/* SPEC at the first repository that has it: its index, S filled. */
int friends_select(struct friends *f, const char *spec, struct snapshot *s);
/* The snapshot at repository I with the content of S (same name, size,
 * chunk lists), newest first, into T.  0 or -1. */
int friends_same(struct friends *f, int i, const struct snapshot *s,
    struct snapshot *t);
/* -c: each repository verified and reported in turn.  0 or -1. */
int check_friends(struct friends *f, const char *spec);

/* resume.c: write the N ranges V of snapshot S (V NULL: all of it) from
 * repository FIRST; when that fails part-way, go on after the bytes
 * already written from the next repository holding the same content.
 * PROGRESS: report on stderr.  0 or -1. */
int restore_ranges(struct friends *f, int first, const struct snapshot *s,
    const struct pull_range *v, size_t n, int progress);

/* NAME[@ID] (ID: a unique prefix of a snapshot id) into S. */
int select_snapshot(struct repo *r, const char *spec, struct snapshot *s);
/* Its catalogue, or an error saying the snapshot has none. */
int load_catalog(struct repo *r, const struct snapshot *s, struct catalog *c);

int list_snapshots(struct repo *r, const char *name);
int check(struct repo *r, const char *spec);
int show_members(struct repo *r, const char *spec, char *const *paths,
    size_t n);
int restore_part(struct friends *f, const char *spec, char *const *paths,
    size_t n, int progress);
int restore_all(struct friends *f, const char *spec, int progress);
int show_diff(struct repo *r, const char *old, const char *new,
    char *const *paths, size_t n);
int show_history(struct repo *r, const char *name, const char *path);

/* Printing (show.c).  Paths are escaped as GNU tar does (\ooo, \n, \\). */
void put_escaped(FILE *f, const uint8_t *p, size_t n);
void mode_string(char out[11], const struct cat_entry *e);
void iso_time(char out[32], int64_t sec);
/* One member: tar tv's columns on a terminal, tab-separated otherwise. */
void show_member(FILE *f, const struct cat_entry *e, int tty);

/* Progress on stderr (progress.c) while a restore writes. */
struct pull_progress_state;
void progress_start(uint64_t total, const uint64_t *ends, size_t nends);
void progress_update(uint64_t written);
void progress_end(void);

/* health.c: -S over the N repositories URL (only the snapshots called
 * ONLY unless NULL), names older than MAXAGE seconds (0: no limit)
 * reported; the exit status. */
int pull_health(const char **url, int n, const char *keyfile,
    const struct store_opts *so, double maxage, const char *only);
/* "30m", "12h", "3d", "90" (seconds): at most 10 years.  0 or -1. */
int parse_age(const char *s, double *sec);

#endif
