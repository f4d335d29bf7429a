/*
 * Printing probe rows: an aligned table for people, tab-separated columns
 * for scripts, the Prometheus text format for node_exporter.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"

const char *
row_name(const struct row *r, char *buf, size_t len)
{
	size_t i;

	if (r->name == NULL)
		return NULL;
	snprintf(buf, len, "%s", r->name);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* The relay's name, sanitised like a row name. */
static const char *
via_name(const struct row *r, char *buf, size_t len)
{
	struct row v = { .name = r->via };

	return row_name(&v, buf, len);
}

static const char *
addr_text(const union wg_endpoint *a, int with_port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		if (with_port)
			snprintf(buf, len, "%s:%u", ip, ntohs(a->in.sin_port));
		else
			snprintf(buf, len, "%s", ip);
	} else if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		if (with_port)
			snprintf(buf, len, "[%s]:%u", ip,
			    ntohs(a->in6.sin6_port));
		else
			snprintf(buf, len, "%s", ip);
	} else {
		snprintf(buf, len, "-");
	}
	return buf;
}

static const char *
check_text(const struct row *r)
{
	if (r->check == CHECK_NOADDR)
		return "noaddr";
	if (r->check == CHECK_SKIPPED)
		return "skipped";
	return reach_result_name(r->reach.result);
}

static int
answered(const struct row *r)
{
	return r->check == CHECK_RESULT && (r->reach.result == REACH_OK ||
	    r->reach.result == REACH_REFUSED);
}

/* ---- tab-separated ---- */

void
print_tsv(FILE *f, const struct row *rows, size_t n)
{
	char name[256], via[256], ep[64], ad[64], age[24], rtt[32];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const char *nm = row_name(r, name, sizeof(name));

		if (r->age < 0)
			snprintf(age, sizeof(age), "never");
		else
			snprintf(age, sizeof(age), "%" PRId64, r->age);
		if (answered(r))
			snprintf(rtt, sizeof(rtt), "%.3f", r->reach.rtt * 1e3);
		else
			snprintf(rtt, sizeof(rtt), "-");
		fprintf(f, "%s\t%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64
		    "\t%s\t%s\t%s\t%s\t%s\n",
		    nm != NULL && *nm != '\0' ? nm : "-", r->key,
		    addr_text(&r->peer->endpoint, 1, ep, sizeof(ep)), age,
		    r->peer->rx_bytes, r->peer->tx_bytes,
		    addr_text(&r->reach.addr, 0, ad, sizeof(ad)),
		    check_text(r), rtt, r->up ? "up" : "down",
		    r->via != NULL ? via_name(r, via, sizeof(via)) : "-");
	}
}

/* ---- table ---- */

enum { C_PEER, C_ENDPOINT, C_HANDSHAKE, C_RX, C_TX, C_CHECK, C_STATUS,
    C_PATH, NCOLS };
#define CELL 128

static const char *const heads[NCOLS] = {
	"PEER", "ENDPOINT", "HANDSHAKE", "RX", "TX", "CHECK", "STATUS",
	"PATH",
};

