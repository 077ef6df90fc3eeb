/*
 * deliver.c - deliver queue entries over reused SMTP sessions, record
 * per-recipient results, and settle each entry. See deliver.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "bounce.h"
#include "deliver.h"
#include "queue_sync.h"
#include "log.h"
#include "qentry.h"
#include "qstate.h"
#include "relay.h"
#include "schedule.h"
#include "smtp_client.h"
#include "strutil.h"
#include "xalloc.h"

/* Retry soon when the admin CLI holds an entry's lock. */
#define DELIVER_LOCKED_RETRY	5
/* seconds before an entry that could not be read (a local fault) is retried */
#define DELIVER_READ_RETRY	60

struct deliver_thread_state {
	struct worker *w;
	struct wconf *wc;		/* the session's configuration */
	struct relay_session rs;
	bool connected;
	bool reused;			/* the session carried a message before */
};

/* deliver_delay - seconds since arrival, with tenths */
static double
deliver_delay(int64_t arrival)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)(tv.tv_sec - arrival) + (double)tv.tv_usec / 1e6;
}

/* deliver_log - one line for one recipient */
static void
deliver_log(struct worker *w, const struct qentry *e, size_t i, const char *relay,
    const char *tls, const char *status, char klass)
{
	char dsn[16];
	const char *text = e->st.rcpts[i].text;

	char line[512];

	dsn_status(text, klass, dsn, sizeof(dsn));
	log_info("%s: to=<%s> relay=%s%s%s delay=%.1f dsn=%s status=%s (%s)",
	    e->qid, e->rec.rcpts[i].address, relay, tls ? " tls=" : "",
	    tls ? tls : "", deliver_delay(e->rec.arrival), dsn, status,
	    text ? text : "no reply");
	STR_TRUNCATION_OK(str_format(line, sizeof(line), "%s: to=<%s> relay=%s (%s)", e->qid,
	    e->rec.rcpts[i].address, relay, text ? text : "no reply"));
	worker_note(w, klass == '2' ? WORKER_SENT : klass == '4' ?
	    WORKER_DEFERRED : WORKER_BOUNCED, line);
}

/* deliver_quarantine - move a damaged entry out of the queue */
static void
deliver_quarantine(struct worker *w, const char *qid, const char *why)
{
	char name[64];

	log_warn("%s: damaged queue entry moved to quarantine: %s", qid, why);
	if (renameat(w->queue_fd, qid, w->quarantine_fd, qid) < 0)
		log_syswarn("%s: cannot quarantine", qid);
	STR_MUST_FIT(str_format(name, sizeof(name), "%s%s", qid, SPOOL_STATE_SUFFIX));
	renameat(w->queue_fd, name, w->quarantine_fd, name);
	spool_fsync_dir(w->queue_fd);
	spool_fsync_dir(w->quarantine_fd);
	if (bounce_quarantined(w, qid, -1, why) != 0)
		log_warn("%s: cannot queue the notice about the quarantined entry",
		    qid);
}

/*
 * deliver_report - for a submitter waiting with -odi: publish the outcome
 * of the first attempt as public/result-QID, one line per recipient:
 * "sent|deferred|bounced ADDRESS TEXT".
 */
static void
deliver_report(struct worker *w, const struct qentry *e)
{
	static const char *const words[] = { "deferred", "sent", "bounced" };
	struct strbuf out = STRBUF_INIT;
	char name[64];
	int rc;

	if (!e->rec.report || e->st.attempts != 1 || w->public_fd < 0)
		return;
	for (size_t i = 0; i < e->st.nrcpts; i++)
		strbuf_printf(&out, "%s %s %s\n", words[e->st.rcpts[i].status],
		    e->rec.rcpts[i].address,
		    e->st.rcpts[i].text ? e->st.rcpts[i].text : "");
	STR_MUST_FIT(str_format(name, sizeof(name), "%s%s", SPOOL_RESULT_PREFIX, e->qid));
	if ((rc = spool_write_file(w->public_fd, name, out.data, out.len, 0644,
	    SPOOL_VIEW)) != 0)
		log_warn("%s: cannot publish the result for the submitter: %s",
		    e->qid, strerror(rc));
	strbuf_free(&out);
}

