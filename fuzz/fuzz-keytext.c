/*
 * libFuzzer target: key text.  key_from_base64() (44 characters, strict)
 * and key_parse_text() (what anemone-keygen -p reads from stdin) on
 * arbitrary bytes, with their promises checked: whatever is accepted
 * re-encodes to the same text, the two agree, and a message for bad input
 * is one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint8_t a[KEY_LEN], b[KEY_LEN];
	char text[KEY_B64_LEN + 1];
	int strict, parsed;

	strict = key_from_base64(a, s, size) == 0;
	if (strict) {
		key_to_base64(text, a);
		if (size != KEY_B64_LEN || memcmp(text, s, size) != 0)
			abort();
	}
	/* the parser sees at most what key_read_fd() would have read */
	parsed = key_parse_text(b, s, size < KEY_TEXT_MAX ? size :
	    KEY_TEXT_MAX, "fuzz") == 0;
	if (parsed) {
		if (size != KEY_B64_LEN && !(size == KEY_B64_LEN + 1 &&
		    s[KEY_B64_LEN] == '\n'))
			abort();
		if (key_from_base64(a, s, KEY_B64_LEN) != 0 ||
		    memcmp(a, b, KEY_LEN) != 0)
			abort();
	} else {
		if (strict || strchr(lasterr(), '\n') != NULL)
			abort();
	}
	return 0;
}
