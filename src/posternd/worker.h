/*
 * worker.h - what the parts of posternd share: the open spool, the
 * current configuration (replaced on SIGHUP), and the schedule.
 *
 * Threads: the main thread picks up new mail, handles signals and FIFO
 * requests, and reloads the configuration. conf.concurrency delivery
 * threads each own at most one SMTP session and take due entries from
 * the schedule (sched.c). A queue entry is worked on by one thread at a
 * time: the schedule marks it busy, and the thread also holds an flock()
 * on the message file so the admin CLI never edits an entry mid-delivery.
 */
#ifndef POSTERN_WORKER_H
#define POSTERN_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "aliases.h"
#include "conf.h"
#include "port_cache.h"
#include "spool.h"

/* One loaded configuration; shared by reference count. */
struct wconf {
	struct conf *conf;
	struct aliases aliases;
	unsigned generation;		/* bumped on every reload */
	unsigned refs;			/* guarded by worker.conf_lock */
};

struct schedule;
struct submission;

/* The shared syncs of queue/ (queue_sync.h); guarded by lock. */
struct queue_sync {
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* broadcast when a sync ends */
	bool busy;			/* a sync is running */
	uint64_t entries_total, entries_synced, entries_failed;
	uint64_t removals_total, removals_synced;
};

/*
 * What "postern status" reports about the worker, published as
 * public/status (see worker_status_publish); guarded by its own lock.
 */
struct worker_status {
	pthread_mutex_t lock;
	int64_t started;
	int64_t last_success;		/* 0 = none yet */
	char last_success_text[512];
	int64_t last_error;		/* a deferral or a failed connection */
	char last_error_text[512];
	uint64_t sent, deferred, bounced;	/* recipients since start */
	bool dirty;
};

struct worker {
	int spool_fd, incoming_fd, queue_fd, quarantine_fd, deadletter_fd, public_fd;
	pthread_mutex_t conf_lock;
	struct wconf *wconf;		/* current; guarded by conf_lock */
	struct schedule *sched;
	struct port_cache *port_cache;	/* winning port per smarthost */
	bool once;			/* --once: one pass, then exit */
	uint64_t pickup_retry_ms;	/* scan again this soon (a failed copy);
					   0 = at the rescan interval */
	atomic_bool stopping;		/* SIGTERM: take no new work */
	struct queue_sync qsync;	/* queue_sync.h */
	struct submission *submission;	/* submission.h; NULL if not listening */
	struct worker_status status;
};

enum worker_event { WORKER_SENT, WORKER_DEFERRED, WORKER_BOUNCED };

/* worker_note - count a recipient's outcome; text describes it */
void worker_note(struct worker *w, enum worker_event ev, const char *text);

/* worker_status_publish - write public/status if anything changed */
void worker_status_publish(struct worker *w);

/* worker_conf_get - a counted reference to the current configuration */
struct wconf *worker_conf_get(struct worker *w);
/* worker_conf_put - drop a reference; the last one frees it */
void worker_conf_put(struct worker *w, struct wconf *wc);
/* worker_conf_replace - make wc (one reference, now w's) the current one */
void worker_conf_replace(struct worker *w, struct wconf *wc);

/* worker_now - seconds since the epoch */
int64_t worker_now(void);

#endif
