/*
 * port_cache.h - the winning port and encryption mode per smarthost,
 * remembered in the queue directory (file "port-cache", one line per
 * host: "HOST PORT MODE UNIXTIME") so later deliveries, and a restarted
 * worker, go straight to it. An entry older than the smarthost's
 * port_cache_ttl is ignored, and the caller forgets one that fails, so
 * the ports are probed again. Thread-safe; the file is rewritten
 * atomically and losing it only costs one probe.
 */
#ifndef POSTERN_PORT_CACHE_H
#define POSTERN_PORT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

#define PORT_CACHE_FILE	"port-cache"

struct port_cache;

struct port_cache_entry {
	unsigned port;
	enum conf_security security;
	int64_t when;			/* seconds since the epoch */
};

/* port_cache_open - load dirfd/port-cache (dirfd < 0: memory only) */
struct port_cache *port_cache_open(int dirfd);
void port_cache_free(struct port_cache *pc);

/* port_cache_get - a fresh entry for host; false when none */
bool port_cache_get(struct port_cache *pc, const char *host, uint64_t ttl_ms,
    struct port_cache_entry *out);
/* port_cache_put - remember (and save) the winner for host */
void port_cache_put(struct port_cache *pc, const char *host, unsigned port,
    enum conf_security security);
/* port_cache_forget - drop host's entry (it failed) */
void port_cache_forget(struct port_cache *pc, const char *host);
/* port_cache_first_warning - true the first time for host:port, so a
   configuration fix is logged once, not on every connection */
bool port_cache_first_warning(struct port_cache *pc, const char *host,
    unsigned port);

#endif
