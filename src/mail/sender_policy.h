/*
 * sender_policy.h - the [sender] rules of postern.conf that protect the
 * provider account: a forced envelope_sender, and masquerading of local
 * senders as masquerade_domain (except masquerade_exceptions).
 *
 * sendmail applies them when it composes a submission; the worker applies
 * them again to every entry it picks up, because a local user can call
 * the set-gid writer directly and skip sendmail. Applying them twice
 * changes nothing: both rules are idempotent.
 */
#ifndef POSTERN_SENDER_POLICY_H
#define POSTERN_SENDER_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/*
 * sender_policy_masquerades - whether local@domain (local is local_len
 * bytes) is a local sender to be shown as local@masquerade_domain
 */
bool sender_policy_masquerades(const struct conf *conf, const char *local,
    size_t local_len, const char *domain);

/*
 * sender_policy_envelope - the envelope sender the rules make of sender
 * (a qualified address, or "" for the null sender, which is never
 * rewritten): envelope_sender when set, else the masqueraded form. A heap
 * copy the caller frees.
 */
char *sender_policy_envelope(const struct conf *conf, const char *sender);

#endif
