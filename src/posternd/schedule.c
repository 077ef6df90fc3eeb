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

#define SCHEDULE_NOT_IN_HEAP SIZE_MAX

struct schedule_entry {
	char qid[QID_LEN + 1];
	int64_t next;
	bool hold, busy, seen, owned;
	uint32_t uid;			/* the submitter, when owned */
	uint64_t bytes;			/* the queue file's size, when owned */
	size_t heap_pos;		/* SCHEDULE_NOT_IN_HEAP when busy or held */
	struct schedule_entry *hash_next;
};

struct schedule {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct schedule_entry **heap;
	size_t heap_len, heap_cap;
	struct schedule_entry **buckets;
	size_t nbuckets, count, busy;
	bool once, stopping;
	struct schedule_usage *usage;	/* per submitter, unsorted */
	size_t nusage, usage_cap;
	bool usage_changed;
};

/* schedule_tally - add sign * (1 message, bytes) to uid's usage */
static void
schedule_tally(struct schedule *s, uint32_t uid, uint64_t bytes, int sign)
{
	size_t i;

	for (i = 0; i < s->nusage && s->usage[i].uid != uid; i++)
		;
	if (i == s->nusage) {
		if (sign < 0)
			return;
		if (s->nusage == s->usage_cap) {
			s->usage_cap = s->usage_cap ? s->usage_cap * 2 : 16;
			s->usage = xreallocarray(s->usage, s->usage_cap, sizeof(*s->usage));
		}
		s->usage[s->nusage++] = (struct schedule_usage){ uid, 0, 0 };
	}
	if (sign > 0) {
		s->usage[i].messages++;
		s->usage[i].bytes += bytes;
	} else {
		s->usage[i].messages--;
		s->usage[i].bytes -= bytes;
		if (s->usage[i].messages == 0)
			s->usage[i] = s->usage[--s->nusage];
	}
	s->usage_changed = true;
}

static size_t
schedule_hash(const char *qid, size_t nbuckets)
{
	size_t h = 5381;

	for (const char *p = qid; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h & (nbuckets - 1);
}

static struct schedule_entry *
schedule_find(struct schedule *s, const char *qid)
{
	struct schedule_entry *e = s->buckets[schedule_hash(qid, s->nbuckets)];

	while (e && strcmp(e->qid, qid) != 0)
		e = e->hash_next;
	return e;
}

/* schedule_rehash - double the bucket array when the load passes 1 */
static void
schedule_rehash(struct schedule *s)
{
	size_t n = s->nbuckets * 2;
	struct schedule_entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < s->nbuckets; i++) {
		struct schedule_entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			size_t h = schedule_hash(e->qid, n);

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
schedule_unhash(struct schedule *s, struct schedule_entry *e)
{
	struct schedule_entry **pp = &s->buckets[schedule_hash(e->qid, s->nbuckets)];

	while (*pp != e)
		pp = &(*pp)->hash_next;
	*pp = e->hash_next;
}

/* schedule_before - heap order: earlier time first, then older queue ID */
static bool
schedule_before(const struct schedule_entry *a, const struct schedule_entry *b)
{
	if (a->next != b->next)
		return a->next < b->next;
	return strcmp(a->qid, b->qid) < 0;
}

static void
schedule_heap_set(struct schedule *s, size_t i, struct schedule_entry *e)
{
	s->heap[i] = e;
	e->heap_pos = i;
}

static void
schedule_sift_up(struct schedule *s, size_t i)
{
	struct schedule_entry *e = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!schedule_before(e, s->heap[parent]))
			break;
		schedule_heap_set(s, i, s->heap[parent]);
		i = parent;
	}
	schedule_heap_set(s, i, e);
}

static void
schedule_sift_down(struct schedule *s, size_t i)
{
	struct schedule_entry *e = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->heap_len)
			break;
		if (c + 1 < s->heap_len && schedule_before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!schedule_before(s->heap[c], e))
			break;
		schedule_heap_set(s, i, s->heap[c]);
		i = c;
	}
	schedule_heap_set(s, i, e);
}

