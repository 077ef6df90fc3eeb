/*
 * status.c - gather and print "postern status". See status.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "qentry.h"
#include "status.h"
#include "spool.h"
#include "strutil.h"

struct status_facts {
	bool queue_readable;
	int running;			/* 1 yes, 0 no, -1 unknown */
	long pid;
	int64_t started, last_success, last_error;
	char last_success_text[512], last_error_text[512];
	uint64_t sent, deferred_total, bounced;
	size_t messages, deferred, held, incoming, quarantined, dead_letters;
	int64_t oldest;			/* arrival of the oldest entry; 0 none */
	char oldest_qid[QID_LEN + 1];
	int64_t oldest_deferred;	/* arrival of the oldest deferred; 0 none */
};

/* status_open - a spool subdirectory, or -1 */
static int
status_open(const char *sub)
{
	char path[4096];

	if (!str_format(path, sizeof(path), "%s%s%s", paths_spool_dir(),
	    sub[0] ? "/" : "", sub))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* status_count - entries of dirfd that are queue IDs */
static size_t
status_count(int dirfd)
{
	int fd = dirfd >= 0 ? dup(dirfd) : -1;
	DIR *dir;
	struct dirent *de;
	size_t n = 0;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL)
		n += qid_valid(de->d_name);
	closedir(dir);
	return n;
}

/* status_scan_queue - count and date the entries of the private queue */
static void
status_scan_queue(int qfd, struct status_facts *f)
{
	int fd = dup(qfd);
	DIR *dir;
	struct dirent *de;

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		struct strbuf err = STRBUF_INIT;
		struct qentry e;

		if (!qid_valid(de->d_name) ||
		    qentry_open(qfd, de->d_name, QENTRY_NO_LOCK, &e, &err) != 0) {
			strbuf_free(&err);
			continue;
		}
		f->messages++;
		f->held += e.st.hold;
		if (e.st.attempts > 0 && qstate_pending(&e.st) > 0) {
			f->deferred++;
			if (!f->oldest_deferred || e.rec.arrival < f->oldest_deferred)
				f->oldest_deferred = e.rec.arrival;
		}
		if (!f->oldest || e.rec.arrival < f->oldest) {
			f->oldest = e.rec.arrival;
			STR_MUST_FIT(str_copy(f->oldest_qid, sizeof(f->oldest_qid), e.qid));
		}
		qentry_close(&e);
		strbuf_free(&err);
	}
	closedir(dir);
}

/* status_running - probe the worker's lock: 1 held, 0 free, -1 unknown */
static int
status_running(int qfd)
{
	int fd = openat(qfd, SPOOL_LOCK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int running;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	running = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return running;
}

/* status_ping - whether a worker reads the public FIFO */
static bool
status_ping(int pfd)
{
	char req = SPOOL_REQ_PING;
	int fd = openat(pfd, SPOOL_FLUSH_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, &req, 1) == 1;
	close(fd);
	return ok;
}

/* status_read_worker - the fields of public/status */
static void
status_read_worker(int pfd, struct status_facts *f)
{
	struct strbuf buf = STRBUF_INIT;

	if (pfd < 0 || spool_read_file(pfd, SPOOL_STATUS, 65536, &buf, NULL) != 0) {
		strbuf_free(&buf);
		return;
	}
	for (char *line = buf.data, *nl; line && *line; line = nl) {
		char *v;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (!(v = strchr(line, ' ')))
			continue;
		*v++ = '\0';
		if (strcmp(line, "pid") == 0)
			f->pid = strtol(v, NULL, 10);
		else if (strcmp(line, "started") == 0)
			f->started = strtoll(v, NULL, 10);
		else if (strcmp(line, "last_success") == 0)
			f->last_success = strtoll(v, NULL, 10);
		else if (strcmp(line, "last_error") == 0)
			f->last_error = strtoll(v, NULL, 10);
		else if (strcmp(line, "last_success_text") == 0)
			STR_TRUNCATION_OK(str_copy(f->last_success_text, sizeof(f->last_success_text), v));
		else if (strcmp(line, "last_error_text") == 0)
			STR_TRUNCATION_OK(str_copy(f->last_error_text, sizeof(f->last_error_text), v));
		else if (strcmp(line, "sent") == 0)
			f->sent = strtoull(v, NULL, 10);
		else if (strcmp(line, "deferred") == 0)
			f->deferred_total = strtoull(v, NULL, 10);
		else if (strcmp(line, "bounced") == 0)
			f->bounced = strtoull(v, NULL, 10);
	}
	strbuf_free(&buf);
}

/* status_problems - why the system is degraded; "" when healthy */
static void
status_problems(const struct status_facts *f, int64_t now, struct strbuf *out)
{
	if (f->running == 0)
		strbuf_puts(out, "posternd is not running; ");
	if (f->oldest_deferred && now - f->oldest_deferred > STATUS_STALE_SECONDS)
		strbuf_printf(out, "mail deferred for %" PRId64 " minutes; ",
		    (now - f->oldest_deferred) / 60);
	if (f->deferred > 0 && f->last_error > f->last_success)
		strbuf_puts(out, "the last attempt failed; ");
	if (f->quarantined > 0)
		strbuf_printf(out, "%zu message%s in quarantine (postern requeue "
		    "after fixing the cause); ", f->quarantined,
		    f->quarantined == 1 ? "" : "s");
	if (f->dead_letters > 0)
		strbuf_printf(out, "%zu dead letter%s (undeliverable and unreported; "
		    "see mailq, then postern requeue or delete); ", f->dead_letters,
		    f->dead_letters == 1 ? "" : "s");
	if (out->len >= 2)
		out->data[out->len -= 2] = '\0';
}

static void
status_when(FILE *out, const char *label, int64_t t, const char *text)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		fprintf(out, "%-14s none\n", label);
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%-14s %s%s%s\n", label, buf, text && *text ? "  " : "",
	    text ? text : "");
}

