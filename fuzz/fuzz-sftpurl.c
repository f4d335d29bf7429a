/* libFuzzer target: sftp:// URL parsing (lib/store/sftp_url.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/sftp_url.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sftp_url u;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (sftp_url_parse(s, &u) == 0) {
		/* what parsed must be well formed */
		if (u.host == NULL || u.path == NULL || u.host[0] == '\0' ||
		    u.port < 1 || u.port > 65535 || u.path[0] == '\0' ||
		    strstr(u.path, "//") != NULL)
			abort();
		if (u.user != NULL && (u.user[0] == '\0' || strchr(u.user, '/')))
			abort();
		sftp_url_free(&u);
	}
	free(s);
	return 0;
}
