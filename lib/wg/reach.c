/*
 * Concurrent reachability checks: one poll() loop over non-blocking TCP
 * connects, or over one ICMP socket per address family.
 */
#include <errno.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "wg/reach.h"

#define RESEND_SEC 1.0			/* ICMP: a new echo request every */
#define FD_RESERVE 32			/* descriptors left to the caller */

struct run {
	struct reach_target *t;
	size_t n;
	int method;
	uint16_t port;
	double timeout;
	double *start;			/* per target; < 0: not started */
	double *sent;			/* ICMP: last echo request */
	int *fd;			/* TCP: per target, -1 when none */
	size_t pending;			/* targets without a result */
	size_t next;			/* TCP: next target to start */
	size_t active;			/* TCP: connects in flight */
	size_t window;			/* TCP: at most this many at once */
	int icmp[2];			/* ICMP: v4, v6 sockets, -1 if none */
	int raw[2];			/* ICMP: 1 if that socket is raw */
	uint16_t ident;			/* ICMP echo identifier (raw) */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *
reach_result_name(int r)
{
	switch (r) {
	case REACH_OK:
		return "ok";
	case REACH_REFUSED:
		return "refused";
	case REACH_UNREACHABLE:
		return "unreachable";
	case REACH_TIMEOUT:
		return "timeout";
	case REACH_ERROR:
		return "error";
	default:
		return "none";
	}
}

static int
classify(int err)
{
	switch (err) {
	case 0:
		return REACH_OK;
	case ECONNREFUSED:
		return REACH_REFUSED;
	case ETIMEDOUT:
		return REACH_TIMEOUT;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case ENONET:
		return REACH_UNREACHABLE;
	default:
		return REACH_ERROR;
	}
}

static socklen_t
addr_len(const union wg_endpoint *a)
{
	return a->sa.sa_family == AF_INET ? sizeof(a->in) : sizeof(a->in6);
}

/* Record target I's result and release what it holds. */
static void
finish(struct run *r, size_t i, int result, int err)
{
	struct reach_target *t = &r->t[i];

	t->result = result;
	t->err = result == REACH_UNREACHABLE || result == REACH_ERROR ? err : 0;
	t->rtt = result == REACH_OK || result == REACH_REFUSED ?
	    now() - r->start[i] : 0;
	if (r->fd != NULL && r->fd[i] >= 0) {
		close(r->fd[i]);
		r->fd[i] = -1;
		r->active--;
	}
	r->pending--;
}

/* ---- TCP ---- */

static void
tcp_start(struct run *r, size_t i)
{
	union wg_endpoint a = r->t[i].addr;
	int fd;

	r->start[i] = now();
	if (a.sa.sa_family == AF_INET)
		a.in.sin_port = htons(r->port);
	else
		a.in6.sin6_port = htons(r->port);
	fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		finish(r, i, REACH_ERROR, errno);
		return;
	}
	r->fd[i] = fd;
	r->active++;
	if (connect(fd, &a.sa, addr_len(&a)) == 0)
		finish(r, i, REACH_OK, 0);
	else if (errno != EINPROGRESS)
		finish(r, i, classify(errno), errno);
}

static void
tcp_event(struct run *r, size_t i)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(r->fd[i], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	finish(r, i, classify(err), err);
}

/* How many connects may be in flight: raise the soft limit if needed. */
static size_t
tcp_window(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 3 * FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = old;
	}
	if (rl.rlim_cur <= 2 * FD_RESERVE)
		return 1;
	return (size_t)(rl.rlim_cur - 2 * FD_RESERVE);
}

/* ---- ICMP ---- */

static uint16_t
cksum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static int
icmp_open(struct run *r, int v6)
{
	int family = v6 ? AF_INET6 : AF_INET;
	int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fl = SOCK_NONBLOCK | SOCK_CLOEXEC, fd;

	/* an unprivileged ping socket first, then a raw one */
	if ((fd = socket(family, SOCK_DGRAM | fl, proto)) >= 0) {
		r->raw[v6] = 0;
	} else if ((fd = socket(family, SOCK_RAW | fl, proto)) >= 0) {
		r->raw[v6] = 1;
	} else {
		return fail_errno("ICMP%s: neither a ping socket (sysctl "
		    "net.ipv4.ping_group_range) nor a raw socket "
		    "(CAP_NET_RAW) may be opened", v6 ? "v6" : "");
	}
	r->icmp[v6] = fd;
	return 0;
}