/*
 * deliver_settle - after an attempt: bounce what failed for good, give up
 * on entries past their lifetime, warn about delays, then save the state
 * or remove the finished entry. Returns true when the entry is gone;
 * *next is its next attempt otherwise.
 */
static bool
deliver_settle(struct worker *w, const struct wconf *wc, struct qentry *e,
    const size_t *bounced, size_t nbounced, const char *remote_mta,
    int64_t *next)
{
	const struct conf *conf = wc->conf;
	int64_t now = worker_now();
	size_t *expired = NULL, nexpired = 0;
	uint32_t jitter = 0;
	uint64_t wait_ms;
	int rc;

	e->st.attempts++;
	e->st.last_attempt = now;
	if (nbounced && bounce_notify(w, wc, e, DSN_FAILED, bounced, nbounced,
	    remote_mta) != 0)
		log_warn("%s: sender notification postponed", e->qid);
	if (qstate_pending(&e->st) > 0 &&
	    now - e->rec.arrival >= (int64_t)(conf->queue.lifetime_ms / 1000)) {
		expired = xcalloc(e->st.nrcpts, sizeof(*expired));
		for (size_t i = 0; i < e->st.nrcpts; i++) {
			struct strbuf why = STRBUF_INIT;

			if (e->st.rcpts[i].status != QSTATE_PENDING)
				continue;
			strbuf_printf(&why, "delivery time expired after %u attempts; "
			    "last error: %s", e->st.attempts,
			    e->st.rcpts[i].text ? e->st.rcpts[i].text : "none");
			qstate_set_text(&e->st.rcpts[i].text, why.data);
			strbuf_free(&why);
			e->st.rcpts[i].status = QSTATE_BOUNCED;
			deliver_log(w, e, i, "none", NULL, "bounced", '5');
			expired[nexpired++] = i;
		}
		bounce_notify(w, wc, e, DSN_FAILED, expired, nexpired, remote_mta);
		free(expired);
	}
	deliver_report(w, e);
	if (qstate_pending(&e->st) == 0) {
		if ((rc = qentry_remove(w->queue_fd, e->qid, false)) != 0) {
			log_warn("%s: cannot remove: %s", e->qid, strerror(rc));
		} else {
			log_info("%s: removed", e->qid);
			queue_sync_removed(w);	/* synced with its group */
		}
		return rc == 0;
	}
	if (getrandom(&jitter, sizeof(jitter), 0) != sizeof(jitter))
		jitter = (uint32_t)now;
	wait_ms = qstate_backoff_ms(e->st.attempts, conf->queue.min_backoff_ms,
	    conf->queue.max_backoff_ms, jitter);
	*next = now + (int64_t)((wait_ms + 999) / 1000);
	e->st.next_attempt = *next;
	if (conf->queue.delay_warning_ms && !e->st.warned &&
	    now - e->rec.arrival >= (int64_t)(conf->queue.delay_warning_ms / 1000)) {
		size_t *pending = xcalloc(e->st.nrcpts, sizeof(*pending)), np = 0;

		for (size_t i = 0; i < e->st.nrcpts; i++)
			if (e->st.rcpts[i].status == QSTATE_PENDING)
				pending[np++] = i;
		if (bounce_notify(w, wc, e, DSN_DELAYED, pending, np, remote_mta) == 0)
			e->st.warned = true;
		free(pending);
	}
	if ((rc = qentry_save(w->queue_fd, e)) != 0)
		log_warn("%s: cannot save delivery state: %s", e->qid, strerror(rc));
	return false;
}

