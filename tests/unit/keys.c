/*
 * lib/keys.c: base64 round trips, strict key text (every rejected form and
 * its message), clamping, X25519 against RFC 7748, key files and streams.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "keys.h"
#include "tap.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
hex(uint8_t out[KEY_LEN], const char *s)
{
	size_t n;

	if (sodium_hex2bin(out, KEY_LEN, s, strlen(s), NULL, &n, NULL) != 0 ||
	    n != KEY_LEN)
		abort();
}

static void
round_trips(void)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char text[KEY_B64_LEN + 1];
	int i, bad = 0;

	memset(key, 0, sizeof(key));
	key_to_base64(text, key);
	ok(strcmp(text, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") == 0,
	    "zero key encodes as 43 A and =");
	memset(key, 0xff, sizeof(key));
	key_to_base64(text, key);
	ok(strcmp(text, "//////////////////////////////////////////8=") == 0,
	    "all-ones key ends in 8=");
	for (i = 0; i < 1000; i++) {
		randombytes_buf(key, sizeof(key));
		key_to_base64(text, key);
		memset(back, 0, sizeof(back));
		if (strlen(text) != KEY_B64_LEN ||
		    key_from_base64(back, text, KEY_B64_LEN) != 0 ||
		    memcmp(key, back, KEY_LEN) != 0)
			bad++;
	}
	is_int(bad, 0, "1000 random keys: encode, decode, same bytes");
}

/* key_from_base64() of GOOD with the character at POS replaced by C */
static int
with(const char *good, size_t pos, char c)
{
	uint8_t key[KEY_LEN];
	char s[KEY_B64_LEN];

	memcpy(s, good, KEY_B64_LEN);
	s[pos] = c;
	return key_from_base64(key, s, KEY_B64_LEN);
}

static void
strict_base64(void)
{
	const char *good = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
	uint8_t key[KEY_LEN], keep[KEY_LEN];
	char s[KEY_B64_LEN + 2];
	int i, accepted = 0, wrong = 0;

	ok(key_from_base64(key, good, KEY_B64_LEN) == 0, "a good key");
	is_int(key_from_base64(key, good, KEY_B64_LEN - 1), -1, "length 43");
	snprintf(s, sizeof(s), "%sA", good);
	is_int(key_from_base64(key, s, KEY_B64_LEN + 1), -1, "length 45");
	is_int(with(good, KEY_B64_LEN - 1, 'A'), -1, "no '=' pad");
	is_int(with(good, 4, ' '), -1, "a space");
	is_int(with(good, 4, '\0'), -1, "a NUL byte");
	is_int(with(good, 4, '-'), -1, "URL-safe '-'");
	is_int(with(good, 42, '='), -1, "two '=' pads");

	/*
	 * The 43rd character carries 4 bits of the key and 2 stray bits:
	 * exactly the 16 characters whose stray bits are zero are accepted,
	 * and a rejected key leaves the output untouched.
	 */
	memset(keep, 0x5a, sizeof(keep));
	memcpy(s, good, KEY_B64_LEN);
	for (i = 0; i < 64; i++) {
		s[42] = b64chars[i];
		memcpy(key, keep, KEY_LEN);
		if (key_from_base64(key, s, KEY_B64_LEN) == 0) {
			accepted++;
			if (i % 4 != 0)
				wrong++;
		} else if (memcmp(key, keep, KEY_LEN) != 0)
			wrong++;
	}
	is_int(accepted, 16, "16 of 64 last characters are canonical");
	is_int(wrong, 0, "only those with zero stray bits; rejects write nothing");
}

static void
clamping(void)
{
	uint8_t key[KEY_LEN];

	memset(key, 0xff, sizeof(key));
	key_clamp(key);
	ok(key[0] == 0xf8 && key[31] == 0x7f && key[15] == 0xff,
	    "clamp all ones: 0xf8 ... 0x7f");
	memset(key, 0, sizeof(key));
	key_clamp(key);
	ok(key[0] == 0 && key[31] == 0x40, "clamp zero: bit 254 set");
}