static void
icmp_send(struct run *r, size_t i)
{
	struct reach_target *t = &r->t[i];
	int v6 = t->addr.sa.sa_family == AF_INET6;
	uint8_t pkt[24] = { 0 };
	uint16_t seq = htons((uint16_t)i), id = htons(r->ident);

	/* echo request: type, code, checksum, identifier, sequence, data */
	pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	memcpy(pkt + 4, &id, 2);
	memcpy(pkt + 6, &seq, 2);
	memcpy(pkt + 8, "anemone-probe", 13);
	if (!v6) {
		/* ICMPv6 checksums are the kernel's; ICMPv4 ones ours */
		uint16_t c = cksum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	}
	r->sent[i] = now();
	if (sendto(r->icmp[v6], pkt, sizeof(pkt), 0, &t->addr.sa,
	    addr_len(&t->addr)) >= 0)
		return;
	if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
		return;			/* try again at the next resend */
	finish(r, i, classify(errno), errno);
}

static int
same_addr(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* The pending target with sequence SEQ and address FROM, or N. */
static size_t
icmp_match(struct run *r, uint16_t seq, const union wg_endpoint *from)
{
	size_t i;

	for (i = seq; i < r->n; i += 65536)
		if (r->t[i].result == REACH_NONE && r->start[i] >= 0 &&
		    same_addr(&r->t[i].addr, from))
			return i;
	return r->n;
}

static void
icmp_read(struct run *r, int v6)
{
	uint8_t buf[1500];
	union wg_endpoint from, inner;
	socklen_t flen;
	ssize_t got;
	size_t n, off, i;
	uint16_t id, seq;
	int bounded = 4096;		/* replies read per wakeup, at most */

	while (bounded-- > 0) {
		flen = sizeof(from);
		memset(&from, 0, sizeof(from));
		got = recvfrom(r->icmp[v6], buf, sizeof(buf), 0, &from.sa,
		    &flen);
		if (got < 0)
			return;		/* EAGAIN, or an error to ignore */
		n = (size_t)got;
		off = 0;
		if (!v6 && r->raw[v6]) {
			/* a raw IPv4 socket hands over the IP header too */
			if (n < 20 || (off = (size_t)(buf[0] & 0x0f) * 4) < 20)
				continue;
		}
		if (n < off + 8)
			continue;
		memcpy(&id, buf + off + 4, 2);
		memcpy(&seq, buf + off + 6, 2);
		if (buf[off] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY)) {
			if (r->raw[v6] && ntohs(id) != r->ident)
				continue;
			if ((i = icmp_match(r, ntohs(seq), &from)) < r->n)
				finish(r, i, REACH_OK, 0);
			continue;
		}
		/*
		 * Destination unreachable (raw sockets only see these): the
		 * original IP header and our echo header follow the 8 bytes.
		 */
		if (!r->raw[v6] ||
		    buf[off] != (v6 ? ICMP6_DST_UNREACH : ICMP_DEST_UNREACH))
			continue;
		off += 8;
		memset(&inner, 0, sizeof(inner));
		if (v6) {
			if (n < off + 40 + 8 || buf[off + 6] != IPPROTO_ICMPV6)
				continue;
			inner.in6.sin6_family = AF_INET6;
			memcpy(&inner.in6.sin6_addr, buf + off + 24, 16);
			off += 40;
		} else {
			size_t ihl;

			if (n < off + 20 || buf[off + 9] != IPPROTO_ICMP)
				continue;
			ihl = (size_t)(buf[off] & 0x0f) * 4;
			if (ihl < 20 || n < off + ihl + 8)
				continue;
			inner.in.sin_family = AF_INET;
			memcpy(&inner.in.sin_addr, buf + off + 16, 4);
			off += ihl;
		}
		memcpy(&id, buf + off + 4, 2);
		memcpy(&seq, buf + off + 6, 2);
		if (buf[off] != (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO) ||
		    ntohs(id) != r->ident)
			continue;
		if ((i = icmp_match(r, ntohs(seq), &inner)) < r->n)
			finish(r, i, REACH_UNREACHABLE, EHOSTUNREACH);
	}
}

/* ---- the loop ---- */

