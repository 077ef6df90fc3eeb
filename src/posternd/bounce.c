/*
 * bounce.c - decide who gets a DSN and queue it. See bounce.h.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "header.h"
#include "deadletter.h"
#include "log.h"
#include "qrecord.h"
#include "strutil.h"
#include "schedule.h"
#include "xalloc.h"

/* bounce_wants - whether rcpt's DSN NOTIFY asks for this kind of report */
static bool
bounce_wants(const struct qrecord_rcpt *r, enum dsn_type type)
{
	return dsn_notify_wants(r->notify, type == DSN_DELAYED ?
	    DSN_NOTIFY_DELAY : DSN_NOTIFY_FAILURE);
}

/* bounce_has_postmaster - whether a postmaster alias is configured */
static bool
bounce_has_postmaster(const struct aliases *aliases)
{
	for (size_t i = 0; i < aliases->count; i++)
		if (strcmp(aliases->entries[i].name, "postmaster") == 0)
			return true;
	return false;
}

/* bounce_has_alias - whether local (len bytes) names an alias */
static bool
bounce_has_alias(const struct aliases *aliases, const char *local, size_t len)
{
	for (size_t i = 0; i < aliases->count; i++)
		if (strlen(aliases->entries[i].name) == len &&
		    strncasecmp(aliases->entries[i].name, local, len) == 0)
			return true;
	return false;
}

/*
 * bounce_sender_targets - where the sender's notifications go. A sender
 * at the configured domain whose local part is an alias (www-data, as
 * sendmail qualified the caller's login) follows the alias, like a
 * sender at this host; any other sender gets them directly.
 */
static void
bounce_sender_targets(const struct wconf *wc, const char *sender,
    struct aliases_result *to)
{
	const char *at = strrchr(sender, '@');
	char *local;

	if (at && strcasecmp(at + 1, wc->conf->domain) == 0 &&
	    bounce_has_alias(&wc->aliases, sender, (size_t)(at - sender))) {
		local = xstrndup(sender, (size_t)(at - sender));
		aliases_expand(&wc->aliases, wc->conf, local, to);
		free(local);
		return;
	}
	aliases_expand(&wc->aliases, wc->conf, sender, to);
}

/* bounce_enqueue - write the DSN as a new queue entry and schedule it */
static int
bounce_enqueue(struct worker *w, const struct aliases_result *to,
    enum qstate_kind kind, const struct strbuf *msg, const char *orig_qid)
{
	struct qrecord rec;
	struct qstate st;
	struct strbuf file = STRBUF_INIT, err = STRBUF_INIT, state = STRBUF_INIT;
	char qid[QID_LEN + 1], name[64];
	int rc;

	memset(&rec, 0, sizeof(rec));
	rec.sender = xstrdup("");
	for (size_t i = 0; i < to->count; i++)
		qrecord_add_rcpt(&rec, to->items[i], 0, NULL);
	qid_new(qid);
	strbuf_printf(&file, "%s\nuid %ld\nlogin MAILER-DAEMON\narrival %lld\n",
	    QRECORD_MAGIC, (long)getuid(), (long long)worker_now());
	if (!qrecord_encode_envelope(&rec, msg->data, msg->len, &file, &err)) {
		log_warn("%s: cannot build notification: %s", orig_qid,
		    strbuf_cstr(&err));
		rc = EINVAL;
		goto out;
	}
	/* state first: a crash between the two leaves an orphan state file,
	   never a notification of the wrong kind */
	qstate_init(&st, rec.nrcpts);
	st.kind = kind;
	qstate_encode(&st, &state);
	qstate_free(&st);
	STR_MUST_FIT(str_format(name, sizeof(name), "%s%s", qid, SPOOL_STATE_SUFFIX));
	rc = spool_write_file(w->queue_fd, name, state.data, state.len, 0600,
	    SPOOL_SYNC_DATA);
	if (rc == 0)
		rc = spool_write_file(w->queue_fd, qid, file.data, file.len, 0600,
		    SPOOL_SYNC_ALL);
	if (rc != 0) {
		log_warn("%s: cannot queue notification: %s", orig_qid, strerror(rc));
		unlinkat(w->queue_fd, name, 0);
		goto out;
	}
	log_info("%s: uid=%ld from=<> size=%zu nrcpt=%zu (%s for %s)", qid,
	    (long)getuid(), msg->len, rec.nrcpts, qstate_kind_name(kind), orig_qid);
	log_info("%s: %s notification: %s", orig_qid,
	    kind == QSTATE_DOUBLE_BOUNCE ? "postmaster" : "sender", qid);
	schedule_put(w->sched, qid, 0, false);
out:
	qrecord_free(&rec);
	strbuf_free(&file);
	strbuf_free(&err);
	strbuf_free(&state);
	return rc;
}