/* deliver_defer_all - no session: every pending recipient is deferred */
static bool
deliver_defer_all(struct worker *w, const struct wconf *wc, struct qentry *e,
    const char *reason, int64_t *next)
{
	for (size_t i = 0; i < e->st.nrcpts; i++) {
		if (e->st.rcpts[i].status != QSTATE_PENDING)
			continue;
		qstate_set_text(&e->st.rcpts[i].text, reason);
		deliver_log(w, e, i, "none", NULL, "deferred", '4');
	}
	qstate_set_text(&e->st.reason, reason);
	qstate_set_text(&e->st.relay, NULL);
	return deliver_settle(w, wc, e, NULL, 0, NULL, next);
}

/*
 * deliver_refuse_oversize - a message larger than max_message_size is
 * never sent (the limit protects the provider account; a direct call of
 * the writer, or a limit lowered while it was queued, can bring one
 * here): every pending recipient fails with 5.3.4 and the sender gets the
 * bounce. Returns false, touching nothing, when the size is within the
 * limit.
 */
static bool
deliver_refuse_oversize(struct worker *w, const struct wconf *wc,
    struct qentry *e, bool *gone, int64_t *next)
{
	uint64_t max = wc->conf->queue.max_message_size;
	size_t *bounced, nb = 0;
	char text[200];

	if (max == 0 || e->rec.message_len <= max)
		return false;
	STR_TRUNCATION_OK(str_format(text, sizeof(text), "5.3.4 message size %zu "
	    "exceeds the limit of %llu bytes set by max_message_size in "
	    "postern.conf", e->rec.message_len, (unsigned long long)max));
	bounced = xcalloc(e->st.nrcpts, sizeof(*bounced));
	for (size_t i = 0; i < e->st.nrcpts; i++) {
		if (e->st.rcpts[i].status != QSTATE_PENDING)
			continue;
		qstate_set_text(&e->st.rcpts[i].text, text);
		e->st.rcpts[i].status = QSTATE_BOUNCED;
		deliver_log(w, e, i, "none", NULL, "bounced", '5');
		bounced[nb++] = i;
	}
	qstate_set_text(&e->st.reason, text);
	*gone = deliver_settle(w, wc, e, bounced, nb, NULL, next);
	free(bounced);
	return true;
}

/* deliver_body_type - the queue file's body declaration */
static enum smtp_body
deliver_body_type(const struct qrecord *rec)
{
	if (rec->body && strcmp(rec->body, "7BIT") == 0)
		return SMTP_BODY_7BIT;
	if (rec->body && strcmp(rec->body, "8BITMIME") == 0)
		return SMTP_BODY_8BITMIME;
	return SMTP_BODY_AUTO;
}

/*
 * deliver_send - one transaction for e's pending recipients over the
 * thread's session, recording each outcome. Returns true when the
 * entry is gone. Sets *stale, recording nothing, when a reused session
 * turns out to have been closed by the server while it sat idle: the
 * caller reconnects and tries again.
 */
