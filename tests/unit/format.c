/*
 * Round trips of every stored format (lib/backup/format_*.c): what is
 * encoded decodes to the same values, and every truncation of it is
 * rejected.  The associated data helper gives the documented bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "backup/chunker.h"
#include "backup/format.h"
#include "error.h"
#include "tap.h"

/* Count the proper prefixes of B (N bytes) that DEC accepts. */
#define PREFIXES_ACCEPTED(b, n, dec_call) __extension__ ({ \
	size_t k_, acc_ = 0; \
	for (k_ = 0; k_ < (n); k_++) { \
		uint8_t *t_ = malloc(k_ + 1); \
		memcpy(t_, (b), k_); \
		acc_ += (dec_call) == 0; \
		free(t_); \
	} \
	acc_; })

static void
test_config(void)
{
	struct repo_config c, d;
	uint8_t b[CONFIG_LEN];
	char want[32];
	size_t acc;

	memset(&c, 0, sizeof(c));
	c.version = REPO_VERSION;
	memset(c.repo_id, 0x11, REPO_ID_LEN);
	memset(c.check, 0x22, sizeof(c.check));
	fmt_config_enc(b, &c);
	ok(memcmp(b, "ANEMREPO", 8) == 0, "config starts with its magic");
	ok(fmt_config_dec(b, sizeof(b), &d) == 0 &&
	    memcmp(&c, &d, sizeof(c)) == 0, "config round trip");
	acc = PREFIXES_ACCEPTED(b, sizeof(b), fmt_config_dec(t_, k_, &d));
	is_int(acc, 0, "config: every truncation rejected");
	b[8] = REPO_VERSION + 1;
	snprintf(want, sizeof(want), "version %d ", REPO_VERSION + 1);
	ok(fmt_config_dec(b, sizeof(b), &d) < 0 &&
	    strstr(lasterr(), want) != NULL,
	    "future version named: %s", lasterr());
}

/* Three entries: a compressed segment of two data blobs, a list blob. */
static void
make_entries(struct blob_entry e[3])
{
	int i;

	memset(e, 0, 3 * sizeof(*e));
	for (i = 0; i < 3; i++)
		memset(e[i].id, 0x30 + i, BLOB_ID_LEN);
	e[0].kind = e[1].kind = KIND_DATA;
	e[0].flags = e[1].flags = FLAG_ZSTD;
	e[0].raw_len = 70000;
	e[1].raw_len = 20000;
	e[0].first = 1;
	e[0].seg_sealed = e[1].seg_sealed = 50000;
	e[1].member_off = 70000;
	e[0].seg_raw = e[1].seg_raw = 90000;
	e[2].kind = KIND_LIST;
	e[2].raw_len = 4 + LISTENT_LEN;
	e[2].first = 1;
	e[2].seg_off = 50000;
	e[2].seg_sealed = 4 + LISTENT_LEN + SEAL_OVERHEAD;
	e[2].seg_raw = e[2].raw_len;
}

/* Field by field: decoded structures have padding of their own. */
static int
entry_eq(const struct blob_entry *a, const struct blob_entry *b)
{
	return memcmp(a->id, b->id, BLOB_ID_LEN) == 0 && a->kind == b->kind &&
	    a->flags == b->flags && a->first == b->first &&
	    a->raw_len == b->raw_len && a->seg_off == b->seg_off &&
	    a->seg_sealed == b->seg_sealed && a->seg_raw == b->seg_raw &&
	    a->member_off == b->member_off;
}

#define AREA	(50000 + 4 + LISTENT_LEN + SEAL_OVERHEAD)

static void
test_entries(void)
{
	struct blob_entry e[3], f[3];
	uint8_t ent[3 * ENTRY_LEN];
	uint64_t end;
	int i;

	/* one compressed segment of two blobs, then a list segment */
	memset(e, 0, sizeof(e));
	for (i = 0; i < 3; i++)
		memset(e[i].id, i + 1, BLOB_ID_LEN);
	e[0].kind = e[1].kind = KIND_DATA;
	e[0].flags = e[1].flags = FLAG_ZSTD;
	e[0].raw_len = 70000;
	e[1].raw_len = 20000;
	e[0].first = 1;
	e[0].seg_sealed = 50000;
	e[2].kind = KIND_LIST;
	e[2].raw_len = 4 + LISTENT_LEN;
	e[2].first = 1;
	e[2].seg_sealed = 4 + LISTENT_LEN + SEAL_OVERHEAD;
	for (i = 0; i < 3; i++)
		fmt_entry_enc(ent + i * ENTRY_LEN, &e[i]);
	ok(fmt_entries_dec(ent, 3, f, 0, &end) == 0 &&
	    end == 50000 + e[2].seg_sealed && f[1].member_off == 70000 &&
	    f[1].seg_raw == 90000 && f[1].seg_off == 0 && f[2].seg_off == 50000,
	    "entries round trip with segment offsets");
	i = fmt_entries_dec(ent, 3, f, end + 1, &end);
	ok(i < 0, "entries must fill the blob area: %s", lasterr());
	ent[ENTRY_LEN + 1] = 0;	/* second blob's flags differ from its segment */
	i = fmt_entries_dec(ent, 3, f, 0, &end);
	ok(i < 0, "mixed segment rejected: %s", lasterr());
}

