/*
 * deadletter.c - keep undeliverable, unreportable mail (deadletter.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "deadletter.h"
#include "log.h"
#include "qstate.h"
#include "spool.h"
#include "strutil.h"

int
deadletter_keep(struct worker *w, const struct qentry *e, const size_t *idx,
    size_t n, const char *why)
{
	struct qstate st;
	struct strbuf out = STRBUF_INIT;
	char name[64];
	int rc = 0;

	if (w->deadletter_fd < 0)
		return ENOENT;
	/* the message file never changes: a link is the copy */
	if (linkat(w->queue_fd, e->qid, w->deadletter_fd, e->qid, 0) < 0 &&
	    errno != EEXIST)
		return errno;
	/* recipients handled elsewhere count as done; the failed ones are
	   pending again, for "postern requeue" */
	qstate_init(&st, e->st.nrcpts);
	st.kind = e->st.kind;
	for (size_t i = 0; i < st.nrcpts; i++) {
		st.rcpts[i].status = QSTATE_SENT;
		qstate_set_text(&st.rcpts[i].text, e->st.rcpts[i].text);
	}
	for (size_t k = 0; k < n; k++)
		st.rcpts[idx[k]].status = QSTATE_PENDING;
	st.attempts = e->st.attempts;
	st.last_attempt = e->st.last_attempt;
	qstate_set_text(&st.reason, why);
	qstate_set_text(&st.relay, e->st.relay);
	qstate_encode(&st, &out);
	STR_MUST_FIT(str_format(name, sizeof(name), "%s%s", e->qid, SPOOL_STATE_SUFFIX));
	rc = spool_write_file(w->deadletter_fd, name, out.data, out.len, 0600,
	    SPOOL_SYNC_ALL);
	if (rc != 0)
		unlinkat(w->deadletter_fd, e->qid, 0);
	else
		log_warn("%s: kept as a dead letter in %s/%s: %s", e->qid,
		    SPOOL_QUEUE, SPOOL_DEAD_LETTER, why);
	qstate_free(&st);
	strbuf_free(&out);
	return rc;
}
