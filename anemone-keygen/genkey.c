/*
 * New random keys on stdout: a clamped WireGuard private key, a preshared
 * key or a backup repository key.  Like `wg genkey`, warn when stdout is
 * a regular file that others could read.
 */
#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "keygen.h"
#include "keys.h"

int
print_key(const unsigned char *key)
{
	char *text;
	size_t off = 0, len = KEY_B64_LEN + 1;
	ssize_t n;
	int rc = -1;

	if ((text = secret_alloc(len + 1)) == NULL) {
		warnx("%s", lasterr());
		return -1;
	}
	key_to_base64(text, key);
	text[KEY_B64_LEN] = '\n';
	while (off < len) {
		n = write(STDOUT_FILENO, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("stdout");
			goto out;
		}
		off += (size_t)n;
	}
	rc = 0;
out:
	secret_free(text);
	return rc;
}

static void
warn_readable_stdout(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0)
		warnx("warning: writing a secret key to a file that group or "
		    "others can read (mode %03o); consider umask 077",
		    (unsigned)(st.st_mode & 0777));
}

int
genkey(enum keytype type)
{
	uint8_t *key;
	int rc;

	if ((key = secret_alloc(KEY_LEN)) == NULL) {
		warnx("%s", lasterr());
		return 1;
	}
	warn_readable_stdout();
	randombytes_buf(key, KEY_LEN);
	if (type == KEY_WG)
		key_clamp(key);
	rc = print_key(key) == 0 ? 0 : 1;
	secret_free(key);
	return rc;
}
