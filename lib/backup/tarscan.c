/*
 * tarscan: libarchive reads the stream through a callback that hands it
 * the source's buffers as they are (no copy); each member's header
 * position and the position after its headers give its extent, its data
 * is hashed (XXH3-128, for telling changed members apart), and the entry
 * is appended once the next header's position gives its span.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <xxhash.h>

#include "backup/tarscan.h"
#include "bytes.h"
#include "error.h"

struct scan {
	const struct tar_src *src;
	int src_failed;
	struct archive *a;
	struct cat_entry e;	/* the member whose span is not known yet */
	int pending;
	/* copies of the pending member's strings (libarchive reuses its own) */
	uint8_t path[CAT_PATH_MAX], link[CAT_PATH_MAX];
	uint8_t uname[CAT_NAME_MAX], gname[CAT_NAME_MAX];
};

static la_ssize_t
src_read(struct archive *a, void *arg, const void **buf)
{
	struct scan *sc = arg;
	ssize_t n = sc->src->next(sc->src->arg, buf);

	if (n < 0) {
		sc->src_failed = 1;
		archive_set_error(a, -1, "the stream could not be read");
		return -1;
	}
	return n;
}

static uint8_t
member_type(struct archive_entry *ae)
{
	if (archive_entry_hardlink(ae) != NULL)
		return CT_HARDLINK;
	switch (archive_entry_filetype(ae)) {
	case AE_IFDIR:	return CT_DIR;
	case AE_IFLNK:	return CT_SYMLINK;
	case AE_IFCHR:	return CT_CHAR;
	case AE_IFBLK:	return CT_BLOCK;
	case AE_IFIFO:	return CT_FIFO;
	case AE_IFSOCK:	return CT_SOCKET;
	default:	return CT_FILE;
	}
}

/* Copy S into BUF (at most MAX bytes); its length, or -1 when too long. */
static long
copy_str(uint8_t *buf, size_t max, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > max)
		return -1;
	memcpy(buf, s ? s : "", n);
	return (long)n;
}

static int
fill_entry(struct scan *sc, struct archive_entry *ae)
{
	struct cat_entry *e = &sc->e;
	const char *link;
	long n;

	memset(e, 0, sizeof(*e));
	e->type = member_type(ae);
	e->flags = archive_entry_sparse_count(ae) > 0 ? CF_SPARSE : 0;
	e->mode = archive_entry_perm(ae) & 07777;
	e->uid = (uint64_t)archive_entry_uid(ae);
	e->gid = (uint64_t)archive_entry_gid(ae);
	e->size = (uint64_t)archive_entry_size(ae);
	e->mtime = archive_entry_mtime(ae);
	e->mtime_ns = (uint32_t)archive_entry_mtime_nsec(ae);
	if (e->type == CT_CHAR || e->type == CT_BLOCK) {
		e->devmajor = (uint32_t)archive_entry_rdevmajor(ae);
		e->devminor = (uint32_t)archive_entry_rdevminor(ae);
	}
	if ((n = copy_str(sc->path, CAT_PATH_MAX,
	    archive_entry_pathname(ae))) <= 0)
		return fail("member path empty or longer than %d bytes",
		    CAT_PATH_MAX);
	e->path_len = (uint32_t)n;
	link = e->type == CT_HARDLINK ? archive_entry_hardlink(ae) :
	    e->type == CT_SYMLINK ? archive_entry_symlink(ae) : NULL;
	if ((n = copy_str(sc->link, CAT_PATH_MAX, link)) < 0 ||
	    (n == 0 && link != NULL))
		return fail("member link target empty or longer than %d bytes",
		    CAT_PATH_MAX);
	e->link_len = (uint32_t)n;
	/* names too long for the catalogue are left out (the ids remain) */
	n = copy_str(sc->uname, CAT_NAME_MAX, archive_entry_uname(ae));
	e->uname_len = n < 0 ? 0 : (uint8_t)n;
	n = copy_str(sc->gname, CAT_NAME_MAX, archive_entry_gname(ae));
	e->gname_len = n < 0 ? 0 : (uint8_t)n;
	e->path = sc->path;
	e->link = sc->link;
	e->uname = sc->uname;
	e->gname = sc->gname;
	return 0;
}

