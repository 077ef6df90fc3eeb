/*
 * bounce.h - notify the sender (or the postmaster) about recipients that
 * failed or are delayed, by queueing an RFC 3464 DSN (dsn.h).
 *
 * Who receives it, and the rules that make loops impossible:
 *   - mail from a user: the envelope sender, mapped through the aliases
 *     when it is a local address; the DSN is queued with kind "bounce";
 *   - a failed entry with the null sender (a bounce, or mail submitted
 *     with -f '<>'): never bounced; a postmaster copy goes to the
 *     "postmaster" alias when one is configured, with kind
 *     "double-bounce", and otherwise it is kept as a dead letter;
 *   - a failed double-bounce: kept as a dead letter (deadletter.h).
 * Delay warnings go only to user mail with a sender, once per entry.
 * Recipients whose DSN NOTIFY excludes FAILURE (or DELAY) are left out.
 */
#ifndef POSTERN_BOUNCE_H
#define POSTERN_BOUNCE_H

#include <stddef.h>

#include "dsn.h"
#include "qentry.h"
#include "worker.h"

/*
 * bounce_notify - queue the notification of type (DSN_FAILED or
 * DSN_DELAYED) for e's recipients listed in idx[0..n) (their reasons are
 * in e->st). remote_mta names the smarthost that answered, or NULL.
 * Returns 0 (queued, or nothing to send by the rules above) or an errno
 * when the DSN could not be written, so the caller keeps the entry.
 */
int bounce_notify(struct worker *w, const struct wconf *wc,
    const struct qentry *e, enum dsn_type type, const size_t *idx, size_t n,
    const char *remote_mta);

/*
 * bounce_quarantined - tell the submitter (uid's login when it is a
 * local user's, through the aliases) or else the postmaster, once, that
 * the entry name was moved to quarantine for reason why: it was accepted
 * by sendmail and will never be delivered. uid is -1 when unknown.
 * Returns 0 (queued, or nobody to tell: logged) or an errno.
 */
int bounce_quarantined(struct worker *w, const char *name, long uid,
    const char *why);

#endif
