/*
 * sftp:// locations: sftp://[user@]host[:port]/path
 *
 *   host	a name, an IPv4 address or an IPv6 address in brackets
 *   port	1..65535, default 22
 *   path	"/abs/dir" is absolute on the server; "/~/dir" is relative to
 *		the login (or chroot) directory.  %XX escapes are decoded in
 *		user and path.  Trailing slashes are dropped; "//", "." and
 *		".." components are refused.
 */
#ifndef ANEMONE_SFTP_URL_H
#define ANEMONE_SFTP_URL_H

struct sftp_url {
	char *user;		/* NULL when absent */
	char *host;		/* without brackets */
	int port;
	char *path;		/* "/abs", "/" or "rel" (from "/~/rel"), or "." */
};

/*
 * Parse URL into U (all strings malloc'd).  On error: -1, lasterr() is
 * "URL: column N: what", U is left empty.
 */
int sftp_url_parse(const char *url, struct sftp_url *u);
void sftp_url_free(struct sftp_url *u);

#endif
