/*
 * listing.c - build the mailq listing from the queue directories. See
 * listing.h for the layout.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "listing.h"
#include "qentry.h"
#include "spool.h"
#include "xalloc.h"

struct listing_names {
	char (*ids)[QID_LEN + 1];
	size_t count, cap;
};

static int
listing_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* listing_collect - the queue IDs in dirfd, sorted (oldest first) */
static void
listing_collect(int dirfd, struct listing_names *out)
{
	DIR *dir;
	struct dirent *de;

	memset(out, 0, sizeof(*out));
	if ((dir = spool_opendir(dirfd)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!qid_valid(de->d_name))
			continue;
		if (out->count == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 64;
			out->ids = xreallocarray(out->ids, out->cap, sizeof(*out->ids));
		}
		memcpy(out->ids[out->count++], de->d_name, QID_LEN + 1);
	}
	closedir(dir);
	if (out->count > 1)
		qsort(out->ids, out->count, sizeof(*out->ids), listing_cmp);
}

static void
listing_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, size, "%a %b %d %H:%M:%S", &tm);
}

/* listing_entry - the lines of one entry */
static void
listing_entry(const char *qid, const struct qrecord *rec,
    const struct qstate *st, bool incoming, struct strbuf *out)
{
	char arrival[32], next[32];
	bool first = true;

	listing_time(rec->arrival, arrival, sizeof(arrival));
	strbuf_printf(out, "%s%c %8zu %-20s  %s\n", qid,
	    st && st->hold ? '!' : ' ', rec->message_len, arrival,
	    rec->sender[0] ? rec->sender : "MAILER-DAEMON");
	if (incoming)
		strbuf_puts(out, "    (waiting for pickup)\n");
	else if (st && st->attempts > 0 && st->reason) {
		listing_time(st->next_attempt, next, sizeof(next));
		strbuf_printf(out, "    (deferred, attempt %u, next %s%s%s:\n     %s)\n",
		    st->attempts, next, st->relay ? ", via " : "",
		    st->relay ? st->relay : "", st->reason);
	}
	for (size_t i = 0; i < rec->nrcpts; i++) {
		if (st && st->rcpts[i].status != QSTATE_PENDING)
			continue;
		if (st && !first && st->rcpts[i].text && st->reason &&
		    strcmp(st->rcpts[i].text, st->reason) != 0)
			strbuf_printf(out, "    (%s)\n", st->rcpts[i].text);
		strbuf_printf(out, "%50s%s\n", "", rec->rcpts[i].address);
		first = false;
	}
	strbuf_putc(out, '\n');
}

/* listing_incoming - one entry still in incoming/ */
static bool
listing_incoming(int dirfd, const char *qid, struct strbuf *out, size_t *bytes)
{
	struct strbuf buf = STRBUF_INIT, err = STRBUF_INIT;
	struct qrecord rec;
	bool ok = false;

	if (spool_read_file(dirfd, qid, (size_t)2 << 30, &buf, NULL) == 0 &&
	    qrecord_decode(buf.data, buf.len, true, &rec, &err)) {
		listing_entry(qid, &rec, NULL, true, out);
		*bytes += rec.message_len;
		qrecord_free(&rec);
		ok = true;
	}
	strbuf_free(&buf);
	strbuf_free(&err);
	return ok;
}

/* listing_count_quarantine - entries (not state files) in queue/quarantine */
static size_t
listing_count_quarantine(int queue_fd)
{
	struct listing_names z;
	int fd = openat(queue_fd, SPOOL_QUARANTINE, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	size_t n;

	if (fd < 0)
		return 0;
	listing_collect(fd, &z);
	close(fd);
	n = z.count;
	free(z.ids);
	return n;
}

/*
 * listing_dead_letters - the entries of queue/deadletter/, each with the
 * reason it was kept; appended to out after a heading. How many.
 */
static size_t
listing_dead_letters(int queue_fd, struct strbuf *out)
{
	struct listing_names d;
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
	int fd = openat(queue_fd, SPOOL_DEAD_LETTER, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return 0;
	listing_collect(fd, &d);
	for (size_t i = 0; i < d.count; i++) {
		struct qentry e;

		strbuf_reset(&err);
		if (qentry_open(fd, d.ids[i], QENTRY_NO_LOCK, &e, &err) != 0)
			continue;	/* requeued or deleted while we listed */
		strbuf_printf(&body, "%s  %8zu  (dead letter: %s)\n", e.qid,
		    e.rec.message_len, e.st.reason ? e.st.reason : "undeliverable");
		for (size_t r = 0; r < e.rec.nrcpts; r++)
			if (e.st.rcpts[r].status == QSTATE_PENDING)
				strbuf_printf(&body, "%50s%s\n%50s(%s)\n", "",
				    e.rec.rcpts[r].address, "", e.st.rcpts[r].text ?
				    e.st.rcpts[r].text : "no reply");
		n++;
		qentry_close(&e);
	}
	close(fd);
	if (n > 0)
		strbuf_printf(out, "-- %zu dead letter%s (undeliverable, and nobody "
		    "could be told; \"postern requeue QID\" or \"postern delete "
		    "QID\"):\n%s", n, n == 1 ? "" : "s", body.data);
	free(d.ids);
	strbuf_free(&body);
	strbuf_free(&err);
	return n;
}

size_t
listing_build(int queue_fd, int incoming_fd, struct strbuf *out)
{
	struct listing_names q, in;
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
	size_t n = 0, bytes = 0, quarantined;
	int rc;

	listing_collect(queue_fd, &q);
	if (incoming_fd >= 0)
		listing_collect(incoming_fd, &in);
	else
		memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < q.count; i++) {
		struct qentry e;

		strbuf_reset(&err);
		rc = qentry_open(queue_fd, q.ids[i], QENTRY_NO_LOCK, &e, &err);
		if (rc == ENOENT)
			continue;	/* delivered while we listed */
		if (rc != 0) {		/* still queued: never hide it */
			strbuf_printf(&body, "%s  %8s %-20s  (cannot read: %s)\n",
			    q.ids[i], "?", "?", err.len ? strbuf_cstr(&err) :
			    strerror(rc));
			n++;
			continue;
		}
		listing_entry(e.qid, &e.rec, &e.st, false, &body);
		bytes += e.rec.message_len;
		n++;
		qentry_close(&e);
	}
	for (size_t i = 0; i < in.count; i++)
		n += listing_incoming(incoming_fd, in.ids[i], &body, &bytes);
	quarantined = listing_count_quarantine(queue_fd);
	if (n == 0) {
		strbuf_puts(out, "Mail queue is empty\n");
	} else {
		strbuf_printf(out, "%-17s  %8s %-20s  %s\n", "-Queue ID--------",
		    "--Size--", "----Arrival Time----", "-Sender/Recipient-------");
		strbuf_append(out, body.data, body.len);
		strbuf_printf(out, "-- %zu Kbytes in %zu Request%s.\n",
		    (bytes + 1023) / 1024, n, n == 1 ? "" : "s");
	}
	if (quarantined > 0)
		strbuf_printf(out, "-- %zu message%s in quarantine (see the log; "
		    "\"postern requeue --all\" after fixing the cause).\n",
		    quarantined, quarantined == 1 ? "" : "s");
	listing_dead_letters(queue_fd, out);
	free(q.ids);
	free(in.ids);
	strbuf_free(&body);
	strbuf_free(&err);
	return n;
}