static void
human_age(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		snprintf(buf, len, "never");
	else if (s < 120)
		snprintf(buf, len, "%" PRId64 " s ago", s);
	else if (s < 7200)
		snprintf(buf, len, "%" PRId64 " min ago", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%" PRId64 " h ago", s / 3600);
	else
		snprintf(buf, len, "%" PRId64 " days ago", s / 86400);
}

static void
human_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", b);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
cells(const struct row *r, char c[NCOLS][CELL])
{
	char name[CELL];

	if (row_name(r, name, sizeof(name)) != NULL && name[0] != '\0')
		snprintf(c[C_PEER], CELL, "%s", name);
	else
		snprintf(c[C_PEER], CELL, "%.8s...", r->key);
	addr_text(&r->peer->endpoint, 1, c[C_ENDPOINT], CELL);
	human_age(c[C_HANDSHAKE], CELL, r->age);
	human_bytes(c[C_RX], CELL, r->peer->rx_bytes);
	human_bytes(c[C_TX], CELL, r->peer->tx_bytes);
	if (answered(r))
		snprintf(c[C_CHECK], CELL, "%s %.1f ms", check_text(r),
		    r->reach.rtt * 1e3);
	else
		snprintf(c[C_CHECK], CELL, "%s", check_text(r));
	snprintf(c[C_STATUS], CELL, "%s", r->up ? "up" : "down");
	if (r->via != NULL)
		snprintf(c[C_PATH], CELL, "via %s", via_name(r, name,
		    sizeof(name)));
	else
		snprintf(c[C_PATH], CELL, "direct");
}

void
print_table(FILE *f, const struct row *rows, size_t n)
{
	char c[NCOLS][CELL];
	size_t w[NCOLS], i, k, pad;

	for (k = 0; k < NCOLS; k++)
		w[k] = strlen(heads[k]);
	for (i = 0; i < n; i++) {
		cells(&rows[i], c);
		for (k = 0; k < NCOLS; k++)
			if (width(c[k]) > w[k])
				w[k] = width(c[k]);
	}
	for (i = 0; i <= n; i++) {
		if (i == 0)
			for (k = 0; k < NCOLS; k++)
				snprintf(c[k], CELL, "%s", heads[k]);
		else
			cells(&rows[i - 1], c);
		for (k = 0; k < NCOLS; k++) {
			/* numbers right-aligned, text left-aligned */
			int right = k == C_RX || k == C_TX;

			pad = w[k] - width(c[k]);
			if (right)
				fprintf(f, "%*s", (int)pad, "");
			fputs(c[k], f);
			if (k + 1 < NCOLS && !right)
				fprintf(f, "%*s", (int)pad, "");
			if (k + 1 < NCOLS)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

/* ---- Prometheus text format ---- */

/* A label value: backslash, double quote and newline escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
labels(FILE *f, const char *ifname, const struct row *r)
{
	fputs("{interface=\"", f);
	label(f, ifname);
	fputs("\",peer=\"", f);
	label(f, r->name != NULL && r->name[0] != '\0' ? r->name : r->key);
	fputs("\",public_key=\"", f);
	label(f, r->key);
	fputs("\"}", f);
}

enum { M_UP, M_TS, M_AGE, M_RX, M_TX, M_RTT, M_RELAYED, NMETRICS };

static const struct {
	const char *name, *type, *help;
} metrics[NMETRICS] = {
	{ "anemone_peer_up", "gauge",
	    "1 if the peer passed the probe (see anemone-probe(8)), else 0." },
	{ "anemone_peer_last_handshake_timestamp_seconds", "gauge",
	    "Unix time of the latest handshake, 0 if never." },
	{ "anemone_peer_handshake_age_seconds", "gauge",
	    "Seconds since the latest handshake (absent if never)." },
	{ "anemone_peer_receive_bytes_total", "counter",
	    "Bytes received from the peer." },
	{ "anemone_peer_transmit_bytes_total", "counter",
	    "Bytes sent to the peer." },
	{ "anemone_peer_check_seconds", "gauge",
	    "Time the active check took to be answered (absent if not)." },
	{ "anemone_peer_relayed", "gauge",
	    "1 if the peer is reached through a relay (another peer), else 0." },
};

void
print_prom(FILE *f, const char *ifname, const struct row *rows, size_t n)
{
	size_t m, i;

	for (m = 0; m < NMETRICS; m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name,
		    metrics[m].help, metrics[m].name, metrics[m].type);
		for (i = 0; i < n; i++) {
			const struct row *r = &rows[i];

			if ((m == M_AGE && r->age < 0) ||
			    (m == M_RTT && !answered(r)))
				continue;
			fputs(metrics[m].name, f);
			labels(f, ifname, r);
			switch (m) {
			case M_UP:
				fprintf(f, " %d\n", r->up);
				break;
			case M_TS:
				fprintf(f, " %" PRId64 "\n",
				    r->peer->handshake_sec);
				break;
			case M_AGE:
				fprintf(f, " %" PRId64 "\n", r->age);
				break;
			case M_RX:
				fprintf(f, " %" PRIu64 "\n", r->peer->rx_bytes);
				break;
			case M_TX:
				fprintf(f, " %" PRIu64 "\n", r->peer->tx_bytes);
				break;
			case M_RELAYED:
				fprintf(f, " %d\n", r->via != NULL);
				break;
			default:
				fprintf(f, " %.6f\n", r->reach.rtt);
				break;
			}
		}
	}
}
