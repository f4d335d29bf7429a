/*
 * The SFTP store: a repository on a friend's stock OpenSSH server, through
 * libssh.  See docs/SFTP.md for the design; in short:
 *
 *  - a small pool of SSH connections, one thread at a time on each (libssh
 *    sessions are not thread-safe), grown on demand up to POOL_MAX;
 *  - put(): our own SFTP requests on a second channel so that many
 *    SSH_FXP_WRITEs are in flight (libssh 0.10's sftp_write waits for each
 *    reply); the file is written under a hidden temporary name created
 *    with O_EXCL, then hard-linked to its name (link(2) never replaces)
 *    and the temporary name removed when the server allows it;
 *  - get(): libssh's asynchronous reads, READ_DEPTH requests in flight;
 *  - a watchdog thread that shuts down a connection whose current request
 *    has made no progress for the timeout: a dead peer or a cut link ends
 *    the operation with a clear error instead of a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "error.h"
#include "store/sftp_many.h"
#include "store/sftp_proto.h"
#include "store/sftp_url.h"
#include "store/store.h"

#define POOL_MAX 4
#define READ_CHUNK (64 * 1024)
#define READ_DEPTH 64
#define READ_WINDOW (8u << 20)	/* our receive window on the sftp channel */
#define WRITE_INFLIGHT (4u << 20)	/* bytes of SSH_FXP_WRITE in flight */
#define DEFAULT_TIMEOUT 30

struct sstore;

struct conn {
	struct sstore *st;
	ssh_session ssh;
	sftp_session sftp;
	struct rawsftp raw;		/* opened on the first put() */
	int have_raw;
	int no_remove;			/* the server refuses SSH_FXP_REMOVE */
	uint8_t *sink;			/* READ_WINDOW bytes, see open_window() */
	sftp_file rf;			/* the last file read, kept open: the */
	char *rf_path;			/* next get() is often in it too */
	_Atomic int fd;
	_Atomic int64_t progress;	/* ms, monotonic */
	_Atomic int busy;
	_Atomic int timedout;
	int dead;
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
	pthread_t watchdog;
	int have_watchdog;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
touch(void *arg)
{
	struct conn *c = arg;

	atomic_store(&c->progress, now_ms());
}

/* "user@host:port" as people type it to ssh, for messages */
static const char *
peer(const struct sstore *st, char *buf, size_t n)
{
	int v6 = strchr(st->u.host, ':') != NULL;

	snprintf(buf, n, "%s%s%s%s%s:%d", st->u.user ? st->u.user : "",
	    st->u.user ? "@" : "", v6 ? "[" : "", st->u.host, v6 ? "]" : "",
	    st->u.port);
	return buf;
}

/* The error for a connection that failed: timed out, lost, or libssh's. */
static int
conn_fail(struct conn *c, const char *what)
{
	char p[512];

	c->dead = 1;
	if (atomic_load(&c->timedout))
		return fail("%s: %s: no answer from the server for %d seconds "
		    "(connection timed out)", peer(c->st, p, sizeof(p)), what,
		    c->st->timeout);
	if (c->ssh != NULL && !ssh_is_connected(c->ssh))
		return fail("%s: %s: connection lost", peer(c->st, p, sizeof(p)), what);
	return fail("%s: %s: %s", peer(c->st, p, sizeof(p)), what,
	    c->ssh ? ssh_get_error(c->ssh) : "connection failed");
}

/* ---- the watchdog ---- */

static void *
watchdog(void *arg)
{
	struct sstore *st = arg;
	int i;

	pthread_mutex_lock(&st->lock);
	while (!st->stopping) {
		struct timespec ts;
		int64_t now = now_ms();

		for (i = 0; i < st->npool; i++) {
			struct conn *c = st->pool[i];
			int fd;

			if (c == NULL || !atomic_load(&c->busy))
				continue;
			fd = atomic_load(&c->fd);
			if (fd >= 0 && now - atomic_load(&c->progress) >
			    (int64_t)st->timeout * 1000 && !atomic_load(&c->timedout)) {
				atomic_store(&c->timedout, 1);
				shutdown(fd, SHUT_RDWR);
			}
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&st->stop_cond, &st->lock, &ts);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- connecting ---- */

static int
tcp_connect(struct conn *c)
{
	struct sstore *st = c->st;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char port[16], p[512];
	int fd = -1, r, saved = 0;

	snprintf(port, sizeof(port), "%d", st->u.port);
	if ((r = getaddrinfo(st->u.host, port, &hints, &res)) != 0)
		return fail("%s: %s", peer(st, p, sizeof(p)), gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(saved);
		int one = 1, idle, cnt = 3;
		/* later than the watchdog, which names the stall */
		unsigned int uto = (unsigned int)st->timeout * 1000 + 5000;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			saved = errno;
			goto next;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, st->timeout * 1000);
		if (r == 0) {
			saved = ETIMEDOUT;
			goto next;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &sl) < 0) {
			saved = errno;
			goto next;
		}
		if (saved != 0)
			goto next;
		/* keepalive probes when idle; unacknowledged data for longer
		 * than the timeout kills the connection in the kernel */
		idle = st->timeout / 2 > 0 ? st->timeout / 2 : 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* libssh wants a blocking socket in blocking mode */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		freeaddrinfo(res);
		return fd;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	errno = saved ? saved : ECONNREFUSED;
	return fail_errno("%s: cannot connect", peer(st, p, sizeof(p)));
}

static char *
fingerprint(ssh_key key, const char **type)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp;

	*type = ssh_key_type_to_char(ssh_key_type(key));
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) < 0)
		return NULL;
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	return fp;
}

