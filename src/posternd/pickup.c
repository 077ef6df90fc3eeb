/*
 * pickup.c - validate incoming entries and copy them into the queue.
 * See pickup.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce.h"
#include "log.h"
#include "pickup.h"
#include "qrecord.h"
#include "queue_sync.h"
#include "schedule.h"
#include "sender_policy.h"
#include "strutil.h"

#define PICKUP_STALE_TMP	60	/* seconds before a lock test */
#define PICKUP_ENVELOPE_MAX	((size_t)64 << 20)	/* on top of the message */
#define PICKUP_BATCH		64	/* copies made durable by one directory sync */

/*
 * Copies already in queue/ (data synced, renamed into place) whose
 * directory entries are not yet known to be durable. Their incoming files
 * stay until pickup_commit has synced queue/, so that a crash can never
 * leave a message in neither directory.
 */
struct pickup_batch {
	size_t n;
	bool copy_failed;	/* an entry could not be copied (a full disk) */
	struct {
		char qid[QID_LEN + 1];
		char *info;		/* the rest of the log line */
		uint32_t uid;		/* the submitter */
		uint64_t bytes;		/* the queue file's size */
	} e[PICKUP_BATCH];
};

/*
 * pickup_quarantine - move a bad incoming entry aside and tell its
 * submitter (the file's owner) or the postmaster, once
 */
