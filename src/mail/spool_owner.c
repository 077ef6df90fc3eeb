/*
 * spool_owner.c - switch to the owner of the spool; see spool_owner.h.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "spool_owner.h"
#include "strutil.h"

bool
spool_owner_of_queue(const char *spool, uid_t *uid, gid_t *gid)
{
	char path[4096];
	struct stat sb;

	if (!str_format(path, sizeof(path), "%s/%s", spool, SPOOL_QUEUE)) {
		errno = ENAMETOOLONG;
		return false;
	}
	if (stat(path, &sb) < 0)
		return false;
	*uid = sb.st_uid;
	*gid = sb.st_gid;
	return true;
}

int
spool_become_owner(const char *spool, const char **why)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	*why = NULL;
	if (geteuid() != 0)
		return 0;
	if (!spool_owner_of_queue(spool, &uid, &gid)) {
		*why = "cannot examine the queue directory";
		return errno;
	}
	if (uid == 0)
		return 0;		/* a root-owned spool: stay root */
	pw = getpwuid(uid);
	if ((pw ? initgroups(pw->pw_name, gid) : setgroups(1, &gid)) < 0 ||
	    setgid(gid) < 0 || setuid(uid) < 0) {
		*why = "cannot switch to the owner of the queue";
		return errno;
	}
	if (setuid(0) == 0) {
		*why = "could regain root after dropping it";
		return EPERM;
	}
	return 0;
}