/* Hash the member's data as libarchive hands it out (no copy). */
static int
hash_data(struct scan *sc)
{
	XXH3_state_t *h;
	XXH128_hash_t d;
	const void *buf;
	size_t len;
	la_int64_t off;
	uint8_t o[8];
	int r, any = 0;

	if ((h = XXH3_createState()) == NULL)
		return fail("out of memory");
	XXH3_128bits_reset(h);
	while ((r = archive_read_data_block(sc->a, &buf, &len, &off)) ==
	    ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (sc->e.flags & CF_SPARSE) {
			le64enc(o, (uint64_t)off);
			XXH3_128bits_update(h, o, sizeof(o));
		}
		XXH3_128bits_update(h, buf, len);
		any = 1;
	}
	d = XXH3_128bits_digest(h);
	XXH3_freeState(h);
	if (r != ARCHIVE_EOF)
		return -1;
	if (any) {
		le64enc(sc->e.hash, d.low64);
		le64enc(sc->e.hash + 8, d.high64);
	}
	return 0;
}

static void
set_bad(struct tar_result *res, struct archive *a, const char *why)
{
	res->status = TAR_BAD;
	res->at = (uint64_t)archive_filter_bytes(a, 0);
	snprintf(res->why, sizeof(res->why), "%s", why ? why : "damaged");
}

/* The loop over headers; returns 0 with the verdict set, or -1. */
static int
scan_members(struct scan *sc, struct cat_buf *cat, struct tar_result *res)
{
	struct archive_entry *ae;
	int64_t pos;
	int r;

	for (;;) {
		r = archive_read_next_header(sc->a, &ae);
		if (sc->src_failed)
			return -1;
		if (r < ARCHIVE_WARN && res->members == 0 &&
		    archive_format(sc->a) == 0)
			return 0;	/* TAR_NONE: libarchive did not bid */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN && r != ARCHIVE_EOF) {
			set_bad(res, sc->a, archive_error_string(sc->a));
			return 0;
		}
		pos = archive_read_header_position(sc->a);
		if (res->members == 0 && cat_begin(cat, (uint64_t)pos) < 0)
			return -1;
		if (sc->pending) {
			sc->e.span = (uint64_t)pos - cat->end;
			if (cat_append(cat, &sc->e) < 0) {
				set_bad(res, sc->a, lasterr());
				return 0;
			}
			sc->pending = 0;
		}
		if (r == ARCHIVE_EOF)
			break;
		res->members++;
		if (fill_entry(sc, ae) < 0) {
			set_bad(res, sc->a, lasterr());
			return 0;
		}
		sc->e.hdr_len = (uint64_t)(archive_filter_bytes(sc->a, 0) - pos);
		if (hash_data(sc) < 0) {
			if (sc->src_failed)
				return -1;
			set_bad(res, sc->a, archive_error_string(sc->a));
			return 0;
		}
		sc->pending = 1;
	}
	/* libarchive accepts an archive that stops at a header boundary;
	 * the end-of-archive marker is what tells it was not cut short */
	res->at = cat->end;
	res->status = archive_filter_bytes(sc->a, 0) > (int64_t)cat->end ?
	    TAR_COMPLETE : TAR_TRUNCATED;
	return 0;
}

int
tarscan(const struct tar_src *src, struct cat_buf *cat, struct tar_result *res)
{
	struct scan *sc;
	locale_t utf8, old = (locale_t)0;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(cat, 0, sizeof(*cat));
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return fail_errno("tarscan");
	sc->src = src;
	/* names are kept as the archive has them: UTF-8 stays UTF-8, other
	 * bytes stay as they are (libarchive converts to the thread's locale) */
	if ((utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) != 0)
		old = uselocale(utf8);
	if ((sc->a = archive_read_new()) == NULL ||
	    archive_read_support_format_tar(sc->a) != ARCHIVE_OK) {
		fail("libarchive: out of memory");
		goto out;
	}
	if (archive_read_open(sc->a, sc, NULL, src_read, NULL) != ARCHIVE_OK) {
		if (sc->src_failed)
			goto out;
		rc = 0;		/* nothing libarchive could bid on */
		goto out;
	}
	rc = scan_members(sc, cat, res);
	if (rc == 0 && res->status == TAR_NONE)
		cat_buf_free(cat);
out:
	if (sc->src_failed && rc == 0)
		rc = fail("the stream could not be read");
	if (sc->a != NULL)
		archive_read_free(sc->a);
	if (utf8 != 0) {
		uselocale(old);
		freelocale(utf8);
	}
	free(sc);
	return rc;
}

const char *
tar_verdict(const struct tar_result *res, char *buf, size_t n)
{
	switch (res->status) {
	case TAR_TRUNCATED:
		snprintf(buf, n, "the tar archive ends at byte %llu without its "
		    "end-of-archive marker (cut short?)",
		    (unsigned long long)res->at);
		break;
	case TAR_BAD:
		snprintf(buf, n, "the tar archive is damaged near byte %llu: %s",
		    (unsigned long long)res->at, res->why);
		break;
	default:
		snprintf(buf, n, "%s", res->status == TAR_NONE ?
		    "not a tar archive" : "a complete tar archive");
	}
	return buf;
}
