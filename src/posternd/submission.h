/*
 * submission.h - take messages from sendmail over the socket public/submit
 * (the protocol is in spool_layout.h), so that a submission costs one
 * program start and no copy: the entry is written straight into queue/.
 *
 * Everything on the socket is hostile input, checked as pickup checks
 * incoming/ (pickup.h): the uid comes from SO_PEERCRED and the login from
 * the password database, the record must decode in full, envelope_sender
 * and masquerading are applied, and max_message_size, user_max_messages
 * and user_max_size hold (root is exempt from the last two). The entry is
 * written to queue/ with its data synced, then queue/ is synced, shared
 * with every submission that arrived meanwhile (queue_sync.h), and only
 * then is the client answered "0 QID". A client that ends before "end"
 * queues nothing. A worker killed after the entry is durable but before
 * its answer is sent (microseconds) leaves sendmail with no answer, so it
 * queues through the writer too: the message goes out twice, never zero
 * times.
 *
 * Each client has a thread of its own, so a slow one delays nobody else:
 * at most SUBMISSION_MAX_CLIENTS at once and SUBMISSION_MAX_PER_UID per
 * uid, each with SUBMISSION_TIMEOUT_MS to send its record, and records
 * held in memory by all clients together at most SUBMISSION_MEMORY_MAX
 * (the set-gid writer streams to disk instead). A client over those
 * limits, or one arriving while the worker stops, is closed with no
 * answer, and sendmail falls back to the writer.
 *
 * Log: "QID: uid=33 from=<www-data@example.com> size=1234 nrcpt=2", as
 * pickup logs; refusals at notice with the reason and the client's pid.
 */
#ifndef POSTERN_SUBMISSION_H
#define POSTERN_SUBMISSION_H

#include "worker.h"

#define SUBMISSION_MAX_CLIENTS	32
#define SUBMISSION_MAX_PER_UID	8
#define SUBMISSION_TIMEOUT_MS	60000
#define SUBMISSION_MEMORY_MAX	((size_t)128 << 20)	/* all records held */

/*
 * submission_listen - create public/submit (replacing a stale one) and
 * set w->submission; returns the listening fd, or -1 (sendmail then
 * uses the writer, as before)
 */
int submission_listen(struct worker *w);

/* submission_accept - take every waiting client (the fd is readable) */
void submission_accept(struct worker *w, int lfd);

/*
 * submission_stop - close the socket, remove it, and wait (up to
 * grace_ms) for the clients being served; false if some are still busy
 */
bool submission_stop(struct worker *w, int lfd, unsigned grace_ms);

#endif
