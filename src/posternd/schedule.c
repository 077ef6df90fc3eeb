/*
 * schedule.c - min-heap of queue entries by next attempt time, with a hash
 * index by queue ID. See schedule.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"
#include "worker.h"
#include "xalloc.h"

#define SCHED_NOT_IN_HEAP SIZE_MAX

struct sched_entry {
	char qid[QID_LEN + 1];
	int64_t next;
	bool hold, busy, seen;
	size_t heap_pos;		/* SCHED_NOT_IN_HEAP when busy or held */
	struct sched_entry *hash_next;
};

struct sched {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct sched_entry **heap;
	size_t heap_len, heap_cap;
	struct sched_entry **buckets;
	size_t nbuckets, count, busy;
	bool once, stopping;
};

static size_t
sched_hash(const char *qid, size_t nbuckets)
{
	size_t h = 5381;

	for (const char *p = qid; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h & (nbuckets - 1);
}

static struct sched_entry *
sched_find(struct sched *s, const char *qid)
{
	struct sched_entry *e = s->buckets[sched_hash(qid, s->nbuckets)];

	while (e && strcmp(e->qid, qid) != 0)
		e = e->hash_next;
	return e;
}

/* sched_rehash - double the bucket array when the load passes 1 */
static void
sched_rehash(struct sched *s)
{
	size_t n = s->nbuckets * 2;
	struct sched_entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < s->nbuckets; i++) {
		struct sched_entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			size_t h = sched_hash(e->qid, n);

			next = e->hash_next;
			e->hash_next = b[h];
			b[h] = e;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
}

static void
sched_unhash(struct sched *s, struct sched_entry *e)
{
	struct sched_entry **pp = &s->buckets[sched_hash(e->qid, s->nbuckets)];

	while (*pp != e)
		pp = &(*pp)->hash_next;
	*pp = e->hash_next;
}

/* sched_before - heap order: earlier time first, then older queue ID */
static bool
sched_before(const struct sched_entry *a, const struct sched_entry *b)
{
	if (a->next != b->next)
		return a->next < b->next;
	return strcmp(a->qid, b->qid) < 0;
}

static void
sched_heap_set(struct sched *s, size_t i, struct sched_entry *e)
{
	s->heap[i] = e;
	e->heap_pos = i;
}

static void
sched_sift_up(struct sched *s, size_t i)
{
	struct sched_entry *e = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!sched_before(e, s->heap[parent]))
			break;
		sched_heap_set(s, i, s->heap[parent]);
		i = parent;
	}
	sched_heap_set(s, i, e);
}

static void
sched_sift_down(struct sched *s, size_t i)
{
	struct sched_entry *e = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->heap_len)
			break;
		if (c + 1 < s->heap_len && sched_before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!sched_before(s->heap[c], e))
			break;
		sched_heap_set(s, i, s->heap[c]);
		i = c;
	}
	sched_heap_set(s, i, e);
}

static void
sched_heap_push(struct sched *s, struct sched_entry *e)
{
	if (s->heap_len == s->heap_cap) {
		s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 64;
		s->heap = xreallocarray(s->heap, s->heap_cap, sizeof(*s->heap));
	}
	sched_heap_set(s, s->heap_len++, e);
	sched_sift_up(s, e->heap_pos);
}

static void
sched_heap_remove(struct sched *s, struct sched_entry *e)
{
	size_t i = e->heap_pos;
	struct sched_entry *last;

	if (i == SCHED_NOT_IN_HEAP)
		return;
	e->heap_pos = SCHED_NOT_IN_HEAP;
	last = s->heap[--s->heap_len];
	if (last == e)
		return;
	sched_heap_set(s, i, last);
	sched_sift_up(s, i);
	sched_sift_down(s, last->heap_pos);
}

/* sched_place - put an idle entry in the heap unless it is held */
static void
sched_place(struct sched *s, struct sched_entry *e)
{
	sched_heap_remove(s, e);
	if (!e->hold && !e->busy) {
		sched_heap_push(s, e);
		pthread_cond_signal(&s->wake);
	}
}

static void
sched_drop(struct sched *s, struct sched_entry *e)
{
	sched_heap_remove(s, e);
	sched_unhash(s, e);
	s->count--;
	free(e);
}

struct sched *
sched_new(bool once)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->nbuckets = 256;
	s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
	s->once = once;
	return s;
}

void
sched_free(struct sched *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct sched_entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			next = e->hash_next;
			free(e);
		}
	}
	free(s->buckets);
	free(s->heap);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
