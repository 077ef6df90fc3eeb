/*
 * quota.h - publish what the set-gid writer needs to enforce the limits
 * of postern.conf without reading it (it must not link libconfuse, and
 * the configuration may hold a password):
 *
 *   public/limits   "max_message_size N", "user_max_messages N" and
 *                   "user_max_size N", one per line (0 = no limit);
 *                   written at start and at every reload
 *   public/usage    "UID MESSAGES BYTES" per submitter with entries in
 *                   the queue; rewritten when it changes, at most once
 *                   per pass of the event loop
 *
 * Both are 0644 files of the spool's owner in a directory only it can
 * write, which is what the writer checks before it believes them. The
 * writer adds its caller's entries still in incoming/ to the usage.
 */
#ifndef POSTERN_QUOTA_H
#define POSTERN_QUOTA_H

#include "worker.h"

/* quota_publish_limits - write public/limits from the current config */
void quota_publish_limits(struct worker *w);

/* quota_publish_usage - write public/usage if the usage changed */
void quota_publish_usage(struct worker *w);

#endif
