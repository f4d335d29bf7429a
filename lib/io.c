#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
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

int
open_nofollow(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd, e;

	if ((fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode)) >= 0)
		return fd;
	e = errno;
	/* ELOOP (or EEXIST with O_EXCL) may also mean a real loop or file */
	if ((e == ELOOP || e == EEXIST) && lstat(path, &st) == 0 &&
	    S_ISLNK(st.st_mode)) {
		fail("%s: is a symbolic link; refused for a file that may "
		    "hold a key (name the file itself)", path);
		errno = ELOOP;
		return -1;
	}
	fail_errno("%s", path);
	errno = e;
	return -1;
}
