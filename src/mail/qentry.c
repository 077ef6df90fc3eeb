/*
 * qentry.c - load, save and remove entries of the private queue. See
 * qentry.h for the locking and crash-safety rules.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "qentry.h"
#include "strutil.h"

/* Upper bound on a queue file: the largest message plus its envelope. */
#define QENTRY_MAX_FILE	((size_t)2 << 30)

/* qentry_state_name - "QID.state" */
static void
qentry_state_name(const char *qid, char *buf, size_t size)
{
	STR_MUST_FIT(str_format(buf, size, "%s%s", qid, SPOOL_STATE_SUFFIX));
}

/* qentry_read_whole - read the open message file into e->raw */
static int
qentry_read_whole(struct qentry *e)
{
	if ((uint64_t)e->sb.st_size > QENTRY_MAX_FILE)
		return EFBIG;
	strbuf_reserve(&e->raw, (size_t)e->sb.st_size);
	for (;;) {
		ssize_t n;

		strbuf_reserve(&e->raw, 65536);
		n = read(e->fd, e->raw.data + e->raw.len,
		    e->raw.cap - e->raw.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		e->raw.len += (size_t)n;
		e->raw.data[e->raw.len] = '\0';
	}
}

/* qentry_load_state - read QID.state or start a fresh state */
static int
qentry_load_state(int queue_fd, struct qentry *e, struct strbuf *err)
{
	struct strbuf buf = STRBUF_INIT;
	char name[64];
	int rc;

	qentry_state_name(e->qid, name, sizeof(name));
	rc = spool_read_file(queue_fd, name, 1 << 24, &buf, NULL);
	if (rc == ENOENT) {
		qstate_init(&e->st, e->rec.nrcpts);
		strbuf_free(&buf);
		return 0;
	}
	if (rc == 0) {
		e->has_state = true;
		if (!qstate_decode(buf.data, buf.len, e->rec.nrcpts, &e->st, err))
			rc = EINVAL;
	} else {
		strbuf_printf(err, "cannot read %s: %s", name, strerror(rc));
	}
	strbuf_free(&buf);
	return rc;
}

int
qentry_open(int queue_fd, const char *qid, enum qentry_lock lock,
    struct qentry *e, struct strbuf *err)
{
	int rc = 0;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (!qid_valid(qid))
		return ENOENT;
	STR_MUST_FIT(str_copy(e->qid, sizeof(e->qid), qid));
	e->fd = openat(queue_fd, qid, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (e->fd < 0)
		return errno == ELOOP ? EINVAL : errno;
	if (lock != QENTRY_NO_LOCK && flock(e->fd, LOCK_EX |
	    (lock == QENTRY_TRY_LOCK ? LOCK_NB : 0)) < 0) {
		rc = errno;
		goto fail;
	}
	if (fstat(e->fd, &e->sb) < 0) {
		rc = errno;
		goto fail;
	}
	if (e->sb.st_nlink == 0) {		/* removed while we waited */
		rc = ENOENT;
		goto fail;
	}
	if (!S_ISREG(e->sb.st_mode)) {
		strbuf_puts(err, "not a regular file");
		rc = EINVAL;
		goto fail;
	}
	if ((rc = qentry_read_whole(e)) != 0)
		goto fail;
	if (!qrecord_decode(e->raw.data, e->raw.len, true, &e->rec, err)) {
		rc = EINVAL;
		goto fail;
	}
	if ((rc = qentry_load_state(queue_fd, e, err)) != 0) {
		qrecord_free(&e->rec);
		goto fail;
	}
	return 0;
fail:
	close(e->fd);
	e->fd = -1;
	strbuf_free(&e->raw);
	return rc;
}

void
qentry_close(struct qentry *e)
{
	if (e->fd < 0)
		return;
	qrecord_free(&e->rec);
	qstate_free(&e->st);
	strbuf_free(&e->raw);
	close(e->fd);			/* releases the flock */
	e->fd = -1;
}

int
qentry_save(int queue_fd, const struct qentry *e)
{
	struct strbuf out = STRBUF_INIT;
	char name[64];
	int rc;

	qentry_state_name(e->qid, name, sizeof(name));
	qstate_encode(&e->st, &out);
	rc = spool_write_file(queue_fd, name, out.data, out.len, 0600, SPOOL_SYNC_ALL);
	strbuf_free(&out);
	return rc;
}

int
qentry_remove(int queue_fd, const char *qid, bool sync_dir)
{
	char name[64];

	if (unlinkat(queue_fd, qid, 0) < 0 && errno != ENOENT)
		return errno;
	qentry_state_name(qid, name, sizeof(name));
	if (unlinkat(queue_fd, name, 0) < 0 && errno != ENOENT)
		return errno;
	return sync_dir ? spool_fsync_dir(queue_fd) : 0;
}

bool
qentry_read_state(int queue_fd, const char *qid, int64_t *next, bool *hold)
{
	struct strbuf buf = STRBUF_INIT;
	char name[64];
	const char *p;
	int rc;

	*next = 0;
	*hold = false;
	qentry_state_name(qid, name, sizeof(name));
	rc = spool_read_file(queue_fd, name, 1 << 24, &buf, NULL);
	if (rc == ENOENT) {
		strbuf_free(&buf);
		return true;
	}
	if (rc != 0 || !str_has_prefix(strbuf_cstr(&buf), QSTATE_MAGIC "\n")) {
		strbuf_free(&buf);
		return false;
	}
	/* The full check happens at delivery; here only the schedule. */
	if ((p = strstr(buf.data, "\nnext ")) != NULL)
		*next = strtoll(p + 6, NULL, 10);
	*hold = strstr(buf.data, "\nhold yes\n") != NULL;
	strbuf_free(&buf);
	return true;
}
