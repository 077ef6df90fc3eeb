/*
 * stdfds.c - make fds 0-2 valid (stdfds.h). Uses only libc, so the set-gid
 * spool writer links it.
 */
#include "config.h"

#include <fcntl.h>

#include "stdfds.h"

bool
stdfds_ensure(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return false;
	return true;
}
