/*
 * deadletter.h - keep what cannot be delivered and cannot be reported
 * either, instead of dropping it.
 *
 * A failed notification with nobody left to tell (a double bounce that
 * fails, or a null-sender message when no postmaster alias is set) is
 * kept in queue/deadletter/ as QID (a hard link to the immutable message
 * file) and QID.state: the failed recipients pending again, the reason
 * in the state's reason line. mailq lists dead letters, postern status
 * reports them (degraded), "postern requeue QID" puts one back into the
 * queue to be tried again, "postern delete QID" removes it, and the
 * worker expires them after dead_letter_lifetime (retention.h).
 */
#ifndef POSTERN_DEADLETTER_H
#define POSTERN_DEADLETTER_H

#include <stddef.h>

#include "qentry.h"
#include "worker.h"

/*
 * deadletter_keep - keep e's recipients idx[0..n) as a dead letter with
 * reason why. Returns 0 or an errno (the caller then keeps the entry in
 * the queue, so nothing is lost).
 */
int deadletter_keep(struct worker *w, const struct qentry *e, const size_t *idx,
    size_t n, const char *why);

#endif
