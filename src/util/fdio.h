/*
 * fdio.h - whole writes to a file descriptor.
 */
#ifndef POSTERN_FDIO_H
#define POSTERN_FDIO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * fd_write_all - write all len bytes, retrying short writes and EINTR;
 * false (errno set) on an error. A write to a closed pipe or socket
 * raises SIGPIPE unless the caller ignores it.
 */
bool fd_write_all(int fd, const void *data, size_t len);

#endif