/* RFC 7748: 6.1's key pairs and 5.2's first iteration are X25519(k, 9). */
static void
rfc7748_base(void)
{
	static const char *vec[][2] = {
		{ "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" },
		{ "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" },
		{ "0900000000000000000000000000000000000000000000000000000000000000",
		  "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079" },
	};
	uint8_t priv[KEY_LEN], want[KEY_LEN], pub[KEY_LEN];
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		hex(priv, vec[i][0]);
		hex(want, vec[i][1]);
		ok(key_public(pub, priv) == 0 && memcmp(pub, want, KEY_LEN) == 0,
		    "RFC 7748 base point vector %zu", i + 1);
	}
}

/*
 * RFC 7748 5.2 with other u-coordinates, and 1,000 iterations: libsodium's
 * X25519, which key_public() uses, and the shared secret of 6.1.
 */
static void
rfc7748_general(void)
{
	static const char *vec[][3] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
		{ "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	};
	uint8_t k[KEY_LEN], u[KEY_LEN], want[KEY_LEN], out[KEY_LEN];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		hex(k, vec[i][0]);
		hex(u, vec[i][1]);
		hex(want, vec[i][2]);
		ok(crypto_scalarmult(out, k, u) == 0 &&
		    memcmp(out, want, KEY_LEN) == 0, "RFC 7748 X25519 vector %zu",
		    i + 1);
	}
	memset(k, 0, KEY_LEN);
	k[0] = 9;
	memcpy(u, k, KEY_LEN);
	for (i = 0; i < 1000; i++) {
		rc |= crypto_scalarmult(out, k, u);
		memcpy(u, k, KEY_LEN);
		memcpy(k, out, KEY_LEN);
	}
	hex(want, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
	ok(rc == 0 && memcmp(k, want, KEY_LEN) == 0,
	    "RFC 7748 after 1,000 iterations");
}

static void
text_ok(const char *in, size_t len, const char *what)
{
	uint8_t key[KEY_LEN];

	ok(key_parse_text(key, in, len, "in") == 0, "text: %s", what);
}

static void
text_bad(const char *in, size_t len, const char *msg)
{
	uint8_t key[KEY_LEN];
	int rc = key_parse_text(key, in, len, "in");

	ok(rc == -1 && strcmp(lasterr(), msg) == 0, "text rejects: %s", msg);
	if (rc == 0 || strcmp(lasterr(), msg) != 0)
		printf("#   got: %s\n", rc == 0 ? "accepted" : lasterr());
}

#define K "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define S(lit) lit, sizeof(lit) - 1

static void
parse_text(void)
{
	char big[KEY_TEXT_MAX];
	uint8_t key[KEY_LEN], want[KEY_LEN];

	text_ok(S(K), "no newline");
	text_ok(S(K "\n"), "one newline");
	ok(key_parse_text(key, S(K "\n"), "in") == 0 &&
	    key_from_base64(want, K, KEY_B64_LEN) == 0 &&
	    memcmp(key, want, KEY_LEN) == 0, "text: the same bytes");
	text_bad("", 0, "in: empty input (want a 44-character base64 key)");
	text_bad(S("\n"), "in:1:1: empty line (want a 44-character base64 key)");
	text_bad(S("dwdt\n"), "in:1:5: key too short (4 characters, want 44)");
	text_bad(S(K "\n\n"), "in:2:1: trailing data after the key line");
	text_bad(S(K " "), "in:1:45: trailing characters after the key");
	text_bad(S(K "\r\n"), "in:1:45: trailing characters after the key");
	text_bad(S("dw\tt"), "in:1:3: white space inside the key");
	text_bad(S("dw=t"), "in:1:3: '=' before the end of the key");
	text_bad(S("dw\0t"), "in:1:3: NUL byte inside the key");
	text_bad(S("dw\xc3\xa9t"), "in:1:3: not a base64 character");
	text_bad(S("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoA"),
	    "in:1:44: want '=' (a key is 43 base64 characters and one '=')");
	text_bad(S("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoAA"),
	    "in:1:45: key too long (want 44 characters)");
	text_bad(S("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp="),
	    "in:1:43: not canonical base64 (stray bits in the last character)");
	/* what a reader passes when it stopped at KEY_TEXT_MAX bytes */
	memset(big, 'A', sizeof(big));
	text_bad(big, sizeof(big), "in:1:45: key too long (want 44 characters)");
	memcpy(big, K "\n", KEY_B64_LEN + 1);
	text_bad(big, sizeof(big), "in:2:1: trailing data after the key line");
}

static void
read_fd(void)
{
	int p[2];
	uint8_t key[KEY_LEN], want[KEY_LEN];
	char big[4096];
	ssize_t n;

	if (pipe(p) != 0)
		abort();
	n = write(p[1], K "\n", KEY_B64_LEN + 1);
	close(p[1]);
	ok(n == KEY_B64_LEN + 1 && key_read_fd(p[0], key, "pipe") == 0 &&
	    key_from_base64(want, K, KEY_B64_LEN) == 0 &&
	    memcmp(key, want, KEY_LEN) == 0, "key_read_fd: a key from a pipe");
	close(p[0]);

	/* more than fits in a pipe: the reader stops at KEY_TEXT_MAX bytes */
	if (pipe(p) != 0)
		abort();
	memset(big, 'A', sizeof(big));
	n = write(p[1], big, sizeof(big));
	ok(n == (ssize_t)sizeof(big) && key_read_fd(p[0], key, "pipe") == -1 &&
	    strcmp(lasterr(), "pipe:1:45: key too long (want 44 characters)")
	    == 0, "key_read_fd: stops early on a long line");
	close(p[0]);
	close(p[1]);

	ok(key_read_fd(-1, key, "stdin") == -1 &&
	    strcmp(lasterr(), "stdin: Bad file descriptor") == 0,
	    "key_read_fd: a read error names the stream");
}

static int
put(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) ||
	    fchmod(fd, mode) != 0)
		abort();
	return close(fd);
}

