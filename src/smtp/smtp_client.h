/*
 * smtp_client.h - ESMTP client: one session to a smarthost, many messages.
 *
 * Usage:
 *     struct smtp_client *cl;
 *     struct smtp_error err;
 *     if (smtp_open(&params, &cl, &err) != SMTP_OK) ... err.fail, err.text
 *     smtp_send(cl, &env, msg, len, results, &err);   per-recipient results
 *     smtp_reset(cl, &err);                            between messages
 *     smtp_quit(cl); smtp_close(cl);
 *
 * smtp_open() connects (implicit TLS or plaintext), reads the greeting,
 * sends EHLO (HELO after 500/502), runs STARTTLS when the security mode
 * asks for it (discarding any plaintext the server pipelined after its
 * 220, then EHLO again and only trusting the new capabilities), checks the
 * certificate, and authenticates when a user name is given. It never falls
 * back to plaintext when TLS is required, and never sends credentials over
 * an unencrypted connection unless auth_allow_plaintext is set (meant for
 * a smarthost on loopback).
 *
 * Protocol choices (documented here because they are policy):
 *   - PIPELINING is used when offered: MAIL, RCPT and DATA go out in groups
 *     of at most max_pipeline commands, then their replies are read.
 *   - SIZE: a message larger than the server's advertised limit fails
 *     permanently (SMTP_FAIL_SIZE) before MAIL is sent.
 *   - 8-bit bodies get BODY=8BITMIME when the server offers 8BITMIME. When
 *     it does not, the message is sent as-is without conversion, as
 *     Postfix does by default: nearly every server accepts 8-bit data, and
 *     downgrading would alter signed content.
 *   - Addresses with non-ASCII bytes need SMTPUTF8; without it in the
 *     server's EHLO the message fails permanently (SMTP_FAIL_SMTPUTF8).
 *   - DSN parameters (NOTIFY, ORCPT, RET, ENVID) are sent only when the
 *     server offers DSN; otherwise they are dropped silently.
 *   - The body is sent with CRLF line endings (LF and CRLF input both
 *     work; a lone CR is data, not a line end), with leading dots doubled,
 *     and a final CRLF added when the input lacks one. The end of the
 *     body and the final "." leave in one write.
 *   - Timeouts default to RFC 5321 4.5.3.2: greeting 5 min, MAIL and RCPT
 *     5 min, DATA 2 min, each data block 3 min, final dot 10 min; connect
 *     30 s. Every wait is bounded, so a hung server cannot hang the caller.
 *
 * Ownership: strings in struct smtp_params and struct smtp_envelope are
 * borrowed for the duration of the call. The password and token are never
 * copied except into protocol buffers that are wiped with explicit_bzero()
 * after use; the caller wipes its own copy. Reply texts in struct
 * smtp_rcpt_result belong to the client until the next smtp_send() or
 * smtp_close().
 */
#ifndef POSTERN_SMTP_CLIENT_H
#define POSTERN_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsn_param.h"
#include "smarthost_policy.h"

struct smtp_client;

/* Failure classes. SMTP_OK is success. */
enum smtp_fail {
	SMTP_OK = 0,
	SMTP_FAIL_RESOLVE,		/* host name does not resolve */
	SMTP_FAIL_REFUSED,		/* connection refused */
	SMTP_FAIL_CONNECT_TIMEOUT,	/* no answer to connect: filtered */
	SMTP_FAIL_UNREACHABLE,		/* no route to the host */
	SMTP_FAIL_NO_GREETING,		/* connected, but no SMTP greeting */
	SMTP_FAIL_PLAINTEXT_PORT,	/* TLS expected, server speaks plaintext SMTP */
	SMTP_FAIL_TLS,			/* TLS handshake or record failure */
	SMTP_FAIL_TLS_VERIFY,		/* certificate refused; see verify */
	SMTP_FAIL_NO_STARTTLS,		/* STARTTLS required but not offered */
	SMTP_FAIL_AUTH,			/* credentials rejected (535) */
	SMTP_FAIL_AUTH_UNAVAILABLE,	/* no usable mechanism, or no TLS for it */
	SMTP_FAIL_TEMP,			/* 4xx reply */
	SMTP_FAIL_PERM,			/* 5xx reply */
	SMTP_FAIL_TIMEOUT,		/* server silent past a phase timeout */
	SMTP_FAIL_DISCONNECT,		/* server closed the connection */
	SMTP_FAIL_PROTOCOL,		/* malformed or over-long reply */
	SMTP_FAIL_SIZE,			/* message exceeds the server's SIZE */
	SMTP_FAIL_SMTPUTF8,		/* UTF-8 address, server lacks SMTPUTF8 */
	SMTP_FAIL_USAGE,		/* bad parameters from the caller */
	SMTP_FAIL_IO,			/* other local or socket error */
};

