/*
 * queue_load.c - schedule what is in queue/. See queue_load.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "qentry.h"
#include "queue_load.h"
#include "schedule.h"
#include "strutil.h"

#define QUEUE_LOAD_TMP_AGE	60	/* seconds: older .tmp files are leftovers */

/* queue_load_leftover - remove a temporary or orphaned state file */
static void
queue_load_leftover(struct worker *w, const char *name)
{
	size_t len = strlen(name);
	char qid[QID_LEN + 1];

	if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
		struct stat sb;

		/* a thread may be writing it now (a submission, a state) */
		if (fstatat(w->queue_fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    worker_now() - sb.st_mtime > QUEUE_LOAD_TMP_AGE)
			unlinkat(w->queue_fd, name, 0);
		return;
	}
	if (len != QID_LEN + strlen(SPOOL_STATE_SUFFIX) ||
	    strcmp(name + QID_LEN, SPOOL_STATE_SUFFIX) != 0)
		return;
	memcpy(qid, name, QID_LEN);
	qid[QID_LEN] = '\0';
	if (qid_valid(qid) &&
	    faccessat(w->queue_fd, qid, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		unlinkat(w->queue_fd, name, 0);
		log_info("%s: removed the state of an entry that is gone", qid);
	}
}

/*
 * queue_load_owner - tell the schedule who submitted qid and its size,
 * from the uid line at the head of its queue file (the per-user limits
 * count them); a file that does not say is left to delivery to judge
 */
static void
queue_load_owner(struct worker *w, const char *qid)
{
	char head[128], *p, *end;
	struct stat sb;
	ssize_t n;
	unsigned long long uid;
	int fd = openat(w->queue_fd, qid, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n > 0 && fstat(fd, &sb) == 0) {
		head[n] = '\0';
		p = strstr(head, "\nuid ");
		if (p && (errno = 0, uid = strtoull(p + 5, &end, 10), errno == 0) &&
		    *end == '\n' && uid <= QRECORD_UID_MAX)
			schedule_set_owner(w->sched, qid, (uint32_t)uid,
			    (uint64_t)sb.st_size);
	}
	close(fd);
}

size_t
queue_load(struct worker *w)
{
	int fd = dup(w->queue_fd);
	DIR *dir;
	struct dirent *de;
	size_t n = 0;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		log_syswarn("cannot read the queue directory");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dir);
	schedule_mark_all(w->sched);
	while ((de = readdir(dir)) != NULL) {
		int64_t next;
		bool hold;

		if (!qid_valid(de->d_name)) {
			if (de->d_name[0] != '.')
				queue_load_leftover(w, de->d_name);
			continue;
		}
		if (!qentry_read_state(w->queue_fd, de->d_name, &next, &hold))
			next = 0, hold = false;	/* delivery will quarantine it */
		if (schedule_put(w->sched, de->d_name, next, hold))
			queue_load_owner(w, de->d_name);
		n++;
	}
	closedir(dir);
	schedule_sweep(w->sched);
	return n;
}