static int
verify_host(struct conn *c)
{
	struct sstore *st = c->st;
	ssh_key key = NULL;
	const char *type = "?", *file;
	char *fp = NULL, p[512], home[4096];
	enum ssh_known_hosts_e k;
	int rc = -1;

	if (st->known_hosts)
		file = st->known_hosts;
	else {
		snprintf(home, sizeof(home), "%s/.ssh/known_hosts",
		    getenv("HOME") ? getenv("HOME") : "~");
		file = home;
	}
	if (ssh_get_server_publickey(c->ssh, &key) != SSH_OK)
		return conn_fail(c, "no host key");
	if ((fp = fingerprint(key, &type)) == NULL) {
		ssh_key_free(key);
		return conn_fail(c, "cannot hash the host key");
	}
	peer(st, p, sizeof(p));
	k = ssh_session_is_known_server(c->ssh);
	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		fail("%s: HOST KEY CHANGED: the server presented %s %s, which is "
		    "not the key %s holds for it; this may be an attack. If the "
		    "friend really changed it, check the new fingerprint with them, "
		    "then remove the old line (ssh-keygen -R '[%s]:%d' -f %s)",
		    p, type, fp, file, st->u.host, st->u.port, file);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (!st->accept_new) {
			fail("%s: unknown host key %s %s (not in %s); check this "
			    "fingerprint with the friend (ssh-keygen -lf on the "
			    "server's host key) and run again with -o accept-new",
			    p, type, fp, file);
			break;
		}
		if (ssh_session_update_known_hosts(c->ssh) != SSH_OK) {
			fail("%s: cannot add the host key to %s: %s", p, file,
			    ssh_get_error(c->ssh));
			break;
		}
		rc = 0;
		break;
	default:
		fail("%s: cannot check the host key against %s: %s", p, file,
		    ssh_get_error(c->ssh));
		break;
	}
	ssh_string_free_char(fp);
	ssh_key_free(key);
	return rc;
}

static int
authenticate(struct conn *c)
{
	struct sstore *st = c->st;
	char p[512];
	int r;

	peer(st, p, sizeof(p));
	if (st->identity) {
		ssh_key key = NULL;

		if (access(st->identity, R_OK) != 0)
			return fail_errno("%s", st->identity);
		if (ssh_pki_import_privkey_file(st->identity, NULL, NULL, NULL,
		    &key) != SSH_OK)
			return fail("%s: cannot load the private key (a key with "
			    "a passphrase needs ssh-agent instead of -i)", st->identity);
		r = ssh_userauth_publickey(c->ssh, NULL, key);
		ssh_key_free(key);
	} else
		r = ssh_userauth_publickey_auto(c->ssh, NULL, NULL);
	if (r == SSH_AUTH_SUCCESS)
		return 0;
	if (r == SSH_AUTH_ERROR)
		return conn_fail(c, "authentication");
	if (st->identity)
		return fail("%s: permission denied: the server refused the key %s "
		    "for user %s", p, st->identity,
		    st->u.user ? st->u.user : "(login name)");
	return fail("%s: permission denied: the server refused every default "
	    "key and ssh-agent key for user %s (use -i KEY)", p,
	    st->u.user ? st->u.user : "(login name)");
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->have_raw)
		rawsftp_close(&c->raw);
	if (c->rf)
		sftp_close(c->rf);
	free(c->rf_path);
	if (c->sftp)
		sftp_free(c->sftp);
	free(c->sink);
	if (c->ssh) {
		ssh_disconnect(c->ssh);
		ssh_free(c->ssh);
	}
	free(c);
}

