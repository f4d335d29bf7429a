/*
 * Keys: WireGuard/repository key text (44 characters of standard base64
 * with one '=' pad, 32 bytes), X25519 public keys, guarded secret memory,
 * and key files.
 */
#ifndef ANEMONE_KEYS_H
#define ANEMONE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN 32
#define KEY_B64_LEN 44		/* without the terminating NUL */

/*
 * Decode exactly KEY_B64_LEN characters of S (LEN must equal it) into KEY.
 * Strict: canonical base64 only (no spaces, the last character before '='
 * must leave no stray bits).  Returns 0, or -1 without touching lasterr:
 * the caller names the place.
 */
int key_from_base64(uint8_t key[KEY_LEN], const char *s, size_t len);

/*
 * Parse key text as read from a stream NAME (for messages, e.g. "stdin"):
 * exactly one line of 44 base64 characters, optionally ended by one
 * newline, nothing else.  BUF need not be NUL-terminated; LEN may be cut
 * short at KEY_TEXT_MAX bytes by the reader (any longer input is invalid
 * within its first 46 bytes).  On error sets lasterr to one line
 * "NAME:LINE:COL: problem" (or "NAME: empty input"), never quoting the
 * text, and returns -1.
 */
#define KEY_TEXT_MAX 64
int key_parse_text(uint8_t key[KEY_LEN], const char *buf, size_t len,
    const char *name);

/*
 * Read at most KEY_TEXT_MAX bytes from FD (until end of file) into
 * guarded memory and parse them with key_parse_text().  0 or -1 (lasterr).
 */
int key_read_fd(int fd, uint8_t key[KEY_LEN], const char *name);

/* Encode KEY as 44 characters plus NUL. */
void key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN]);

/* Clamp a random 32-byte string into a Curve25519 private key. */
void key_clamp(uint8_t key[KEY_LEN]);

/* PUB = X25519(PRIV, basepoint), as `wg pubkey` computes it. 0 or -1. */
int key_public(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN]);

/*
 * Guarded memory for secrets (libsodium: guard pages, mlock, wiped on
 * free).  secret_alloc() returns NULL with lasterr set.  secret_free()
 * takes NULL.
 */
void *secret_alloc(size_t n);
void secret_free(void *p);

/*
 * Read a key file: one key in base64, optionally followed by one newline,
 * nothing else.  KEY should be guarded memory.  Errors name PATH, never
 * the content: missing, unreadable, malformed, and, when STRICT_MODE is
 * set, a file that group or others may read.  Returns 0 or -1 (lasterr).
 */
int key_read_file(const char *path, uint8_t key[KEY_LEN], int strict_mode);

/* Initialise libsodium once (idempotent).  0 or -1 (lasterr). */
int crypto_ready(void);

#endif
