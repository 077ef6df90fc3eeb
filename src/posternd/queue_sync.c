/*
 * queue_sync.c - shared syncs of queue/ (queue_sync.h).
 *
 * Changes are counted, not listed: entries_total and removals_total count
 * what was noted, entries_synced and removals_synced what the last good
 * sync covered (the totals read just before its fsync began). A waiter
 * holding ticket t is done when entries_synced >= t, and failed when a
 * sync that began after its change failed (entries_failed >= t).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "queue_sync.h"
#include "spool.h"

/*
 * queue_sync_run - one fsync of queue/; the caller holds the lock and no
 * sync is running. The lock is dropped during the fsync.
 */
static void
queue_sync_run(struct worker *w)
{
	struct queue_sync *q = &w->qsync;
	uint64_t entries = q->entries_total, removals = q->removals_total;
	int rc;

	q->busy = true;
	pthread_mutex_unlock(&q->lock);
	rc = spool_fsync_dir(w->queue_fd);
	pthread_mutex_lock(&q->lock);
	q->busy = false;
	if (rc == 0) {
		if (entries > q->entries_synced)
			q->entries_synced = entries;
		if (removals > q->removals_synced)
			q->removals_synced = removals;
	} else {
		log_warn("cannot sync the queue directory: %s", strerror(rc));
		if (entries > q->entries_failed)
			q->entries_failed = entries;
	}
	pthread_cond_broadcast(&q->idle);
}

void
queue_sync_init(struct worker *w)
{
	memset(&w->qsync, 0, sizeof(w->qsync));
	pthread_mutex_init(&w->qsync.lock, NULL);
	pthread_cond_init(&w->qsync.idle, NULL);
}

bool
queue_sync_commit(struct worker *w)
{
	struct queue_sync *q = &w->qsync;
	uint64_t ticket;
	bool ok;

	pthread_mutex_lock(&q->lock);
	ticket = ++q->entries_total;
	while (q->entries_synced < ticket && q->entries_failed < ticket) {
		if (q->busy)
			pthread_cond_wait(&q->idle, &q->lock);
		else
			queue_sync_run(w);
	}
	ok = q->entries_synced >= ticket;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

void
queue_sync_removed(struct worker *w)
{
	struct queue_sync *q = &w->qsync;

	pthread_mutex_lock(&q->lock);
	if (++q->removals_total - q->removals_synced >= QUEUE_SYNC_REMOVALS &&
	    !q->busy)
		queue_sync_run(w);
	pthread_mutex_unlock(&q->lock);
}

void
queue_sync_flush(struct worker *w)
{
	struct queue_sync *q = &w->qsync;

	pthread_mutex_lock(&q->lock);
	while (q->busy)
		pthread_cond_wait(&q->idle, &q->lock);
	if (q->removals_total > q->removals_synced)
		queue_sync_run(w);
	pthread_mutex_unlock(&q->lock);
}
