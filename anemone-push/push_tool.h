/*
 * anemone-push: the producer of the stream, when run by push itself
 * (producer.c); several repositories (friends.c); what main.c shares.
 */
#ifndef ANEMONE_PUSH_TOOL_H
#define ANEMONE_PUSH_TOOL_H

#include <sys/types.h>

#include "backup/repo.h"
#include "store/store_opts.h"

struct producer {
	const char *name;	/* argv[0], for messages */
	pid_t pid;		/* -1 once reaped */
	int fd;			/* the read end of its stdout */
};

/* Start ARGV (searched in PATH) with its stdout into a pipe; 0 or -1. */
int producer_start(struct producer *pr, char **argv);

/* Close the pipe and wait for the producer: 0 when it exited 0, else -1
 * with lasterr saying how it ended. */
int producer_wait(struct producer *pr);

/* The gate before a record (push.h): did the producer ARG succeed? */
int producer_ok(void *arg);

/* Remember the new snapshot ID in this client's state file (rollback
 * detection, docs/STATE.md); a failure only warns: the push is done. */
void remember(struct repo *r, const char *id);

/* Push stdin, or the output of CMD (NULL: stdin), as NAME to the N
 * repositories URL; the exit status (anemone-push(1)). */
int push_friends(const char **url, int n, const char *keyfile,
    const struct store_opts *so, const char *name, double slow, int quiet,
    char **cmd);

/* -C: copy the snapshots (called NAME, or all) that each of the N
 * repositories URL lacks from repository FROM; the exit status. */
int push_copy(const char *from, const char **url, int n,
    const char *keyfile, const struct store_opts *so, const char *name,
    int quiet);

#endif