static void
test_pack(void)
{
	struct blob_entry e[3], *v = NULL;
	uint8_t h[PACK_HEADER_LEN(3)], tr[PACK_TRAILER];
	uint64_t off;
	uint32_t len;
	size_t n, acc;

	make_entries(e);
	is_int(fmt_pack_header_enc(h, e, 3), sizeof(h), "pack header length");
	ok(fmt_pack_header_dec(h, sizeof(h), AREA, &v, &n) == 0 && n == 3 &&
	    entry_eq(&v[0], &e[0]) && entry_eq(&v[1], &e[1]) &&
	    entry_eq(&v[2], &e[2]), "pack header round trip, offsets "
	    "filled in");
	free(v);
	acc = PREFIXES_ACCEPTED(h, sizeof(h),
	    (fmt_pack_header_dec(t_, k_, AREA, &v, &n) == 0 ? (free(v), 0) : -1));
	is_int(acc, 0, "pack header: every truncation rejected");

	fmt_pack_trailer_enc(tr, 1234);
	ok(fmt_pack_trailer_dec(tr, 1234 + PACK_TRAILER + 99, &len, &off) == 0 &&
	    len == 1234 && off == 99, "pack trailer round trip");
	ok(fmt_pack_trailer_dec(tr, 1234 + PACK_TRAILER - 1, &len, &off) < 0,
	    "pack trailer: a pack too short for its header rejected: %s",
	    lasterr());
	tr[7] ^= 1;
	ok(fmt_pack_trailer_dec(tr, 1 << 20, &len, &off) < 0,
	    "pack trailer: bad magic rejected");
}

struct seen {
	size_t n;
	int bad;
	const struct blob_entry *want;
	const uint8_t *packs[2];
};

static int
index_cb_check(void *arg, const uint8_t pack[PACK_NAME_LEN],
    const struct blob_entry *e)
{
	struct seen *s = arg;
	size_t i = s->n++;

	if (i >= 6 || memcmp(pack, s->packs[i / 3], PACK_NAME_LEN) != 0 ||
	    !entry_eq(e, &s->want[i % 3]))
		s->bad = 1;
	return 0;
}

