/*
 * submission.c - the worker's side of the submit socket (submission.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock_ms.h"
#include "log.h"
#include "pickup.h"
#include "qid.h"
#include "qrecord.h"
#include "queue_sync.h"
#include "schedule.h"
#include "spool.h"
#include "strutil.h"
#include "submission.h"
#include "xalloc.h"

#define SUBMISSION_STACK	((size_t)256 << 10)
#define SUBMISSION_POLL_MS	250	/* how often a reading thread looks at
					   w->stopping */

/* The clients being served; guarded by lock. */
struct submission {
	atomic_size_t buffered;		/* bytes all clients' records hold */
	pthread_mutex_t lock;
	pthread_cond_t gone;		/* a client's thread ended */
	unsigned n;
	struct { uid_t uid; unsigned n; } per_uid[SUBMISSION_MAX_CLIENTS];
};

struct submission_client {
	struct worker *w;
	int fd;
	uid_t uid;
	pid_t pid;
};

/* submission_addr - the socket's address, or false if it cannot be named */
static bool
submission_addr(struct worker *w, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* through /proc, since the spool's own path may be too long */
	return str_format(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s",
	    w->public_fd, SPOOL_SUBMIT_SOCKET);
}

int
submission_listen(struct worker *w)
{
	struct sockaddr_un sa;
	int fd;

	if (w->public_fd < 0 || !submission_addr(w, &sa))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_syswarn("cannot create the submit socket; sendmail will use the "
		    "spool writer");
		return -1;
	}
	/* the lock file says no other worker owns it: a leftover of a crash */
	unlinkat(w->public_fd, SPOOL_SUBMIT_SOCKET, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(w->public_fd, SPOOL_SUBMIT_SOCKET, 0666, 0) < 0 ||
	    listen(fd, 64) < 0) {
		log_syswarn("cannot listen on %s/%s; sendmail will use the spool "
		    "writer", SPOOL_PUBLIC, SPOOL_SUBMIT_SOCKET);
		unlinkat(w->public_fd, SPOOL_SUBMIT_SOCKET, 0);
		close(fd);
		return -1;
	}
	w->submission = xcalloc(1, sizeof(*w->submission));
	pthread_mutex_init(&w->submission->lock, NULL);
	pthread_cond_init(&w->submission->gone, NULL);
	return fd;
}

/* submission_enter - take a slot for uid; false if over a limit */
static bool
submission_enter(struct submission *s, uid_t uid)
{
	size_t i, free_slot = SUBMISSION_MAX_CLIENTS;
	bool ok = false;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < SUBMISSION_MAX_CLIENTS; i++) {
		if (s->per_uid[i].n > 0 && s->per_uid[i].uid == uid)
			break;
		if (s->per_uid[i].n == 0 && free_slot == SUBMISSION_MAX_CLIENTS)
			free_slot = i;
	}
	if (i == SUBMISSION_MAX_CLIENTS)
		i = free_slot;
	if (s->n < SUBMISSION_MAX_CLIENTS && i < SUBMISSION_MAX_CLIENTS &&
	    s->per_uid[i].n < SUBMISSION_MAX_PER_UID) {
		s->per_uid[i].uid = uid;
		s->per_uid[i].n++;
		s->n++;
		ok = true;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* submission_leave - give uid's slot back */
static void
submission_leave(struct submission *s, uid_t uid)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < SUBMISSION_MAX_CLIENTS; i++)
		if (s->per_uid[i].n > 0 && s->per_uid[i].uid == uid) {
			s->per_uid[i].n--;
			break;
		}
	s->n--;
	pthread_cond_broadcast(&s->gone);
	pthread_mutex_unlock(&s->lock);
}

