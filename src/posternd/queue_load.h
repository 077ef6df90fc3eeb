/*
 * queue_load.h - read the private queue directory into the schedule, at
 * start and whenever the admin CLI asks for a rescan. Orphaned state
 * files (their message was removed) and temporary files left by a crash
 * are deleted. Entries that disappeared from disk leave the schedule.
 */
#ifndef POSTERN_QUEUE_LOAD_H
#define POSTERN_QUEUE_LOAD_H

#include <stddef.h>

#include "worker.h"

/* queue_load - schedule every entry of queue/; returns how many */
size_t queue_load(struct worker *w);

#endif
