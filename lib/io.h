/* Small I/O helpers shared by the tools and both sides of the library. */
#ifndef ANEMONE_IO_H
#define ANEMONE_IO_H

#include <stddef.h>

/*
 * Write all N bytes of B to FD, retrying short writes and EINTR.  0, or
 * -1 with errno set (nothing recorded: the caller names the object).
 */
int write_all(int fd, const void *b, size_t n);

#endif