/* submission_reply - send the answer line; the client may be gone */
static void
submission_reply(struct submission_client *c, int status, const char *text)
{
	char line[SPOOL_SUBMIT_REPLY_MAX];
	size_t len;

	STR_TRUNCATION_OK(str_format(line, sizeof(line) - 1, "%d %s", status, text));
	len = strlen(line);
	line[len++] = '\n';
	(void)send(c->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * submission_read - the client's bytes until it shuts down its side.
 * 0, EFBIG over limit, ETIMEDOUT, ECANCELED when the worker stops or
 * the clients together hold SUBMISSION_MEMORY_MAX, or an errno of the
 * socket. *held is what this client adds to the shared count: its
 * buffer's allocated size.
 */
static int
submission_read(struct submission_client *c, struct strbuf *buf, size_t limit,
    size_t *held)
{
	uint64_t deadline = clock_ms_now() + SUBMISSION_TIMEOUT_MS;
	atomic_size_t *buffered = &c->w->submission->buffered;

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		uint64_t now = clock_ms_now();
		ssize_t n;

		if (atomic_load(&c->w->stopping))
			return ECANCELED;
		if (now >= deadline)
			return ETIMEDOUT;
		if (poll(&p, 1, deadline - now > SUBMISSION_POLL_MS ?
		    SUBMISSION_POLL_MS : (int)(deadline - now)) <= 0)
			continue;
		strbuf_reserve(buf, 65536);
		if (buf->cap > *held) {		/* count what is allocated */
			size_t grow = buf->cap - *held;

			if (atomic_fetch_add(buffered, grow) + grow >
			    SUBMISSION_MEMORY_MAX) {
				atomic_fetch_sub(buffered, grow);
				return ECANCELED;	/* the writer takes this one */
			}
			*held += grow;
		}
		n = read(c->fd, buf->data + buf->len, 65536);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno;
		}
		buf->len += (size_t)n;
		buf->data[buf->len] = '\0';
		if (buf->len > limit)
			return EFBIG;
	}
}

/* submission_trusted_header - the lines the writer would write */
static void
submission_trusted_header(struct submission_client *c, struct strbuf *buf)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096], login[64];

	/* A name that is odd or too long for the line is given as "#uid". */
	if (getpwuid_r(c->uid, &pw, pwbuf, sizeof(pwbuf), &found) != 0 ||
	    !found || !pw.pw_name[0] ||
	    strcspn(pw.pw_name, " \t\r\n") != strlen(pw.pw_name) ||
	    !str_copy(login, sizeof(login), pw.pw_name))
		STR_MUST_FIT(str_format(login, sizeof(login), "#%lu",
		    (unsigned long)c->uid));
	qrecord_encode_trusted(buf, (long)c->uid, login, worker_now());
}

/*
 * submission_check_limits - max_message_size (65) and, except for root,
 * the user's share of the queue (75); 0 when within them
 */
static int
submission_check_limits(struct submission_client *c, const struct qrecord *rec,
    struct strbuf *why)
{
	struct wconf *wc = worker_conf_get(c->w);
	uint64_t max_size = wc->conf->queue.max_message_size;
	uint64_t max_msgs = wc->conf->queue.user_max_messages;
	uint64_t max_bytes = wc->conf->queue.user_max_size;
	struct schedule_usage u;

	worker_conf_put(c->w, wc);
	if (max_size && rec->message_len > max_size) {
		strbuf_printf(why, "the message (%zu bytes) is larger than "
		    "max_message_size (%llu bytes)", rec->message_len,
		    (unsigned long long)max_size);
		return EX_DATAERR;
	}
	if (c->uid == 0 || (!max_msgs && !max_bytes))
		return 0;
	schedule_usage_of(c->w->sched, (uint32_t)c->uid, &u);
	if (max_msgs && u.messages >= max_msgs)
		strbuf_printf(why, "you have %llu messages queued, the most one "
		    "user may (user_max_messages); try again once some are "
		    "delivered", (unsigned long long)u.messages);
	else if (max_bytes && u.bytes + rec->message_len > max_bytes)
		strbuf_printf(why, "with this message (%zu bytes) you would have "
		    "more than user_max_size (%llu bytes) queued; try again once "
		    "some are delivered", rec->message_len,
		    (unsigned long long)max_bytes);
	else
		return 0;
	return EX_TEMPFAIL;
}

/*
 * submission_name - a queue ID free in queue/ and incoming/ (pickup takes
 * an incoming entry whose name queue/ holds for one it copied already)
 */
