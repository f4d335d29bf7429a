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

int
sftp_url_parse(const char *url, struct sftp_url *u)
{
	const char *p, *at, *hs, *he, *slash, *q;
	size_t len = strlen(url), plen;
	int rel = 0;

	memset(u, 0, sizeof(*u));
	if (len > URL_MAX)
		return fail("%.200s...: URL longer than %d bytes", url, URL_MAX);
	if (strncmp(url, "sftp://", 7) != 0)
		return bad(url, 0, "expected sftp://[user@]host[:port]/path");
	p = url + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		return bad(url, len, "missing /path after the host");

	/* user: up to the last '@' before the path */
	at = NULL;
	for (q = p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		if (at == p)
			return bad(url, (size_t)(p - url), "empty user name");
		if ((u->user = decode(url, p, (size_t)(at - p), 1)) == NULL)
			return -1;
		if (u->user[0] == '-' || u->user[0] == '\0') {
			bad(url, (size_t)(p - url), "bad user name");
			goto err;
		}
		p = at + 1;
	}

	/* host */
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(slash - hs));
		if (he == NULL) {
			bad(url, (size_t)(p - url), "'[' without ']'");
			goto err;
		}
		if (!host_ok(hs, (size_t)(he - hs), 1) || memchr(hs, ':', (size_t)(he - hs)) == NULL) {
			bad(url, (size_t)(hs - url), "bad IPv6 address");
			goto err;
		}
		q = he + 1;
	} else {
		hs = p;
		for (he = p; he < slash && *he != ':'; he++)
			;
		if (he == hs) {
			bad(url, (size_t)(hs - url), "empty host");
			goto err;
		}
		if (!host_ok(hs, (size_t)(he - hs), 0)) {
			bad(url, (size_t)(hs - url), "bad host name");
			goto err;
		}
		q = he;
	}
	if ((u->host = strndup(hs, (size_t)(he - hs))) == NULL) {
		fail_errno("%.200s", url);
		goto err;
	}

	/* port */
	u->port = 22;
	if (q < slash) {
		long port = 0;
		const char *d;

		if (*q != ':') {
			bad(url, (size_t)(q - url), "expected ':port' or '/'");
			goto err;
		}
		if (q + 1 == slash) {
			bad(url, (size_t)(q + 1 - url), "empty port");
			goto err;
		}
		for (d = q + 1; d < slash; d++) {
			if (*d < '0' || *d > '9' || port > 65535) {
				bad(url, (size_t)(q + 1 - url), "port must be 1..65535");
				goto err;
			}
			port = port * 10 + (*d - '0');
		}
		if (port < 1 || port > 65535) {
			bad(url, (size_t)(q + 1 - url), "port must be 1..65535");
			goto err;
		}
		u->port = (int)port;
	}

	/* path: "/~" or "/~/rel" is relative to the login directory */
	p = slash;
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
		u->path = strdup(".");
		if (u->path == NULL) {
			fail_errno("%.200s", url);
			goto err;
		}
		return 0;
	}
	if ((u->path = decode(url, p, plen, 0)) == NULL)
		goto err;
	if (strcmp(u->path, "/") != 0 && !path_ok(u->path + !rel)) {
		bad(url, (size_t)(p - url), "empty, '.' or '..' path component");
		goto err;
	}
	return 0;
err:
	sftp_url_free(u);
	return -1;
}

void
sftp_url_free(struct sftp_url *u)
{
	free(u->user);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}
