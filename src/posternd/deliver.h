/*
 * deliver.h - the delivery threads of posternd.
 *
 * Each thread owns at most one SMTP session. It takes a due entry from
 * the schedule, locks and loads it, sends it to every recipient still
 * pending in one transaction, records each recipient's outcome in the
 * state file before anything else happens, and then bounces, defers or
 * removes the entry. The session is reused (RSET) for the next due entry
 * and closed after queue.idle_timeout without work, when the
 * configuration changes, or when it breaks. When no smarthost can be
 * reached, every entry that is due is deferred with the same reason
 * instead of each trying to connect in turn.
 *
 * Log lines (one per event, queue ID first):
 *   QID: to=<a@x> relay=host[addr]:587 tls=TLSv1.3 delay=1.2 dsn=2.0.0 status=sent (250 ...)
 *   QID: to=<a@x> relay=none delay=61 dsn=4.4.1 status=deferred (...)
 *   QID: to=<a@x> relay=... dsn=5.1.1 status=bounced (550 ...)
 *   QID: removed
 */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H

#include "worker.h"

/*
 * A delivery thread's part. A backlog thread (queue.backlog_concurrency
 * beyond queue.concurrency) takes an entry only while at least
 * DELIVER_BACKLOG_MIN are due, and closes its session as soon as fewer
 * are.
 */
#define DELIVER_BACKLOG_MIN	32

struct deliver_role {
	struct worker *w;
	bool backlog;
};

/* deliver_thread - thread body; arg is a struct deliver_role */
void *deliver_thread(void *arg);

#endif
