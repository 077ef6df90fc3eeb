/*
 * worker_status.c - the worker's counters and last events, published as
 * public/status for "postern status" (one "key value" per line):
 *
 *   pid 1234
 *   started 1795460000
 *   last_success 1795460100
 *   last_success_text QID: to=<a@x> relay=host[addr]:587 (250 ...)
 *   last_error 1795460050
 *   last_error_text QID: to=<b@x> relay=none (connect to ...: refused)
 *   sent 10
 *   deferred 2
 *   bounced 1
 *
 * Delivery threads only update memory; the main thread writes the file
 * (at most about once a second, and at exit), so a backlog does not turn
 * into one extra file write per message.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "strutil.h"
#include "worker.h"

void
worker_note(struct worker *w, enum worker_event ev, const char *text)
{
	struct worker_status *st = &w->status;

	pthread_mutex_lock(&st->lock);
	switch (ev) {
	case WORKER_SENT:
		st->sent++;
		st->last_success = worker_now();
		str_copy_words(st->last_success_text, sizeof(st->last_success_text), text);
		break;
	case WORKER_DEFERRED:
	case WORKER_BOUNCED:
		if (ev == WORKER_DEFERRED)
			st->deferred++;
		else
			st->bounced++;
		st->last_error = worker_now();
		str_copy_words(st->last_error_text, sizeof(st->last_error_text), text);
		break;
	}
	st->dirty = true;
	pthread_mutex_unlock(&st->lock);
}

void
worker_status_publish(struct worker *w)
{
	struct worker_status *st = &w->status;
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (w->public_fd < 0)
		return;
	pthread_mutex_lock(&st->lock);
	if (!st->dirty) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	strbuf_printf(&out, "pid %ld\nstarted %" PRId64 "\nlast_success %" PRId64
	    "\nlast_success_text %s\nlast_error %" PRId64 "\nlast_error_text %s\n"
	    "sent %" PRIu64 "\ndeferred %" PRIu64 "\nbounced %" PRIu64 "\n",
	    (long)getpid(), st->started, st->last_success, st->last_success_text,
	    st->last_error, st->last_error_text, st->sent, st->deferred,
	    st->bounced);
	st->dirty = false;
	pthread_mutex_unlock(&st->lock);
	rc = spool_write_file(w->public_fd, SPOOL_STATUS, out.data, out.len, 0644,
	    SPOOL_VIEW);
	if (rc != 0)
		log_warn("cannot publish the worker status: %s", strerror(rc));
	strbuf_free(&out);
}