/* Verification result, detail of SMTP_FAIL_TLS_VERIFY. */
enum smtp_verify {
	SMTP_VERIFY_NONE,		/* not checked (no TLS or tls = encrypt) */
	SMTP_VERIFY_OK,
	SMTP_VERIFY_UNTRUSTED,		/* issuer not trusted, self-signed */
	SMTP_VERIFY_HOSTNAME,
	SMTP_VERIFY_EXPIRED,
	SMTP_VERIFY_NOT_YET_VALID,
	SMTP_VERIFY_PIN,
	SMTP_VERIFY_OTHER,
};

/* Where in the session something happened. */
enum smtp_phase {
	SMTP_PHASE_CONNECT, SMTP_PHASE_GREETING, SMTP_PHASE_EHLO,
	SMTP_PHASE_STARTTLS, SMTP_PHASE_TLS, SMTP_PHASE_AUTH,
	SMTP_PHASE_MAIL, SMTP_PHASE_RCPT, SMTP_PHASE_DATA, SMTP_PHASE_BODY,
	SMTP_PHASE_RSET, SMTP_PHASE_QUIT,
};

struct smtp_error {
	enum smtp_fail fail;
	enum smtp_phase phase;
	enum smtp_verify verify;	/* with SMTP_FAIL_TLS_VERIFY */
	int code;			/* server reply code, 0 when none */
	char text[2048];		/* what happened, with the server's reply */
};

struct smtp_limits {			/* 0 = default */
	size_t max_line;		/* reply line: 4096 */
	size_t max_reply;		/* reply text: 64 KiB */
	size_t max_pipeline;		/* commands per pipelined group: 64 */
};

struct smtp_params {
	const char *host;		/* name to connect to, SNI, default verify name */
	const char *addr;		/* numeric address to use instead; NULL = resolve */
	unsigned port;
	enum conf_security security;
	const struct tls_policy *tls;	/* the smarthost's; NULL = verify against
					   the system store. Level NONE:
					   STARTTLS only if offered */
	const char *helo_name;		/* NULL = "localhost" */
	const char *auth_user;		/* NULL = no AUTH */
	const char *auth_password;	/* for PLAIN, LOGIN, CRAM-MD5 */
	const char *auth_token;		/* for XOAUTH2, OAUTHBEARER */
	const char *const *auth_mechanisms;	/* pinned order; 0 = strongest */
	size_t nauth_mechanisms;
	bool auth_allow_plaintext;	/* AUTH without TLS (loopback) */
	const char *log_tag;		/* first word of the dialogue's debug
					   lines (a queue ID); NULL = "-" */
	void (*on_connected)(void *);	/* called once the TCP connection
					   is up (the port race); NULL = none */
	void *on_connected_arg;
	bool auth_later;		/* smtp_open() checks that a login is
					   possible but sends no AUTH; the
					   caller logs in with smtp_login() */
	uint64_t banner_wait_ms;	/* STARTTLS mode: a server silent this
					   long gets a TLS ClientHello, for
					   implicit-TLS ports configured as
					   STARTTLS; 0 = never */
	struct smtp_timeouts timeouts;	/* 0 = the default (smarthost_policy.h) */
	struct smtp_limits limits;
};

struct smtp_rcpt {
	const char *addr;		/* without angle brackets */
	unsigned notify;		/* DSN_NOTIFY_* (dsn_param.h); 0 = not given */
	const char *orcpt;		/* "rfc822;addr" (xtext-encoded); NULL = none */
};

