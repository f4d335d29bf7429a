/*
 * Reading a stream as a tar archive with libarchive (every tar dialect:
 * ustar, GNU, pax, long names, sparse files), to build its catalogue and
 * to tell whether the archive is complete.  The bytes come from a source
 * that hands out buffers in stream order, so that a push can run the scan
 * on its own thread over the buffers it already reads, copying nothing.
 */
#ifndef ANEMONE_TARSCAN_H
#define ANEMONE_TARSCAN_H

#include <stdint.h>
#include <sys/types.h>

#include "backup/catalog.h"

/*
 * NEXT blocks until the next buffer of the stream is ready, points *BUF
 * at it and returns its length: 0 at the end of the stream, -1 when the
 * source failed.  A buffer stays valid until the next call.
 */
struct tar_src {
	ssize_t (*next)(void *arg, const void **buf);
	void *arg;
};

enum tar_status {
	TAR_NONE,	/* not a tar archive (no catalogue) */
	TAR_COMPLETE,	/* members, then the end-of-archive marker */
	TAR_TRUNCATED,	/* ends without the end-of-archive marker */
	TAR_BAD,	/* a header or member is damaged or cut short */
};

struct tar_result {
	enum tar_status status;
	uint64_t members;
	uint64_t at;		/* TAR_TRUNCATED, TAR_BAD: stream offset */
	char why[256];		/* TAR_BAD: libarchive's words */
};

/*
 * Read SRC with libarchive until the archive ends or fails.  When the
 * stream is a tar archive, its members go into CAT (begun here; the
 * caller frees it).  Returns 0 with the verdict in *RES (bytes after the
 * archive are left unread), or -1 (lasterr) when the source failed or
 * memory ran out.
 */
int tarscan(const struct tar_src *src, struct cat_buf *cat,
    struct tar_result *res);

/* One line for a verdict that is not TAR_NONE or TAR_COMPLETE. */
const char *tar_verdict(const struct tar_result *res, char *buf, size_t n);

#endif
