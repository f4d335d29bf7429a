#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"

int
crypto_ready(void)
{
	if (sodium_init() < 0)
		return fail("libsodium: initialisation failed");
	return 0;
}

int
key_from_base64(uint8_t key[KEY_LEN], const char *s, size_t len)
{
	size_t out = 0;
	const char *end = NULL;
	uint8_t tmp[KEY_LEN];
	char canon[KEY_B64_LEN + 1];

	if (len != KEY_B64_LEN || s[KEY_B64_LEN - 1] != '=' ||
	    memchr(s, '\0', len) != NULL)
		return -1;
	if (sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &out, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || out != KEY_LEN ||
	    end != s + len)
		goto bad;
	/* reject non-canonical text: stray bits in the last character */
	key_to_base64(canon, tmp);
	if (memcmp(canon, s, KEY_B64_LEN) != 0)
		goto bad;
	memcpy(key, tmp, KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	sodium_memzero(canon, sizeof(canon));
	return 0;
bad:
	sodium_memzero(tmp, sizeof(tmp));
	sodium_memzero(canon, sizeof(canon));
	return -1;
}

void
key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN])
{
	sodium_bin2base64(out, KEY_B64_LEN + 1, key, KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

void
key_clamp(uint8_t key[KEY_LEN])
{
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

int
key_public(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN])
{
	/* libsodium clamps the scalar itself, as wg pubkey does */
	if (crypto_scalarmult_curve25519_base(pub, priv) != 0)
		return fail("X25519 failed");
	return 0;
}

void *
secret_alloc(size_t n)
{
	void *p;

	if (crypto_ready() < 0)
		return NULL;
	if ((p = sodium_malloc(n)) == NULL) {
		fail_errno("guarded memory");
		return NULL;
	}
	sodium_memzero(p, n);
	return p;
}

void
secret_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

int
key_read_file(const char *path, uint8_t key[KEY_LEN], int strict_mode)
{
	char buf[KEY_B64_LEN + 3];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fail_errno("%s", path);
	if (fstat(fd, &st) != 0) {
		fail_errno("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail("%s: not a regular file", path);
		goto out;
	}
	if (strict_mode && (st.st_mode & 077)) {
		fail("%s: key file is readable by group or others "
		    "(mode %03o); run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_errno("%s", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == KEY_B64_LEN + 1 && buf[KEY_B64_LEN] == '\n')
		got--;
	if (got != KEY_B64_LEN || key_from_base64(key, buf, got) != 0) {
		fail("%s: not a key (want one line of 44 base64 characters)",
		    path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
