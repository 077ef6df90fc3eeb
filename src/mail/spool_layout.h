/*
 * spool_layout.h - the names in the spool directory; declarations only,
 * so the set-gid writer can use them without linking anything.
 *
 * Layout under the spool directory (modes as install-root creates them):
 *
 *   incoming/    1770 postern:posterndrop  new entries from the set-gid
 *                writer; no user may list or read them. The group
 *                needs read permission because the writer must fsync
 *                the directory (which needs an fd opened for reading);
 *                only the writer runs with that group, and it never
 *                lists or reads. The sticky bit keeps it from removing
 *                or renaming entries that are not its own.
 *   queue/       0700 postern  the worker's private queue:
 *                  QID          the message (a validated copy, immutable)
 *                  QID.state    delivery state (qstate.h), replaced
 *                               atomically after every attempt
 *                  quarantine/  entries that failed validation
 *                  deadletter/  undeliverable notifications nobody could
 *                               be told about (QID + QID.state, the
 *                               reason in the state), kept for
 *                               dead_letter_lifetime
 *                  posternd.lock  held by the running worker
 *   public/      0755 postern  what any user may see or poke:
 *                  flush        FIFO (0622): a byte asks the worker to act
 *                  listing      the queue listing for mailq (0644)
 *                  status       the worker's counters and last events
 *                               for postern status (0644)
 *                  limits       the limits the spool writer enforces
 *                  usage        what each submitter has queued (quota.h)
 *                  submit       Unix socket (0666) of the running worker:
 *                               sendmail hands it a record instead of
 *                               running the writer (see below)
 *                  result-QID   the first attempt's outcome for a submitter
 *                               waiting with -odi (0644), removed after
 *                               RESULT_KEEP seconds
 * Entries are named by queue ID (qid.h).
 *
 * The submit socket: the client connects, sends exactly what the writer
 * reads on stdin (the front-end part of a record, "sender" to "end"),
 * and shuts down its sending side. The worker takes the uid from the
 * connection (SO_PEERCRED), never from the client, and answers one line:
 * "0 QID" once the entry is durable in queue/, or "STATUS reason" with a
 * sysexits status (65 bad input, 75 temporary). A connection closed with
 * no answer means nothing was queued: the client runs the writer instead.
 */
#ifndef POSTERN_SPOOL_LAYOUT_H
#define POSTERN_SPOOL_LAYOUT_H

#define SPOOL_INCOMING		"incoming"
#define SPOOL_QUEUE		"queue"
#define SPOOL_QUARANTINE	"quarantine"	/* inside queue/ */
#define SPOOL_DEAD_LETTER	"deadletter"	/* inside queue/ */
#define SPOOL_PUBLIC		"public"
#define SPOOL_LOCK		"posternd.lock"	/* inside queue/ */
#define SPOOL_FLUSH_FIFO	"flush"		/* inside public/ */
#define SPOOL_LISTING		"listing"	/* inside public/ */
#define SPOOL_STATUS		"status"	/* inside public/ */
#define SPOOL_LIMITS		"limits"	/* inside public/ */
#define SPOOL_USAGE		"usage"		/* inside public/ */
#define SPOOL_STATE_SUFFIX	".state"
#define SPOOL_SUBMIT_SOCKET	"submit"	/* inside public/ */
#define SPOOL_SUBMIT_REPLY_MAX	1024		/* the answer line, newline included */
#define SPOOL_RESULT_PREFIX	"result-"	/* inside public/ */
#define SPOOL_RESULT_KEEP	600		/* seconds */

/* Requests written to the flush FIFO, one byte each. */
#define SPOOL_REQ_FLUSH		'F'	/* try every deferred entry now */
#define SPOOL_REQ_RESCAN	'R'	/* the queue changed on disk: re-read it */
#define SPOOL_REQ_LIST		'L'	/* publish public/listing */
#define SPOOL_REQ_PING		'P'	/* nothing: tells whether a worker reads */

#endif
