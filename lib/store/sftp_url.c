#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hex.h"
#include "store/sftp_url.h"

#define URL_MAX 4096

static int
bad(const char *url, size_t col, const char *what)
{
	/* URLs reach here from argv: quote at most the first 200 bytes */
	return fail("%.200s%s: column %zu: %s", url,
	    strlen(url) > 200 ? "..." : "", col + 1, what);
}

/*
 * Decode S[0..n) with %XX escapes into a new string.  Refuses control
 * characters (decoded or not), '/' and ':' in a user name and a
 * decoded '/' in a path.
 */
static char *
decode(const char *url, const char *s, size_t n, int is_user)
{
	char *out, *o;
	size_t i;

	if ((o = out = malloc(n + 1)) == NULL) {
		fail_errno("%.200s", url);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t at = i;

		if (c == '%') {
			int h, l;

			if (i + 2 >= n || (h = hex_digit(s[i + 1])) < 0 || (l = hex_digit(s[i + 2])) < 0) {
				bad(url, (size_t)(s + i - url), "'%' needs two hex digits");
				goto err;
			}
			c = (unsigned char)(h << 4 | l);
			i += 2;
			if (c == '/' && !is_user) {
				bad(url, (size_t)(s + at - url), "'%2F' in a path");
				goto err;
			}
		}
		if (c < 0x20 || c == 0x7f) {
			bad(url, (size_t)(s + at - url), "control character");
			goto err;
		}
		if (is_user && (c == '/' || c == ':')) {
			bad(url, (size_t)(s + at - url), "bad character in user name");
			goto err;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
err:
	free(out);
	return NULL;
}

static int
host_ok(const char *h, size_t n, int v6)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = h[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    (c == '_' && !v6) || (v6 && c == ':'))
			continue;
		return 0;
	}
	return n > 0 && n < 256 && h[0] != '-';
}

/* Check the decoded path's components: no "", ".", "..". */
static int
path_ok(const char *p)
{
	const char *c = p, *e;

	while (*c) {
		e = strchr(c, '/');
		if (e == NULL)
			e = c + strlen(c);
		if (e == c || (e - c == 1 && c[0] == '.') ||
		    (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c = *e ? e + 1 : e;
	}
	return 1;
}

/* The user: up to the last '@' before the path (SLASH).  *P moves past it. */
static int
parse_user(const char *url, const char **p, const char *slash, struct sftp_url *u)
{
	const char *at = NULL, *q;

	for (q = *p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at == NULL)
		return 0;
	if (at == *p)
		return bad(url, (size_t)(*p - url), "empty user name");
	if ((u->user = decode(url, *p, (size_t)(at - *p), 1)) == NULL)
		return -1;
	if (u->user[0] == '-' || u->user[0] == '\0')
		return bad(url, (size_t)(*p - url), "bad user name");
	*p = at + 1;
	return 0;
}

/* The host, a name or a bracketed IPv6 address.  *P moves past it. */
static int
parse_host(const char *url, const char **p, const char *slash, struct sftp_url *u)
{
	const char *hs, *he, *q;

	if (**p == '[') {
		hs = *p + 1;
		he = memchr(hs, ']', (size_t)(slash - hs));
		if (he == NULL)
			return bad(url, (size_t)(*p - url), "'[' without ']'");
		if (!host_ok(hs, (size_t)(he - hs), 1) || memchr(hs, ':', (size_t)(he - hs)) == NULL)
			return bad(url, (size_t)(hs - url), "bad IPv6 address");
		q = he + 1;
	} else {
		hs = *p;
		for (he = *p; he < slash && *he != ':'; he++)
			;
		if (he == hs)
			return bad(url, (size_t)(hs - url), "empty host");
		if (!host_ok(hs, (size_t)(he - hs), 0))
			return bad(url, (size_t)(hs - url), "bad host name");
		q = he;
	}
	if ((u->host = strndup(hs, (size_t)(he - hs))) == NULL)
		return fail_errno("%.200s", url);
	*p = q;
	return 0;
}

/* ":port" from Q up to SLASH, or nothing: 22. */
static int
parse_port(const char *url, const char *q, const char *slash, struct sftp_url *u)
{
	long port = 0;
	const char *d;

	u->port = 22;
	if (q == slash)
		return 0;
	if (*q != ':')
		return bad(url, (size_t)(q - url), "expected ':port' or '/'");
	if (q + 1 == slash)
		return bad(url, (size_t)(q + 1 - url), "empty port");
	for (d = q + 1; d < slash; d++) {
		if (*d < '0' || *d > '9' || port > 65535)
			return bad(url, (size_t)(q + 1 - url), "port must be 1..65535");
		port = port * 10 + (*d - '0');
	}
	if (port < 1 || port > 65535)
		return bad(url, (size_t)(q + 1 - url), "port must be 1..65535");
	u->port = (int)port;
	return 0;
}

/* The path from P (its leading '/'): "/~" or "/~/rel" is relative to the
 * login directory. */
static int
parse_path(const char *url, const char *p, struct sftp_url *u)
{
	size_t plen;
	int rel = 0;

	if (p[1] == '~' && (p[2] == '\0' || p[2] == '/')) {
		rel = 1;
		p += 2;
		while (*p == '/' && p[1] == '\0')
			p++;
		if (*p == '/')
			p++;
	}
	plen = strlen(p);
	while (plen > 1 && p[plen - 1] == '/')
		plen--;
	if (rel && plen == 0) {
		if ((u->path = strdup(".")) == NULL)
			return fail_errno("%.200s", url);
		return 0;
	}
	if ((u->path = decode(url, p, plen, 0)) == NULL)
		return -1;
	if (strcmp(u->path, "/") != 0 && !path_ok(u->path + !rel))
		return bad(url, (size_t)(p - url), "empty, '.' or '..' path component");
	return 0;
}

int
sftp_url_parse(const char *url, struct sftp_url *u)
{
	const char *p, *slash;
	size_t len = strlen(url);

	memset(u, 0, sizeof(*u));
	if (len > URL_MAX)
		return fail("%.200s...: URL longer than %d bytes", url, URL_MAX);
	if (strncmp(url, "sftp://", 7) != 0)
		return bad(url, 0, "expected sftp://[user@]host[:port]/path");
	p = url + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		return bad(url, len, "missing /path after the host");
	if (parse_user(url, &p, slash, u) < 0 || parse_host(url, &p, slash, u) < 0 ||
	    parse_port(url, p, slash, u) < 0 || parse_path(url, slash, u) < 0) {
		sftp_url_free(u);
		return -1;
	}
	return 0;
}

void
sftp_url_free(struct sftp_url *u)
{
	free(u->user);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}