/* Connect C (already in the pool, so the watchdog covers the handshake). */
static int
conn_connect(struct conn *c)
{
	struct sstore *st = c->st;
	/* libssh's own timeout only as a backstop: the watchdog, which
	 * names the stall, fires first */
	long t = st->timeout * 2L + 5;
	int fd, no = 0;
	const char *ciphers = "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"
	    "aes256-gcm@openssh.com,aes128-ctr,aes256-ctr";

	if ((c->ssh = ssh_new()) == NULL)
		return fail("sftp: out of memory");
	/* no ~/.ssh/config: what is done is what the options say */
	ssh_options_set(c->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
	if (ssh_options_set(c->ssh, SSH_OPTIONS_HOST, st->u.host) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_PORT, &st->u.port) < 0 ||
	    (st->u.user && ssh_options_set(c->ssh, SSH_OPTIONS_USER, st->u.user) < 0) ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &t) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_CIPHERS_C_S, ciphers) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_CIPHERS_S_C, ciphers) < 0 ||
	    (st->known_hosts && ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS,
	    st->known_hosts) < 0))
		return fail("%s: %s", st->url, ssh_get_error(c->ssh));
	/* ~ is $HOME (libssh would take the password database's home) */
	if (getenv("HOME") != NULL && getenv("HOME")[0] == '/') {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/.ssh", getenv("HOME"));
		if (ssh_options_set(c->ssh, SSH_OPTIONS_SSH_DIR, dir) < 0)
			return fail("%s: %s", st->url, ssh_get_error(c->ssh));
		if (st->known_hosts == NULL) {
			snprintf(dir, sizeof(dir), "%s/.ssh/known_hosts", getenv("HOME"));
			if (ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS, dir) < 0)
				return fail("%s: %s", st->url, ssh_get_error(c->ssh));
		}
	}
	if ((fd = tcp_connect(c)) < 0)
		return -1;
	ssh_options_set(c->ssh, SSH_OPTIONS_FD, &fd);
	atomic_store(&c->fd, fd);
	touch(c);
	if (ssh_connect(c->ssh) != SSH_OK)
		return conn_fail(c, "SSH handshake");
	touch(c);
	if (verify_host(c) < 0 || (touch(c), authenticate(c)) < 0)
		return -1;
	touch(c);
	if ((c->sftp = sftp_new(c->ssh)) == NULL)
		return conn_fail(c, "cannot open an sftp channel");
	if (sftp_init(c->sftp) != SSH_OK)
		return conn_fail(c, "the server refused the sftp subsystem");
	touch(c);
	return 0;
}

/* ---- the pool ---- */

static void
release(struct sstore *st, struct conn *c)
{
	int i;

	pthread_mutex_lock(&st->lock);
	if (c->dead) {
		for (i = 0; i < st->npool; i++)
			if (st->pool[i] == c)
				break;
		if (i < st->npool) {
			st->pool[i] = st->pool[--st->npool];
			st->pool[st->npool] = NULL;
		}
		atomic_store(&c->fd, -1);
	} else
		atomic_store(&c->busy, 0);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	if (c->dead)
		conn_free(c);
}

static struct conn *
acquire(struct sstore *st)
{
	struct conn *c;
	int i;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		for (i = 0; i < st->npool; i++) {
			c = st->pool[i];
			if (!atomic_load(&c->busy)) {
				atomic_store(&c->busy, 1);
				atomic_store(&c->timedout, 0);
				touch(c);
				pthread_mutex_unlock(&st->lock);
				return c;
			}
		}
		if (st->npool < POOL_MAX)
			break;
		pthread_cond_wait(&st->cond, &st->lock);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pthread_mutex_unlock(&st->lock);
		fail_errno("sftp");
		return NULL;
	}
	c->st = st;
	atomic_store(&c->fd, -1);
	atomic_store(&c->busy, 1);
	touch(c);
	st->pool[st->npool++] = c;
	pthread_mutex_unlock(&st->lock);

	/* connect outside the lock, watched by the watchdog */
	if (conn_connect(c) < 0) {
		c->dead = 1;
		release(st, c);
		return NULL;
	}
	return c;
}

/* ---- paths and errors ---- */

/* ROOT/PATH for the server; PATH as made by the engine (relative). */
static int
fullpath(const struct sstore *st, const char *path, char *out, size_t n)
{
	int w;

	if (path[0] == '/' || strstr(path, "..") != NULL)
		return fail("%s/%s: bad repository path", st->url, path);
	if (path[0] == '\0')
		w = snprintf(out, n, "%s", st->u.path);
	else if (strcmp(st->u.path, "/") == 0)
		w = snprintf(out, n, "/%s", path);
	else
		w = snprintf(out, n, "%s/%s", st->u.path, path);
	if (w < 0 || (size_t)w >= n)
		return fail("%s/%s: path too long", st->url, path);
	return 0;
}

static const char *
fx_message(uint32_t code)
{
	switch (code) {
	case FX_NO_SUCH_FILE:
		return "no such file or directory";
	case FX_PERMISSION_DENIED:
		return "permission denied by the server";
	case FX_FAILURE:
		return "the server reported a failure";
	case FX_OP_UNSUPPORTED:
		return "operation not supported by the server";
	default:
		return "request refused by the server";
	}
}

