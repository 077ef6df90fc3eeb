/*
 * spool_owner.h - act as the owner of the spool.
 *
 * Every file in queue/ must belong to the user that owns queue/ (the
 * postern user), because posternd runs as that user and must read and
 * replace them. A program started as root that writes into the spool
 * (posternd itself, and the postern administration commands) therefore
 * becomes that user first, for good, before it creates any file: root
 * would otherwise leave root-owned 0600 entries the worker cannot read.
 */
#ifndef POSTERN_SPOOL_OWNER_H
#define POSTERN_SPOOL_OWNER_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * spool_owner_of_queue - the uid and gid owning spool/queue; false with
 * errno if it cannot be examined
 */
bool spool_owner_of_queue(const char *spool, uid_t *uid, gid_t *gid);

/*
 * spool_become_owner - when running as root, switch for good to the owner
 * of spool/queue (its uid, its group and that user's groups); a no-op for
 * any other user and for a root-owned queue. Returns 0, or an errno value
 * with why set to a short reason ("cannot examine ..." or "cannot switch
 * to uid N").
 */
int spool_become_owner(const char *spool, const char **why);

#endif
