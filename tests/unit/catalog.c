/*
 * Unit tests of catalogues: encoding round trip with implicit offsets,
 * rejections, path selection (prefixes, globs, leading ./ and /), diff.
 */
#include <stdlib.h>
#include <string.h>

#include "backup/catalog.h"
#include "backup/members.h"
#include "error.h"
#include "tap.h"

static void
add(struct cat_buf *b, const char *path, uint8_t type, uint64_t span,
    uint64_t size, uint8_t h)
{
	struct cat_entry e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.mode = 0644;
	e.size = size;
	e.hdr_len = 512;
	e.span = span;
	e.hash[0] = h;
	e.path = (const uint8_t *)path;
	e.path_len = (uint32_t)strlen(path);
	if (type == CT_SYMLINK) {
		e.link = (const uint8_t *)"target";
		e.link_len = 6;
	}
	if (cat_append(b, &e) < 0)
		abort();
}

static void
build(struct catalog *c, int changed)
{
	struct cat_buf b;

	if (cat_begin(&b, 1024) < 0)
		abort();
	add(&b, "./", CT_DIR, 512, 0, 0);
	add(&b, "./dir/", CT_DIR, 512, 0, 0);
	add(&b, "./dir/a.txt", CT_FILE, 1024, 6, changed ? 2 : 1);
	add(&b, "./dir/sub/b.txt", CT_FILE, 1024, 7, 3);
	add(&b, "./dir/link", CT_SYMLINK, 512, 0, 0);
	if (!changed)
		add(&b, "./gone", CT_FILE, 1024, 1, 4);
	else
		add(&b, "./new", CT_FILE, 1024, 1, 5);
	if (catalog_index(c, b.p, b.len) < 0)
		abort();
}

static int
count(struct catalog *c, const char *pat)
{
	char *pats[1] = { (char *)pat };
	struct member_sel s;
	size_t i;
	int n = 0;

	if (sel_init(&s, pats, 1) < 0)
		abort();
	for (i = 0; i < c->n; i++)
		n += sel_match(&s, &c->v[i]);
	sel_free(&s);
	return n;
}

static int ndiff, nch;

static int
diff_count(void *arg, const struct cat_entry *a, const struct cat_entry *b,
    unsigned ch)
{
	(void)arg;
	if (a == NULL || b == NULL)
		ndiff++;
	else if (ch)
		nch++;
	return 0;
}

int
main(void)
{
	struct catalog c, d;
	struct cat_buf b;
	struct cat_entry e;
	uint8_t *bad;
	int rc;

	build(&c, 0);
	is_int(c.n, 6, "six members");
	is_int(c.v[0].off, 1024, "the first member sits at the base");
	is_int(c.v[3].off, 1024 + 512 + 512 + 1024, "offsets add up");
	is_int(c.end, 1024 + 512 + 512 + 1024 + 1024 + 512 + 1024, "end");
	ok(c.v[4].link_len == 6 && memcmp(c.v[4].link, "target", 6) == 0,
	    "link target kept");
	is_int(count(&c, "dir"), 4, "a directory selects itself and below");
	is_int(count(&c, "/dir/"), 4, "leading / and trailing / ignored");
	is_int(count(&c, "./dir/a.txt"), 1, "one file");
	is_int(count(&c, "dir/*.txt"), 1, "* does not cross /");
	is_int(count(&c, "*/*/b.txt"), 1, "a glob per level");
	is_int(count(&c, "."), 6, ". is everything");
	is_int(count(&c, "di"), 0, "no partial names");
	build(&d, 1);
	catalog_diff(&c, &d, diff_count, NULL);
	is_int(ndiff, 2, "one added, one removed");
	is_int(nch, 1, "one changed");
	ok(member_changes(&c.v[2], &d.v[2]) == CH_CONTENT, "content only");
	ok(catalog_find(&d, "/dir/sub/b.txt") == &d.v[3], "find by path");
	catalog_free(&d);

	/* rejections: a bad type, an extent that is not 512-aligned */
	cat_begin(&b, 0);
	memset(&e, 0, sizeof(e));
	e.type = 'x';
	e.hdr_len = e.span = 512;
	e.path = (const uint8_t *)"a";
	e.path_len = 1;
	rc = cat_append(&b, &e);
	ok(rc < 0, "bad type refused: %s", lasterr());
	e.type = CT_FILE;
	e.span = 700;
	rc = cat_append(&b, &e);
	ok(rc < 0, "unaligned span refused: %s", lasterr());
	e.span = 512;
	ok(cat_append(&b, &e) == 0, "a good entry");
	bad = malloc(b.len);
	memcpy(bad, b.p, b.len);
	bad[CAT_HEAD_LEN] ^= 1;		/* its length */
	rc = catalog_index(&d, bad, b.len);
	ok(rc < 0, "a wrong entry length refused: %s", lasterr());
	catalog_free(&d);
	cat_buf_free(&b);
	catalog_free(&c);
	return done_testing();
}
