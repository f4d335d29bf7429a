#include <stdio.h>

#include "quote.h"

char *
quote(char buf[QUOTE_MAX], const char *s, size_t len)
{
	size_t i, o = 0;
	unsigned char c;

	buf[o++] = '"';
	for (i = 0; i < len && i < QUOTE_SHOW; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(buf + o, 5, "\\x%02x", c);
			o += 4;
		} else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	if (i < len) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return buf;
}
