/*
 * qid.h - queue IDs, the names of spool entries.
 *
 * A queue ID is QID_LEN upper-case hex digits: 8 of seconds, 5 of
 * microseconds and 4 random, so names sort by arrival. The set-gid
 * writer names new entries with qid_new(); every program checks a name
 * with qid_valid() before it opens anything by it. No allocation and
 * only libc, so the writer links it.
 */
#ifndef POSTERN_QID_H
#define POSTERN_QID_H

#include <stdbool.h>

#define QID_LEN		17

/* qid_new - a fresh time-ordered queue ID */
void qid_new(char id[QID_LEN + 1]);

/* qid_valid - whether name is exactly a queue ID */
bool qid_valid(const char *name);

#endif
