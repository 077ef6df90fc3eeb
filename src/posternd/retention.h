/*
 * retention.h - how long the kept entries stay: the quarantine (entries
 * that failed the worker's checks) and the dead letters (deadletter.h).
 *
 * Neither may grow without bound, since any local user can fill the
 * quarantine by calling the spool writer: an entry (its file and its
 * state file together) older than dead_letter_lifetime is removed, and
 * while a directory holds more than dead_letter_max_size bytes its
 * oldest entries are removed. Each removal is logged with its reason.
 */
#ifndef POSTERN_RETENTION_H
#define POSTERN_RETENTION_H

#include "worker.h"

/* retention_sweep - apply both limits to both directories */
void retention_sweep(struct worker *w);

#endif
