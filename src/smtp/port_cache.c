/*
 * port_cache.c - remember the winning port per smarthost. See port_cache.h.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "port_cache.h"
#include "spool.h"
#include "strbuf.h"
#include "xalloc.h"

#define PORT_CACHE_MAX	64		/* smarthosts remembered */

struct port_cache_item {
	char *host;
	struct port_cache_entry e;
};

struct port_cache {
	pthread_mutex_t lock;
	int dirfd;
	struct port_cache_item items[PORT_CACHE_MAX];
	size_t count;
	char *warned[PORT_CACHE_MAX];	/* "host:port" already warned about */
	size_t nwarned;
};

/* port_cache_find - index of host, or count */
static size_t
port_cache_find(const struct port_cache *pc, const char *host)
{
	size_t i;

	for (i = 0; i < pc->count; i++)
		if (strcasecmp(pc->items[i].host, host) == 0)
			break;
	return i;
}

/* port_cache_parse_line - "HOST PORT MODE WHEN"; false if malformed */
static bool
port_cache_parse_line(char *line, struct port_cache_item *it)
{
	char host[256], mode[16];
	unsigned port;
	long long when;

	if (sscanf(line, "%255s %u %15s %lld", host, &port, mode, &when) != 4 ||
	    port == 0 || port > 65535)
		return false;
	if (strcmp(mode, "starttls") == 0)
		it->e.security = CONF_SEC_STARTTLS;
	else if (strcmp(mode, "tls") == 0)
		it->e.security = CONF_SEC_TLS;
	else if (strcmp(mode, "plain") == 0)
		it->e.security = CONF_SEC_PLAIN;
	else
		return false;
	it->host = xstrdup(host);
	it->e.port = port;
	it->e.when = when;
	return true;
}

struct port_cache *
port_cache_open(int dirfd)
{
	struct port_cache *pc = xcalloc(1, sizeof(*pc));
	struct strbuf buf = STRBUF_INIT;

	pthread_mutex_init(&pc->lock, NULL);
	pc->dirfd = dirfd;
	if (dirfd >= 0 && spool_read_file(dirfd, PORT_CACHE_FILE, 65536, &buf,
	    NULL) == 0) {
		for (char *line = buf.data, *nl; line && *line &&
		    pc->count < PORT_CACHE_MAX; line = nl) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl++ = '\0';
			if (port_cache_parse_line(line, &pc->items[pc->count]))
				pc->count++;
		}
	}
	strbuf_free(&buf);
	return pc;
}

void
port_cache_free(struct port_cache *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < pc->count; i++)
		free(pc->items[i].host);
	for (size_t i = 0; i < pc->nwarned; i++)
		free(pc->warned[i]);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/* port_cache_save - rewrite the file; lock held */
static void
port_cache_save(struct port_cache *pc)
{
	struct strbuf out = STRBUF_INIT;

	if (pc->dirfd < 0)
		return;
	for (size_t i = 0; i < pc->count; i++)
		strbuf_printf(&out, "%s %u %s %" PRId64 "\n", pc->items[i].host,
		    pc->items[i].e.port, conf_security_name(pc->items[i].e.security),
		    pc->items[i].e.when);
	(void)spool_write_file(pc->dirfd, PORT_CACHE_FILE, out.data ? out.data : "",
	    out.len, 0600, SPOOL_VIEW);	/* a hint: losing it costs one probe */
	strbuf_free(&out);
}

bool
port_cache_get(struct port_cache *pc, const char *host, uint64_t ttl_ms,
    struct port_cache_entry *out)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&pc->lock);
	i = port_cache_find(pc, host);
	if (i < pc->count && (int64_t)time(NULL) - pc->items[i].e.when <
	    (int64_t)(ttl_ms / 1000)) {
		*out = pc->items[i].e;
		found = true;
	}
	pthread_mutex_unlock(&pc->lock);
	return found;
}

void
port_cache_put(struct port_cache *pc, const char *host, unsigned port,
    enum conf_security security)
{
	size_t i;
	int64_t now = (int64_t)time(NULL);
	bool changed;

	pthread_mutex_lock(&pc->lock);
	i = port_cache_find(pc, host);
	if (i == pc->count) {
		if (pc->count == PORT_CACHE_MAX) {
			pthread_mutex_unlock(&pc->lock);
			return;
		}
		pc->items[pc->count++].host = xstrdup(host);
		pc->items[i].e.when = 0;
		pc->items[i].e.port = 0;
	}
	/* save when the winner changes, or to refresh an entry once a minute */
	changed = pc->items[i].e.port != port ||
	    pc->items[i].e.security != security || now - pc->items[i].e.when >= 60;
	pc->items[i].e.port = port;
	pc->items[i].e.security = security;
	if (changed) {
		pc->items[i].e.when = now;
		port_cache_save(pc);
	}
	pthread_mutex_unlock(&pc->lock);
}

void
port_cache_forget(struct port_cache *pc, const char *host)
{
	size_t i;

	pthread_mutex_lock(&pc->lock);
	i = port_cache_find(pc, host);
	if (i < pc->count) {
		free(pc->items[i].host);
		pc->items[i] = pc->items[--pc->count];
		port_cache_save(pc);
	}
	pthread_mutex_unlock(&pc->lock);
}

bool
port_cache_first_warning(struct port_cache *pc, const char *host, unsigned port)
{
	char key[300];
	bool first = true;

	snprintf(key, sizeof(key), "%s:%u", host, port);
	pthread_mutex_lock(&pc->lock);
	for (size_t i = 0; i < pc->nwarned && first; i++)
		first = strcasecmp(pc->warned[i], key) != 0;
	if (first && pc->nwarned < PORT_CACHE_MAX)
		pc->warned[pc->nwarned++] = xstrdup(key);
	pthread_mutex_unlock(&pc->lock);
	return first;
}
