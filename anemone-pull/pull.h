/*
 * anemone-pull's modes, one file each: select.c (finding snapshots),
 * check.c (-c), members.c (-t), restore.c (the whole stream, or some members), diff.c
 * (-d), history.c (-H), show.c (printing members).
 */
#ifndef ANEMONE_PULL_TOOL_H
#define ANEMONE_PULL_TOOL_H

#include <stdio.h>

#include "backup/pull.h"
#include "backup/members.h"

/* NAME[@ID] (ID: a unique prefix of a snapshot id) into S. */
int select_snapshot(struct repo *r, const char *spec, struct snapshot *s);
/* Its catalogue, or an error saying the snapshot has none. */
int load_catalog(struct repo *r, const struct snapshot *s, struct catalog *c);

int list_snapshots(struct repo *r, const char *name);
int check(struct repo *r, const char *spec);
int show_members(struct repo *r, const char *spec, char *const *paths,
    size_t n);
int restore_part(struct repo *r, const char *spec, char *const *paths,
    size_t n, int progress);
int restore_all(struct repo *r, const char *spec, int progress);
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

#endif
