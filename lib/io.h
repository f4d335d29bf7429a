/* Small I/O helpers shared by the tools and both sides of the library. */
#ifndef ANEMONE_IO_H
#define ANEMONE_IO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Write all N bytes of B to FD, retrying short writes and EINTR.  0, or
 * -1 with errno set (nothing recorded: the caller names the object).
 */
int write_all(int fd, const void *b, size_t n);

/*
 * open(2) for a file that may hold a key: never through a symbolic link
 * (O_NOFOLLOW, as signify opens its keys), O_CLOEXEC added.  The
 * descriptor, or -1 with lasterr naming PATH and errno set (ELOOP for a
 * symbolic link, whatever open(2) said otherwise, EEXIST included).
 */
int open_nofollow(const char *path, int flags, mode_t mode);

#endif