int
bounce_notify(struct worker *w, const struct wconf *wc, const struct qentry *e,
    enum dsn_type type, const size_t *idx, size_t n, const char *remote_mta)
{
	struct dsn_rcpt *rcpts = xcalloc(n ? n : 1, sizeof(*rcpts));
	struct aliases_result to = { NULL, 0 };
	struct strbuf msg = STRBUF_INIT;
	struct dsn_report r;
	enum qstate_kind kind = QSTATE_BOUNCE;
	size_t m = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const struct qrecord_rcpt *qr = &e->rec.rcpts[idx[i]];

		if (!bounce_wants(qr, type))
			continue;
		rcpts[m].address = qr->address;
		rcpts[m].orcpt = qr->orcpt;
		rcpts[m].reply = e->st.rcpts[idx[i]].text;
		rcpts[m].remote_mta = remote_mta;
		m++;
	}
	memset(&r, 0, sizeof(r));
	r.type = type;
	if (m == 0)
		goto out;
	if (e->rec.sender[0] && e->st.kind == QSTATE_MAIL) {
		bounce_sender_targets(wc, e->rec.sender, &to);
	} else if (type == DSN_DELAYED) {
		goto out;
	} else if (e->st.kind == QSTATE_DOUBLE_BOUNCE) {
		rc = deadletter_keep(w, e, idx, n, "undeliverable notification to "
		    "the postmaster");
		goto out;
	} else if (bounce_has_postmaster(&wc->aliases)) {
		aliases_expand(&wc->aliases, wc->conf, "postmaster", &to);
		r.type = DSN_POSTMASTER;
		kind = QSTATE_DOUBLE_BOUNCE;
	} else {
		rc = deadletter_keep(w, e, idx, n, "undeliverable mail with the null "
		    "sender, and no postmaster alias to tell");
		goto out;
	}
	if (to.count == 0)
		goto out;
	r.qid = e->qid;
	r.hostname = wc->conf->hostname;
	r.to = to.items[0];
	r.original_sender = e->rec.sender;
	r.envid = e->rec.envid;
	r.arrival = e->rec.arrival;
	r.retry_until = e->rec.arrival + (int64_t)(wc->conf->queue.lifetime_ms / 1000);
	r.message = e->rec.message;
	r.message_len = e->rec.message_len;
	r.return_full = e->rec.ret == DSN_RET_FULL;
	dsn_build(&r, rcpts, m, &msg);
	rc = bounce_enqueue(w, &to, kind, &msg, e->qid);
out:
	aliases_result_free(&to);
	strbuf_free(&msg);
	free(rcpts);
	return rc;
}

/*
 * bounce_quarantine_targets - the submitter (uid's login, through the
 * aliases) when the uid is a local user's, else the postmaster alias
 */
static void
bounce_quarantine_targets(const struct wconf *wc, long uid,
    struct aliases_result *to)
{
	struct passwd *pw = uid >= 0 && uid != (long)getuid() ?
	    getpwuid((uid_t)uid) : NULL;

	if (pw && pw->pw_name[0])
		aliases_expand(&wc->aliases, wc->conf, pw->pw_name, to);
	else if (bounce_has_postmaster(&wc->aliases))
		aliases_expand(&wc->aliases, wc->conf, "postmaster", to);
}

int
bounce_quarantined(struct worker *w, const char *name, long uid,
    const char *why)
{
	struct wconf *wc = worker_conf_get(w);
	struct aliases_result to = { NULL, 0 };
	struct strbuf msg = STRBUF_INIT;
	char date[64];
	int rc = 0;

	bounce_quarantine_targets(wc, uid, &to);
	if (to.count == 0) {
		log_warn("%s: nobody to tell about the quarantined entry (no "
		    "local user, no postmaster alias)", name);
		goto out;
	}
	header_date(time(NULL), date, sizeof(date));
	strbuf_printf(&msg, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: %s\nSubject: Undelivered Mail: a submission was refused by the "
	    "mail queue\nDate: %s\nMessage-ID: ", wc->conf->hostname,
	    to.items[0], date);
	header_message_id(wc->conf->hostname, &msg);
	strbuf_printf(&msg, "\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n\n"
	    "A message submitted on %s (queue entry %s, uid %ld) was\n"
	    "refused by postern's delivery worker and kept in quarantine:\n\n"
	    "    %s\n\n"
	    "It will not be delivered. Its sender may send it again; the\n"
	    "administrator can inspect it in the spool's queue/%s/ directory\n"
	    "and put it back with \"postern requeue %s\" once the cause is\n"
	    "fixed. It is removed after dead_letter_lifetime.\n",
	    wc->conf->hostname, name, uid, why, SPOOL_QUARANTINE, name);
	rc = bounce_enqueue(w, &to, QSTATE_BOUNCE, &msg, name);
out:
	worker_conf_put(w, wc);
	aliases_result_free(&to);
	strbuf_free(&msg);
	return rc;
}