/* An error from libssh's sftp layer: a status, or a broken connection. */
static int
sftp_error(struct conn *c, const char *path, const char *what)
{
	int code = sftp_get_error(c->sftp);

	if (atomic_load(&c->timedout) || !ssh_is_connected(c->ssh) ||
	    code == SSH_FX_CONNECTION_LOST || code == SSH_FX_NO_CONNECTION ||
	    code == SSH_FX_OK || code == SSH_FX_BAD_MESSAGE) {
		char w[4096 + 64];

		snprintf(w, sizeof(w), "%s %s", what, path);
		conn_fail(c, w);
		return STORE_ERR;
	}
	if (code == SSH_FX_NO_SUCH_FILE) {
		fail("%s/%s: no such file", c->st->url, path);
		return STORE_NOTFOUND;
	}
	fail("%s/%s: %s: %s", c->st->url, path, what, fx_message((uint32_t)code));
	return STORE_ERR;
}

/* ---- put ---- */

static int
raw_ready(struct conn *c)
{
	if (c->have_raw)
		return 0;
	if (rawsftp_open(&c->raw, c->ssh) < 0) {
		c->dead = 1;
		return -1;
	}
	c->raw.progress = touch;
	c->raw.arg = c;
	c->have_raw = 1;
	return 0;
}

/* Receive the reply to ID; anything else is a protocol error. */
static int
expect(struct conn *c, uint32_t id, struct fxreply *rep, const char *what)
{
	if (rawsftp_recv(&c->raw, rep) < 0) {
		conn_fail(c, what);
		return -1;
	}
	if (rep->id != id) {
		fail("%s: %s: reply out of order from the server", c->st->url, what);
		c->dead = 1;
		return -1;
	}
	return 0;
}

static int
status_of(struct conn *c, uint32_t id, const char *what)
{
	struct fxreply rep;

	if (expect(c, id, &rep, what) < 0)
		return -1;
	if (rep.type != FXP_STATUS) {
		c->dead = 1;
		return fail("%s: %s: unexpected reply from the server", c->st->url, what);
	}
	return (int)rep.status;
}

/* mkdir -p the parents of REL (relative to the root), all pipelined. */
static int
make_parents(struct conn *c, const char *rel)
{
	char full[4096], sub[4096];
	uint32_t ids[64];
	int n = 0, i, bad = 0;
	const char *s;

	for (s = strchr(rel, '/'); s != NULL && n < 64; s = strchr(s + 1, '/')) {
		snprintf(sub, sizeof(sub), "%.*s", (int)(s - rel), rel);
		if (fullpath(c->st, sub, full, sizeof(full)) < 0)
			return -1;
		if (rawsftp_path_op(&c->raw, FXP_MKDIR, full, &ids[n]) < 0)
			return conn_fail(c, "mkdir");
		n++;
	}
	for (i = 0; i < n; i++)
		if (status_of(c, ids[i], "mkdir") < 0)
			bad = 1;
	return bad ? -1 : 0;
}

/* After a failed write: is the server's disk full? 1, 0, or -1. */
static int
disk_full(struct conn *c, const char *dir, size_t need)
{
	struct fxreply rep;
	uint32_t id;
	uint64_t bsize, frsize, blocks, bfree, bavail;
	const uint8_t *p;
	size_t n;

	if (!c->raw.has_statvfs || rawsftp_statvfs(&c->raw, dir, &id) < 0 ||
	    expect(c, id, &rep, "statvfs") < 0 || rep.type != FXP_EXTENDED_REPLY)
		return -1;
	p = rep.data;
	n = rep.len;
	if (fx_u64(&p, &n, &bsize) < 0 || fx_u64(&p, &n, &frsize) < 0 ||
	    fx_u64(&p, &n, &blocks) < 0 || fx_u64(&p, &n, &bfree) < 0 ||
	    fx_u64(&p, &n, &bavail) < 0)
		return -1;
	(void)bsize;
	(void)blocks;
	return bavail * (frsize ? frsize : 1) < need ? 1 : 0;
}

/* Send fsync (when the server has it) and close for HANDLE. */
static int
send_close(struct conn *c, const uint8_t *handle, size_t hlen, uint32_t *fid,
    uint32_t *cid)
{
	if (c->raw.has_fsync && rawsftp_handle_op(&c->raw, 1, handle, hlen, fid) < 0)
		return conn_fail(c, "fsync");
	if (rawsftp_handle_op(&c->raw, 0, handle, hlen, cid) < 0)
		return conn_fail(c, "close");
	return 0;
}

