/*
 * Quoting untrusted text for error messages: at most QUOTE_SHOW bytes of
 * it between double quotes, control bytes, backslashes and quotes escaped,
 * "..." when cut.  Never quote secret material.
 */
#ifndef ANEMONE_QUOTE_H
#define ANEMONE_QUOTE_H

#include <stddef.h>

#define QUOTE_SHOW 64
#define QUOTE_MAX (QUOTE_SHOW * 4 + 8)

/* Write the quoted form of LEN bytes of S into BUF; returns BUF. */
char *quote(char buf[QUOTE_MAX], const char *s, size_t len);

#endif