static bool
deliver_send(struct deliver_thread_state *t, struct qentry *e, int64_t *next,
    bool *stale)
{
	size_t n = 0, *map = xcalloc(e->st.nrcpts, sizeof(*map));
	size_t *bounced = xcalloc(e->st.nrcpts, sizeof(*bounced)), nb = 0;
	struct smtp_rcpt *rcpts = xcalloc(e->st.nrcpts, sizeof(*rcpts));
	struct smtp_rcpt_result *res = xcalloc(e->st.nrcpts, sizeof(*res));
	struct smtp_envelope env;
	struct smtp_error err;
	enum smtp_fail fail;
	const char *deferred_text = NULL;
	bool gone;

	for (size_t i = 0; i < e->st.nrcpts; i++) {
		if (e->st.rcpts[i].status != QSTATE_PENDING)
			continue;
		rcpts[n].addr = e->rec.rcpts[i].address;
		rcpts[n].notify = e->rec.rcpts[i].notify;
		rcpts[n].orcpt = e->rec.rcpts[i].orcpt;
		map[n++] = i;
	}
	memset(&env, 0, sizeof(env));
	env.sender = e->rec.sender;
	env.rcpts = rcpts;
	env.nrcpts = n;
	env.body = deliver_body_type(&e->rec);
	env.smtputf8 = e->rec.smtputf8;
	env.ret = e->rec.ret;
	env.envid = e->rec.envid;
	smtp_set_log_tag(t->rs.client, e->qid);
	fail = smtp_send(t->rs.client, &env, e->rec.message, e->rec.message_len,
	    res, &err);
	if (fail != SMTP_OK)
		log_debug("%s: transaction failed: %s", e->qid, err.text);
	*stale = fail != SMTP_OK && t->reused &&
	    (err.phase == SMTP_PHASE_RSET || err.phase == SMTP_PHASE_MAIL) &&
	    (fail == SMTP_FAIL_DISCONNECT || fail == SMTP_FAIL_IO);
	if (fail != SMTP_OK && *stale) {
		gone = false;
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = map[k];

		qstate_set_text(&e->st.rcpts[i].text, res[k].reply ? res[k].reply :
		    err.text);
		switch (res[k].status) {
		case SMTP_RCPT_SENT:
			e->st.rcpts[i].status = QSTATE_SENT;
			deliver_log(t->w, e, i, t->rs.desc, t->rs.tls, "sent", '2');
			break;
		case SMTP_RCPT_PERM:
			e->st.rcpts[i].status = QSTATE_BOUNCED;
			deliver_log(t->w, e, i, t->rs.desc, t->rs.tls, "bounced", '5');
			bounced[nb++] = i;
			break;
		case SMTP_RCPT_TEMP:
			deliver_log(t->w, e, i, t->rs.desc, t->rs.tls, "deferred", '4');
			deferred_text = e->st.rcpts[i].text;
			break;
		}
	}
	{
		char relay[400];

		STR_TRUNCATION_OK(str_format(relay, sizeof(relay), "%s %s", t->rs.desc, t->rs.mode));
		qstate_set_text(&e->st.relay, relay);
	}
	qstate_set_text(&e->st.reason, deferred_text);
	/* Record the outcome before anything else can go wrong: a recipient
	   marked sent here is never sent again. */
	gone = deliver_settle(t->w, t->wc, e, bounced, nb, t->rs.host->host, next);
out:
	free(map);
	free(bounced);
	free(rcpts);
	free(res);
	return gone;
}

/* deliver_disconnect - end the thread's session */
static void
deliver_disconnect(struct deliver_thread_state *t, bool polite)
{
	if (t->connected)
		relay_close(&t->rs, polite);
	t->connected = false;
	if (t->wc)
		worker_conf_put(t->w, t->wc);
	t->wc = NULL;
}

/*
 * deliver_one - deliver entry qid (taken from the schedule) and hand it
 * back. When the smarthost cannot be reached, also defers every other
 * due entry with the same reason.
 */