static int
run_loop(struct run *r)
{
	struct pollfd *pfd;
	size_t *who, i, np;
	int v6;

	if ((pfd = calloc(r->n + 2, sizeof(*pfd))) == NULL ||
	    (who = calloc(r->n + 2, sizeof(*who))) == NULL) {
		free(pfd);
		return fail_errno("calloc");
	}
	while (r->pending > 0) {
		double t = now(), wake = t + 3600;
		int ms;

		if (r->method == REACH_TCP)
			while (r->next < r->n && r->active < r->window) {
				i = r->next++;
				if (r->t[i].result == REACH_NONE &&
				    r->t[i].addr.sa.sa_family != 0)
					tcp_start(r, i);
			}
		t = now();
		np = 0;
		for (i = 0; i < r->n; i++) {
			double deadline = r->start[i] + r->timeout;

			if (r->t[i].result != REACH_NONE || r->start[i] < 0)
				continue;
			if (t >= deadline) {
				finish(r, i, REACH_TIMEOUT, 0);
				continue;
			}
			if (r->method == REACH_ICMP && t >= r->sent[i] + RESEND_SEC)
				icmp_send(r, i);
			if (r->t[i].result != REACH_NONE)
				continue;
			if (deadline < wake)
				wake = deadline;
			if (r->method == REACH_ICMP) {
				if (r->sent[i] + RESEND_SEC < wake)
					wake = r->sent[i] + RESEND_SEC;
			} else {
				pfd[np].fd = r->fd[i];
				pfd[np].events = POLLOUT;
				who[np++] = i;
			}
		}
		for (v6 = 0; v6 < 2; v6++)
			if (r->icmp[v6] >= 0) {
				pfd[np].fd = r->icmp[v6];
				pfd[np].events = POLLIN;
				who[np++] = r->n + (size_t)v6;
			}
		if (r->pending == 0)
			break;
		if (r->method == REACH_TCP && r->active == 0 &&
		    r->next >= r->n)
			break;		/* nothing left in flight */
		ms = (int)ceil((wake - t) * 1000);
		if (poll(pfd, np, ms < 0 ? 0 : ms) < 0 && errno != EINTR) {
			fail_errno("poll");
			free(pfd);
			free(who);
			return -1;
		}
		for (i = 0; i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (who[i] >= r->n)
				icmp_read(r, (int)(who[i] - r->n));
			else if (r->t[who[i]].result == REACH_NONE)
				tcp_event(r, who[i]);
		}
	}
	free(pfd);
	free(who);
	return 0;
}

int
reach_check(struct reach_target *t, size_t n, int method, uint16_t port,
    double timeout)
{
	struct run r = {
		.t = t, .n = n, .method = method, .port = port,
		.timeout = timeout, .icmp = { -1, -1 },
	};
	size_t i;
	int rc = -1, v6;

	for (i = 0; i < n; i++) {
		t[i].result = REACH_NONE;
		t[i].err = 0;
		t[i].rtt = 0;
		if (t[i].addr.sa.sa_family == AF_INET ||
		    t[i].addr.sa.sa_family == AF_INET6)
			r.pending++;
	}
	if (r.pending == 0)
		return 0;
	if ((r.start = calloc(n, sizeof(*r.start))) == NULL ||
	    (r.sent = calloc(n, sizeof(*r.sent))) == NULL ||
	    (r.fd = calloc(n, sizeof(*r.fd))) == NULL) {
		fail_errno("calloc");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r.start[i] = -1;
		r.fd[i] = -1;
	}
	if (method == REACH_TCP) {
		r.window = tcp_window(n);
	} else {
		r.ident = (uint16_t)(getpid() ^ (uintptr_t)&r);
		for (i = 0; i < n; i++) {
			v6 = t[i].addr.sa.sa_family == AF_INET6;
			if (t[i].addr.sa.sa_family == 0 || r.icmp[v6] >= 0)
				continue;
			if (icmp_open(&r, v6) < 0)
				goto out;
		}
		/* every echo leaves at once; sent = -inf sends at once */
		for (i = 0; i < n; i++)
			if (t[i].addr.sa.sa_family != 0) {
				r.start[i] = now();
				r.sent[i] = r.start[i] - 2 * RESEND_SEC;
			}
	}
	rc = run_loop(&r);
out:
	if (r.fd != NULL)
		for (i = 0; i < n; i++)
			if (r.fd[i] >= 0)
				close(r.fd[i]);
	for (v6 = 0; v6 < 2; v6++)
		if (r.icmp[v6] >= 0)
			close(r.icmp[v6]);
	free(r.start);
	free(r.sent);
	free(r.fd);
	return rc;
}
