/*
 * spool.h - the spool directory layout and the file operations every
 * program that touches it shares.
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
 *                  posternd.lock  held by the running worker
 *   public/      0755 postern  what any user may see or poke:
 *                  flush        FIFO (0622): a byte asks the worker to act
 *                  listing      the queue listing for mailq (0644)
 *                  status       the worker's counters and last events
 *                               for postern status (0644)
 *                  result-QID   the first attempt's outcome for a submitter
 *                               waiting with -odi (0644), removed after
 *                               RESULT_KEEP seconds
 *
 * A queue ID is 17 upper-case hex digits: 8 of seconds, 5 of microseconds
 * and 4 random, so names sort by arrival.
 */
#ifndef POSTERN_SPOOL_H
#define POSTERN_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "strbuf.h"

#define SPOOL_QID_LEN		17
#define SPOOL_INCOMING		"incoming"
#define SPOOL_QUEUE		"queue"
#define SPOOL_QUARANTINE	"quarantine"	/* inside queue/ */
#define SPOOL_PUBLIC		"public"
#define SPOOL_LOCK		"posternd.lock"	/* inside queue/ */
#define SPOOL_FLUSH_FIFO	"flush"		/* inside public/ */
#define SPOOL_LISTING		"listing"	/* inside public/ */
#define SPOOL_STATUS		"status"	/* inside public/ */
#define SPOOL_STATE_SUFFIX	".state"
#define SPOOL_RESULT_PREFIX	"result-"	/* inside public/ */
#define SPOOL_RESULT_KEEP	600		/* seconds */

/* Requests written to the flush FIFO, one byte each. */
#define SPOOL_REQ_FLUSH		'F'	/* try every deferred entry now */
#define SPOOL_REQ_RESCAN	'R'	/* the queue changed on disk: re-read it */
#define SPOOL_REQ_LIST		'L'	/* publish public/listing */
#define SPOOL_REQ_PING		'P'	/* nothing: tells whether a worker reads */

/* spool_qid_valid - whether name is exactly a queue ID */
bool spool_qid_valid(const char *name);

/* spool_new_qid - a fresh time-ordered queue ID in buf (>= 18 bytes) */
void spool_new_qid(char *buf, size_t size);

/*
 * spool_read_file - read the whole regular file name (relative to dirfd)
 * into out, refusing symlinks (O_NOFOLLOW) and files over max bytes.
 * Fills *st from fstat() of the opened file when st is not NULL.
 * Returns 0, or an errno value (EFBIG for too big, EINVAL for not a
 * regular file).
 */
int spool_read_file(int dirfd, const char *name, size_t max, struct strbuf *out,
    struct stat *st);

/*
 * spool_write_file - durably replace name in dirfd with len bytes: write
 * "name.tmp", fsync it, rename it over name, and fsync the directory when
 * sync_dir is set. Leaves nothing behind on failure. Returns 0 or errno.
 */
int spool_write_file(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, bool sync_dir);

/* spool_fsync_dir - fsync a directory fd; 0 or errno */
int spool_fsync_dir(int dirfd);

#endif