static void
deliver_one(struct deliver_thread_state *t, const char *qid)
{
	struct worker *w = t->w;
	struct strbuf err = STRBUF_INIT, reason = STRBUF_INIT;
	struct qentry e;
	int64_t next = 0;
	bool gone = false, stale = false;
	int rc;

	rc = qentry_open(w->queue_fd, qid, QENTRY_TRY_LOCK, &e, &err);
	if (rc == EWOULDBLOCK) {
		schedule_done(w->sched, qid, false, worker_now() + DELIVER_LOCKED_RETRY,
		    false);
		goto out;
	}
	if (rc == ENOENT) {
		schedule_done(w->sched, qid, true, 0, false);
		goto out;
	}
	if (rc == EINVAL) {		/* the content is damaged */
		deliver_quarantine(w, qid, strbuf_cstr(&err));
		schedule_done(w->sched, qid, true, 0, false);
		goto out;
	}
	if (rc != 0) {	/* a local fault (permissions, I/O): fix and retry */
		log_error("%s: cannot read the queue entry: %s; it stays queued and "
		    "is tried again in %d seconds (queue files must belong to the "
		    "owner of the queue directory)", qid, err.len ?
		    strbuf_cstr(&err) : strerror(rc), DELIVER_READ_RETRY);
		schedule_done(w->sched, qid, false, worker_now() + DELIVER_READ_RETRY,
		    false);
		goto out;
	}
	if (e.st.hold) {
		schedule_done(w->sched, qid, false, e.st.next_attempt, true);
		qentry_close(&e);
		goto out;
	}
	if (qstate_pending(&e.st) == 0) {	/* a crash after the last save */
		gone = deliver_settle(w, t->wc, &e, NULL, 0, NULL, &next);
		schedule_done(w->sched, qid, gone, next, false);
		qentry_close(&e);
		goto out;
	}
	if (deliver_refuse_oversize(w, t->wc, &e, &gone, &next)) {
		schedule_done(w->sched, qid, gone, next, false);
		qentry_close(&e);
		goto out;
	}
again:
	if (!t->connected) {
		t->reused = false;
		if (!relay_open(t->wc->conf, w->port_cache, e.qid, &t->rs, &reason)) {
			gone = deliver_defer_all(w, t->wc, &e, reason.data, &next);
			schedule_done(w->sched, qid, gone, next, false);
			qentry_close(&e);
			while (schedule_take_due(w->sched, e.qid)) {
				struct qentry o;

				if (qentry_open(w->queue_fd, e.qid, QENTRY_TRY_LOCK, &o,
				    &err) != 0) {
					schedule_done(w->sched, e.qid, false,
					    worker_now() + DELIVER_LOCKED_RETRY, false);
					continue;
				}
				gone = o.st.hold ? false :
				    deliver_defer_all(w, t->wc, &o, reason.data, &next);
				schedule_done(w->sched, o.qid, gone,
				    o.st.hold ? o.st.next_attempt : next, o.st.hold);
				qentry_close(&o);
			}
			goto out;
		}
		t->connected = true;
		{
			const struct smtp_session_info *in =
			    smtp_session_info(t->rs.client);

			if (in->tls)
				log_info("connected to %s (%s) tls=%s cipher=%s "
				    "peer=\"%s\" verify=%s", t->rs.desc, t->rs.mode,
				    in->tls_version, in->tls_cipher, in->peer_subject,
				    smtp_verify_name(in->verify));
			else
				log_info("connected to %s (%s) tls=none", t->rs.desc,
				    t->rs.mode);
		}
	}
	gone = deliver_send(t, &e, &next, &stale);
	if (stale) {
		log_info("%s: reused session to %s was closed by the server; "
		    "reconnecting", qid, t->rs.desc);
		relay_close(&t->rs, false);
		t->connected = false;
		goto again;
	}
	t->reused = true;
	schedule_done(w->sched, qid, gone, next, false);
	qentry_close(&e);
	if (!smtp_usable(t->rs.client))		/* RSET comes with the next message */
		deliver_disconnect(t, false);
out:
	strbuf_free(&err);
	strbuf_free(&reason);
}

void *
deliver_thread(void *arg)
{
	const struct deliver_role *role = arg;
	struct deliver_thread_state t;
	char qid[QID_LEN + 1];

	memset(&t, 0, sizeof(t));
	t.w = role->w;
	for (;;) {
		uint64_t idle = 0;
		enum schedule_result r;

		if (t.connected)
			idle = role->backlog ? 1 : t.wc->conf->queue.idle_timeout_ms;
		r = schedule_take(t.w->sched, qid, idle ? idle : (t.connected ? 1 : 0),
		    role->backlog ? DELIVER_BACKLOG_MIN : 1);
		if (r == SCHEDULE_STOP)
			break;
		if (r == SCHEDULE_IDLE) {
			deliver_disconnect(&t, true);
			continue;
		}
		if (!t.wc) {
			t.wc = worker_conf_get(t.w);
		} else {
			struct wconf *now = worker_conf_get(t.w);

			if (now->generation != t.wc->generation) {
				deliver_disconnect(&t, true);
				t.wc = now;
			} else {
				worker_conf_put(t.w, now);
			}
		}
		deliver_one(&t, qid);
		if (!t.connected && t.wc) {
			worker_conf_put(t.w, t.wc);
			t.wc = NULL;
		}
	}
	deliver_disconnect(&t, !atomic_load(&t.w->stopping));
	return NULL;
}
