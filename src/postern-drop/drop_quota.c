/*
 * drop_quota.c - read the published limits and usage (drop_quota.h).
 * Part of the set-gid writer: no allocation, bounded buffers, and
 * nothing believed from a file the spool's owner did not write.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drop_quota.h"
#include "qid.h"
#include "spool_layout.h"

/* The defaults of postern.conf, for when nothing was published. */
#define DROP_DEFAULT_MAX_MESSAGE	((uint64_t)35 << 20)
#define DROP_DEFAULT_USER_MESSAGES	10000
#define DROP_DEFAULT_USER_SIZE		((uint64_t)1 << 30)
#define DROP_PUBLISHED_MAX		(1 << 20)	/* bytes read of a file */

/*
 * drop_quota_open - public/name, if it and public/ belong to the owner
 * of incoming_fd and only that owner can write them; -1 otherwise
 */
static int
drop_quota_open(int spool_fd, int incoming_fd, const char *name)
{
	struct stat in, dir, file;
	int pfd, fd;

	if (fstat(incoming_fd, &in) < 0)
		return -1;
	pfd = openat(spool_fd, SPOOL_PUBLIC, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (pfd < 0)
		return -1;
	fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstat(pfd, &dir) < 0 || fstat(fd, &file) < 0 ||
	    dir.st_uid != in.st_uid || (dir.st_mode & 022) != 0 ||
	    file.st_uid != in.st_uid || (file.st_mode & 022) != 0 ||
	    !S_ISREG(file.st_mode))) {
		close(fd);
		fd = -1;
	}
	close(pfd);
	return fd;
}

/*
 * drop_quota_lines - call fn on each line of fd (at most
 * DROP_PUBLISHED_MAX bytes; longer lines are skipped)
 */
static void
drop_quota_lines(int fd, void (*fn)(const char *line, void *arg), void *arg)
{
	char buf[4096], line[256];
	size_t len = 0, total = 0;
	bool skipping = false;
	ssize_t n;

	while (total < DROP_PUBLISHED_MAX &&
	    (n = read(fd, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line[len] = '\0';
				if (!skipping)
					fn(line, arg);
				len = 0;
				skipping = false;
			} else if (len + 1 < sizeof(line)) {
				line[len++] = buf[i];
			} else {
				skipping = true;
			}
		}
	}
}

/* drop_quota_number - a plain decimal number; false if it is not */
static bool
drop_quota_number(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && (*end == '\0' || *end == ' ');
}

static void
drop_quota_limit_line(const char *line, void *arg)
{
	struct drop_limits *l = arg;
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{ "max_message_size ", offsetof(struct drop_limits, max_message_size) },
		{ "user_max_messages ", offsetof(struct drop_limits, user_max_messages) },
		{ "user_max_size ", offsetof(struct drop_limits, user_max_size) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(line, keys[i].key, strlen(keys[i].key)) == 0)
			(void)drop_quota_number(line + strlen(keys[i].key),
			    (uint64_t *)(void *)((char *)l + keys[i].offset));
}

void
drop_quota_limits(int spool_fd, int incoming_fd, struct drop_limits *l)
{
	int fd = drop_quota_open(spool_fd, incoming_fd, SPOOL_LIMITS);

	l->max_message_size = DROP_DEFAULT_MAX_MESSAGE;
	l->user_max_messages = DROP_DEFAULT_USER_MESSAGES;
	l->user_max_size = DROP_DEFAULT_USER_SIZE;
	if (fd < 0)
		return;
	drop_quota_lines(fd, drop_quota_limit_line, l);
	close(fd);
}

struct drop_usage_scan {
	uid_t uid;
	struct drop_usage *u;
};

static void
drop_quota_usage_line(const char *line, void *arg)
{
	struct drop_usage_scan *s = arg;
	uint64_t uid, messages, bytes;
	const char *p = line;

	if (!drop_quota_number(p, &uid) || uid != (uint64_t)s->uid ||
	    !(p = strchr(p, ' ')) || !drop_quota_number(p + 1, &messages) ||
	    !(p = strchr(p + 1, ' ')) || !drop_quota_number(p + 1, &bytes))
		return;
	s->u->messages += messages;
	s->u->bytes += bytes;
}

void
drop_quota_usage(int spool_fd, int incoming_fd, uid_t uid, struct drop_usage *u)
{
	struct drop_usage_scan scan = { uid, u };
	int fd = drop_quota_open(spool_fd, incoming_fd, SPOOL_USAGE), dfd;
	DIR *dir;
	struct dirent *de;
	struct stat sb;

	u->messages = u->bytes = 0;
	if (fd >= 0) {
		drop_quota_lines(fd, drop_quota_usage_line, &scan);
		close(fd);
	}
	/* the caller's entries the worker has not taken yet */
	if ((dfd = openat(incoming_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		const char *id = de->d_name[0] == 't' ? de->d_name + 1 : de->d_name;

		if (qid_valid(id) &&
		    fstatat(incoming_fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    sb.st_uid == uid) {
			u->messages++;
			u->bytes += (uint64_t)sb.st_size;
		}
	}
	closedir(dir);
}