sched_put(struct sched *s, const char *qid, int64_t next, bool hold)
{
	struct sched_entry *e;

	pthread_mutex_lock(&s->lock);
	e = sched_find(s, qid);
	if (!e) {
		if (s->count >= s->nbuckets)
			sched_rehash(s);
		e = xcalloc(1, sizeof(*e));
		memcpy(e->qid, qid, QID_LEN);
		e->heap_pos = SCHED_NOT_IN_HEAP;
		e->hash_next = s->buckets[sched_hash(qid, s->nbuckets)];
		s->buckets[sched_hash(qid, s->nbuckets)] = e;
		s->count++;
	}
	e->seen = true;
	if (!e->busy) {
		e->next = next;
		e->hold = hold;
		sched_place(s, e);
	}
	pthread_mutex_unlock(&s->lock);
}

/* sched_pop_due - take the heap top if it is due; lock held */
static bool
sched_pop_due(struct sched *s, char *qid)
{
	struct sched_entry *e;

	if (s->heap_len == 0 || s->heap[0]->next > worker_now())
		return false;
	e = s->heap[0];
	sched_heap_remove(s, e);
	e->busy = true;
	s->busy++;
	memcpy(qid, e->qid, QID_LEN + 1);
	return true;
}

/* sched_reached - whether the realtime clock has passed t */
static bool
sched_reached(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

enum sched_result
sched_take(struct sched *s, char qid[QID_LEN + 1], uint64_t idle_ms)
{
	struct timespec idle_end, until;
	enum sched_result r;

	clock_gettime(CLOCK_REALTIME, &idle_end);
	idle_end.tv_sec += (time_t)(idle_ms / 1000);
	idle_end.tv_nsec += (long)(idle_ms % 1000) * 1000000L;
	if (idle_end.tv_nsec >= 1000000000L) {
		idle_end.tv_sec++;
		idle_end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	for (;;) {
		bool timed;

		if (s->stopping) {
			r = SCHEDULE_STOP;
			break;
		}
		if (sched_pop_due(s, qid)) {
			r = SCHEDULE_GOT;
			break;
		}
		if (s->once && s->busy == 0) {
			r = SCHEDULE_STOP;
			pthread_cond_broadcast(&s->wake);
			break;
		}
		if (idle_ms && sched_reached(&idle_end)) {
			r = SCHEDULE_IDLE;
			break;
		}
		timed = s->heap_len > 0;
		until.tv_sec = timed ? (time_t)s->heap[0]->next : 0;
		until.tv_nsec = 0;
		if (idle_ms && (!timed || idle_end.tv_sec < until.tv_sec)) {
			until = idle_end;
			timed = true;
		}
		if (timed)
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		else
			pthread_cond_wait(&s->wake, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

bool
sched_take_due(struct sched *s, char qid[QID_LEN + 1])
{
	bool got;

	pthread_mutex_lock(&s->lock);
	got = !s->stopping && sched_pop_due(s, qid);
	pthread_mutex_unlock(&s->lock);
	return got;
}

void
sched_done(struct sched *s, const char *qid, bool gone, int64_t next, bool hold)
{
	struct sched_entry *e;

	pthread_mutex_lock(&s->lock);
	e = sched_find(s, qid);
	if (e && e->busy) {
		e->busy = false;
		s->busy--;
		if (gone) {
			sched_drop(s, e);
		} else {
			e->next = next;
			e->hold = hold;
			sched_place(s, e);
		}
	}
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
sched_flush(struct sched *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->heap_len; i++)
		s->heap[i]->next = 0;
	/* every key dropped to the same value: ordering by queue ID remains */
	for (size_t i = s->heap_len / 2 + 1; i-- > 0;)
		if (i < s->heap_len)
			sched_sift_down(s, i);
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
sched_mark_all(struct sched *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct sched_entry *e = s->buckets[i]; e; e = e->hash_next)
			e->seen = e->busy;
	pthread_mutex_unlock(&s->lock);
}

void
sched_sweep(struct sched *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct sched_entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			next = e->hash_next;
			if (!e->seen && !e->busy)
				sched_drop(s, e);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void
sched_stop(struct sched *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
sched_counts(struct sched *s, size_t *total, size_t *busy)
{
	pthread_mutex_lock(&s->lock);
	*total = s->count;
	*busy = s->busy;
	pthread_mutex_unlock(&s->lock);
}
