/*
 * The connection side of the SFTP store (see sftp_conn.h and
 * docs/SFTP.md): the pool, the watchdog, TCP connect with keepalive and
 * a bounded connect time, host keys against known_hosts, and public-key
 * authentication.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "error.h"
#include "store/sftp_conn.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
conn_touch(void *arg)
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

int
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

void
sstore_abort(struct sstore *st)
{
	int i, fd;

	pthread_mutex_lock(&st->lock);
	st->aborted = 1;
	for (i = 0; i < st->npool; i++)
		if (st->pool[i] != NULL &&
		    (fd = atomic_load(&st->pool[i]->fd)) >= 0) {
			atomic_store(&st->pool[i]->timedout, 1);
			shutdown(fd, SHUT_RDWR);
		}
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
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
	conn_touch(c);
	if (ssh_connect(c->ssh) != SSH_OK)
		return conn_fail(c, "SSH handshake");
	conn_touch(c);
	if (verify_host(c) < 0 || (conn_touch(c), authenticate(c)) < 0)
		return -1;
	conn_touch(c);
	if ((c->sftp = sftp_new(c->ssh)) == NULL)
		return conn_fail(c, "cannot open an sftp channel");
	if (sftp_init(c->sftp) != SSH_OK)
		return conn_fail(c, "the server refused the sftp subsystem");
	conn_touch(c);
	return 0;
}

/* ---- the pool ---- */

void
conn_release(struct sstore *st, struct conn *c)
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

struct conn *
conn_acquire(struct sstore *st)
{
	struct conn *c;
	int i;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		if (st->aborted) {
			pthread_mutex_unlock(&st->lock);
			fail("%s: given up on", st->url);
			return NULL;
		}
		for (i = 0; i < st->npool; i++) {
			c = st->pool[i];
			if (!atomic_load(&c->busy)) {
				atomic_store(&c->busy, 1);
				atomic_store(&c->timedout, 0);
				conn_touch(c);
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
	conn_touch(c);
	st->pool[st->npool++] = c;
	pthread_mutex_unlock(&st->lock);

	/* connect outside the lock, watched by the watchdog */
	if (conn_connect(c) < 0) {
		c->dead = 1;
		conn_release(st, c);
		return NULL;
	}
	return c;
}

/* ---- the store's connection state ---- */

struct sstore *
sstore_new(const char *url, const struct store_opts *o)
{
	struct sstore *st;
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
	st->timeout = o->timeout > 0 ? o->timeout : STORE_TIMEOUT_DEFAULT;
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
	return st;
err:
	sstore_free(st);
	return NULL;
}

void
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