static int
sftp_put(void *be, const char *path, const void *buf, size_t len)
{
	struct sstore *st = be;
	struct conn *c;
	struct fxreply rep;
	char full[4096], tmp[4096], dir[4096], *slash;
	uint8_t handle[256];
	size_t hlen = 0, off = 0, inflight = 0, qhead = 0, qtail = 0;
	uint64_t rnd;
	struct wr { uint32_t id, len; } *q = NULL;
	uint32_t id, qcap, wstatus = FX_OK, cid, fid = 0, lid, rid;
	int r = STORE_ERR, tries, st_link, st_close, st_fsync = FX_OK, closing = 0;

	if (fullpath(st, path, full, sizeof(full)) < 0)
		return STORE_ERR;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return fail_errno("getrandom");
	snprintf(dir, sizeof(dir), "%s", full);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return fail("%s/%s: bad repository path", st->url, path);
	*slash = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-%016llx", dir[0] ? dir : "",
	    (unsigned long long)rnd) >= (int)sizeof(tmp))
		return fail("%s/%s: path too long", st->url, path);
	if (dir[0] == '\0')
		strcpy(dir, "/");

	if ((c = acquire(st)) == NULL)
		return STORE_ERR;
	if (raw_ready(c) < 0)
		goto out;

	/* open the temporary name, creating the parents once if missing */
	for (tries = 0; tries < 2; tries++) {
		if (rawsftp_open_excl(&c->raw, tmp, 0444, &id) < 0 ||
		    expect(c, id, &rep, "open") < 0) {
			conn_fail(c, "open");
			goto out;
		}
		if (rep.type == FXP_HANDLE)
			break;
		if (rep.type != FXP_STATUS) {
			c->dead = 1;
			fail("%s/%s: unexpected reply to open", st->url, path);
			goto out;
		}
		if (rep.status == FX_NO_SUCH_FILE && tries == 0 && strchr(path, '/')) {
			if (make_parents(c, path) < 0 && c->dead)
				goto out;
			continue;
		}
		if (tries && rep.status == FX_PERMISSION_DENIED)
			fail("%s/%s: permission denied in the directory just "
			    "created (on an append-only server every directory "
			    "of the repository must exist before the first push)",
			    st->url, path);
		else
			fail("%s/%s: cannot create a temporary file: %s", st->url,
			    path, fx_message(rep.status));
		goto out;
	}
	{
		const uint8_t *p = rep.data, *h;
		size_t n = rep.len;

		if (fx_string(&p, &n, &h, &hlen) < 0 || hlen > sizeof(handle)) {
			c->dead = 1;
			fail("%s/%s: bad handle from the server", st->url, path);
			goto out;
		}
		memcpy(handle, h, hlen);
	}

	/* the writes: up to WRITE_INFLIGHT bytes of requests outstanding */
	qcap = (uint32_t)(WRITE_INFLIGHT / 4096 + 4);
	if ((q = malloc(qcap * sizeof(*q))) == NULL) {
		fail_errno("sftp");
		goto out;
	}
	while (off < len || qhead != qtail) {
		while (off < len && inflight < WRITE_INFLIGHT &&
		    qtail - qhead < qcap && wstatus == FX_OK) {
			size_t n = len - off < c->raw.max_write ? len - off : c->raw.max_write;

			if (rawsftp_write(&c->raw, handle, hlen, off,
			    (const uint8_t *)buf + off, n, &q[qtail % qcap].id) < 0) {
				conn_fail(c, "write");
				goto out;
			}
			q[qtail % qcap].len = (uint32_t)n;
			qtail++;
			off += n;
			inflight += n;
			if (rawsftp_pending(&c->raw))
				break;
		}
		/* all sent: fsync and close go right behind the writes (the
		 * server answers in order; every status is checked before the
		 * file gets its name) */
		if (off >= len && !closing) {
			if (send_close(c, handle, hlen, &fid, &cid) < 0)
				goto out;
			closing = 1;
		}
		if (qhead == qtail) {
			if (wstatus != FX_OK)
				break;
			continue;
		}
		{
			int s = status_of(c, q[qhead % qcap].id, "write");

			if (s < 0)
				goto out;
			if (s != FX_OK && wstatus == FX_OK)
				wstatus = (uint32_t)s;
		}
		inflight -= q[qhead % qcap].len;
		qhead++;
		if (wstatus != FX_OK && off < len)
			off = len;	/* stop sending; drain what is in flight */
	}

	/* fsync, close; then link and remove in one round trip */
	if (!closing && send_close(c, handle, hlen, &fid, &cid) < 0)
		goto out;
	if (c->raw.has_fsync && (st_fsync = status_of(c, fid, "fsync")) < 0)
		goto out;
	if ((st_close = status_of(c, cid, "close")) < 0)
		goto out;
	if (wstatus != FX_OK || st_close != FX_OK || st_fsync != FX_OK) {
		uint32_t code = wstatus != FX_OK ? wstatus :
		    st_fsync != FX_OK ? (uint32_t)st_fsync : (uint32_t)st_close;
		int full_disk = disk_full(c, dir, len);

		if (!c->no_remove && rawsftp_path_op(&c->raw, FXP_REMOVE, tmp, &rid) == 0)
			(void)status_of(c, rid, "remove");
		if (full_disk == 1)
			fail("%s/%s: the server's disk is full (no space left "
			    "for %zu bytes)", st->url, path, len);
		else
			fail("%s/%s: write failed: %s", st->url, path, fx_message(code));
		goto out;
	}
	if (c->raw.has_hardlink) {
		if (rawsftp_two_paths(&c->raw, "hardlink@openssh.com", tmp, full, &lid) < 0) {
			conn_fail(c, "link");
			goto out;
		}
	} else if (rawsftp_two_paths(&c->raw, NULL, tmp, full, &lid) < 0) {
		conn_fail(c, "rename");
		goto out;
	}
	if (c->raw.has_hardlink && !c->no_remove &&
	    rawsftp_path_op(&c->raw, FXP_REMOVE, tmp, &rid) < 0) {
		conn_fail(c, "remove");
		goto out;
	}
	if ((st_link = status_of(c, lid, "link")) < 0)
		goto out;
	if (c->raw.has_hardlink && !c->no_remove) {
		int s = status_of(c, rid, "remove");

		if (s < 0)
			goto out;
		if (s == FX_PERMISSION_DENIED || s == FX_OP_UNSUPPORTED)
			c->no_remove = 1;	/* an append-only server */
	}
	if (st_link != FX_OK) {
		/* link(2) and OpenSSH's rename refuse an existing name */
		if (rawsftp_path_op(&c->raw, FXP_STAT, full, &id) < 0 ||
		    expect(c, id, &rep, "stat") < 0) {
			conn_fail(c, "stat");
			goto out;
		}
		if (rep.type == FXP_ATTRS) {
			fail("%s/%s: file exists", st->url, path);
			r = STORE_EXISTS;
		} else
			fail("%s/%s: cannot give the file its name: %s", st->url,
			    path, fx_message((uint32_t)st_link));
		goto out;
	}
	r = STORE_OK;
