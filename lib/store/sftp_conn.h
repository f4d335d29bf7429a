/*
 * The connection side of the SFTP store (sftp_conn.c): a pool of SSH
 * connections to one server, each used by one thread at a time (libssh
 * sessions are not thread-safe), opened on demand up to POOL_MAX; TCP
 * connect, host key check and authentication; and a watchdog thread that
 * shuts down a busy connection that has made no progress for the timeout.
 * The store operations (store_sftp.c) take a connection, use it, and give
 * it back.
 */
#ifndef ANEMONE_SFTP_CONN_H
#define ANEMONE_SFTP_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "store/sftp_proto.h"
#include "store/sftp_url.h"
#include "store/store.h"

#define POOL_MAX 4

struct sstore;

struct conn {
	struct sstore *st;
	ssh_session ssh;
	sftp_session sftp;
	struct rawsftp raw;		/* opened on the first put() */
	int have_raw;
	int no_remove;			/* the server refuses SSH_FXP_REMOVE */
	uint8_t *sink;			/* see open_window() in store_sftp.c */
	sftp_file rf;			/* the last file read, kept open: the */
	char *rf_path;			/* next get() is often in it too */
	_Atomic int fd;
	_Atomic int64_t progress;	/* ms, monotonic */
	_Atomic int busy;
	_Atomic int timedout;
	int dead;			/* set on errors: freed on release */
};

struct sstore {
	struct sftp_url u;
	char *url;			/* sftp://... without a trailing '/' */
	char *identity, *known_hosts;
	int accept_new, timeout;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a connection was released */
	pthread_cond_t stop_cond;
	struct conn *pool[POOL_MAX];
	int npool;			/* slots used, connecting ones included */
	int stopping;
	int aborted;			/* sstore_abort(): no more I/O */
	pthread_t watchdog;
	int have_watchdog;
};

/* Parse URL, copy the options, start the watchdog; no connection yet.
 * NULL (lasterr) on error. */
struct sstore *sstore_new(const char *url, const struct store_opts *o);
/* Cut every connection's I/O now and refuse new ones: what is under way
 * fails at once (a repository given up on). */
void sstore_abort(struct sstore *st);
/* Stop the watchdog, close every connection, free ST. */
void sstore_free(struct sstore *st);

/* A connection for this thread alone: an idle one, a new one (connected
 * here, under the watchdog), or wait for one.  NULL (lasterr) on error. */
struct conn *conn_acquire(struct sstore *st);
/* Give C back; a dead connection is closed and leaves the pool. */
void conn_release(struct sstore *st, struct conn *c);

/* Record progress on C (a packet in or out); void * for rawsftp. */
void conn_touch(void *c);
/* Mark C dead and record why it failed (timed out, lost, or libssh's
 * error) for WHAT; returns -1. */
int conn_fail(struct conn *c, const char *what);

#endif
