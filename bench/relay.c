/*
 * relay: a TCP relay that holds every byte DELAY_MS in each direction,
 * for benchmarks and tests over a slow link (this kernel has no netem).
 *
 *     relay LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT DELAY_MS [CUT]
 *
 * One thread, epoll, non-blocking sockets: data is read as soon as it
 * arrives, stamped, and written DELAY_MS later, so the relay adds latency
 * without a window of its own (up to 64 MiB held per direction) and
 * without becoming the bottleneck (reads of 256 KiB, no copies but the
 * kernel's).  SIGUSR1 cuts the link silently: nothing more is read or
 * written, connections stay open, as when a cable is pulled; so does
 * passing CUT bytes from the targets back to the clients (all connections
 * together), for tests that cut a transfer half-way, deterministically.  It listens
 * only on a loopback address, or anywhere inside a network namespace
 * other than the host's (a test's).  Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK		(256 * 1024)
#define MAX_HELD	(64u << 20)
#define MAX_CHUNKS	1024	/* per direction: bounds memory for small reads */
#define MAX_PAIRS	256

struct chunk {
	struct chunk *next;
	uint64_t due;		/* ns, CLOCK_MONOTONIC */
	size_t len, off;	/* len 0: end of stream */
	char data[];
};

struct dir {
	int from, to;
	struct chunk *head, *tail;
	size_t held, nheld;	/* bytes and chunks queued */
	int eof;		/* end of stream read */
	int done;		/* end of stream passed on */
	int blocked;		/* last write would block */
};

struct pair {
	int fd[2];
	struct dir d[2];	/* d[0]: fd[0] -> fd[1], d[1]: the reverse */
	uint32_t ev[2];		/* epoll interest registered per fd */
};

/* epoll data: a pair and the side of one of its sockets */
struct ref {
	struct pair *p;
	int side;
};

static volatile sig_atomic_t cut;
static struct chunk *spare;	/* free full-size chunks: no mmap per read */
static uint64_t delay_ns;
static uint64_t cut_after = UINT64_MAX, passed_back;
static int ep;

static void
on_usr1(int sig)
{
	(void)sig;
	cut = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Is this process in the host's network namespace (that of PID 1)? */
static int
host_netns(void)
{
	struct stat a, b;

	if (stat("/proc/self/ns/net", &a) < 0 || stat("/proc/1/ns/net", &b) < 0)
		return 1;	/* cannot tell: assume the host */
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static void
addr_parse(const char *host, const char *port, struct sockaddr_in *sa)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "relay: bad address %s:%s\n", host, port);
		exit(2);
	}
	sa->sin_port = htons((uint16_t)p);
}

static struct chunk *
chunk_get(void)
{
	struct chunk *c = spare;

	if (c != NULL)
		spare = c->next;
	else if ((c = malloc(sizeof(*c) + CHUNK)) == NULL)
		die("malloc");
	return c;
}

static void
chunk_put(struct chunk *c)
{
	c->next = spare;
	spare = c;
}

static void
dir_free(struct dir *d)
{
	struct chunk *c;

	while ((c = d->head) != NULL) {
		d->head = c->next;
		chunk_put(c);
	}
}

static void
pair_close(struct pair **slot)
{
	struct pair *p = *slot;

	close(p->fd[0]);
	close(p->fd[1]);
	dir_free(&p->d[0]);
	dir_free(&p->d[1]);
	free(p);
	*slot = NULL;
}

/* Read what is there into D's queue.  -1: the pair is broken. */
static int
dir_fill(struct dir *d, uint64_t now)
{
	struct chunk *c;
	ssize_t n;

	while (!d->eof && d->held < MAX_HELD && d->nheld < MAX_CHUNKS) {
		c = chunk_get();
		n = read(d->from, c->data, CHUNK);
		if (n < 0 && errno != ECONNRESET) {
			chunk_put(c);
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
		if (n < 0)
			n = 0;	/* a reset ends the stream like EOF */
		c->next = NULL;
		c->due = now + delay_ns;
		c->len = (size_t)n;
		c->off = 0;
		if (d->tail != NULL)
			d->tail->next = c;
		else
			d->head = c;
		d->tail = c;
		d->held += (size_t)n;
		d->nheld++;
		if (n == 0)
			d->eof = 1;
		if (n < CHUNK)
			return 0;
	}
	return 0;
}

/* Write every chunk that is due (BACK: towards the client, where CUT
 * counts).  -1: the pair is broken. */
static int
dir_flush(struct dir *d, uint64_t now, int back)
{
	struct chunk *c;
	size_t want;
	ssize_t n;

	d->blocked = 0;
	while (!cut && (c = d->head) != NULL && c->due <= now) {
		if (c->len == 0) {
			shutdown(d->to, SHUT_WR);
			d->done = 1;
		} else {
			want = c->len - c->off;
			if (back && cut_after - passed_back < want)
				want = (size_t)(cut_after - passed_back);
			n = write(d->to, c->data + c->off, want);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				d->blocked = 1;
				return 0;
			}
			if (n < 0)
				return -1;
			c->off += (size_t)n;
			if (back && (passed_back += (size_t)n) >= cut_after)
				cut = 1;
			if (c->off < c->len)
				continue;
			d->held -= c->len;
		}
		d->nheld--;
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		chunk_put(c);
	}
	return 0;
}

