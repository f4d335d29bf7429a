/*
 * New key files, as signify makes them: created with O_EXCL and
 * O_NOFOLLOW (an existing file, even a dangling symbolic link, is never
 * replaced or followed), written, flushed to disk, and removed again on
 * any failure so that nothing half-written is left behind.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "error.h"
#include "io.h"
#include "keygen.h"

int
key_file_create(const char *path, mode_t mode)
{
	int fd;

	fd = open_nofollow(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0 && errno == EEXIST)
		warnx("%s: already exists; not overwriting it", path);
	else if (fd < 0)
		warnx("%s", lasterr());
	return fd;
}

int
key_file_finish(int fd, const char *path, const char *s, size_t n)
{
	if (write_all(fd, s, n) != 0 || fsync(fd) != 0) {
		warn("%s", path);
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		warn("%s", path);
		return -1;
	}
	return 0;
}
