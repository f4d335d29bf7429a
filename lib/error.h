/*
 * Error reporting for library code.  Library functions never print and
 * never exit: on failure they record one line with fail() and return -1
 * (or NULL).  The tool's main() reports it once, e.g.
 *	if (thing() < 0) errx(1, "%s", lasterr());
 * Messages for bad input name the place: "FILE:LINE:COL: message".
 * Never put secret material into a message.
 */
#ifndef ANEMONE_ERROR_H
#define ANEMONE_ERROR_H

/* Record a message (printf-style) for this thread; always returns -1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like fail(), with ": strerror(errno)" appended (errno saved first). */
int fail_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Put a prefix (printf-style) in front of the last recorded message, to
 * name the object it concerns; always returns -1.
 */
int fail_ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last recorded message of this thread ("unknown error" if none). */
const char *lasterr(void);

#endif