static void
key_files(void)
{
	char dir[] = "/tmp/anemone-keys.XXXXXX", path[64], link[64];
	char msg[512];
	uint8_t key[KEY_LEN], want[KEY_LEN];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/key", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	key_from_base64(want, K, KEY_B64_LEN);

	put(path, K "\n", 0600);
	ok(key_read_file(path, key, 1) == 0 && memcmp(key, want, KEY_LEN) == 0,
	    "key file 0600, strict");
	put(path, K, 0600);
	ok(key_read_file(path, key, 1) == 0, "key file without newline");
	put(path, K "\n", 0640);
	snprintf(msg, sizeof(msg), "%s: key file is readable by group or "
	    "others (mode 640); run chmod 600 %s", path, path);
	ok(key_read_file(path, key, 1) == -1 && strcmp(lasterr(), msg) == 0,
	    "strict: mode 640 refused");
	ok(key_read_file(path, key, 0) == 0, "not strict: mode 640 read");
	put(path, K "\n\n", 0600);
	snprintf(msg, sizeof(msg), "%s: not a key (want one line of 44 base64 "
	    "characters)", path);
	ok(key_read_file(path, key, 1) == -1 && strcmp(lasterr(), msg) == 0,
	    "a second line refused");
	if (symlink(path, link) != 0)
		abort();
	put(path, K "\n", 0600);
	snprintf(msg, sizeof(msg), "%s: is a symbolic link; refused for a "
	    "file that may hold a key (name the file itself)", link);
	ok(key_read_file(link, key, 1) == -1 && errno == ELOOP &&
	    strcmp(lasterr(), msg) == 0, "a symbolic link is not followed");
	snprintf(msg, sizeof(msg), "%s: not a regular file", dir);
	ok(key_read_file(dir, key, 0) == -1 && strcmp(lasterr(), msg) == 0,
	    "a directory refused");
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void
guarded(void)
{
	uint8_t *p = secret_alloc(KEY_LEN);
	size_t i;
	int zero = 1;

	for (i = 0; p != NULL && i < KEY_LEN; i++)
		zero &= p[i] == 0;
	ok(p != NULL && zero, "secret_alloc: zeroed guarded memory");
	secret_free(p);
	secret_free(NULL);
	ok(1, "secret_free(NULL) is harmless");
}

int
main(void)
{
	if (crypto_ready() < 0)
		return 1;
	round_trips();
	strict_base64();
	clamping();
	rfc7748_base();
	rfc7748_general();
	parse_text();
	read_fd();
	key_files();
	guarded();
	return done_testing();
}