/* Register the events each socket of P waits for now. */
static void
pair_watch(struct pair *p, struct ref refs[2])
{
	struct epoll_event e;
	int s;

	for (s = 0; s < 2; s++) {
		uint32_t want = 0;
		struct dir *in = &p->d[s], *out = &p->d[1 - s];

		if (cut)
			return;
		if (!in->eof && in->held < MAX_HELD && in->nheld < MAX_CHUNKS)
			want |= EPOLLIN;
		if (out->blocked)
			want |= EPOLLOUT;
		if (want == p->ev[s])
			continue;
		e.events = want;
		e.data.ptr = &refs[s];
		if (epoll_ctl(ep, EPOLL_CTL_MOD, p->fd[s], &e) < 0)
			die("epoll_ctl");
		p->ev[s] = want;
	}
}

static int
connect_target(const struct sockaddr_in *to)
{
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
accept_one(int ls, const struct sockaddr_in *to, struct pair **pairs,
    struct ref (*refs)[2])
{
	struct epoll_event e = { 0 };
	struct pair *p;
	int c, t, i, s, one = 1;

	if ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	for (i = 0; i < MAX_PAIRS && pairs[i] != NULL; i++)
		;
	if (i == MAX_PAIRS || (t = connect_target(to)) < 0) {
		close(c);
		return;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		die("calloc");
	p->fd[0] = c;
	p->fd[1] = t;
	p->d[0] = (struct dir){ .from = c, .to = t };
	p->d[1] = (struct dir){ .from = t, .to = c };
	pairs[i] = p;
	for (s = 0; s < 2; s++) {
		refs[i][s] = (struct ref){ p, s };
		e.events = 0;
		e.data.ptr = &refs[i][s];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd[s], &e) < 0)
			die("epoll_ctl");
	}
	pair_watch(p, refs[i]);
}

/* Milliseconds until the next chunk falls due (-1: none waiting). */
static int
next_timeout(struct pair **pairs, uint64_t now)
{
	uint64_t best = UINT64_MAX;
	int i, s;

	for (i = 0; i < MAX_PAIRS; i++)
		for (s = 0; pairs[i] != NULL && s < 2; s++) {
			struct dir *d = &pairs[i]->d[s];

			if (d->head != NULL && !d->blocked && d->head->due < best)
				best = d->head->due;
		}
	if (cut || best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	return (int)((best - now + 999999) / 1000000);
}

/* Move what can move on every pair; close finished or broken ones. */
static void
pump_all(struct pair **pairs, struct ref (*refs)[2])
{
	uint64_t now = now_ns();
	int i, s, bad;

	for (i = 0; i < MAX_PAIRS; i++) {
		if (pairs[i] == NULL)
			continue;
		bad = 0;
		for (s = 0; s < 2 && !cut; s++)
			bad |= dir_fill(&pairs[i]->d[s], now) < 0 ||
			    dir_flush(&pairs[i]->d[s], now, s == 1) < 0;
		if (bad || (pairs[i]->d[0].done && pairs[i]->d[1].done)) {
			pair_close(&pairs[i]);
			continue;
		}
		pair_watch(pairs[i], refs[i]);
	}
}

/* The link is cut: watch nothing more, ever (epoll would still report
 * hang-ups of sockets it watches, with no interest registered). */
static void
unwatch_all(int ls, struct pair **pairs)
{
	int i;

	epoll_ctl(ep, EPOLL_CTL_DEL, ls, NULL);
	for (i = 0; i < MAX_PAIRS; i++)
		if (pairs[i] != NULL) {
			epoll_ctl(ep, EPOLL_CTL_DEL, pairs[i]->fd[0], NULL);
			epoll_ctl(ep, EPOLL_CTL_DEL, pairs[i]->fd[1], NULL);
		}
	cut = 2;
}

static int
listen_on(const struct sockaddr_in *sa)
{
	int ls, one = 1;

	if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("bind");
	if (listen(ls, 64) < 0)
		die("listen");
	return ls;
}

int
main(int argc, char **argv)
{
	static struct pair *pairs[MAX_PAIRS];
	static struct ref refs[MAX_PAIRS][2];
	struct sockaddr_in la, ta;
	struct epoll_event ev[64], e = { .events = EPOLLIN };
	char *end;
	long ms;
	int ls, n, i;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: relay LISTEN_ADDR LISTEN_PORT "
		    "TARGET_ADDR TARGET_PORT DELAY_MS [CUT]\n");
		return 2;
	}
	if (argc == 7 && (cut_after = strtoull(argv[6], &end, 10)) == 0) {
		fprintf(stderr, "relay: bad byte count %s\n", argv[6]);
		return 2;
	}
	addr_parse(argv[1], argv[2], &la);
	addr_parse(argv[3], argv[4], &ta);
	ms = strtol(argv[5], &end, 10);
	if (*argv[5] == '\0' || *end != '\0' || ms < 0 || ms > 10000) {
		fprintf(stderr, "relay: bad delay %s (0-10000 ms)\n", argv[5]);
		return 2;
	}
	if ((ntohl(la.sin_addr.s_addr) >> 24) != 127 && host_netns()) {
		fprintf(stderr, "relay: %s is not loopback: run it inside a "
		    "test's network namespace\n", argv[1]);
		return 2;
	}
	delay_ns = (uint64_t)ms * 1000000u;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	ls = listen_on(&la);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	e.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &e) < 0)
		die("epoll_ctl");
	for (;;) {
		if (cut == 1)
			unwatch_all(ls, pairs);
		n = epoll_wait(ep, ev, 64, next_timeout(pairs, now_ns()));
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			if (ev[i].data.ptr == NULL && !cut)
				accept_one(ls, &ta, pairs, refs);
		pump_all(pairs, refs);
	}
}
