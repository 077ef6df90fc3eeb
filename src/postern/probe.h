/*
 * probe.h - "postern probe [HOST]": test every candidate port of a
 * smarthost and say which to use. It replaces "nc -vz host 587" and
 * guesswork.
 *
 * Every candidate port (of the configured smarthost, or of HOST with the
 * configured one's TLS and AUTH settings) is tried at once at every
 * address of the name, the same addresses, parameters and encryption
 * matching as delivery (relay_addresses(), relay_connect()). The connect
 * timeout is capped at 10 s and each reply's at 60 s (longer than a
 * server's pause after a failed login), or all at timeout_ms when given.
 * One row per port and address reports: reachable, refused or filtered,
 * with the latency; the greeting; the TLS mode the server actually
 * speaks and whether it matches the port; TLS version and cipher; the
 * certificate's subject, issuer and expiry, the verification result and
 * the host name match; the EHLO extensions after TLS; and, with auth,
 * whether the configured credentials are accepted (the secret itself is
 * never printed). It ends with a recommendation and the configuration
 * line for it; a port counts as usable when any of its addresses is. A
 * port whose certificate fails verification is probed a second time
 * without verification, only to show the certificate; after a refused
 * login it is probed again without logging in, so the TLS details and
 * the verification result are still shown.
 *
 * Exit: 0 when some port is usable (connected, TLS verified as policy
 * demands, and authenticated when auth was asked), 69 otherwise.
 */
#ifndef POSTERN_PROBE_H
#define POSTERN_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

struct probe_options {
	const char *host;		/* NULL = the first configured smarthost */
	bool json;
	bool auth;
	uint64_t timeout_ms;		/* cap on every timeout; 0 = see above */
};

int probe_run(const struct conf *conf, const struct probe_options *opt,
    FILE *out);

#endif