out:
	free(q);
	release(st, c);
	return r;
}

/* ---- get, size, list ---- */

/*
 * libssh 0.10 grows a channel's receive window only when a read asks for
 * more than the window holds, back to 1.28 MB: sftp replies, read a few
 * bytes at a time, drain it to nothing and then wait a round trip for
 * more.  A zero-timeout read of READ_WINDOW bytes from the channel's
 * stderr stream (which an sftp server leaves empty) makes libssh open the
 * window to READ_WINDOW first; whatever stderr might hold lands in SINK.
 */
static void
open_window(struct conn *c)
{
	if (c->sink == NULL && (c->sink = malloc(READ_WINDOW)) == NULL)
		return;
	(void)ssh_channel_read_timeout(c->sftp->channel, c->sink, READ_WINDOW, 1, 0);
}

struct rd {
	uint32_t id;
	uint64_t off;
	uint32_t len;
};

static int
sftp_get(void *be, const char *path, uint64_t off, void *buf, size_t len)
{
	struct sstore *st = be;
	struct conn *c;
	char full[4096];
	sftp_file f;
	struct rd q[READ_DEPTH];
	unsigned qh = 0, qt = 0;
	uint64_t next = off, end = off + len;
	size_t done = 0;
	int r = STORE_ERR;

	if (fullpath(st, path, full, sizeof(full)) < 0)
		return STORE_ERR;
	if (len == 0)
		return STORE_OK;
	if ((c = acquire(st)) == NULL)
		return STORE_ERR;
	/* files never change once named: an open handle stays valid */
	if (c->rf != NULL && strcmp(c->rf_path, full) == 0)
		f = c->rf;
	else {
		if (c->rf != NULL) {
			sftp_close(c->rf);
			free(c->rf_path);
			c->rf = NULL;
			c->rf_path = NULL;
		}
		if ((f = sftp_open(c->sftp, full, O_RDONLY, 0)) == NULL) {
			r = sftp_error(c, path, "open");
			goto out;
		}
		if ((c->rf_path = strdup(full)) == NULL) {
			fail_errno("sftp");
			goto close;
		}
		c->rf = f;
	}
	while (done < len) {
		if (qh % 8 == 0)
			open_window(c);
		while (qt - qh < READ_DEPTH && next < end) {
			uint32_t n = end - next < READ_CHUNK ? (uint32_t)(end - next) : READ_CHUNK;
			int id;

			sftp_seek64(f, next);
			if ((id = sftp_async_read_begin(f, n)) < 0) {
				sftp_error(c, path, "read");
				goto close;
			}
			q[qt % READ_DEPTH] = (struct rd){ (uint32_t)id, next, n };
			qt++;
			next += n;
		}
		{
			struct rd rq = q[qh % READ_DEPTH];
			int got;

			qh++;
			got = sftp_async_read(f, (uint8_t *)buf + (rq.off - off), rq.len, rq.id);
			touch(c);
			if (got < 0) {
				sftp_error(c, path, "read");
				goto close;
			}
			if (got == 0) {
				fail("%s/%s: file shorter than %llu bytes", st->url,
				    path, (unsigned long long)end);
				c->dead = 1;	/* replies still queued: drop them */
				goto close;
			}
			done += (size_t)got;
			if ((uint32_t)got < rq.len) {
				/* a short read: ask for the rest at the back */
				uint64_t o = rq.off + (uint64_t)got;
				uint32_t n = rq.len - (uint32_t)got;
				int id;

				sftp_seek64(f, o);
				if ((id = sftp_async_read_begin(f, n)) < 0) {
					sftp_error(c, path, "read");
					goto close;
				}
				q[qt % READ_DEPTH] = (struct rd){ (uint32_t)id, o, n };
				qt++;
			}
		}
	}
	r = STORE_OK;
	goto out;
close:
	/* after an error: do not keep the handle */
	sftp_close(f);
	if (c->rf == f) {
		free(c->rf_path);
		c->rf = NULL;
		c->rf_path = NULL;
	}
out:
	release(st, c);
	return r;
}

