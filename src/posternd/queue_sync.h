/*
 * queue_sync.h - the syncs of the queue directory, shared by every thread.
 *
 * Two things change queue/'s names: a new entry (a message submitted over
 * the socket, submission.h) and the removal of a delivered one. Either
 * becomes durable only with an fsync of queue/, and one fsync covers every
 * change made before it began; so the threads share them:
 *
 *   queue_sync_commit   a new entry is in place (its data synced, its name
 *                       renamed in): returns once queue/ has been synced
 *                       since. Threads that arrive while a sync runs wait
 *                       for the next one and share it (group commit). The
 *                       submitter is answered only after this returns true.
 *   queue_sync_removed  a delivered entry was removed without a sync;
 *                       queue/ is synced after QUEUE_SYNC_REMOVALS of them,
 *                       or by the next commit or flush, whichever is first.
 *   queue_sync_flush    sync now if any removal is not yet durable (the
 *                       main loop, at most once a second, and at stop).
 *
 * A power cut can bring back only entries removed within that bound, which
 * are then sent again: the same window the smarthost's 250 already opens
 * (between its reply and postern's record), widened by at most a second.
 * Postfix does not sync removals at all.
 */
#ifndef POSTERN_QUEUE_SYNC_H
#define POSTERN_QUEUE_SYNC_H

#include <stdbool.h>

#include "worker.h"

#define QUEUE_SYNC_REMOVALS	64

/* queue_sync_init - the shared state in w->qsync; once, before threads */
void queue_sync_init(struct worker *w);

/* queue_sync_commit - wait until queue/ is durable; false if a sync failed */
bool queue_sync_commit(struct worker *w);

/* queue_sync_removed - one more removal not yet durable */
void queue_sync_removed(struct worker *w);

/* queue_sync_flush - make every removal so far durable */
void queue_sync_flush(struct worker *w);

#endif
