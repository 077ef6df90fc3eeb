/*
 * submit_socket.h - hand one queue record to the running worker over its
 * socket public/submit (the protocol is in spool_layout.h).
 *
 * This is the fast path: no second program, and the worker writes the
 * entry straight into its queue. It works only while posternd runs; the
 * caller falls back to the set-gid writer whenever the worker did not
 * take the record, which this reports as SUBMIT_SOCKET_UNAVAILABLE (no
 * socket, refused, a full worker, one that stops, or a connection that
 * ends with no answer: in each case nothing was queued through it).
 * The peer must run as the owner of public/ or as root, so a socket left
 * by anyone else is never fed a message. The caller ignores SIGPIPE.
 */
#ifndef POSTERN_SUBMIT_SOCKET_H
#define POSTERN_SUBMIT_SOCKET_H

#include <stddef.h>

#include "strbuf.h"

#define SUBMIT_SOCKET_UNAVAILABLE	(-1)
#define SUBMIT_SOCKET_TIMEOUT_S		120	/* to send, and then to answer */

/*
 * submit_socket_record - 0 with the queue ID in qid; a sysexits status the
 * worker answered (its reason already printed on stderr); or
 * SUBMIT_SOCKET_UNAVAILABLE
 */
int submit_socket_record(const char *spool, const struct strbuf *record,
    char *qid, size_t qidsize);

#endif
