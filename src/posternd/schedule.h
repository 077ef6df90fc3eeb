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

struct schedule;

enum schedule_result {
	SCHEDULE_GOT,		/* qid filled: deliver it, then schedule_done() */
	SCHEDULE_IDLE,		/* nothing due within the idle time */
	SCHEDULE_STOP,		/* stopping, or --once and nothing left to do */
};

struct schedule *schedule_new(bool once);
void schedule_free(struct schedule *s);

/*
 * schedule_put - add qid, or update its time and hold flag when it is known
 * and not busy. Wakes a waiting thread when the entry is due. True when
 * qid was not known before.
 */
bool schedule_put(struct schedule *s, const char *qid, int64_t next, bool hold);

/*
 * schedule_take - wait for a due entry, at most idle_ms (0 = no limit), and
 * mark it busy. With min_due > 1 (a thread that only helps with a
 * backlog) an entry is taken only while at least min_due are due (at
 * most SCHEDULE_MIN_DUE_MAX counts). In --once mode returns SCHEDULE_STOP
 * as soon as no thread is busy and this thread has nothing to take.
 */
#define SCHEDULE_MIN_DUE_MAX	256
enum schedule_result schedule_take(struct schedule *s, char qid[QID_LEN + 1],
    uint64_t idle_ms, size_t min_due);

/* schedule_take_due - like schedule_take but never waits; false if none due */
bool schedule_take_due(struct schedule *s, char qid[QID_LEN + 1]);

/*
 * schedule_done - the delivering thread is finished with qid: drop it when
 * gone is set (delivered, bounced or deleted), else schedule it at next.
 */
void schedule_done(struct schedule *s, const char *qid, bool gone, int64_t next,
    bool hold);

/* schedule_flush - make every entry that is not held due now */
void schedule_flush(struct schedule *s);

/*
 * Rescan support: schedule_mark_all() clears every entry's "seen" flag,
 * schedule_put() sets it, and schedule_sweep() drops idle entries not seen
 * since (their files were removed by the administrator).
 */
void schedule_mark_all(struct schedule *s);
void schedule_sweep(struct schedule *s);

/* What one submitter has queued. */
struct schedule_usage {
	uint32_t uid;
	uint64_t messages, bytes;
};

/*
 * schedule_set_owner - record that qid was submitted by uid and takes
 * bytes, once; dropping the entry takes it off uid's usage again
 */
void schedule_set_owner(struct schedule *s, const char *qid, uint32_t uid,
    uint64_t bytes);

/*
 * schedule_usage - a copy of every submitter's usage (free it), and
 * whether it changed since the last call. How many submitters.
 */
size_t schedule_usage(struct schedule *s, struct schedule_usage **out,
    bool *changed);

/* schedule_usage_of - what uid has queued (zeros if nothing) */
void schedule_usage_of(struct schedule *s, uint32_t uid,
    struct schedule_usage *out);

/* schedule_stop - make every schedule_take() return SCHEDULE_STOP */
void schedule_stop(struct schedule *s);

/* schedule_counts - entries known, and how many are busy */
void schedule_counts(struct schedule *s, size_t *total, size_t *busy);

#endif