static void
submission_name(struct worker *w, char qid[QID_LEN + 1])
{
	do
		qid_new(qid);
	while (faccessat(w->queue_fd, qid, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(w->incoming_fd, qid, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
}

/*
 * submission_store - write the entry into queue/ and make it durable;
 * 0 with qid set, or a sysexits status with the reason in why
 */
static int
submission_store(struct worker *w, const struct strbuf *buf,
    char qid[QID_LEN + 1], struct strbuf *why)
{
	int rc;

	submission_name(w, qid);
	if ((rc = spool_write_file(w->queue_fd, qid, buf->data, buf->len, 0600,
	    SPOOL_SYNC_DATA)) != 0) {
		strbuf_printf(why, "cannot write the queue file: %s", strerror(rc));
		return EX_TEMPFAIL;
	}
	if (!queue_sync_commit(w)) {
		unlinkat(w->queue_fd, qid, 0);
		strbuf_puts(why, "cannot sync the queue directory; nothing was queued");
		return EX_TEMPFAIL;
	}
	return 0;
}

/* submission_serve - one client, from its first byte to the answer */
static void
submission_serve(struct submission_client *c)
{
	struct worker *w = c->w;
	struct strbuf buf = STRBUF_INIT, why = STRBUF_INIT;
	struct qrecord rec;
	size_t header, held = 0;
	char qid[QID_LEN + 1];
	int rc, status;

	submission_trusted_header(c, &buf);
	header = buf.len;
	rc = submission_read(c, &buf, header + pickup_limit(w), &held);
	if (rc == ECANCELED)
		goto out;	/* no answer: sendmail runs the writer */
	if (rc != 0) {
		log_warn("submission from uid=%lu pid=%ld refused: %s",
		    (unsigned long)c->uid, (long)c->pid, rc == EFBIG ?
		    "larger than the queue accepts" : strerror(rc));
		if (rc == EFBIG)
			submission_reply(c, EX_DATAERR, "the message is larger than "
			    "the queue accepts (max_message_size)");
		goto out;
	}
	if (!qrecord_decode(buf.data, buf.len, true, &rec, &why)) {
		log_warn("submission from uid=%lu pid=%ld refused: %s",
		    (unsigned long)c->uid, (long)c->pid, strbuf_cstr(&why));
		submission_reply(c, EX_DATAERR, strbuf_cstr(&why));
		goto out;
	}
	status = submission_check_limits(c, &rec, &why);
	if (status == 0 && !pickup_sender_policy(w, "submission", &rec, &buf)) {
		strbuf_puts(&why, "cannot apply the sender rules of postern.conf");
		status = EX_TEMPFAIL;
	}
	if (status == 0)
		status = submission_store(w, &buf, qid, &why);
	if (status != 0) {
		log_warn("submission from uid=%lu pid=%ld refused: %s",
		    (unsigned long)c->uid, (long)c->pid, strbuf_cstr(&why));
		submission_reply(c, status, strbuf_cstr(&why));
		qrecord_free(&rec);
		goto out;
	}
	schedule_put(w->sched, qid, 0, false);
	schedule_set_owner(w->sched, qid, (uint32_t)c->uid, buf.len);
	log_info("%s: uid=%lu from=<%s> size=%zu nrcpt=%zu", qid,
	    (unsigned long)c->uid, rec.sender, rec.message_len, rec.nrcpts);
	submission_reply(c, 0, qid);
	qrecord_free(&rec);
out:
	atomic_fetch_sub(&w->submission->buffered, held);
	strbuf_free(&buf);
	strbuf_free(&why);
}

static void *
submission_thread(void *arg)
{
	struct submission_client *c = arg;

	submission_serve(c);
	close(c->fd);
	submission_leave(c->w->submission, c->uid);
	free(c);
	return NULL;
}

/* submission_start - a thread for the client on fd, or close it */
static void
submission_start(struct worker *w, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct submission_client *c;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred)) {
		log_syswarn("submit socket: no peer credentials; closed");
		close(fd);
		return;
	}
	if (atomic_load(&w->stopping) || !submission_enter(w->submission, cred.uid)) {
		log_debug("submission from uid=%lu pid=%ld: no free slot; sendmail "
		    "will use the spool writer", (unsigned long)cred.uid,
		    (long)cred.pid);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, SUBMISSION_STACK);
	rc = pthread_create(&t, &attr, submission_thread, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_warn("submit socket: cannot start a thread: %s", strerror(rc));
		submission_leave(w->submission, c->uid);
		close(fd);
		free(c);
	}
}

void
submission_accept(struct worker *w, int lfd)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		submission_start(w, fd);
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ECONNABORTED)
		log_syswarn("submit socket: accept");
}

bool
submission_stop(struct worker *w, int lfd, unsigned grace_ms)
{
	struct submission *s = w->submission;
	struct timespec until;
	bool idle;

	if (lfd < 0 || !s)
		return true;
	unlinkat(w->public_fd, SPOOL_SUBMIT_SOCKET, 0);
	close(lfd);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += grace_ms / 1000;
	until.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (s->n > 0 && pthread_cond_timedwait(&s->gone, &s->lock, &until) == 0)
		;
	idle = s->n == 0;
	pthread_mutex_unlock(&s->lock);
	if (idle) {		/* else a client's thread still uses it */
		pthread_cond_destroy(&s->gone);
		pthread_mutex_destroy(&s->lock);
		free(s);
		w->submission = NULL;
	}
	return idle;
}