static void
schedule_heap_push(struct schedule *s, struct schedule_entry *e)
{
	if (s->heap_len == s->heap_cap) {
		s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 64;
		s->heap = xreallocarray(s->heap, s->heap_cap, sizeof(*s->heap));
	}
	schedule_heap_set(s, s->heap_len++, e);
	schedule_sift_up(s, e->heap_pos);
}

static void
schedule_heap_remove(struct schedule *s, struct schedule_entry *e)
{
	size_t i = e->heap_pos;
	struct schedule_entry *last;

	if (i == SCHEDULE_NOT_IN_HEAP)
		return;
	e->heap_pos = SCHEDULE_NOT_IN_HEAP;
	last = s->heap[--s->heap_len];
	if (last == e)
		return;
	schedule_heap_set(s, i, last);
	schedule_sift_up(s, i);
	schedule_sift_down(s, last->heap_pos);
}

/* schedule_place - put an idle entry in the heap unless it is held */
static void
schedule_place(struct schedule *s, struct schedule_entry *e)
{
	schedule_heap_remove(s, e);
	if (!e->hold && !e->busy) {
		schedule_heap_push(s, e);
		/* all: a backlog thread woken alone might not take it */
		pthread_cond_broadcast(&s->wake);
	}
}

static void
schedule_drop(struct schedule *s, struct schedule_entry *e)
{
	schedule_heap_remove(s, e);
	schedule_unhash(s, e);
	s->count--;
	if (e->owned)
		schedule_tally(s, e->uid, e->bytes, -1);
	free(e);
}

struct schedule *
schedule_new(bool once)
{
	struct schedule *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->nbuckets = 256;
	s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
	s->once = once;
	return s;
}

void
schedule_free(struct schedule *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct schedule_entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			next = e->hash_next;
			free(e);
		}
	}
	free(s->buckets);
	free(s->heap);
	free(s->usage);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

bool
schedule_put(struct schedule *s, const char *qid, int64_t next, bool hold)
{
	struct schedule_entry *e;
	bool added = false;

	pthread_mutex_lock(&s->lock);
	e = schedule_find(s, qid);
	if (!e) {
		added = true;
		if (s->count >= s->nbuckets)
			schedule_rehash(s);
		e = xcalloc(1, sizeof(*e));
		memcpy(e->qid, qid, QID_LEN);
		e->heap_pos = SCHEDULE_NOT_IN_HEAP;
		e->hash_next = s->buckets[schedule_hash(qid, s->nbuckets)];
		s->buckets[schedule_hash(qid, s->nbuckets)] = e;
		s->count++;
	}
	e->seen = true;
	if (!e->busy) {
		e->next = next;
		e->hold = hold;
		schedule_place(s, e);
	}
	pthread_mutex_unlock(&s->lock);
	return added;
}

/* schedule_pop_due - take the heap top if it is due; lock held */
static bool
schedule_pop_due(struct schedule *s, char *qid)
{
	struct schedule_entry *e;

	if (s->heap_len == 0 || s->heap[0]->next > worker_now())
		return false;
	e = s->heap[0];
	schedule_heap_remove(s, e);
	e->busy = true;
	s->busy++;
	memcpy(qid, e->qid, QID_LEN + 1);
	return true;
}

/*
 * schedule_due_at_least - whether k entries are due; lock held. A heap
 * node that is not due heads a subtree with nothing due, so this visits
 * at most about 2k nodes, whatever the queue's size.
 */
static bool
schedule_due_at_least(struct schedule *s, size_t k, int64_t now)
{
	size_t stack[SCHEDULE_MIN_DUE_MAX + 2], top = 0, found = 0;

	if (k > SCHEDULE_MIN_DUE_MAX)
		k = SCHEDULE_MIN_DUE_MAX;
	if (s->heap_len > 0)
		stack[top++] = 0;
	while (top > 0) {	/* each due node found adds at most one */
		size_t i = stack[--top];

		if (s->heap[i]->next > now)
			continue;
		if (++found >= k)
			return true;
		for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < s->heap_len; c++)
			stack[top++] = c;
	}
	return false;
}

