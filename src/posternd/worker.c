/*
 * worker.c - the state the parts of posternd share: the current
 * configuration, counted by reference so that a delivery in flight keeps
 * the one it started with across a reload, and the clock they read.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "worker.h"

int64_t
worker_now(void)
{
	return (int64_t)time(NULL);
}

struct wconf *
worker_conf_get(struct worker *w)
{
	struct wconf *wc;

	pthread_mutex_lock(&w->conf_lock);
	wc = w->wconf;
	wc->refs++;
	pthread_mutex_unlock(&w->conf_lock);
	return wc;
}

/* worker_conf_free - the configuration and its aliases */
static void
worker_conf_free(struct wconf *wc)
{
	aliases_free(&wc->aliases);
	conf_free(wc->conf);
	free(wc);
}

void
worker_conf_put(struct worker *w, struct wconf *wc)
{
	bool last;

	pthread_mutex_lock(&w->conf_lock);
	last = --wc->refs == 0;
	pthread_mutex_unlock(&w->conf_lock);
	if (last)
		worker_conf_free(wc);
}

void
worker_conf_replace(struct worker *w, struct wconf *wc)
{
	struct wconf *old;

	pthread_mutex_lock(&w->conf_lock);
	old = w->wconf;
	w->wconf = wc;
	pthread_mutex_unlock(&w->conf_lock);
	worker_conf_put(w, old);
}
