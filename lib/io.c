#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "io.h"

int
write_all(int fd, const void *b, size_t n)
{
	const uint8_t *p = b;
	ssize_t w;

	while (n > 0) {
		/* Linux writes at most 2 GiB less a page in one call. */
		w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
