/*
 * spool.c - durable whole-file reads and writes in the spool.
 * See spool_layout.h for the layout these serve.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "spool.h"
#include "strutil.h"

int
spool_read_file(int dirfd, const char *name, size_t max, struct strbuf *out,
    struct stat *st)
{
	struct stat sb;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? EINVAL : errno;
	if (fstat(fd, &sb) < 0) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = EINVAL;
		goto out;
	}
	if ((uint64_t)sb.st_size > max) {
		err = EFBIG;
		goto out;
	}
	strbuf_reserve(out, (size_t)sb.st_size);
	for (;;) {
		ssize_t n;

		strbuf_reserve(out, 4096);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len > max) {
			err = EFBIG;
			goto out;
		}
	}
	if (st)
		*st = sb;
out:
	close(fd);
	return err;
}

DIR *
spool_opendir(int dirfd)
{
	int fd = dup(dirfd);
	DIR *dir;

	if (fd < 0)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	rewinddir(dir);		/* the duplicate shares the offset */
	return dir;
}

int
spool_fsync_dir(int dirfd)
{
	return fsync(dirfd) < 0 ? errno : 0;
}

int
spool_write_file(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, enum spool_sync sync)
{
	char tmp[256];
	const char *p = data;
	int fd, err = 0;

	if (!str_format(tmp, sizeof(tmp), "%s.tmp", name))
		return ENAMETOOLONG;
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return errno;
	if (fchmod(fd, mode) < 0)		/* exactly mode, whatever the umask */
		err = errno;
	while (!err && len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && sync != SPOOL_VIEW && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && renameat(dirfd, tmp, dirfd, name) < 0)
		err = errno;
	if (err) {
		unlinkat(dirfd, tmp, 0);
		return err;
	}
	return sync == SPOOL_SYNC_ALL ? spool_fsync_dir(dirfd) : 0;
}