enum smtp_body { SMTP_BODY_AUTO, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

struct smtp_envelope {
	const char *sender;		/* "" for the null sender */
	const struct smtp_rcpt *rcpts;
	size_t nrcpts;
	enum smtp_body body;		/* AUTO: 8BITMIME if any byte >= 0x80 */
	bool smtputf8;			/* request SMTPUTF8 even for ASCII
					   addresses (UTF-8 headers) */
	enum dsn_ret ret;		/* DSN_RET_UNSET = not given */
	const char *envid;		/* xtext-encoded; NULL = none */
};

enum smtp_rcpt_status {
	SMTP_RCPT_SENT,			/* accepted, message delivered */
	SMTP_RCPT_TEMP,			/* 4xx or session failure: retry */
	SMTP_RCPT_PERM,			/* 5xx: bounce */
};

struct smtp_rcpt_result {
	enum smtp_rcpt_status status;
	int code;			/* reply code deciding it; 0 if none */
	const char *reply;		/* "250 2.0.0 Ok: queued" or the error text */
};

/*
 * smtp_open - connect and prepare a session (see above). On SMTP_OK
 * *out is a ready client; otherwise *out is NULL and err says why.
 */
enum smtp_fail smtp_open(const struct smtp_params *params,
    struct smtp_client **out, struct smtp_error *err);

/*
 * smtp_send - deliver one message of len bytes to env's recipients.
 * results must have env->nrcpts entries; each receives that recipient's
 * outcome with the server's reply (the final "." reply for delivered
 * ones). Returns SMTP_OK when the transaction completed (check results:
 * some recipients may have been refused) and a failure class when it
 * did not; then every recipient carries that failure and err describes
 * it. After SMTP_FAIL_TEMP/PERM/SIZE/SMTPUTF8 the session stays usable;
 * after a timeout, disconnect or protocol error it is dead
 * (smtp_usable() is false) and only smtp_close() remains.
 */
/*
 * smtp_login - on a session opened with auth_later, authenticate as p
 * says (the same p, with the password or token). SMTP_OK when no login
 * is configured. On failure err says why; the session may still be open
 * (a 535 leaves it usable for QUIT).
 */
enum smtp_fail smtp_login(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err);

/*
 * smtp_set_log_tag - the queue ID (or NULL) that starts the debug lines
 * of this session's dialogue from now on. With log { debug = true } every
 * command and reply is logged, "QID: > host[addr]:port: MAIL FROM:<...>"
 * and "QID: < ...: 250 ...", AUTH payloads masked, the message body as
 * its size only.
 */
void smtp_set_log_tag(struct smtp_client *cl, const char *tag);

enum smtp_fail smtp_send(struct smtp_client *cl, const struct smtp_envelope *env,
    const char *msg, size_t len, struct smtp_rcpt_result *results,
    struct smtp_error *err);

/* smtp_reset - RSET, to start a clean transaction on a kept connection */
enum smtp_fail smtp_reset(struct smtp_client *cl, struct smtp_error *err);

/*
 * smtp_try_sender - ask whether the server takes sender as the envelope
 * sender (MAIL FROM), then RSET: nothing is sent. SMTP_OK when accepted;
 * else the refusal in err.
 */
enum smtp_fail smtp_try_sender(struct smtp_client *cl, const char *sender,
    struct smtp_error *err);
/* smtp_quit - send QUIT and wait briefly for the reply; errors ignored */
void smtp_quit(struct smtp_client *cl);
/* smtp_close - close the connection and free the client (NULL allowed) */
void smtp_close(struct smtp_client *cl);
/* smtp_usable - whether the connection can carry another command */
bool smtp_usable(const struct smtp_client *cl);

/*
 * smtp_check_tls_files - load the CA, client certificate and key that p
 * names, as a connection would: false with err naming the path and why.
 * posternd calls it whenever it (re)loads postern.conf.
 */
bool smtp_check_tls_files(const struct smtp_params *p, char *err,
    size_t errsize);

struct smtp_session_info {
	char peer_addr[46];		/* "127.0.0.1" */
	unsigned port;
	char greeting[256];		/* the server's 220 line */
	bool tls;
	bool starttls;			/* TLS came from STARTTLS */
	bool implicit_detected;		/* STARTTLS was asked for, but the
					   server was silent and spoke
					   implicit TLS */
	uint64_t connect_ms;		/* TCP connect latency */
	size_t plaintext_discarded;	/* bytes dropped before the handshake */
	char tls_version[16];
	char tls_cipher[64];
	char peer_subject[256];
	char peer_issuer[256];
	char peer_not_after[32];
	char peer_cert_sha256[72];
	char peer_spki_sha256[72];
	enum smtp_verify verify;
	bool esmtp;			/* EHLO accepted (false: HELO) */
	unsigned extensions;		/* SMTP_CAP_* of smtp_reply.h */
	unsigned auth_offered;		/* SMTP_AUTH_* */
	uint64_t size_limit;		/* 0 = none */
	const char *auth_mechanism;	/* used, NULL when no AUTH */
};

/* smtp_session_info - details for logging; valid until smtp_close() */
const struct smtp_session_info *smtp_session_info(const struct smtp_client *cl);

/* smtp_fail_name - stable short name, e.g. "tls-verify", "auth" */
const char *smtp_fail_name(enum smtp_fail fail);
/* smtp_verify_name - "ok", "untrusted", "hostname", "expired", "pin", ... */
const char *smtp_verify_name(enum smtp_verify v);
/* smtp_phase_name - "greeting", "MAIL", "RCPT", "DATA", ... */
const char *smtp_phase_name(enum smtp_phase phase);
/*
 * smtp_fail_permanent - whether retrying the same message on this server
 * can never succeed (5xx, SIZE, SMTPUTF8). Connection, TLS and AUTH
 * failures are not permanent: they are configuration or transient issues.
 */
bool smtp_fail_permanent(enum smtp_fail fail);

#endif
