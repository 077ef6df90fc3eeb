/*
 * bounce.c - decide who gets a DSN and queue it. See bounce.h.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bounce.h"
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
	rc = spool_write_file(w->queue_fd, name, state.data, state.len, 0600, false);
	if (rc == 0)
		rc = spool_write_file(w->queue_fd, qid, file.data, file.len, 0600, true);
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
		log_warn("%s: undeliverable postmaster notification discarded", e->qid);
		goto out;
	} else if (bounce_has_postmaster(&wc->aliases)) {
		aliases_expand(&wc->aliases, wc->conf, "postmaster", &to);
		r.type = DSN_POSTMASTER;
		kind = QSTATE_DOUBLE_BOUNCE;
	} else {
		log_warn("%s: undeliverable mail with the null sender discarded "
		    "(no postmaster alias configured)", e->qid);
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
