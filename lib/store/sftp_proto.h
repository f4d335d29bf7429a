/*
 * A minimal SFTP version 3 client on a raw SSH channel, for the requests
 * libssh 0.10 cannot pipeline: many SSH_FXP_WRITE in flight, then fsync,
 * close, hardlink and remove sent back to back.  Used by store_sftp.c for
 * put(); reads stay on libssh's own sftp session (async reads).
 *
 * Replies arrive in request order (OpenSSH's sftp-server serves one
 * request at a time), but every reply is matched by id anyway.
 */
#ifndef ANEMONE_SFTP_PROTO_H
#define ANEMONE_SFTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>

enum {
	FXP_INIT = 1, FXP_VERSION = 2, FXP_OPEN = 3, FXP_CLOSE = 4,
	FXP_WRITE = 6, FXP_REMOVE = 13, FXP_MKDIR = 14, FXP_STAT = 17,
	FXP_RENAME = 18, FXP_STATUS = 101, FXP_HANDLE = 102, FXP_ATTRS = 105,
	FXP_EXTENDED = 200, FXP_EXTENDED_REPLY = 201,
};
enum {
	FX_OK = 0, FX_NO_SUCH_FILE = 2, FX_PERMISSION_DENIED = 3,
	FX_FAILURE = 4, FX_OP_UNSUPPORTED = 8,
};
enum { FXF_WRITE = 0x02, FXF_CREAT = 0x08, FXF_EXCL = 0x20 };
/* whole-file reads, many at once (sftp_many.c) */
enum { FXP_READ = 5, FXP_FSTAT = 8, FXP_DATA = 103, FXF_READ = 0x01, FX_EOF = 1 };

struct rawsftp {
	ssh_channel ch;
	uint32_t next_id;
	int has_hardlink, has_fsync, has_statvfs, has_limits;
	size_t max_write;
	uint8_t *out;		/* one request being built */
	size_t outlen, outcap;
	uint8_t *in;		/* the last reply's payload (after type, id) */
	size_t incap;
	void (*progress)(void *);	/* called after each packet in or out */
	void *arg;
};

struct fxreply {
	uint8_t type;
	uint32_t id;
	uint32_t status;	/* FXP_STATUS: the code */
	const uint8_t *data;	/* rest of the payload */
	size_t len;
};

/* Open the "sftp" subsystem on a new channel of SESSION and negotiate
 * version 3 and the OpenSSH extensions.  0 or -1 (lasterr). */
int rawsftp_open(struct rawsftp *r, ssh_session session);
void rawsftp_close(struct rawsftp *r);

/* Request builders: each starts a packet, appends fields, and sends it;
 * the id used is returned through *ID.  0 or -1 (lasterr). */
int rawsftp_open_excl(struct rawsftp *r, const char *path, uint32_t mode, uint32_t *id);
int rawsftp_write(struct rawsftp *r, const uint8_t *h, size_t hlen, uint64_t off,
    const void *data, size_t len, uint32_t *id);
int rawsftp_handle_op(struct rawsftp *r, int ext_fsync, const uint8_t *h, size_t hlen, uint32_t *id);
int rawsftp_path_op(struct rawsftp *r, uint8_t type, const char *path, uint32_t *id);
int rawsftp_two_paths(struct rawsftp *r, const char *ext, const char *a, const char *b, uint32_t *id);
int rawsftp_statvfs(struct rawsftp *r, const char *path, uint32_t *id);
int rawsftp_open_read(struct rawsftp *r, const char *path, uint32_t *id);
int rawsftp_read(struct rawsftp *r, const uint8_t *h, size_t hlen,
    uint64_t off, uint32_t len, uint32_t *id);
/* A request whose only field is a handle (FXP_FSTAT, FXP_CLOSE). */
int rawsftp_handle_req(struct rawsftp *r, uint8_t type, const uint8_t *h,
    size_t hlen, uint32_t *id);

/* Receive one reply (blocking).  0 or -1 (lasterr: connection). */
int rawsftp_recv(struct rawsftp *r, struct fxreply *rep);

/* Is data waiting on the channel (a reply, at least partly)? */
int rawsftp_pending(struct rawsftp *r);

/* Read an SFTP string from a reply; 0 or -1. */
int fx_string(const uint8_t **p, size_t *n, const uint8_t **s, size_t *slen);
int fx_u64(const uint8_t **p, size_t *n, uint64_t *v);

#endif
