/*
 * quota.c - the limits and usage the spool writer enforces (quota.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "quota.h"
#include "schedule.h"
#include "spool.h"

void
quota_publish_limits(struct worker *w)
{
	struct wconf *wc;
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (w->public_fd < 0)
		return;
	wc = worker_conf_get(w);
	strbuf_printf(&out, "max_message_size %" PRIu64 "\nuser_max_messages %u\n"
	    "user_max_size %" PRIu64 "\n", wc->conf->queue.max_message_size,
	    wc->conf->queue.user_max_messages, wc->conf->queue.user_max_size);
	worker_conf_put(w, wc);
	if ((rc = spool_write_file(w->public_fd, SPOOL_LIMITS, out.data, out.len,
	    0644, SPOOL_VIEW)) != 0)
		log_warn("cannot publish the limits for the spool writer: %s",
		    strerror(rc));
	strbuf_free(&out);
}

void
quota_publish_usage(struct worker *w)
{
	struct schedule_usage *u;
	struct strbuf out = STRBUF_INIT;
	bool changed;
	size_t n = schedule_usage(w->sched, &u, &changed);
	int rc;

	if (changed && w->public_fd >= 0) {
		for (size_t i = 0; i < n; i++)
			strbuf_printf(&out, "%" PRIu32 " %" PRIu64 " %" PRIu64 "\n",
			    u[i].uid, u[i].messages, u[i].bytes);
		if ((rc = spool_write_file(w->public_fd, SPOOL_USAGE, out.data,
		    out.len, 0644, SPOOL_VIEW)) != 0)
			log_warn("cannot publish the queue usage: %s", strerror(rc));
	}
	free(u);
	strbuf_free(&out);
}
