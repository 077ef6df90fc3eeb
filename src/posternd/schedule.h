/*
 * schedule.h - the in-memory schedule of queue entries: which is due next,
 * which is being delivered, which is held.
 *
 * Only queue IDs and times live here; the message and its state stay on
 * disk and are read by the thread that delivers them. Entries are kept in
 * a min-heap by next attempt time (ties by queue ID, so older mail goes
 * first) with a hash index by queue ID, so a backlog of tens of thousands
 * costs O(log n) per delivery. All functions lock internally.
 */
#ifndef POSTERN_SCHEDULE_H
#define POSTERN_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

struct sched;

enum sched_result {
	SCHEDULE_GOT,		/* qid filled: deliver it, then sched_done() */
	SCHEDULE_IDLE,		/* nothing due within the idle time */
	SCHEDULE_STOP,		/* stopping, or --once and nothing left to do */
};

struct sched *sched_new(bool once);
void sched_free(struct sched *s);

/*
 * sched_put - add qid, or update its time and hold flag when it is known
 * and not busy. Wakes a waiting thread when the entry is due.
 */
void sched_put(struct sched *s, const char *qid, int64_t next, bool hold);

/*
 * sched_take - wait for a due entry, at most idle_ms (0 = no limit), and
 * mark it busy. In --once mode returns SCHEDULE_STOP as soon as nothing is
 * due and no thread is busy.
 */
enum sched_result sched_take(struct sched *s, char qid[QID_LEN + 1],
    uint64_t idle_ms);

/* sched_take_due - like sched_take but never waits; false if none due */
bool sched_take_due(struct sched *s, char qid[QID_LEN + 1]);

/*
 * sched_done - the delivering thread is finished with qid: drop it when
 * gone is set (delivered, bounced or deleted), else schedule it at next.
 */
void sched_done(struct sched *s, const char *qid, bool gone, int64_t next,
    bool hold);

/* sched_flush - make every entry that is not held due now */
void sched_flush(struct sched *s);

/*
 * Rescan support: sched_mark_all() clears every entry's "seen" flag,
 * sched_put() sets it, and sched_sweep() drops idle entries not seen
 * since (their files were removed by the administrator).
 */
void sched_mark_all(struct sched *s);
void sched_sweep(struct sched *s);

/* sched_stop - make every sched_take() return SCHEDULE_STOP */
void sched_stop(struct sched *s);

/* sched_counts - entries known, and how many are busy */
void sched_counts(struct sched *s, size_t *total, size_t *busy);

#endif
