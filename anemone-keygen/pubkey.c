/*
 * -p: one private key on stdin (at most KEY_TEXT_MAX bytes are read),
 * its public key on stdout.
 */
#include <err.h>
#include <stdint.h>
#include <unistd.h>

#include "error.h"
#include "keygen.h"
#include "keys.h"

int
pubkey(void)
{
	uint8_t *priv, pub[KEY_LEN];
	int rc = 1;

	if ((priv = secret_alloc(KEY_LEN)) == NULL) {
		warnx("%s", lasterr());
		return 1;
	}
	if (key_read_fd(STDIN_FILENO, priv, "stdin") < 0 ||
	    key_public(pub, priv) < 0) {
		warnx("%s", lasterr());
		goto out;
	}
	rc = print_key(STDOUT_FILENO, "stdout", pub) == 0 ? 0 : 1;
out:
	secret_free(priv);
	return rc;
}