static int
sftp_size(void *be, const char *path, uint64_t *size)
{
	struct sstore *st = be;
	struct conn *c;
	char full[4096];
	sftp_attributes a;
	int r = STORE_OK;

	if (fullpath(st, path, full, sizeof(full)) < 0)
		return STORE_ERR;
	if ((c = acquire(st)) == NULL)
		return STORE_ERR;
	if ((a = sftp_stat(c->sftp, full)) == NULL)
		r = sftp_error(c, path, "stat");
	else {
		if (a->type != SSH_FILEXFER_TYPE_REGULAR ||
		    !(a->flags & SSH_FILEXFER_ATTR_SIZE))
			r = fail("%s/%s: not a regular file", st->url, path);
		else
			*size = a->size;
		sftp_attributes_free(a);
	}
	release(st, c);
	return r;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
sftp_list(void *be, const char *dirpath, char ***names, size_t *n)
{
	struct sstore *st = be;
	struct conn *c;
	char full[4096], **v = NULL;
	size_t cnt = 0, cap = 0, i;
	sftp_dir d;
	sftp_attributes a;
	int r = STORE_ERR;

	*names = NULL;
	*n = 0;
	if (fullpath(st, dirpath, full, sizeof(full)) < 0)
		return STORE_ERR;
	if ((c = acquire(st)) == NULL)
		return STORE_ERR;
	if ((d = sftp_opendir(c->sftp, full)) == NULL) {
		r = sftp_error(c, dirpath, "opendir");
		goto out;
	}
	while ((a = sftp_readdir(c->sftp, d)) != NULL) {
		touch(c);
		/* hidden names: ".", "..", and our temporary files */
		if (a->name == NULL || a->name[0] == '.') {
			sftp_attributes_free(a);
			continue;
		}
		if (cnt == cap) {
			char **nv = realloc(v, (cap ? cap * 2 : 64) * sizeof(*v));

			if (nv == NULL) {
				sftp_attributes_free(a);
				fail_errno("sftp");
				goto fail;
			}
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		if ((v[cnt] = strdup(a->name)) == NULL) {
			sftp_attributes_free(a);
			fail_errno("sftp");
			goto fail;
		}
		cnt++;
		sftp_attributes_free(a);
	}
	if (!sftp_dir_eof(d)) {
		sftp_error(c, dirpath, "readdir");
		if (!c->dead)
			sftp_closedir(d);
		goto fail;
	}
	sftp_closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp);
	*names = v;
	*n = cnt;
	r = STORE_OK;
	goto out;
fail:
	for (i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
out:
	release(st, c);
	return r;
}

/* ---- open, close ---- */

static void
sstore_free(struct sstore *st)
{
	int i;

	if (st->have_watchdog) {
		pthread_mutex_lock(&st->lock);
		st->stopping = 1;
		pthread_cond_broadcast(&st->stop_cond);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->watchdog, NULL);
	}
	for (i = 0; i < st->npool; i++)
		conn_free(st->pool[i]);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	pthread_cond_destroy(&st->stop_cond);
	sftp_url_free(&st->u);
	free(st->url);
	free(st->identity);
	free(st->known_hosts);
	free(st);
}

/* ---- many whole files (sftp_many.c): the metadata on a cold cache ---- */

static void
strv_free(char **v, size_t n)
{
	while (v != NULL && n > 0)
		free(v[--n]);
	free(v);
}

/* Full server paths and "url/path" names for messages of PATHS. */
static int
many_names(struct sstore *st, const char *const *paths, size_t n,
    char ***full, char ***names)
{
	char f[4096];
	size_t i;

	*full = calloc(n, sizeof(**full));
	*names = calloc(n, sizeof(**names));
	if (*full == NULL || *names == NULL)
		return fail_errno("sftp");
	for (i = 0; i < n; i++) {
		if (fullpath(st, paths[i], f, sizeof(f)) < 0)
			return -1;
		if (((*full)[i] = strdup(f)) == NULL ||
		    asprintf(&(*names)[i], "%s/%s", st->url, paths[i]) < 0) {
			(*names)[i] = NULL;
			return fail_errno("sftp");
		}
	}
	return 0;
}

static int
sftp_get_many(void *be, const char *const *paths, size_t n, uint8_t **bufs,
    size_t *lens)
{
	struct sstore *st = be;
	struct conn *c;
	char **full = NULL, **names = NULL;
	int r = STORE_ERR;

	if (many_names(st, paths, n, &full, &names) < 0 ||
	    (c = acquire(st)) == NULL)
		goto out;
	if (raw_ready(c) == 0) {
		if (sftp_many(&c->raw, (const char *const *)full,
		    (const char *const *)names, n, bufs, lens) == 0)
			r = STORE_OK;
		else if (atomic_load(&c->timedout) || !ssh_is_connected(c->ssh))
			conn_fail(c, "read");
		else
			c->dead = 1;	/* replies left unread on the channel */
	}
	release(st, c);
out:
	strv_free(full, n);
	strv_free(names, n);
	return r;
}

static void
sftp_close_store(void *be)
{
	sstore_free(be);
}

static const struct store_ops sftp_ops = {
	.put = sftp_put,
	.get = sftp_get,
	.size = sftp_size,
	.list = sftp_list,
	.close = sftp_close_store,
	.get_many = sftp_get_many,
};

/* The root must be a directory; create it (mkdir -p) when asked. */
static int
check_root(struct sstore *st, int create)
{
	struct conn *c;
	sftp_attributes a;
	int r = 0;

	if ((c = acquire(st)) == NULL)
		return -1;
	a = sftp_stat(c->sftp, st->u.path);
	if (a == NULL && sftp_get_error(c->sftp) == SSH_FX_NO_SUCH_FILE && create) {
		char sub[4096];
		size_t i, len = strlen(st->u.path);

		/* each prefix; "exists" failures are checked by the stat below */
		for (i = 1; i <= len; i++) {
			if (i < len && st->u.path[i] != '/')
				continue;
			snprintf(sub, sizeof(sub), "%.*s", (int)i, st->u.path);
			sftp_mkdir(c->sftp, sub, 0755);
		}
		a = sftp_stat(c->sftp, st->u.path);
	}
	if (a == NULL) {
		int code = sftp_get_error(c->sftp);

		if (code == SSH_FX_NO_SUCH_FILE)
			r = fail("%s: no such directory on the server%s", st->url,
			    create ? " (and it could not be created)" : "");
		else if (code == SSH_FX_PERMISSION_DENIED)
			r = fail("%s: permission denied on the server", st->url);
		else
			sftp_error(c, "", "stat"), r = -1;
	} else {
		if (a->type != SSH_FILEXFER_TYPE_DIRECTORY)
			r = fail("%s: not a directory on the server", st->url);
		sftp_attributes_free(a);
	}
	release(st, c);
	return r;
}

struct store *
store_sftp_open(const char *url, const struct store_opts *o)
{
	struct sstore *st;
	struct store *s = NULL;
	size_t l;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		fail_errno("sftp");
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	pthread_cond_init(&st->stop_cond, NULL);
	if (sftp_url_parse(url, &st->u) < 0)
		goto err;
	st->timeout = o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT;
	st->accept_new = o->accept_new;
	if ((st->url = strdup(url)) == NULL ||
	    (o->identity && (st->identity = strdup(o->identity)) == NULL) ||
	    (o->known_hosts && (st->known_hosts = strdup(o->known_hosts)) == NULL)) {
		fail_errno("sftp");
		goto err;
	}
	for (l = strlen(st->url); l > 7 && st->url[l - 1] == '/'; l--)
		st->url[l - 1] = '\0';
	if (pthread_create(&st->watchdog, NULL, watchdog, st) != 0) {
		fail("sftp: cannot start the watchdog thread");
		goto err;
	}
	st->have_watchdog = 1;
	if (check_root(st, o->create) < 0)
		goto err;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->url = strdup(st->url)) == NULL) {
		fail_errno("sftp");
		free(s);
		goto err;
	}
	s->ops = &sftp_ops;
	s->be = st;
	return s;
err:
	sstore_free(st);
	return NULL;
}