/* schedule_reached - whether the realtime clock has passed t */
static bool
schedule_reached(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

enum schedule_result
schedule_take(struct schedule *s, char qid[QID_LEN + 1], uint64_t idle_ms,
    size_t min_due)
{
	struct timespec idle_end, until;
	enum schedule_result r;

	clock_gettime(CLOCK_REALTIME, &idle_end);
	idle_end.tv_sec += (time_t)(idle_ms / 1000);
	idle_end.tv_nsec += (long)(idle_ms % 1000) * 1000000L;
	if (idle_end.tv_nsec >= 1000000000L) {
		idle_end.tv_sec++;
		idle_end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	for (;;) {
		bool timed, enough;

		if (s->stopping) {
			r = SCHEDULE_STOP;
			break;
		}
		enough = min_due <= 1 ||
		    schedule_due_at_least(s, min_due, worker_now());
		if (enough && schedule_pop_due(s, qid)) {
			r = SCHEDULE_GOT;
			break;
		}
		if (s->once && s->busy == 0) {
			r = SCHEDULE_STOP;
			pthread_cond_broadcast(&s->wake);
			break;
		}
		if (idle_ms && schedule_reached(&idle_end)) {
			r = SCHEDULE_IDLE;
			break;
		}
		/* too few due for this thread: wait for a change, not the time */
		timed = s->heap_len > 0 && (enough ||
		    s->heap[0]->next > worker_now());
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
schedule_take_due(struct schedule *s, char qid[QID_LEN + 1])
{
	bool got;

	pthread_mutex_lock(&s->lock);
	got = !s->stopping && schedule_pop_due(s, qid);
	pthread_mutex_unlock(&s->lock);
	return got;
}

void
schedule_done(struct schedule *s, const char *qid, bool gone, int64_t next, bool hold)
{
	struct schedule_entry *e;

	pthread_mutex_lock(&s->lock);
	e = schedule_find(s, qid);
	if (e && e->busy) {
		e->busy = false;
		s->busy--;
		if (gone) {
			schedule_drop(s, e);
		} else {
			e->next = next;
			e->hold = hold;
			schedule_place(s, e);
		}
	}
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
schedule_flush(struct schedule *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->heap_len; i++)
		s->heap[i]->next = 0;
	/* every key dropped to the same value: ordering by queue ID remains */
	for (size_t i = s->heap_len / 2 + 1; i-- > 0;)
		if (i < s->heap_len)
			schedule_sift_down(s, i);
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
schedule_mark_all(struct schedule *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct schedule_entry *e = s->buckets[i]; e; e = e->hash_next)
			e->seen = e->busy;
	pthread_mutex_unlock(&s->lock);
}

void
schedule_sweep(struct schedule *s)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct schedule_entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			next = e->hash_next;
			if (!e->seen && !e->busy)
				schedule_drop(s, e);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void
schedule_set_owner(struct schedule *s, const char *qid, uint32_t uid,
    uint64_t bytes)
{
	struct schedule_entry *e;

	pthread_mutex_lock(&s->lock);
	if ((e = schedule_find(s, qid)) != NULL && !e->owned) {
		e->owned = true;
		e->uid = uid;
		e->bytes = bytes;
		schedule_tally(s, uid, bytes, +1);
	}
	pthread_mutex_unlock(&s->lock);
}

void
schedule_usage_of(struct schedule *s, uint32_t uid, struct schedule_usage *out)
{
	pthread_mutex_lock(&s->lock);
	*out = (struct schedule_usage){ uid, 0, 0 };
	for (size_t i = 0; i < s->nusage; i++)
		if (s->usage[i].uid == uid)
			*out = s->usage[i];
	pthread_mutex_unlock(&s->lock);
}

size_t
schedule_usage(struct schedule *s, struct schedule_usage **out, bool *changed)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nusage;
	*out = n ? xreallocarray(NULL, n, sizeof(**out)) : NULL;
	if (n)
		memcpy(*out, s->usage, n * sizeof(**out));
	*changed = s->usage_changed;
	s->usage_changed = false;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void
schedule_stop(struct schedule *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void
schedule_counts(struct schedule *s, size_t *total, size_t *busy)
{
	pthread_mutex_lock(&s->lock);
	*total = s->count;
	*busy = s->busy;
	pthread_mutex_unlock(&s->lock);
}