static void
pickup_quarantine(struct worker *w, const char *name, const char *why)
{
	struct stat sb;
	long uid = fstatat(w->incoming_fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ?
	    (long)sb.st_uid : -1;

	log_warn("%s: rejected incoming entry moved to quarantine: %s", name, why);
	if (renameat(w->incoming_fd, name, w->quarantine_fd, name) < 0) {
		log_syswarn("%s: cannot quarantine; removing it", name);
		unlinkat(w->incoming_fd, name, 0);
	}
	spool_fsync_dir(w->quarantine_fd);
	if (bounce_quarantined(w, name, uid, why) != 0)
		log_warn("%s: cannot queue the notice about the quarantined entry",
		    name);
}

size_t
pickup_limit(struct worker *w)
{
	struct wconf *wc = worker_conf_get(w);
	uint64_t max = wc->conf->queue.max_message_size;

	worker_conf_put(w, wc);
	if (max == 0 || max > ((size_t)2 << 30))
		return (size_t)2 << 30;
	return (size_t)max + PICKUP_ENVELOPE_MAX;
}

/*
 * pickup_commit - make the batch's copies durable with one sync of queue/,
 * then remove their incoming files and hand them to the schedule.
 * Returns how many were queued. If the sync fails the copies are removed
 * again and the incoming files kept, so the next scan starts over.
 */
static size_t
pickup_commit(struct worker *w, struct pickup_batch *b)
{
	size_t n = b->n;

	b->n = 0;
	if (n == 0)
		return 0;
	if (!queue_sync_commit(w)) {	/* shared with submissions, removals */
		log_warn("%zu incoming entr%s kept for the next scan", n,
		    n == 1 ? "y" : "ies");
		for (size_t i = 0; i < n; i++) {
			unlinkat(w->queue_fd, b->e[i].qid, 0);
			free(b->e[i].info);
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (unlinkat(w->incoming_fd, b->e[i].qid, 0) < 0)
			log_syswarn("%s: cannot remove incoming copy", b->e[i].qid);
		log_info("%s: %s", b->e[i].qid, b->e[i].info);
		schedule_put(w->sched, b->e[i].qid, 0, false);
		schedule_set_owner(w->sched, b->e[i].qid, b->e[i].uid, b->e[i].bytes);
		free(b->e[i].info);
	}
	return n;
}

bool
pickup_sender_policy(struct worker *w, const char *name, struct qrecord *rec,
    struct strbuf *buf)
{
	struct wconf *wc = worker_conf_get(w);
	char *sender = sender_policy_envelope(wc->conf, rec->sender);
	struct strbuf file = STRBUF_INIT, err = STRBUF_INIT;
	bool ok = true;

	worker_conf_put(w, wc);
	if (strcmp(sender, rec->sender) == 0) {
		free(sender);
		return true;
	}
	log_warn("%s: sender=<%s> rewritten to <%s> by the [sender] rules of "
	    "postern.conf (submitted without sendmail)", name, rec->sender, sender);
	free(rec->sender);
	rec->sender = sender;
	qrecord_encode_trusted(&file, rec->uid, rec->login, rec->arrival);
	if (!qrecord_encode_envelope(rec, rec->message, rec->message_len, &file,
	    &err)) {
		log_warn("%s: cannot apply the sender rules: %s", name,
		    strbuf_cstr(&err));
		ok = false;
	} else {
		rec->message = file.data + file.len - 4 - rec->message_len;
		strbuf_free(buf);
		*buf = file;
		strbuf_init(&file);
	}
	strbuf_free(&file);
	strbuf_free(&err);
	return ok;
}

/*
 * pickup_one - validate one entry and copy it into queue/; true if the
 * copy was added to the batch (it is queued once the batch commits)
 */
static bool
pickup_one(struct worker *w, struct pickup_batch *b, const char *name)
{
	struct strbuf buf = STRBUF_INIT, err = STRBUF_INIT, info = STRBUF_INIT;
	struct qrecord rec;
	struct stat sb;
	bool queued = false;
	int rc;

	rc = spool_read_file(w->incoming_fd, name, pickup_limit(w), &buf, &sb);
	if (rc == ENOENT)
		goto out;
	if (rc == EINVAL || rc == EFBIG) {
		pickup_quarantine(w, name, rc == EINVAL ?
		    "not a regular file" : "larger than the queue accepts");
		goto out;
	}
	if (rc != 0) {
		log_warn("%s: cannot read incoming entry: %s", name, strerror(rc));
		goto out;
	}
	if (sb.st_nlink != 1) {
		strbuf_printf(&err, "link count %lu, expected 1",
		    (unsigned long)sb.st_nlink);
		pickup_quarantine(w, name, err.data);
		goto out;
	}
	if (!qrecord_decode(buf.data, buf.len, true, &rec, &err)) {
		pickup_quarantine(w, name, err.data);
		goto out;
	}
	if (rec.uid != (long)sb.st_uid) {
		strbuf_printf(&err, "file owner uid %lu does not match the "
		    "record's uid %ld", (unsigned long)sb.st_uid, rec.uid);
		pickup_quarantine(w, name, err.data);
		qrecord_free(&rec);
		goto out;
	}
	if (!pickup_sender_policy(w, name, &rec, &buf)) {
		qrecord_free(&rec);
		goto out;
	}
	if (faccessat(w->queue_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* copied before a crash; the queue has it already */
		unlinkat(w->incoming_fd, name, 0);
		qrecord_free(&rec);
		goto out;
	}
	rc = spool_write_file(w->queue_fd, name, buf.data, buf.len, 0600,
	    SPOOL_SYNC_DATA);
	if (rc != 0) {
		log_warn("%s: cannot copy into the queue: %s", name, strerror(rc));
		b->copy_failed = true;
		qrecord_free(&rec);
		goto out;
	}
	STR_MUST_FIT(str_copy(b->e[b->n].qid, sizeof(b->e[b->n].qid), name));
	strbuf_printf(&info, "uid=%ld from=<%s> size=%zu nrcpt=%zu", rec.uid,
	    rec.sender, rec.message_len, rec.nrcpts);
	b->e[b->n].uid = (uint32_t)rec.uid;
	b->e[b->n].bytes = buf.len;
	b->e[b->n++].info = strbuf_export(&info);
	qrecord_free(&rec);
	queued = true;
out:
	strbuf_free(&buf);
	strbuf_free(&err);
	strbuf_free(&info);
	return queued;
}

/*
 * pickup_stale_tmp - remove a dead writer's temporary file. A live
 * writer holds an exclusive flock() on its file from creation to
 * rename, so a file older than a minute that can be locked belongs to a
 * writer that is gone (killed by SIGKILL, or the machine crashed).
 */
static void
pickup_stale_tmp(struct worker *w, const char *name)
{
	struct stat sb;
	int fd;

	if (fstatat(w->incoming_fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    worker_now() - sb.st_mtime < PICKUP_STALE_TMP)
		return;
	fd = openat(w->incoming_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);		/* a writer still works on it */
		return;
	}
	if (unlinkat(w->incoming_fd, name, 0) == 0)
		log_warn("%s: removed the temporary file of a spool writer that "
		    "ended without finishing it (%lld bytes, last written %lld)",
		    name, (long long)sb.st_size, (long long)sb.st_mtime);
	if (fd >= 0)
		close(fd);
}

size_t
pickup_scan(struct worker *w)
{
	int fd = dup(w->incoming_fd);
	DIR *dir;
	struct dirent *de;
	struct pickup_batch batch = { .n = 0 };
	size_t n = 0;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || !(dir = fdopendir(fd))) {
		log_syswarn("cannot read the incoming directory");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (qid_valid(de->d_name)) {
			if (pickup_one(w, &batch, de->d_name) &&
			    batch.n == PICKUP_BATCH)
				n += pickup_commit(w, &batch);
		} else if (de->d_name[0] == 't' && qid_valid(de->d_name + 1))
			pickup_stale_tmp(w, de->d_name);
		else
			pickup_quarantine(w, de->d_name, "not a queue file name");
	}
	closedir(dir);
	n += pickup_commit(w, &batch);
	/*
	 * A copy that failed (a full disk) is tried again soon, on a
	 * doubling delay from 1 s to 30 s, not at the next rescan
	 * (minutes); a scan that copies everything ends the retries.
	 */
	if (!batch.copy_failed)
		w->pickup_retry_ms = 0;
	else
		w->pickup_retry_ms = w->pickup_retry_ms == 0 ? PICKUP_RETRY_MIN_MS :
		    w->pickup_retry_ms * 2 > PICKUP_RETRY_MAX_MS ?
		    PICKUP_RETRY_MAX_MS : w->pickup_retry_ms * 2;
	return n;
}
