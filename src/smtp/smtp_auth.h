/*
 * smtp_auth.h - SASL client messages for SMTP AUTH (RFC 4954): PLAIN,
 * LOGIN, CRAM-MD5, XOAUTH2 and OAUTHBEARER (RFC 7628).
 *
 * This module only builds and chooses; the SMTP client does the exchange.
 * Every output that contains a credential is written into a caller
 * strbuf, which the caller must wipe (explicit_bzero) after sending;
 * intermediate buffers here are wiped before they are freed.
 */
#ifndef POSTERN_SMTP_AUTH_H
#define POSTERN_SMTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct smtp_auth_creds {
	const char *user;
	const char *password;	/* NULL when only a token is given */
	const char *token;	/* OAuth 2.0 bearer token, or NULL */
	const char *host;	/* for OAUTHBEARER */
	unsigned port;
};

/*
 * smtp_auth_choose - pick the mechanism (SMTP_AUTH_* bit) to use: the
 * first of pinned (names, in order) that the server offers and the
 * credentials allow, or without pins OAUTHBEARER or XOAUTH2 (with a
 * token), else PLAIN or LOGIN (with a password); CRAM-MD5 only pinned.
 * Returns 0 when nothing fits; *bad receives an unknown pinned name.
 */
unsigned smtp_auth_choose(unsigned offered, const char *const *pinned,
    size_t npinned, const struct smtp_auth_creds *creds, const char **bad);

/*
 * smtp_auth_start - the AUTH command line (no CRLF) for mech, with an
 * initial response where the mechanism has one.
 */
void smtp_auth_start(unsigned mech, const struct smtp_auth_creds *creds,
    struct strbuf *out);

/*
 * smtp_auth_step - the answer line (no CRLF) to the step-th 334 challenge
 * (base64 text chal). After an initial response, a 334 carries an error
 * description: the answer is the mechanism's abort/acknowledge message.
 * Returns false when the challenge is malformed or there are too many
 * steps; the caller then sends "*" to cancel.
 */
bool smtp_auth_step(unsigned mech, unsigned step, const char *chal,
    size_t chal_len, const struct smtp_auth_creds *creds, struct strbuf *out);

/* smtp_auth_base64 - append the base64 encoding of n bytes to out */
void smtp_auth_base64(const void *data, size_t n, struct strbuf *out);
/* smtp_auth_unbase64 - decode base64 text; false on malformed input */
bool smtp_auth_unbase64(const char *text, size_t len, struct strbuf *out);

#endif
