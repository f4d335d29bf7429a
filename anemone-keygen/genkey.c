/*
 * New random keys: a clamped WireGuard private key, a preshared key or a
 * backup repository key.  On stdout, warning like `wg genkey` when stdout
 * is a regular file that others could read; or, with -o, in a new file
 * made 0600 here (its WireGuard public key then goes to stdout).
 */
#include <err.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "io.h"
#include "keygen.h"
#include "keys.h"

#define TEXT_LEN (KEY_B64_LEN + 1)	/* base64 and a newline */

/* The key's text in guarded memory (TEXT_LEN bytes), or NULL (printed). */
static char *
key_text(const unsigned char *key)
{
	char *text;

	if ((text = secret_alloc(TEXT_LEN + 1)) == NULL) {
		warnx("%s", lasterr());
		return NULL;
	}
	key_to_base64(text, key);
	text[KEY_B64_LEN] = '\n';
	return text;
}

int
print_key(int fd, const char *name, const unsigned char *key)
{
	char *text;
	int rc = 0;

	if ((text = key_text(key)) == NULL)
		return -1;
	if (write_all(fd, text, TEXT_LEN) != 0) {
		warn("%s", name);
		rc = -1;
	}
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

/* KEY into the new file PATH; a WireGuard key's public key on stdout.
 * On any failure PATH is removed again. */
static int
save_key(const char *path, enum keytype type, const uint8_t *key)
{
	uint8_t pub[KEY_LEN];
	char *text;
	int fd, rc = -1;

	if ((text = key_text(key)) == NULL)
		return -1;
	if ((fd = key_file_create(path, 0600)) < 0)
		goto out;
	if (key_file_finish(fd, path, text, TEXT_LEN) != 0)
		goto gone;
	if (type == KEY_WG && key_public(pub, key) < 0) {
		warnx("%s", lasterr());
		goto gone;
	}
	if (type == KEY_WG && print_key(STDOUT_FILENO, "stdout", pub) < 0)
		goto gone;
	rc = 0;
	goto out;
gone:
	unlink(path);
out:
	secret_free(text);
	return rc;
}

int
genkey(enum keytype type, const char *path)
{
	uint8_t *key;
	int rc;

	if ((key = secret_alloc(KEY_LEN)) == NULL) {
		warnx("%s", lasterr());
		return 1;
	}
	if (path == NULL)
		warn_readable_stdout();
	randombytes_buf(key, KEY_LEN);
	if (type == KEY_WG)
		key_clamp(key);
	if (path != NULL)
		rc = save_key(path, type, key) == 0 ? 0 : 1;
	else
		rc = print_key(STDOUT_FILENO, "stdout", key) == 0 ? 0 : 1;
	secret_free(key);
	return rc;
}
