#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "io.h"
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
	if (sodium_memcmp(canon, s, KEY_B64_LEN) != 0)
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

static int
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* What is wrong with C, a character that is not base64; never quotes it. */
static const char *
badchar(char c)
{
	switch (c) {
	case ' ':
	case '\t':
	case '\r':
	case '\v':
	case '\f':
		return "white space inside the key";
	case '=':
		return "'=' before the end of the key";
	case '\0':
		return "NUL byte inside the key";
	default:
		return "not a base64 character";
	}
}

int
key_parse_text(uint8_t key[KEY_LEN], const char *buf, size_t len,
    const char *name)
{
	const char *nl;
	size_t i, line;

	if (len == 0)
		return fail("%s: empty input (want a 44-character base64 key)",
		    name);
	nl = memchr(buf, '\n', len);
	line = nl != NULL ? (size_t)(nl - buf) : len;
	for (i = 0; i < line && i < KEY_B64_LEN - 1; i++)
		if (!is_b64(buf[i]))
			return fail("%s:1:%zu: %s", name, i + 1,
			    badchar(buf[i]));
	if (line == 0)
		return fail("%s:1:1: empty line (want a 44-character base64 "
		    "key)", name);
	if (line < KEY_B64_LEN)
		return fail("%s:1:%zu: key too short (%zu characters, want 44)",
		    name, line + 1, line);
	if (buf[KEY_B64_LEN - 1] != '=' && !is_b64(buf[KEY_B64_LEN - 1]))
		return fail("%s:1:%d: %s", name, KEY_B64_LEN,
		    badchar(buf[KEY_B64_LEN - 1]));
	if (line > KEY_B64_LEN) {
		if (buf[KEY_B64_LEN - 1] != '=')
			return fail("%s:1:%d: key too long (want 44 "
			    "characters)", name, KEY_B64_LEN + 1);
		return fail("%s:1:%d: trailing characters after the key",
		    name, KEY_B64_LEN + 1);
	}
	if (buf[KEY_B64_LEN - 1] != '=')
		return fail("%s:1:%d: want '=' (a key is 43 base64 characters "
		    "and one '=')", name, KEY_B64_LEN);
	if (nl != NULL && len > line + 1)
		return fail("%s:2:1: trailing data after the key line", name);
	if (key_from_base64(key, buf, KEY_B64_LEN) != 0)
		return fail("%s:1:%d: not canonical base64 (stray bits in the "
		    "last character)", name, KEY_B64_LEN - 1);
	return 0;
}

/* Read from FD until end of file or MAX bytes; the count, or -1 (lasterr). */
static ssize_t
read_upto(int fd, char *buf, size_t max, const char *name)
{
	size_t got = 0;
	ssize_t n;

	while (got < max) {
		n = read(fd, buf + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno("%s", name);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
key_read_fd(int fd, uint8_t key[KEY_LEN], const char *name)
{
	char *buf;
	ssize_t n;
	int rc = -1;

	if ((buf = secret_alloc(KEY_TEXT_MAX)) == NULL)
		return -1;
	if ((n = read_upto(fd, buf, KEY_TEXT_MAX, name)) >= 0)
		rc = key_parse_text(key, buf, (size_t)n, name);
	secret_free(buf);
	return rc;
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

	if ((fd = open_nofollow(path, O_RDONLY, 0)) < 0)
		return -1;
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
	if ((n = read_upto(fd, buf, sizeof(buf), path)) < 0)
		goto out;
	got = (size_t)n;
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
