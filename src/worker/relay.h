/*
 * relay.h - open an SMTP session to the configured smarthosts.
 *
 * Smarthosts are tried in the order of postern.conf (failover), and for
 * each one its candidate ports in preference order. What moves on to the
 * next candidate and what does not:
 *   - network failures (resolve, refused, filtered, unreachable, no
 *     greeting, a dropped connection) move on to the next port;
 *   - a server that is reachable but refuses us (certificate, STARTTLS
 *     missing, authentication, a 4xx/5xx greeting or EHLO) is a property
 *     of that server, not of the port: its remaining ports are skipped,
 *     and the next smarthost, if any, is tried;
 *   - a port configured for implicit TLS that answers with a plaintext
 *     SMTP banner is retried once with STARTTLS on the same port, which
 *     never lowers the encryption, and a warning names the config fix.
 * The password or token is fetched right before each connection and wiped
 * as soon as the session is authenticated.
 */
#ifndef POSTERN_RELAY_H
#define POSTERN_RELAY_H

#include <stdbool.h>

#include "conf.h"
#include "smtp_client.h"
#include "strbuf.h"

struct relay_session {
	struct smtp_client *client;
	const struct conf_smarthost *host;	/* borrowed from the conf */
	char desc[320];		/* "host[addr]:port" for the log */
	char mode[16];		/* "starttls", "tls" or "plain" */
	char tls[24];		/* "TLSv1.3" or "none" */
};

/*
 * relay_open - connect to the first smarthost that takes us. Returns true
 * with a ready session in *out, or false with one line in reason naming
 * every candidate tried and why it failed.
 */
bool relay_open(const struct conf *conf, struct relay_session *out,
    struct strbuf *reason);

/* relay_close - QUIT (when polite) and free the session */
void relay_close(struct relay_session *rs, bool polite);

#endif
