/*
 * admin.h - the queue operations of mailq, sendmail -bp/-q and the
 * postern admin command, shared so that they behave the same.
 *
 * Privileges: the queue directory is readable only by root and the
 * postern user. Listing works for everybody: an unprivileged caller asks
 * the running worker (a byte on the public FIFO) to publish the listing
 * and reads that, as Postfix's mailq asks its showq service. Changing an
 * entry needs root or postern; the change is made under the entry's lock
 * and the worker is told to rescan. Every function prints its own
 * messages and returns a sysexits status.
 */
#ifndef POSTERN_ADMIN_H
#define POSTERN_ADMIN_H

#include <stdio.h>

enum admin_change { ADMIN_HOLD, ADMIN_RELEASE, ADMIN_RETRY, ADMIN_DELETE };

/* admin_list - print the queue listing (mailq) */
int admin_list(FILE *out);

/*
 * admin_flush - ask the running worker to try every entry now; when none
 * runs, run one foreground pass (posternd --once --flush) if the caller
 * may, else fail with EX_UNAVAILABLE.
 */
int admin_flush(void);

/* admin_show - envelope, delivery state and headers of one entry */
int admin_show(const char *qid, FILE *out);

/* admin_change - hold, release, retry or delete qid ("ALL" = every entry
   for ADMIN_DELETE); delete also removes a dead letter or a quarantined
   entry of that ID */
int admin_change(enum admin_change what, const char *qid);

/*
 * admin_requeue - move qid ("ALL" = every entry) out of queue/quarantine/
 * or queue/deadletter/ after the cause was fixed, as Postfix's postsuper -r: back into queue/
 * if it was a queued entry, into incoming/ to be checked again if it was
 * a rejected submission. As root, root-owned entries are first given to
 * the spool's owner.
 */
int admin_requeue(const char *qid);

/*
 * admin_wait_result - sendmail -odi: wait (up to timeout_ms) for the
 * worker to publish the first attempt on qid, and print one line per
 * recipient to out ("sendmail: QID: to=<a> status=sent (250 ...)").
 * Returns EX_OK (the message is queued whatever happened) and says so
 * when no worker runs or none answers in time.
 */
int admin_wait_result(const char *qid, unsigned timeout_ms, FILE *out);

#endif
