/*
 * qentry.h - one entry of the worker's private queue (queue/QID and
 * queue/QID.state) loaded for delivery, listing or administration.
 *
 * Locking: whoever changes an entry holds an exclusive flock() on its
 * message file: the delivering worker thread, or the admin CLI for hold,
 * release, retry and delete. Readers that only list need no lock; they
 * may see the state from just before an attempt.
 *
 * Crash safety: the message file is never modified after it is created.
 * The state file is replaced atomically. An entry is removed message
 * first, then state, so a crash in between leaves only an orphaned state
 * file (cleaned up at start), never a message that would be sent again.
 */
#ifndef POSTERN_QENTRY_H
#define POSTERN_QENTRY_H

#include <stdbool.h>
#include <sys/stat.h>

#include "qrecord.h"
#include "qstate.h"
#include "spool.h"
#include "strbuf.h"

struct qentry {
	char qid[QID_LEN + 1];
	int fd;				/* message file; -1 when closed */
	struct stat sb;
	struct strbuf raw;		/* the whole message file */
	struct qrecord rec;		/* rec.message points into raw */
	struct qstate st;
	bool has_state;			/* a state file existed */
};

enum qentry_lock { QENTRY_NO_LOCK, QENTRY_TRY_LOCK, QENTRY_WAIT_LOCK };

/*
 * qentry_open - read queue/QID and its state. Returns 0; ENOENT when the
 * entry is gone; EWOULDBLOCK when QENTRY_TRY_LOCK finds it locked; EINVAL
 * when a file is damaged (reason in err); another errno on I/O errors.
 */
int qentry_open(int queue_fd, const char *qid, enum qentry_lock lock,
    struct qentry *e, struct strbuf *err);

/* qentry_close - release the lock and everything loaded */
void qentry_close(struct qentry *e);

/* qentry_save - durably replace the state file; 0 or errno */
int qentry_save(int queue_fd, const struct qentry *e);

/*
 * qentry_remove - delete message then state, and with sync_dir make that
 * durable before returning (else the caller syncs queue/ later); 0 or
 * errno
 */
int qentry_remove(int queue_fd, const char *qid, bool sync_dir);

/*
 * qentry_read_state - only the state of qid (for scheduling at start):
 * false when the state file exists but is damaged. A missing state file
 * gives a fresh state with nrcpts 0.
 */
bool qentry_read_state(int queue_fd, const char *qid, int64_t *next, bool *hold);

#endif
