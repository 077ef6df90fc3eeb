/*
 * queue_load.c - schedule what is in queue/. See queue_load.h.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qentry.h"
#include "queue_load.h"
#include "schedule.h"
#include "strutil.h"

/* queue_load_leftover - remove a temporary or orphaned state file */
static void
queue_load_leftover(struct worker *w, const char *name)
{
	size_t len = strlen(name);
	char qid[QID_LEN + 1];

	if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
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
		schedule_put(w->sched, de->d_name, next, hold);
		n++;
	}
	closedir(dir);
	schedule_sweep(w->sched);
	return n;
}