static void
status_print(const struct status_facts *f, const char *problems, FILE *out)
{
	if (f->running == 1)
		fprintf(out, "%-14s running (pid %ld)\n", "worker:", f->pid);
	else
		fprintf(out, "%-14s %s\n", "worker:", f->running == 0 ?
		    "NOT running" : "unknown");
	if (f->queue_readable)
		fprintf(out, "%-14s %zu message%s, %zu deferred, %zu held, %zu "
		    "waiting for pickup, %zu quarantined, %zu dead letters\n",
		    "queue:", f->messages, f->messages == 1 ? "" : "s", f->deferred,
		    f->held, f->incoming, f->quarantined, f->dead_letters);
	else
		fprintf(out, "%-14s (readable only by root and the postern user)\n",
		    "queue:");
	if (f->oldest)
		status_when(out, "oldest:", f->oldest, f->oldest_qid);
	status_when(out, "last sent:", f->last_success, f->last_success_text);
	status_when(out, "last error:", f->last_error, f->last_error_text);
	fprintf(out, "%-14s %s%s\n", "status:", problems[0] ? "DEGRADED: " :
	    "healthy", problems);
}

static void
status_metric(FILE *out, const char *name, const char *help, const char *type,
    const char *labels, double value)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s%s %.0f\n", name, help, name,
	    type, name, labels, value);
}

static void
status_prometheus(const struct status_facts *f, bool healthy, int64_t now,
    FILE *out)
{
	status_metric(out, "postern_up", "Whether posternd is running.", "gauge",
	    "", f->running == 1);
	status_metric(out, "postern_healthy", "1 when postern status reports healthy.",
	    "gauge", "", healthy);
	if (f->queue_readable) {
		status_metric(out, "postern_queue_messages", "Messages in the queue.",
		    "gauge", "", (double)f->messages);
		status_metric(out, "postern_queue_deferred", "Messages deferred at "
		    "least once.", "gauge", "", (double)f->deferred);
		status_metric(out, "postern_queue_held", "Messages on hold.", "gauge",
		    "", (double)f->held);
		status_metric(out, "postern_queue_incoming", "Messages waiting for "
		    "pickup.", "gauge", "", (double)f->incoming);
		status_metric(out, "postern_queue_quarantined", "Rejected queue "
		    "entries kept in quarantine.", "gauge", "", (double)f->quarantined);
		status_metric(out, "postern_queue_dead_letters", "Undeliverable "
		    "messages nobody could be told about, kept in deadletter/.",
		    "gauge", "", (double)f->dead_letters);
		status_metric(out, "postern_queue_oldest_age_seconds", "Age of the "
		    "oldest queued message.", "gauge", "",
		    f->oldest ? (double)(now - f->oldest) : 0);
	}
	status_metric(out, "postern_last_success_timestamp_seconds", "When a "
	    "recipient was last delivered.", "gauge", "", (double)f->last_success);
	status_metric(out, "postern_last_error_timestamp_seconds", "When a "
	    "recipient was last deferred or bounced.", "gauge", "",
	    (double)f->last_error);
	fprintf(out, "# HELP postern_recipients_total Recipients by outcome since "
	    "posternd started.\n# TYPE postern_recipients_total counter\n"
	    "postern_recipients_total{status=\"sent\"} %" PRIu64 "\n"
	    "postern_recipients_total{status=\"deferred\"} %" PRIu64 "\n"
	    "postern_recipients_total{status=\"bounced\"} %" PRIu64 "\n",
	    f->sent, f->deferred_total, f->bounced);
}

int
status_report(bool prometheus, const char *config_problem, FILE *out)
{
	struct status_facts f;
	struct strbuf problems = STRBUF_INIT;
	int qfd = status_open(SPOOL_QUEUE), pfd = status_open(SPOOL_PUBLIC);
	int64_t now = (int64_t)time(NULL);
	bool healthy;

	memset(&f, 0, sizeof(f));
	f.running = -1;
	if (qfd >= 0) {
		int ifd = status_open(SPOOL_INCOMING), zfd;

		f.queue_readable = true;
		f.running = status_running(qfd);
		status_scan_queue(qfd, &f);
		f.incoming = status_count(ifd);
		zfd = openat(qfd, SPOOL_QUARANTINE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		f.quarantined = status_count(zfd);
		if (zfd >= 0)
			close(zfd);
		zfd = openat(qfd, SPOOL_DEAD_LETTER, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		f.dead_letters = status_count(zfd);
		if (zfd >= 0)
			close(zfd);
		if (ifd >= 0)
			close(ifd);
	}
	if (f.running == -1 && pfd >= 0)
		f.running = status_ping(pfd);
	if (f.running == -1)
		f.running = 0;
	status_read_worker(pfd, &f);
	if (config_problem)
		strbuf_printf(&problems, "%s; ", config_problem);
	status_problems(&f, now, &problems);
	healthy = problems.len == 0;
	if (prometheus)
		status_prometheus(&f, healthy, now, out);
	else
		status_print(&f, strbuf_cstr(&problems), out);
	strbuf_free(&problems);
	if (qfd >= 0)
		close(qfd);
	if (pfd >= 0)
		close(pfd);
	return prometheus || healthy ? EX_OK : 1;
}
