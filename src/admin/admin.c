/*
 * admin.c - list, flush, show and change queue entries. See
 * admin.h for the privilege model.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "listing.h"
#include "log.h"
#include "paths.h"
#include "qentry.h"
#include "admin.h"
#include "spool.h"
#include "spool_owner.h"
#include "strutil.h"
#include "xalloc.h"

#define ADMIN_WAIT_MS	10000	/* for the worker's listing or an entry lock */

/* admin_open - open a directory of the spool; -1 with errno */
static int
admin_open(const char *sub)
{
	char path[4096];

	if (!str_format(path, sizeof(path), "%s/%s", paths_spool_dir(), sub)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* admin_poke - write one request byte to the worker; false if none runs */
static bool
admin_poke(char request)
{
	int dfd = admin_open(SPOOL_PUBLIC), fd = -1;
	bool ok = false;

	if (dfd >= 0)
		fd = openat(dfd, SPOOL_FLUSH_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		ok = write(fd, &request, 1) == 1;
		close(fd);
	}
	if (dfd >= 0)
		close(dfd);
	return ok;
}

/* admin_sleep_ms - nap between polls */
static void
admin_sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/*
 * admin_listing_changed - wait up to ADMIN_WAIT_MS for the worker to
 * rename a new public/listing into place. The watch (or, without
 * inotify, the listing's identity) is taken before the request is sent,
 * so an answer that comes at once is never missed.
 */
static bool
admin_listing_changed(int dfd, int ifd, const struct stat *before, bool had)
{
	char ev[sizeof(struct inotify_event) + NAME_MAX + 1]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = { ifd, POLLIN, 0 };
	struct stat sb;

	for (int waited = 0; waited < ADMIN_WAIT_MS; waited += 50) {
		if (ifd < 0) {
			admin_sleep_ms(50);
			if (fstatat(dfd, SPOOL_LISTING, &sb, 0) == 0 && (!had ||
			    sb.st_ino != before->st_ino ||
			    sb.st_mtim.tv_sec != before->st_mtim.tv_sec ||
			    sb.st_mtim.tv_nsec != before->st_mtim.tv_nsec))
				return true;
			continue;
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		ssize_t n = read(ifd, ev, sizeof(ev));

		for (ssize_t off = 0; n > 0 && off < n;) {
			const struct inotify_event *ie = (const void *)(ev + off);

			if (ie->len && strcmp(ie->name, SPOOL_LISTING) == 0)
				return true;
			off += (ssize_t)(sizeof(*ie) + ie->len);
		}
	}
	return false;
}

/* admin_list_via_worker - ask the worker for public/listing and print it */
static int
admin_list_via_worker(FILE *out)
{
	struct strbuf buf = STRBUF_INIT;
	struct stat before;
	char path[4096];
	int dfd = admin_open(SPOOL_PUBLIC), ifd = -1, status = EX_UNAVAILABLE, rc;
	bool had = false;

	if (dfd >= 0 && str_format(path, sizeof(path), "%s/%s", paths_spool_dir(),
	    SPOOL_PUBLIC) && (ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0 &&
	    inotify_add_watch(ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(ifd);
		ifd = -1;
	}
	if (dfd >= 0)
		had = fstatat(dfd, SPOOL_LISTING, &before, 0) == 0;
	if (dfd < 0 || !admin_poke(SPOOL_REQ_LIST)) {
		log_warn("queue listing unavailable: posternd is not running, and "
		    "only root and the postern user can read the queue");
		goto out;
	}
	if (!admin_listing_changed(dfd, ifd, &before, had)) {
		log_warn("queue listing unavailable: posternd did not answer "
		    "within %d seconds", ADMIN_WAIT_MS / 1000);
		goto out;
	}
	if ((rc = spool_read_file(dfd, SPOOL_LISTING, (size_t)1 << 30, &buf,
	    NULL)) == 0) {
		fwrite(buf.data, 1, buf.len, out);
		status = EX_OK;
	} else
		log_warn("cannot read the queue listing: %s", strerror(rc));
out:
	if (ifd >= 0)
		close(ifd);
	if (dfd >= 0)
		close(dfd);
	strbuf_free(&buf);
	return status;
}

int
admin_list(FILE *out)
{
	struct strbuf buf = STRBUF_INIT;
	int qfd = admin_open(SPOOL_QUEUE), ifd;

	if (qfd < 0)
		return admin_list_via_worker(out);
	ifd = admin_open(SPOOL_INCOMING);
	listing_build(qfd, ifd, &buf);
	fwrite(buf.data, 1, buf.len, out);
	strbuf_free(&buf);
	close(qfd);
	if (ifd >= 0)
		close(ifd);
	return EX_OK;
}

int
admin_flush(void)
{
	const char *prog = paths_worker_program();
	char *argv[] = { (char *)prog, "--once", "--flush", NULL };
	int qfd, status;
	pid_t pid;

	if (admin_poke(SPOOL_REQ_FLUSH)) {
		printf("asked posternd to try every queued message now\n");
		return EX_OK;
	}
	if ((qfd = admin_open(SPOOL_QUEUE)) < 0) {
		log_warn("posternd is not running, and only root and the postern "
		    "user can run the queue; queued mail goes out when it starts");
		return EX_UNAVAILABLE;
	}
	close(qfd);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_syswarn("fork");
		return EX_OSERR;
	}
	if (pid == 0) {
		execv(prog, argv);
		log_syswarn("cannot run %s", prog);
		_exit(EX_UNAVAILABLE);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

/* admin_print_time - "2026-11-23 10:00:00 +0000" */
static void
admin_print_time(FILE *out, const char *label, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z", &tm);
	fprintf(out, "%s: %s\n", label, buf);
}

/*
 * admin_become_owner - as root, act as the owner of the spool from now on,
 * so that no entry is rewritten as root; a sysexits status
 */
static int
admin_become_owner(void)
{
	const char *why;
	int rc = spool_become_owner(paths_spool_dir(), &why);

	if (rc == 0)
		return EX_OK;
	log_warn("%s/%s: %s: %s", paths_spool_dir(), SPOOL_QUEUE, why,
	    strerror(rc));
	return rc == ENOENT ? EX_UNAVAILABLE : EX_OSERR;
}

/* admin_open_queue - the queue directory, or a message and -1 */
static int
admin_open_queue(void)
{
	int qfd = admin_open(SPOOL_QUEUE);

	if (qfd < 0)
		log_syswarn("cannot open the queue %s/%s%s", paths_spool_dir(),
		    SPOOL_QUEUE, errno == EACCES ?
		    " (only root and the postern user may)" : "");
	return qfd;
}

/* admin_entry_status - the sysexits status for a qentry_open() error */
static int
admin_entry_status(const char *qid, int rc, const struct strbuf *err)
{
	if (rc == ENOENT) {
		log_warn("%s: no such queue entry", qid);
		return EX_NOINPUT;
	}
	if (rc == EWOULDBLOCK) {
		log_warn("%s: being delivered right now; try again", qid);
		return EX_TEMPFAIL;
	}
	log_warn("%s: %s", qid, rc == EINVAL ? strbuf_cstr(err) : strerror(rc));
	return rc == EINVAL ? EX_DATAERR : EX_IOERR;
}

int
admin_show(const char *qid, FILE *out)
{
	struct strbuf err = STRBUF_INIT;
	struct qentry e;
	int qfd = admin_open_queue(), rc;
	const char *body;

	if (qfd < 0)
		return errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE;
	rc = qentry_open(qfd, qid, QENTRY_NO_LOCK, &e, &err);
	close(qfd);
	if (rc != 0) {
		rc = admin_entry_status(qid, rc, &err);
		strbuf_free(&err);
		return rc;
	}
	fprintf(out, "queue id: %s\nsubmitted by: uid %ld (%s)\n", e.qid,
	    e.rec.uid, e.rec.login);
	admin_print_time(out, "arrival", e.rec.arrival);
	fprintf(out, "size: %zu\nsender: <%s>\nstate: %s%s, %u attempt%s\n",
	    e.rec.message_len, e.rec.sender, qstate_kind_name(e.st.kind),
	    e.st.hold ? ", held" : "", e.st.attempts, e.st.attempts == 1 ? "" : "s");
	if (e.st.attempts)
		admin_print_time(out, "next attempt", e.st.next_attempt);
	if (e.st.relay)
		fprintf(out, "last relay: %s\n", e.st.relay);
	if (e.st.reason)
		fprintf(out, "deferred: %s\n", e.st.reason);
	for (size_t i = 0; i < e.rec.nrcpts; i++)
		fprintf(out, "recipient: <%s> %s%s%s\n", e.rec.rcpts[i].address,
		    qstate_status_name(e.st.rcpts[i].status),
		    e.st.rcpts[i].text ? ": " : "",
		    e.st.rcpts[i].text ? e.st.rcpts[i].text : "");
	fputs("\n", out);
	/* headers only: up to the first empty line */
	body = e.rec.message;
	for (size_t i = 0; i < e.rec.message_len; i++) {
		if (e.rec.message[i] == '\n' &&
		    (i + 1 == e.rec.message_len || e.rec.message[i + 1] == '\n')) {
			body = e.rec.message + i + 1;
			break;
		}
		if (i + 1 == e.rec.message_len)
			body = e.rec.message + e.rec.message_len;
	}
	fwrite(e.rec.message, 1, (size_t)(body - e.rec.message), out);
	qentry_close(&e);
	strbuf_free(&err);
	return EX_OK;
}

/* admin_change_one - apply what to one entry under its lock */
static int
admin_change_one(int qfd, enum admin_change what, const char *qid)
{
	static const char *const done[] = { "held", "released",
	    "scheduled for immediate delivery", "deleted" };
	struct strbuf err = STRBUF_INIT;
	struct qentry e;
	int rc;

	for (int waited = 0;; waited += 100) {
		strbuf_reset(&err);
		rc = qentry_open(qfd, qid, QENTRY_TRY_LOCK, &e, &err);
		if (rc != EWOULDBLOCK || waited >= ADMIN_WAIT_MS)
			break;
		admin_sleep_ms(100);
	}
	if (rc == EINVAL && what == ADMIN_DELETE)
		rc = 0, e.fd = -1;	/* a damaged entry can still be deleted */
	if (rc != 0) {
		rc = admin_entry_status(qid, rc, &err);
		strbuf_free(&err);
		return rc;
	}
	switch (what) {
	case ADMIN_HOLD:
		e.st.hold = true;
		break;
	case ADMIN_RELEASE:
		e.st.hold = false;
		e.st.next_attempt = 0;
		break;
	case ADMIN_RETRY:
		e.st.next_attempt = 0;
		break;
	case ADMIN_DELETE:
		break;
	}
	rc = what == ADMIN_DELETE ? qentry_remove(qfd, qid, true) : qentry_save(qfd, &e);
	qentry_close(&e);
	strbuf_free(&err);
	if (rc != 0) {
		log_warn("%s: %s", qid, strerror(rc));
		return EX_IOERR;
	}
	printf("%s: %s\n", qid, done[what]);
	return EX_OK;
}

/* admin_delete_all - delete every entry; the first failure's status */
static int
admin_delete_all(int qfd)
{
	int fd = dup(qfd), status = EX_OK, rc;
	DIR *dir;
	struct dirent *de;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		log_syswarn("cannot read the queue");
		if (fd >= 0)
			close(fd);
		return EX_IOERR;
	}
	while ((de = readdir(dir)) != NULL)
		if (qid_valid(de->d_name) &&
		    (rc = admin_change_one(qfd, ADMIN_DELETE, de->d_name)) != EX_OK &&
		    status == EX_OK)
			status = rc;
	closedir(dir);
	return status;
}

/*
 * admin_repair_owner - as root, give the root-owned files of dirfd (those
 * of entry only, or all when only is NULL) to the spool's owner: what an
 * administrator's command running as root once left behind cannot be
 * read by the worker
 */
static void
admin_repair_owner(int zfd, const char *only)
{
	int fd;
	DIR *dir;
	struct dirent *de;
	struct stat sb;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || !spool_owner_of_queue(paths_spool_dir(), &uid, &gid) ||
	    uid == 0 || (fd = dup(zfd)) < 0)
		return;
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return;
	}
	rewinddir(dir);		/* the descriptor's offset is shared */
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || (only && strncmp(de->d_name, only,
		    QID_LEN) != 0))
			continue;
		if (fstatat(zfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && sb.st_uid == 0 &&
		    fchownat(zfd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_syswarn("%s: cannot give it to uid %lu", de->d_name,
			    (unsigned long)uid);
	}
	closedir(dir);
}

/*
 * admin_delete_kept - delete qid from the dead letters or the quarantine
 * (message and state); false when it is in neither
 */
static bool
admin_delete_kept(int qfd, const char *qid)
{
	static const char *const dirs[] = { SPOOL_DEAD_LETTER, SPOOL_QUARANTINE };
	char state[64];
	bool found = false;

	STR_MUST_FIT(str_format(state, sizeof(state), "%s%s", qid, SPOOL_STATE_SUFFIX));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !found; i++) {
		int dfd = openat(qfd, dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			continue;
		if (unlinkat(dfd, qid, 0) == 0) {
			found = true;
			(void)unlinkat(dfd, state, 0);
			spool_fsync_dir(dfd);
			printf("%s: deleted from %s/%s\n", qid, SPOOL_QUEUE, dirs[i]);
		}
		close(dfd);
	}
	return found;
}

int
admin_change(enum admin_change what, const char *qid)
{
	int qfd, status;

	if ((qfd = admin_open_queue()) < 0)
		return errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE;
	if (qid_valid(qid))
		admin_repair_owner(qfd, qid);
	if ((status = admin_become_owner()) != EX_OK) {
		close(qfd);
		return status;
	}
	if (what == ADMIN_DELETE && strcmp(qid, "ALL") == 0)
		status = admin_delete_all(qfd);
	else if (!qid_valid(qid)) {
		log_warn("%s: not a queue ID (17 hex digits, as mailq shows)", qid);
		status = EX_USAGE;
	} else if (what == ADMIN_DELETE &&
	    faccessat(qfd, qid, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    admin_delete_kept(qfd, qid))
		status = EX_OK;
	else
		status = admin_change_one(qfd, what, qid);
	close(qfd);
	admin_poke(SPOOL_REQ_RESCAN);
	return status;
}

/*
 * admin_requeue_one - move quarantine/name back where it came from: an
 * entry with a delivery state, or owned by the queue's owner, was in
 * queue/; any other was a submission, rejected at pickup, and goes back
 * to incoming/ to be checked again. Runs as the spool's owner, after
 * admin_requeue() repaired root-owned files.
 */
static int
admin_requeue_one(int qfd, int zfd, int ifd, const char *name)
{
	char state[64];
	struct stat sb;
	bool to_queue;

	if (fstatat(zfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		log_warn("%s: %s", name, errno == ENOENT ?
		    "not in quarantine or among the dead letters" : strerror(errno));
		return errno == ENOENT ? EX_NOINPUT : EX_IOERR;
	}
	STR_MUST_FIT(str_format(state, sizeof(state), "%s%s", name, SPOOL_STATE_SUFFIX));
	to_queue = sb.st_uid == geteuid() ||
	    faccessat(zfd, state, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (!to_queue && ifd < 0) {
		log_warn("%s: cannot open %s/%s", name, paths_spool_dir(),
		    SPOOL_INCOMING);
		return EX_IOERR;
	}
	if (renameat2(zfd, name, to_queue ? qfd : ifd, name, RENAME_NOREPLACE) < 0) {
		log_warn("%s: cannot move it back into the queue: %s", name,
		    errno == EEXIST ? "an entry of that name is queued" :
		    strerror(errno));
		return EX_IOERR;
	}
	if (to_queue && renameat(zfd, state, qfd, state) < 0 && errno != ENOENT)
		log_syswarn("%s: cannot move its delivery state", name);
	spool_fsync_dir(to_queue ? qfd : ifd);
	printf("%s: requeued%s\n", name, to_queue ? "" : " for pickup");
	return EX_OK;
}

/*
 * admin_requeue_dir - requeue qid ("ALL": every entry) from the kept
 * entries in dirname (quarantine or dead letters) of qfd; *found is set
 * when qid was there
 */
static int
admin_requeue_dir(int qfd, int ifd, const char *dirname, const char *qid,
    bool *found)
{
	int zfd, fd, status = EX_OK, rc;
	DIR *dir;
	struct dirent *de;

	if ((zfd = openat(qfd, dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? EX_OK : EX_IOERR;
	if (strcmp(qid, "ALL") != 0) {
		if (faccessat(zfd, qid, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			*found = true;
			status = admin_requeue_one(qfd, zfd, ifd, qid);
		}
		close(zfd);
		return status;
	}
	if ((fd = dup(zfd)) < 0 || !(dir = fdopendir(fd))) {
		log_syswarn("cannot read %s/%s", SPOOL_QUEUE, dirname);
		if (fd >= 0)
			close(fd);
		close(zfd);
		return EX_IOERR;
	}
	rewinddir(dir);		/* the descriptor's offset is shared */
	while ((de = readdir(dir)) != NULL)
		if (qid_valid(de->d_name) &&
		    (rc = admin_requeue_one(qfd, zfd, ifd, de->d_name)) != EX_OK &&
		    status == EX_OK)
			status = rc;
	closedir(dir);
	close(zfd);
	return status;
}

int
admin_requeue(const char *qid)
{
	static const char *const dirs[] = { SPOOL_QUARANTINE, SPOOL_DEAD_LETTER };
	int qfd = -1, ifd = -1, status = EX_OK, rc;
	bool all = strcmp(qid, "ALL") == 0, found = false;

	if (!all && !qid_valid(qid)) {
		log_warn("%s: not a queue ID (17 hex digits, as mailq shows)", qid);
		return EX_USAGE;
	}
	if ((qfd = admin_open_queue()) < 0)
		return errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int zfd = openat(qfd, dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (zfd >= 0) {
			admin_repair_owner(zfd, all ? NULL : qid);
			close(zfd);
		}
	}
	if ((status = admin_become_owner()) != EX_OK)
		goto out;
	ifd = admin_open(SPOOL_INCOMING);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !found; i++)
		if ((rc = admin_requeue_dir(qfd, ifd, dirs[i], qid, &found)) != EX_OK &&
		    status == EX_OK)
			status = rc;
	if (!all && !found) {
		log_warn("%s: not in quarantine or among the dead letters", qid);
		status = EX_NOINPUT;
	}
out:
	if (ifd >= 0)
		close(ifd);
	close(qfd);
	admin_poke(SPOOL_REQ_RESCAN);
	return status;
}

int
admin_wait_result(const char *qid, unsigned timeout_ms, FILE *out)
{
	struct strbuf buf = STRBUF_INIT;
	char name[64];
	int dfd = admin_open(SPOOL_PUBLIC);
	unsigned waited = 0;

	STR_MUST_FIT(str_format(name, sizeof(name), "%s%s", SPOOL_RESULT_PREFIX, qid));
	if (dfd < 0 || !admin_poke(SPOOL_REQ_PING)) {
		fprintf(out, "sendmail: %s: queued; posternd is not running, so "
		    "delivery starts when it does\n", qid);
		goto out;
	}
	while (spool_read_file(dfd, name, 1 << 20, &buf, NULL) != 0) {
		if (waited >= timeout_ms) {
			fprintf(out, "sendmail: %s: queued; no delivery attempt within "
			    "%u seconds\n", qid, timeout_ms / 1000);
			goto out;
		}
		strbuf_reset(&buf);
		admin_sleep_ms(50);
		waited += 50;
	}
	for (char *line = buf.data, *nl; line && *line; line = nl) {
		char *addr, *text;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (!(addr = strchr(line, ' ')))
			continue;
		*addr++ = '\0';
		if ((text = strchr(addr, ' ')) != NULL)
			*text++ = '\0';
		fprintf(out, "sendmail: %s: to=<%s> status=%s (%s)\n", qid, addr,
		    line, text ? text : "");
	}
out:
	if (dfd >= 0)
		close(dfd);
	strbuf_free(&buf);
	return EX_OK;
}
