/*
 * submit.h - hand one queue record to the spool.
 *
 * submit_record() first offers it to the running worker over its socket
 * (submit_socket.h); a status the worker answers is final. When the
 * worker does not take it, submit_record() runs the set-gid postern-drop
 * with a minimal environment, writes the record to its stdin, and reads
 * the queue ID it prints. The writer's exit
 * status is passed through (it already speaks sysexits); a writer that
 * dies from a signal or cannot be run is a temporary failure (EX_TEMPFAIL)
 * so that the caller keeps its message and tries again later.
 */
#ifndef POSTERN_SUBMIT_H
#define POSTERN_SUBMIT_H

#include <stddef.h>

#include "strbuf.h"

/* submit_record - returns 0 with the ID in qid, or a sysexits status */
int submit_record(const struct strbuf *record, char *qid, size_t qidsize);

#endif
