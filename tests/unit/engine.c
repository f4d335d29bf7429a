/*
 * Unit tests of the backup engine's pieces: chunker stability and bounds,
 * key separation, known answers.  The formats: tests/unit/format.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backup/chunker.h"
#include "error.h"
#include "backup/format.h"
#include "keys.h"
#include "tap.h"

#define BUF (6u << 20)

static size_t
cut_all(const struct chunker *c, const uint8_t *p, size_t n, size_t *cuts,
    size_t max)
{
	size_t k = 0, pos = 0, len;

	while (pos < n && k < max) {
		len = chunker_next(c, p + pos, n - pos, 1);
		pos += len;
		cuts[k++] = pos;
	}
	return k;
}

static void
test_chunker(void)
{
	static const uint8_t seed[32] = { 1, 2, 3 }, seed2[32] = { 9 };
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
	struct chunker c, c2;
	uint8_t *a = malloc(BUF + 100), *b = malloc(BUF + 100);
	size_t ca[400], cb[400], cc[400], na, nb, nc, i, j, same = 0, bad = 0;
	size_t sum = 0;

	/* compressible-ish pseudo-random data: keystream with runs */
	crypto_stream_chacha20(a, BUF, nonce, seed);
	for (i = 0; i < BUF; i += 4096)
		memset(a + i, 'x', 512);
	chunker_init(&c, seed);
	na = cut_all(&c, a, BUF, ca, 400);
	for (i = 0; i < na; i++) {
		size_t len = ca[i] - (i ? ca[i - 1] : 0);
		sum += len;
		if (len > CHUNK_MAX || (len < CHUNK_MIN && i != na - 1))
			bad++;
	}
	ok(bad == 0 && sum == BUF, "chunks within %u..%u bytes and cover the input",
	    CHUNK_MIN, CHUNK_MAX);
	ok(BUF / na > 48 * 1024 && BUF / na < 96 * 1024,
	    "average chunk near 64 KiB (%zu bytes over %zu chunks)", BUF / na, na);

	/* insert 100 bytes at the front: only the first chunk changes */
	memset(b, 'y', 100);
	memcpy(b + 100, a, BUF);
	nb = cut_all(&c, b, BUF + 100, cb, 400);
	for (i = 0, j = 0; i < na && j < nb;) {
		if (ca[i] + 100 == cb[j]) {
			same++;
			i++;
			j++;
		} else if (ca[i] + 100 < cb[j]) {
			i++;
		} else {
			j++;
		}
	}
	ok(same >= na - 2, "insertion at the front: %zu of %zu boundaries kept",
	    same, na);

	/* a different key cuts elsewhere */
	chunker_init(&c2, seed2);
	nc = cut_all(&c2, a, BUF, cc, 400);
	for (i = 0, j = 0, same = 0; i < na && j < nc;) {
		if (ca[i] == cc[j]) {
			same++;
			i++;
			j++;
		} else if (ca[i] < cc[j]) {
			i++;
		} else {
			j++;
		}
	}
	ok(same < na / 4, "another key shares %zu of %zu boundaries", same, na);
	ok(memcmp(c.gear, c2.gear, sizeof(c.gear)) != 0 &&
	    __builtin_popcountll(c.mask_s) == 18 &&
	    __builtin_popcountll(c.mask_l) == 14, "gear and masks keyed");

	/* known answer: the first boundaries for this seed and input */
	is_int(ca[0], 68978, "known answer: first cut");
	is_int(ca[1], 135966, "known answer: second cut");
	is_int(ca[2], 240144, "known answer: third cut");
	free(a);
	free(b);
}

static void
test_known_answers(void)
{
	static const char ctx[crypto_kdf_CONTEXTBYTES] = "anemone1";
	uint8_t master[32], k[32], id[32];
	char hex[65];

	/* the derivations docs/FORMAT.md names, for a fixed key */
	memset(master, 0x42, sizeof(master));
	crypto_kdf_derive_from_key(k, 32, 1, ctx, master);
	crypto_generichash(id, 32, (const uint8_t *)"anemone", 7, k, 32);
	hex_encode(hex, id, 32);
	ok(strcmp(hex, "30c120fae9aa9ed5acb6036f0e38d0284d617a3a08030a309773348820eefe9b") == 0,
	    "known answer: blob id of \"anemone\" under key 0x42..: %s", hex);
}

int
main(void)
{
	if (crypto_ready() < 0)
		return 1;
	test_chunker();
	test_known_answers();
	return done_testing();
}
