/*
 * listing.h - the queue listing shown by mailq, sendmail -bp and postern
 * queue, in the layout of Postfix's mailq:
 *
 *   -Queue ID-------- --Size-- ----Arrival Time---- -Sender/Recipient-------
 *   692D4B1E0A3F1C2B7     1234 Mon Nov 23 10:00:00  alice@example.com
 *       (deferred, attempt 3, next Mon Nov 23 10:05:00, via smtp.example.com[192.0.2.1]:587 starttls:
 *        451 4.3.0 Try again later)
 *                                                   bob@example.org
 *
 *   -- 2 Kbytes in 1 Request.
 *
 * A '!' after the queue ID marks a held entry; entries not yet picked up
 * from incoming/ say "waiting for pickup". Only recipients still pending
 * are listed. An entry that cannot be read is listed with the reason,
 * never left out. A last line counts the entries in quarantine:
 *
 *   -- 1 message in quarantine (see the log; "postern requeue --all" ...).
 *
 * and then the dead letters (deadletter in spool_layout.h), each with
 * the reason it was kept and the recipients that failed:
 *
 *   -- 1 dead letter (undeliverable, and nobody could be told; ...):
 *   1A2B...  1234  (dead letter: undeliverable notification to the postmaster)
 *                                                   postmaster@example.com
 *                                                   (550 5.7.1 sender not verified)
 *
 * Message contents are never shown.
 */
#ifndef POSTERN_LISTING_H
#define POSTERN_LISTING_H

#include <stddef.h>

#include "strbuf.h"

/*
 * listing_build - append the listing of queue_fd (and of incoming_fd
 * when it is >= 0) to out. Returns the number of entries listed.
 */
size_t listing_build(int queue_fd, int incoming_fd, struct strbuf *out);

#endif
