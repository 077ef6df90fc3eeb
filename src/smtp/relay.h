/*
 * relay.h - open an SMTP session to the configured smarthosts over the
 * best reachable submission port.
 *
 * Smarthosts are tried in the order of postern.conf (failover). For each,
 * the remembered winner (port_cache.h) is tried first; otherwise, or when
 * it fails, its candidate ports race in the manner of RFC 8305: one
 * attempt per port and address (every A and AAAA), in order of
 * preference. The next attempt starts when port_stagger has passed and no
 * started one is connected (a filtered port costs port_stagger, not the
 * connect timeout), or at once when one fails. The preference order
 * decides, not speed: an attempt that finishes the greeting, TLS and EHLO
 * wins only when every more preferred one has failed or never connected,
 * so a slow first choice that is progressing keeps its place. The race
 * never logs in: the winner authenticates once (relay_login); the others
 * that are connected get RELAY_LOSER_GRACE_MS to finish their handshake
 * and leave with QUIT, and the rest are cancelled.
 *
 * Which failures move on, and which do not:
 *   - network failures (resolve, refused, filtered, unreachable, no
 *     greeting, a dropped connection, a failed handshake) let the other
 *     candidates go on, and so does a STARTTLS port that offers no
 *     STARTTLS (stripped on the path: implicit TLS may get through; it is
 *     logged once, and plaintext is never tried);
 *   - a server that answers but refuses us (certificate, authentication,
 *     a 4xx/5xx greeting or EHLO) is a property of the server, not the
 *     port: the race for that smarthost stops there, with that reason,
 *     and the next smarthost, if any, is tried. The encryption is never
 *     lowered to get through.
 *
 * Encryption matching: each port gets the mode configured (or, for
 * port = auto, the one it is registered for). A mode that contradicts
 * the server is corrected without weakening anything, and a warning
 * naming the configuration fix is logged once:
 *   - implicit TLS configured, the server sends a plaintext 220 banner:
 *     reconnect with STARTTLS;
 *   - STARTTLS configured, the server stays silent (it waits for a
 *     ClientHello): start TLS on the same connection.
 * The password or token is fetched once per attempt round and wiped as
 * soon as the winner is authenticated.
 */
#ifndef POSTERN_RELAY_H
#define POSTERN_RELAY_H

#include <stdbool.h>

#include "conf.h"
#include "port_cache.h"
#include "smtp_client.h"
#include "strbuf.h"

/* Addresses tried per smarthost name (every A and AAAA, up to this). */
#define RELAY_MAX_ADDRS		8

/* How long losers that are connected may take to finish, for a QUIT. */
#define RELAY_LOSER_GRACE_MS	3000

/* How long a STARTTLS port may stay silent before TLS is tried on it. */
#define RELAY_BANNER_WAIT_MS	3000

struct relay_session {
	struct smtp_client *client;
	const struct conf_smarthost *host;	/* borrowed from the conf */
	char desc[320];		/* "host[addr]:port" for the log */
	char mode[16];		/* the mode actually spoken: "starttls", "tls"... */
	char tls[24];		/* "TLSv1.3" or "none" */
};

/*
 * relay_open - connect to the first smarthost that takes us. Returns true
 * with a ready session in *out, or false with one line in reason naming
 * each candidate tried and why it failed. cache may be NULL; qid starts
 * the dialogue's debug lines (smtp_set_log_tag).
 */
bool relay_open(const struct conf *conf, struct port_cache *cache,
    const char *qid, struct relay_session *out, struct strbuf *reason);

/*
 * relay_addresses - the numeric addresses of host, in getaddrinfo()'s
 * order (AI_ADDRCONFIG, duplicates dropped), at most max: the list both
 * delivery and "postern probe" try. 0 with the reason in why.
 */
size_t relay_addresses(const char *host, char (*addrs)[64], size_t max,
    struct strbuf *why);

/*
 * relay_connect - smtp_open(p) with the encryption-matching rule above,
 * the one rule delivery and "postern probe" share: a plaintext banner on
 * an implicit-TLS port is retried with STARTTLS, and a silent STARTTLS
 * port that took TLS is reported as implicit TLS. *spoken is the mode
 * that worked (or was last tried); *corrected tells whether it differs
 * from p->security as given. p->security may be changed.
 */
enum smtp_fail relay_connect(struct smtp_params *p, struct smtp_client **cl,
    struct smtp_error *err, enum conf_security *spoken, bool *corrected);

/* relay_close - QUIT (when polite) and free the session */
void relay_close(struct relay_session *rs, bool polite);

/* relay_network_failure - a failure that says nothing about the server */
bool relay_network_failure(enum smtp_fail fail);

/*
 * relay_params - the SMTP parameters for one candidate of h (strings
 * borrowed from conf); secrets and the address are left to the caller.
 */
void relay_params(const struct conf *conf, const struct conf_smarthost *h,
    const struct conf_port *port, struct smtp_params *p);

/*
 * relay_fetch_secret - the password or token h needs (NULL when it has no
 * username): false with the reason in why when it cannot be had.
 */
bool relay_fetch_secret(const struct conf_smarthost *h, char **password,
    char **token, struct strbuf *why);

#endif
