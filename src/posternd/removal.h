/*
 * removal.h - removals of delivered entries made durable in groups.
 *
 * Removing a delivered entry is what records that it needs no further
 * attempt. Syncing queue/ after every removal costs one directory fsync
 * per message and bounds the drain of a backlog; instead the delivery
 * threads remove without syncing and call removal_note(), and queue/ is
 * synced once per group: after REMOVAL_GROUP removals, or on the main
 * loop's next pass (at most a second later), or when the worker stops.
 * A power cut can bring back only
 * entries removed within that bound, which are then sent again: the
 * same window the smarthost's 250 already opens (between its reply and
 * postern's record), widened by at most that much. Postfix does not
 * sync removals at all.
 */
#ifndef POSTERN_REMOVAL_H
#define POSTERN_REMOVAL_H

#include "worker.h"

#define REMOVAL_GROUP	64

/* removal_note - one more unsynced removal; syncs when the group is due */
void removal_note(struct worker *w);

/* removal_flush - sync queue/ now if any removal is unsynced */
void removal_flush(struct worker *w);

#endif
