/*
 * -t ssh -f FILE: a new OpenSSH ed25519 key pair made by libssh, for
 * logging in to a friend's SFTP server.  FILE (0600) and FILE.pub are
 * created with O_EXCL: an existing file is never overwritten, and on any
 * failure neither file is left behind.  The public key line is also
 * printed on stdout, ready for the friend's authorized_keys.
 *
 * libssh holds the key in its own memory; the exported private text is
 * wiped before it is freed.
 */
#include <err.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <sodium.h>

#include "io.h"
#include "keygen.h"

/* "user@host", as ssh-keygen writes by default; NULL on failure. */
static char *
default_comment(void)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256], *s;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (asprintf(&s, "%s@%s", pw != NULL ? pw->pw_name : "anemone",
	    host) < 0)
		return NULL;
	return s;
}

int
sshkey(const char *path, const char *comment)
{
	ssh_key key = NULL;
	char *priv = NULL, *pub = NULL, *line = NULL, *pubpath = NULL;
	char *defcomment = NULL;
	int fd = -1, pubfd = -1, made = 0, rc = 1;

	if (comment != NULL && strpbrk(comment, "\n\r") != NULL) {
		warnx("comment: must be one line");
		return 1;
	}
	if (comment == NULL && (comment = defcomment = default_comment()) ==
	    NULL) {
		warn("comment");
		return 1;
	}
	if (asprintf(&pubpath, "%s.pub", path) < 0) {
		pubpath = NULL;
		warn("%s.pub", path);
		goto out;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) !=
	    SSH_OK || ssh_pki_export_pubkey_base64(key, &pub) != SSH_OK) {
		warnx("libssh: cannot make an ed25519 key");
		goto out;
	}
	if (asprintf(&line, "ssh-ed25519 %s %s\n", pub, comment) < 0) {
		line = NULL;
		warn("%s", pubpath);
		goto out;
	}
	if ((fd = key_file_create(path, 0600)) < 0)
		goto out;
	made = 1;
	if ((pubfd = key_file_create(pubpath, 0644)) < 0)
		goto out;
	made = 2;
	if (key_file_finish(fd, path, priv, strlen(priv)) != 0)
		goto out;
	fd = -1;
	if (key_file_finish(pubfd, pubpath, line, strlen(line)) != 0)
		goto out;
	pubfd = -1;
	if (write_all(STDOUT_FILENO, line, strlen(line)) != 0) {
		warn("stdout");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (pubfd >= 0)
		close(pubfd);
	if (rc != 0 && made >= 1)
		unlink(path);
	if (rc != 0 && made >= 2)
		unlink(pubpath);
	if (priv != NULL) {
		sodium_memzero(priv, strlen(priv));
		ssh_string_free_char(priv);
	}
	ssh_string_free_char(pub);
	ssh_key_free(key);
	free(line);
	free(pubpath);
	free(defcomment);
	return rc;
}
