/*
 * removal.c - group the directory syncs of removals (removal.h).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "removal.h"
#include "spool.h"

/* removal_sync - sync queue/; the caller holds removal_lock */
static void
removal_sync(struct worker *w)
{
	int rc;

	if (w->removal_pending == 0)
		return;
	if ((rc = spool_fsync_dir(w->queue_fd)) != 0)
		log_warn("cannot sync the queue directory after %u removals: %s",
		    w->removal_pending, strerror(rc));
	w->removal_pending = 0;
}

void
removal_note(struct worker *w)
{
	pthread_mutex_lock(&w->removal_lock);
	if (++w->removal_pending >= REMOVAL_GROUP)
		removal_sync(w);
	pthread_mutex_unlock(&w->removal_lock);
}

void
removal_flush(struct worker *w)
{
	pthread_mutex_lock(&w->removal_lock);
	removal_sync(w);
	pthread_mutex_unlock(&w->removal_lock);
}
