/* Hexadecimal text: repository file names, UAPI keys, %XX escapes. */
#ifndef ANEMONE_HEX_H
#define ANEMONE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit of either case, or -1. */
int hex_digit(int c);

/* N bytes of B as 2N lowercase digits plus NUL into OUT. */
void hex_encode(char *out, const uint8_t *b, size_t n);

/*
 * Exactly 2N lowercase digits (strlen(S) == 2N: names are canonical) into
 * N bytes.  0, or -1 with OUT possibly half written; lasterr untouched.
 */
int hex_decode(uint8_t *out, const char *s, size_t n);

#endif