static int
index_cb_count(void *arg, const uint8_t pack[PACK_NAME_LEN],
    const struct blob_entry *e)
{
	(void)pack;
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

static int
index_dec_count(const uint8_t *b, size_t n)
{
	size_t seen = 0;

	return fmt_index_dec(b, n, index_cb_count, &seen);
}

static void
test_index(void)
{
	struct blob_entry e[3];
	uint8_t p1[PACK_NAME_LEN], p2[PACK_NAME_LEN];
	uint8_t b[INDEX_HEAD_LEN + 2 * INDEX_PACK_LEN(3)];
	struct seen s = { 0 };
	size_t len = INDEX_HEAD_LEN, acc;

	make_entries(e);
	memset(p1, 0xa1, sizeof(p1));
	memset(p2, 0xb2, sizeof(p2));
	fmt_index_head_enc(b, 2);
	len += fmt_index_pack_enc(b + len, p1, e, 3);
	len += fmt_index_pack_enc(b + len, p2, e, 3);
	is_int(len, sizeof(b), "index length");
	s.want = e;
	s.packs[0] = p1;
	s.packs[1] = p2;
	ok(fmt_index_dec(b, len, index_cb_check, &s) == 0 && s.n == 6 && !s.bad,
	    "index round trip: two packs of three entries");
	acc = PREFIXES_ACCEPTED(b, len, index_dec_count(t_, k_));
	is_int(acc, 0, "index: every truncation rejected");
}

static void
test_list(void)
{
	uint8_t *l = malloc(LIST_MAX_RAW), id[3][BLOB_ID_LEN];
	const uint8_t *got;
	uint32_t i, cnt, len, bad = 0;
	size_t n, acc;

	for (i = 0; i < 3; i++) {
		memset(id[i], 0x40 + i, BLOB_ID_LEN);
		fmt_list_entry_enc(l, i, id[i], 1000 + i);
	}
	n = fmt_list_head_enc(l, 3);
	is_int(n, LIST_LEN(3), "list length");
	ok(fmt_list_dec(l, n, &cnt) == 0 && cnt == 3, "list decodes: 3 entries");
	for (i = 0; i < 3; i++) {
		fmt_list_entry_dec(l, i, &got, &len);
		bad += memcmp(got, id[i], BLOB_ID_LEN) != 0 || len != 1000 + i;
	}
	is_int(bad, 0, "list round trip");
	acc = PREFIXES_ACCEPTED(l, n, fmt_list_dec(t_, k_, &cnt));
	is_int(acc, 0, "list: every truncation rejected");
	fmt_list_entry_enc(l, 1, id[1], CHUNK_MAX + 1);
	ok(fmt_list_dec(l, n, &cnt) < 0, "list: a chunk over CHUNK_MAX "
	    "rejected: %s", lasterr());
	free(l);
}

static int
snap_dec_free(const uint8_t *b, size_t n)
{
	struct snapshot s;
	int rc = fmt_snap_body_dec(b, n, &s);

	if (rc == 0)
		snapshot_free(&s);
	return rc;
}

static void
test_snapshot(void)
{
	struct snap_head h, g;
	struct snapshot s, t;
	struct list_ref lr[2];
	uint8_t rec[SNAP_HEAD_LEN + SEAL_OVERHEAD], *body;
	size_t n, acc;

	memset(rec, 0, sizeof(rec));
	memset(h.repo_id, 0x51, REPO_ID_LEN);
	memset(h.snap_id, 0x52, SNAP_ID_LEN);
	fmt_snap_head_enc(rec, &h);
	ok(fmt_snap_head_dec(rec, sizeof(rec), &g) == 0 &&
	    memcmp(&g, &h, sizeof(h)) == 0, "snapshot head round trip");
	acc = PREFIXES_ACCEPTED(rec, sizeof(rec), fmt_snap_head_dec(t_, k_, &g));
	is_int(acc, 0, "snapshot head: every truncation rejected");

	memset(&s, 0, sizeof(s));
	s.time_ns = 1700000000123456789ull;
	s.size = 123456;
	s.chunks = 3;
	strcpy(s.name, "host.example-2");
	memset(lr, 0xcd, sizeof(lr));
	lr[0].raw_len = LIST_LEN(2);
	lr[1].raw_len = LIST_LEN(1);
	s.nlists = 2;
	s.lists = lr;
	ok(fmt_snap_body_enc(&s, &body, &n) == 0, "snapshot body encoded");
	ok(fmt_snap_body_dec(body, n, &t) == 0 && t.time_ns == s.time_ns &&
	    t.size == s.size && t.chunks == s.chunks &&
	    strcmp(t.name, s.name) == 0 && t.nlists == 2 &&
	    memcmp(t.lists, lr, sizeof(lr)) == 0, "snapshot body round trip");
	snapshot_free(&t);
	acc = PREFIXES_ACCEPTED(body, n, snap_dec_free(t_, k_));
	is_int(acc, 0, "snapshot body: every truncation rejected");
	body[24] = 0;
	ok(fmt_snap_body_dec(body, n, &t) < 0, "empty name rejected");
	free(body);
	ok(fmt_snap_name_valid("a-b_c.9") && !fmt_snap_name_valid(".hidden") &&
	    !fmt_snap_name_valid("") && !fmt_snap_name_valid("a/b"),
	    "snapshot names: the documented rule");
}

static void
test_ad(void)
{
	uint8_t ad[AD_MAX], want[AD_MAX], repo[REPO_ID_LEN], pack[PACK_NAME_LEN];

	memset(repo, 0x61, sizeof(repo));
	memset(pack, 0x62, sizeof(pack));
	is_int(fmt_ad(ad, AD_INDEX, repo, pack, PACK_NAME_LEN),
	    1 + REPO_ID_LEN + PACK_NAME_LEN, "AD length: kind, repo id, name");
	ok(ad[0] == 'I' && memcmp(ad + 1, repo, REPO_ID_LEN) == 0 &&
	    memcmp(ad + 1 + REPO_ID_LEN, pack, PACK_NAME_LEN) == 0,
	    "AD bytes: kind || repo id || name");
	fmt_seg_ad(ad, repo, pack, 0x01020304, FLAG_ZSTD, 0x0a0b0c0d);
	want[0] = 'D';
	memcpy(want + 1, repo, REPO_ID_LEN);
	memcpy(want + 1 + REPO_ID_LEN, pack, PACK_NAME_LEN);
	memcpy(want + 1 + REPO_ID_LEN + PACK_NAME_LEN,
	    "\x04\x03\x02\x01\x01\x0d\x0c\x0b\x0a", 9);
	is_mem(ad, want, SEG_AD_LEN, "segment AD: 'D' || repo id || pack || "
	    "offset || flags || raw, little-endian");
}

int
main(void)
{
	test_config();
	test_entries();
	test_pack();
	test_index();
	test_list();
	test_snapshot();
	test_ad();
	return done_testing();
}
