/*
 * pickup.h - move new entries from incoming/ into the private queue.
 *
 * The worker trusts nothing in incoming/: each entry must be a regular
 * file (never a symlink, FIFO or device) with exactly one link, owned by
 * the uid its record names, no larger than the queue allows, and a
 * complete, valid queue record (qrecord.h). A valid entry is copied to
 * queue/QID and fsync'd; up to 64 copies then share one sync of the
 * queue directory, and only after it are their incoming files removed
 * and the messages scheduled. A crash in between is noticed at the next
 * scan (the queue copy exists) and the incoming file is just removed. An invalid entry is moved to
 * queue/quarantine/ with a log line that says why. Temporary files of a
 * writer that was killed are removed after a day.
 *
 * Log: "QID: uid=33 from=<www-data@example.com> size=1234 nrcpt=2".
 */
#ifndef POSTERN_PICKUP_H
#define POSTERN_PICKUP_H

#include <stddef.h>

#include "qrecord.h"
#include "worker.h"

/* Retrying a copy into the queue that failed (a full disk). */
#define PICKUP_RETRY_MIN_MS	1000
#define PICKUP_RETRY_MAX_MS	30000

/*
 * pickup_scan - pick up everything in incoming/; returns how many. Sets
 * w->pickup_retry_ms when an entry could not be copied, 0 otherwise.
 */
size_t pickup_scan(struct worker *w);

/* pickup_limit - the largest entry accepted, envelope included */
size_t pickup_limit(struct worker *w);

/*
 * pickup_sender_policy - apply envelope_sender and masquerading to a
 * decoded entry (sendmail has applied them already; a direct call of the
 * writer or the socket has not). When they change the sender, buf is
 * rebuilt from rec with the new sender and rec->message points into the
 * new buf. False if it cannot be rebuilt (the entry is not taken).
 */
bool pickup_sender_policy(struct worker *w, const char *name,
    struct qrecord *rec, struct strbuf *buf);

#endif
