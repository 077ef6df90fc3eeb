/*
 * drop_quota.h - the limits the set-gid writer enforces, read without
 * libconfuse from what the worker publishes (quota.h in posternd):
 * public/limits and public/usage, believed only when they belong to the
 * spool's owner and nobody else can write them; otherwise the defaults
 * of postern.conf, compiled in, apply.
 *
 * A user's usage is what the worker has in its queue for that uid plus
 * the user's own entries (finished or being written) in incoming/, so a
 * stopped worker does not lift the limit.
 */
#ifndef POSTERN_DROP_QUOTA_H
#define POSTERN_DROP_QUOTA_H

#include <stdint.h>
#include <sys/types.h>

struct drop_limits {
	uint64_t max_message_size;	/* 0 = no limit */
	uint64_t user_max_messages;	/* 0 = no limit */
	uint64_t user_max_size;		/* 0 = no limit */
};

struct drop_usage {
	uint64_t messages, bytes;
};

/*
 * drop_quota_limits - the limits, from public/ under spool_fd when the
 * owner of incoming_fd wrote it there, else the compiled-in defaults
 */
void drop_quota_limits(int spool_fd, int incoming_fd, struct drop_limits *l);

/* drop_quota_usage - what uid has queued, as above */
void drop_quota_usage(int spool_fd, int incoming_fd, uid_t uid,
    struct drop_usage *u);

#endif
