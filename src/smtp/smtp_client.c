/*
 * smtp_client.c - ESMTP client sessions: connect, greet, STARTTLS, AUTH,
 * send messages with per-recipient results, RSET, QUIT.
 *
 * Contract and protocol policy: see smtp_client.h. The wire is handled by
 * conn.c (deadlines, buffering, TLS records), replies are parsed by
 * smtp_reply.c and SASL messages built by smtp_auth.c; this file is the
 * state machine and the mapping of what happened to failure classes:
 *
 *   connect errors      -> resolve/refused/connect-timeout/unreachable
 *   silence or EOF before the greeting -> no-greeting
 *   plaintext reply to a ClientHello   -> plaintext-port
 *   4xx / 5xx replies   -> temp / perm (535 during AUTH -> auth)
 *   timeout, EOF, malformed reply during a session -> timeout,
 *                          disconnect, protocol; the session is then dead
 *
 * A session whose transaction stopped half-way (MAIL or all RCPT refused,
 * DATA refused) is marked dirty and reset with RSET before the next one.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conn.h"
#include "log.h"
#include "smtp_auth.h"
#include "smtp_client.h"
#include "smtp_reply.h"
#include "strbuf.h"
#include "strutil.h"
#include "tls.h"
#include "xalloc.h"

#define SMTP_DEF_PIPELINE	64u
#define SMTP_QUIT_WAIT		5000u
#define SMTP_FLUSH_AT		65536u	/* body bytes buffered before a write */

struct smtp_client {
	struct conn *conn;
	struct smtp_timeouts to;
	struct smtp_limits lim;
	struct smtp_reply_limits rlim;
	struct smtp_reply reply;
	struct smtp_caps caps;
	struct smtp_session_info info;
	bool dead;		/* no further command possible */
	bool dirty;		/* a transaction is open: RSET first */
	char tag[40];		/* first word of each debug line: a queue ID */
	char peer[300];		/* "host[addr]:port", once connected */
	char **texts;		/* reply strings handed out in results */
	size_t ntexts;
};

/* One command of a transaction, for the pipelining loop. */
struct smtp_txn {
	const struct smtp_envelope *env;
	struct smtp_rcpt_result *res;
	size_t ncmds;		/* MAIL + recipients + DATA */
	size_t accepted;	/* recipients with a 250 */
	bool mail_failed;
	bool data_sent;
	bool utf8;		/* an envelope address is not ASCII */
	bool utf8_headers;	/* the header block holds raw UTF-8 (RFC 6532) */
	bool eightbit;
	uint64_t wire_size;
};

static uint64_t
smtp_client_or(uint64_t value, uint64_t fallback)
{
	return value ? value : fallback;
}

/* smtp_client_fail - fill err and return its class */
static enum smtp_fail smtp_client_fail(struct smtp_error *err,
    enum smtp_fail fail, enum smtp_phase phase, int code, const char *fmt, ...)
    LOG_PRINTF(5, 6);

static enum smtp_fail
smtp_client_fail(struct smtp_error *err, enum smtp_fail fail,
    enum smtp_phase phase, int code, const char *fmt, ...)
{
	va_list ap;

	err->fail = fail;
	err->phase = phase;
	err->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return fail;
}

/* smtp_client_keep - keep a reply string alive until the next send */
static const char *
smtp_client_keep(struct smtp_client *cl, struct strbuf *sb)
{
	cl->texts = xreallocarray(cl->texts, cl->ntexts + 1, sizeof(char *));
	cl->texts[cl->ntexts] = strbuf_export(sb);
	return cl->texts[cl->ntexts++];
}

static void
smtp_client_drop_texts(struct smtp_client *cl)
{
	size_t i;

	for (i = 0; i < cl->ntexts; i++)
		free(cl->texts[i]);
	free(cl->texts);
	cl->texts = NULL;
	cl->ntexts = 0;
}

/* smtp_client_reply_text - the current reply on one line */
static void
smtp_client_reply_text(const struct smtp_client *cl, struct strbuf *out)
{
	smtp_reply_format(&cl->reply, out);
}

/* smtp_client_io_fail - classify a connection failure; the session dies */
static enum smtp_fail
smtp_client_io_fail(struct smtp_client *cl, struct smtp_error *err,
    enum smtp_phase phase, enum conn_status st, const char *detail)
{
	enum smtp_fail f;

	cl->dead = true;
	switch (st) {
	case CONN_ETIMEOUT:
		f = SMTP_FAIL_TIMEOUT;
		break;
	case CONN_EEOF:
		f = SMTP_FAIL_DISCONNECT;
		break;
	case CONN_ETOOLONG:
		f = SMTP_FAIL_PROTOCOL;
		break;
	case CONN_ETLS:
		f = SMTP_FAIL_TLS;
		break;
	case CONN_EPLAINTEXT:
		f = SMTP_FAIL_PLAINTEXT_PORT;
		break;
	default:
		f = SMTP_FAIL_IO;
		break;
	}
	if (detail != NULL && detail[0] != '\0')
		return smtp_client_fail(err, f, phase, 0, "%s (%s): %s",
		    conn_status_name(st), smtp_phase_name(phase), detail);
	return smtp_client_fail(err, f, phase, 0, "%s (%s)",
	    conn_status_name(st), smtp_phase_name(phase));
}

/*
 * smtp_client_debug - one line of the dialogue at debug level: "TAG: >
 * host[addr]:port: LINE" for what is sent, "<" for what is received.
 * A secret line (an AUTH payload) shows only its verb.
 */
static void
smtp_client_debug(const struct smtp_client *cl, char dir, const char *line,
    size_t len, bool secret)
{
	size_t show = len;

	if (!log_debug_enabled())
		return;
	if (secret) {	/* "AUTH PLAIN payload" keeps "AUTH PLAIN"; others nothing */
		show = 0;
		if (len > 5 && strncasecmp(line, "AUTH ", 5) == 0) {
			const char *end = memchr(line + 5, ' ', len - 5);

			show = end != NULL ? (size_t)(end - line) : len;
		}
	}
	log_debug("%s: %c %s: %.*s%s", cl->tag[0] ? cl->tag : "-", dir, cl->peer,
	    (int)show, line, show < len ? (show ? " ********" : "********") : "");
}

/* smtp_client_debug_reply - every line of cl->reply, received */
static void
smtp_client_debug_reply(const struct smtp_client *cl)
{
	const char *line;
	size_t len;

	if (!log_debug_enabled())
		return;
	for (size_t i = 0; (line = smtp_reply_line(&cl->reply, i, &len)) != NULL;
	    i++) {
		char buf[SMTP_REPLY_MAX_LINE];

		STR_TRUNCATION_OK(str_format(buf, sizeof(buf), "%d%c%.*s",
		    cl->reply.code, smtp_reply_line(&cl->reply, i + 1, &(size_t){0}) ?
		    '-' : ' ', (int)len, line));
		smtp_client_debug(cl, '<', buf, strlen(buf), false);
	}
}

/* smtp_client_read_reply - read one complete reply into cl->reply */
static enum smtp_fail
smtp_client_read_reply(struct smtp_client *cl, uint64_t timeout,
    enum smtp_phase phase, struct smtp_error *err)
{
	enum smtp_reply_status rs;
	enum conn_status st;
	const char *line;
	size_t len;
	char detail[256] = "";

	smtp_reply_reset(&cl->reply);
	do {
		st = conn_read_line(cl->conn, timeout, cl->rlim.max_line, &line,
		    &len, detail, sizeof(detail));
		if (st != CONN_OK)
			return smtp_client_io_fail(cl, err, phase, st, detail);
		rs = smtp_reply_feed(&cl->reply, &cl->rlim, line, len);
	} while (rs == SMTP_REPLY_MORE);
	if (rs != SMTP_REPLY_DONE) {
		cl->dead = true;
		return smtp_client_fail(err, SMTP_FAIL_PROTOCOL, phase, 0,
		    "%s (%s)", smtp_reply_status_name(rs), smtp_phase_name(phase));
	}
	smtp_client_debug_reply(cl);
	if (cl->reply.code == 421)
		cl->dead = true;	/* the server closes after 421 */
	return SMTP_OK;
}

/* smtp_client_flush - send buffered commands; wipe when secret */
static enum smtp_fail
smtp_client_flush(struct smtp_client *cl, uint64_t timeout,
    enum smtp_phase phase, bool secret, struct smtp_error *err)
{
	enum conn_status st;
	char detail[256] = "";

	st = conn_flush(cl->conn, timeout, secret, detail, sizeof(detail));
	if (st != CONN_OK)
		return smtp_client_io_fail(cl, err, phase, st, detail);
	return SMTP_OK;
}

/* smtp_client_put - queue one command line (CRLF appended) */
static void
smtp_client_put(struct smtp_client *cl, const struct strbuf *line, bool secret)
{
	smtp_client_debug(cl, '>', line->data, line->len, secret);
	conn_write(cl->conn, line->data, line->len);
	conn_write(cl->conn, "\r\n", 2);
}

/* smtp_client_command - send one command, read its reply */
static enum smtp_fail
smtp_client_command(struct smtp_client *cl, const char *cmd, uint64_t timeout,
    enum smtp_phase phase, struct smtp_error *err)
{
	enum smtp_fail f;

	smtp_client_debug(cl, '>', cmd, strlen(cmd), false);
	conn_write(cl->conn, cmd, strlen(cmd));
	conn_write(cl->conn, "\r\n", 2);
	f = smtp_client_flush(cl, timeout, phase, false, err);
	if (f == SMTP_OK)
		f = smtp_client_read_reply(cl, timeout, phase, err);
	return f;
}

/* smtp_client_reply_fail - a 4xx/5xx reply as a temp/perm failure */
static enum smtp_fail
smtp_client_reply_fail(struct smtp_client *cl, enum smtp_phase phase,
    const char *what, struct smtp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	enum smtp_fail f;

	smtp_client_reply_text(cl, &sb);
	f = cl->reply.code >= 500 ? SMTP_FAIL_PERM : SMTP_FAIL_TEMP;
	smtp_client_fail(err, f, phase, cl->reply.code,
	    "server said: %s (in reply to %s)", strbuf_cstr(&sb), what);
	strbuf_free(&sb);
	return f;
}

/* smtp_client_connect - TCP connect, with the failure class mapped */
static enum smtp_fail
smtp_client_connect(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err)
{
	char detail[512] = "";
	enum conn_status st;
	enum smtp_fail f;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = conn_open(p->host, p->addr, p->port, cl->to.connect, &cl->conn,
	    detail, sizeof(detail));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cl->info.connect_ms = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000);
	switch (st) {
	case CONN_OK:
		STR_TRUNCATION_OK(str_copy(cl->info.peer_addr, sizeof(cl->info.peer_addr),
		    conn_peer(cl->conn)));
		cl->info.port = p->port;
		STR_TRUNCATION_OK(str_format(cl->peer, sizeof(cl->peer), "%s[%s]:%u",
		    p->host, cl->info.peer_addr, p->port));
		if (p->on_connected != NULL)
			p->on_connected(p->on_connected_arg);
		return SMTP_OK;
	case CONN_ERESOLVE:
		f = SMTP_FAIL_RESOLVE;
		break;
	case CONN_EREFUSED:
		f = SMTP_FAIL_REFUSED;
		break;
	case CONN_ECONNTIMEOUT:
		f = SMTP_FAIL_CONNECT_TIMEOUT;
		break;
	case CONN_EUNREACH:
		f = SMTP_FAIL_UNREACHABLE;
		break;
	default:
		f = SMTP_FAIL_IO;
		break;
	}
	return smtp_client_fail(err, f, SMTP_PHASE_CONNECT, 0, "%s", detail);
}

static enum smtp_verify
smtp_client_map_verify(enum tls_verify v)
{
	switch (v) {
	case TLS_VERIFY_OK:
		return SMTP_VERIFY_OK;
	case TLS_VERIFY_UNTRUSTED:
		return SMTP_VERIFY_UNTRUSTED;
	case TLS_VERIFY_HOSTNAME:
		return SMTP_VERIFY_HOSTNAME;
	case TLS_VERIFY_EXPIRED:
		return SMTP_VERIFY_EXPIRED;
	case TLS_VERIFY_NOT_YET_VALID:
		return SMTP_VERIFY_NOT_YET_VALID;
	case TLS_VERIFY_PIN:
		return SMTP_VERIFY_PIN;
	default:
		return SMTP_VERIFY_OTHER;
	}
}

/* smtp_client_tls_level - what TLS the parameters demand */
static enum conf_tls_policy
smtp_client_tls_level(const struct smtp_params *p)
{
	return p->tls ? p->tls->level : CONF_TLS_VERIFY;
}

/* smtp_client_tls_config - the smarthost's TLS policy, and its name for SNI */
static void
smtp_client_tls_config(const struct smtp_params *p, struct tls_config *tc)
{
	static const struct tls_policy verify_system_store = { .level = CONF_TLS_VERIFY };

	tc->sni = p->host;
	tc->policy = p->tls ? p->tls : &verify_system_store;
}

bool
smtp_check_tls_files(const struct smtp_params *p, char *err, size_t errsize)
{
	struct tls_config tc;

	smtp_client_tls_config(p, &tc);
	return tls_check_config(&tc, err, errsize);
}

/* smtp_client_record_tls - copy TLS facts into the session info */
static void
smtp_client_record_tls(struct smtp_client *cl, struct tls *tls)
{
	struct tls_info ti;

	tls_get_info(tls, &ti);
	cl->info.tls = true;
	STR_TRUNCATION_OK(str_copy(cl->info.tls_version, sizeof(cl->info.tls_version), ti.version));
	STR_TRUNCATION_OK(str_copy(cl->info.tls_cipher, sizeof(cl->info.tls_cipher), ti.cipher));
	STR_TRUNCATION_OK(str_copy(cl->info.peer_subject, sizeof(cl->info.peer_subject), ti.subject));
	STR_TRUNCATION_OK(str_copy(cl->info.peer_issuer, sizeof(cl->info.peer_issuer), ti.issuer));
	STR_TRUNCATION_OK(str_copy(cl->info.peer_not_after, sizeof(cl->info.peer_not_after),
	    ti.not_after));
	STR_TRUNCATION_OK(str_copy(cl->info.peer_cert_sha256,
	    sizeof(cl->info.peer_cert_sha256), ti.cert_sha256));
	STR_TRUNCATION_OK(str_copy(cl->info.peer_spki_sha256,
	    sizeof(cl->info.peer_spki_sha256), ti.spki_sha256));
}

/* smtp_client_tls - handshake and certificate checks; never falls back */
static enum smtp_fail
smtp_client_tls(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err)
{
	struct tls_config tc;
	enum conn_status st;
	enum tls_verify v;
	char detail[1024] = "";

	smtp_client_tls_config(p, &tc);
	st = conn_start_tls(cl->conn, &tc, cl->to.command, detail, sizeof(detail));
	if (st == CONN_EPLAINTEXT)
		return smtp_client_io_fail(cl, err, SMTP_PHASE_TLS, st,
		    "server speaks plaintext SMTP on this port");
	if (st != CONN_OK) {
		smtp_client_io_fail(cl, err, SMTP_PHASE_TLS, st, detail);
		err->fail = st == CONN_ETIMEOUT ? SMTP_FAIL_TIMEOUT : SMTP_FAIL_TLS;
		return err->fail;
	}
	smtp_client_record_tls(cl, conn_tls(cl->conn));
	v = tls_check_peer(conn_tls(cl->conn), detail, sizeof(detail));
	cl->info.verify = tc.policy->level == CONF_TLS_VERIFY ||
	    tc.policy->ncert_pins + tc.policy->nspki_pins > 0 ?
	    smtp_client_map_verify(v) : SMTP_VERIFY_NONE;
	if (v == TLS_VERIFY_OK)
		return SMTP_OK;
	cl->dead = true;
	smtp_client_fail(err, SMTP_FAIL_TLS_VERIFY, SMTP_PHASE_TLS, 0,
	    "certificate verification failed for %s: %s", tc.policy->verify_name ?
	    tc.policy->verify_name : tc.sni, detail);
	err->verify = cl->info.verify;
	return SMTP_FAIL_TLS_VERIFY;
}

/*
 * smtp_client_detect_implicit - a STARTTLS port greets at once; one that
 * stays silent for banner_wait_ms may be an implicit-TLS port (465)
 * configured as STARTTLS. Nothing has been sent yet, so a TLS handshake
 * on this same connection tells: if it works, the session goes on in
 * implicit TLS (never weaker than what was asked), and info says so.
 */
static enum smtp_fail
smtp_client_detect_implicit(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err)
{
	enum conn_status st = conn_wait_input(cl->conn, p->banner_wait_ms);
	enum smtp_fail f;

	if (st == CONN_OK)
		return SMTP_OK;		/* a banner (or EOF): the usual path */
	if (st != CONN_ETIMEOUT)
		return smtp_client_io_fail(cl, err, SMTP_PHASE_GREETING, st, NULL);
	f = smtp_client_tls(cl, p, err);
	if (f == SMTP_OK) {
		cl->info.implicit_detected = true;
		return SMTP_OK;
	}
	if (f == SMTP_FAIL_TLS_VERIFY)
		return f;
	return smtp_client_fail(err, SMTP_FAIL_NO_GREETING, SMTP_PHASE_GREETING,
	    0, "no greeting within %llu ms, and no TLS handshake either (%s)",
	    (unsigned long long)p->banner_wait_ms, err->text);
}

/* smtp_client_greeting - wait for the 220 banner */
static enum smtp_fail
smtp_client_greeting(struct smtp_client *cl, struct smtp_error *err)
{
	enum smtp_fail f;
	const char *line;
	size_t len;

	f = smtp_client_read_reply(cl, cl->to.greeting, SMTP_PHASE_GREETING, err);
	if (f == SMTP_FAIL_TIMEOUT || f == SMTP_FAIL_DISCONNECT)
		return err->fail = SMTP_FAIL_NO_GREETING;
	if (f != SMTP_OK)
		return f;
	line = smtp_reply_line(&cl->reply, 0, &len);
	if (len >= sizeof(cl->info.greeting))
		len = sizeof(cl->info.greeting) - 1;
	memcpy(cl->info.greeting, line, len);
	cl->info.greeting[len] = '\0';
	if (cl->reply.code != 220)
		return smtp_client_reply_fail(cl, SMTP_PHASE_GREETING,
		    "initial greeting", err);
	return SMTP_OK;
}

/* smtp_client_ehlo - EHLO, or HELO when the server does not know EHLO */
static enum smtp_fail
smtp_client_ehlo(struct smtp_client *cl, const char *helo,
    struct smtp_error *err)
{
	struct strbuf cmd = STRBUF_INIT;
	enum smtp_fail f;

	memset(&cl->caps, 0, sizeof(cl->caps));
	strbuf_printf(&cmd, "EHLO %s", helo);
	f = smtp_client_command(cl, strbuf_cstr(&cmd), cl->to.command,
	    SMTP_PHASE_EHLO, err);
	cl->info.esmtp = f == SMTP_OK && cl->reply.code == 250;
	if (cl->info.esmtp)
		smtp_reply_caps(&cl->reply, &cl->caps);
	else if (f == SMTP_OK && (cl->reply.code == 500 || cl->reply.code == 502)) {
		strbuf_reset(&cmd);
		strbuf_printf(&cmd, "HELO %s", helo);
		f = smtp_client_command(cl, strbuf_cstr(&cmd), cl->to.command,
		    SMTP_PHASE_EHLO, err);
	}
	strbuf_free(&cmd);
	if (f == SMTP_OK && cl->reply.code != 250)
		return smtp_client_reply_fail(cl, SMTP_PHASE_EHLO,
		    cl->info.esmtp ? "EHLO" : "EHLO/HELO", err);
	cl->info.extensions = cl->caps.flags;
	cl->info.auth_offered = cl->caps.auth;
	cl->info.size_limit = cl->caps.size_limit;
	return f;
}

/*
 * smtp_client_starttls - STARTTLS, drop pipelined plaintext, handshake,
 * EHLO again. Everything learnt before TLS is forgotten.
 */
static enum smtp_fail
smtp_client_starttls(struct smtp_client *cl, const struct smtp_params *p,
    const char *helo, struct smtp_error *err)
{
	enum smtp_fail f;
	size_t dropped;

	f = smtp_client_command(cl, "STARTTLS", cl->to.command,
	    SMTP_PHASE_STARTTLS, err);
	if (f != SMTP_OK)
		return f;
	if (cl->reply.code != 220)
		return smtp_client_reply_fail(cl, SMTP_PHASE_STARTTLS, "STARTTLS",
		    err);
	/* Bytes after the 220 were injected in plaintext: never act on them. */
	dropped = conn_discard_input(cl->conn);
	if (dropped > 0)
		log_warn("%s[%s]:%u: discarded %zu bytes sent in plaintext after "
		    "the STARTTLS reply", p->host, cl->info.peer_addr, p->port,
		    dropped);
	cl->info.plaintext_discarded = dropped;
	cl->info.starttls = true;
	f = smtp_client_tls(cl, p, err);
	if (f == SMTP_OK)
		f = smtp_client_ehlo(cl, helo, err);
	return f;
}

/* smtp_client_secure - apply the security mode after the first EHLO */
static enum smtp_fail
smtp_client_secure(struct smtp_client *cl, const struct smtp_params *p,
    const char *helo, struct smtp_error *err)
{
	if (p->security != CONF_SEC_STARTTLS || cl->info.tls)
		return SMTP_OK;		/* implicit TLS, asked for or detected */
	if (cl->caps.flags & SMTP_CAP_STARTTLS)
		return smtp_client_starttls(cl, p, helo, err);
	if (smtp_client_tls_level(p) == CONF_TLS_NONE)
		return SMTP_OK;
	cl->dead = true;
	return smtp_client_fail(err, SMTP_FAIL_NO_STARTTLS, SMTP_PHASE_STARTTLS,
	    0, "server does not offer STARTTLS; refusing to continue without TLS");
}

/* smtp_client_auth_reply - read the reply to an AUTH step */
static enum smtp_fail
smtp_client_auth_send(struct smtp_client *cl, struct strbuf *line,
    struct smtp_error *err)
{
	enum smtp_fail f;

	smtp_client_put(cl, line, true);
	if (line->data != NULL)
		explicit_bzero(line->data, line->cap);
	strbuf_reset(line);
	f = smtp_client_flush(cl, cl->to.command, SMTP_PHASE_AUTH, true, err);
	if (f == SMTP_OK)
		f = smtp_client_read_reply(cl, cl->to.command, SMTP_PHASE_AUTH, err);
	return f;
}

/*
 * smtp_client_auth_result - map the final AUTH reply; tried is the
 * mechanism refused before this one, or 0
 */
static enum smtp_fail
smtp_client_auth_result(struct smtp_client *cl, unsigned mech, unsigned tried,
    struct smtp_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	enum smtp_fail f;

	if (cl->reply.code == 235) {
		cl->info.auth_mechanism = smtp_reply_auth_name(mech);
		return SMTP_OK;
	}
	if (cl->reply.code != 535)
		return smtp_client_reply_fail(cl, SMTP_PHASE_AUTH, "AUTH", err);
	smtp_client_reply_text(cl, &sb);
	f = smtp_client_fail(err, SMTP_FAIL_AUTH, SMTP_PHASE_AUTH, 535,
	    "authentication failed (%s%s%s): %s", tried ?
	    smtp_reply_auth_name(tried) : "", tried ? ", then " : "",
	    smtp_reply_auth_name(mech), strbuf_cstr(&sb));
	strbuf_free(&sb);
	return f;
}

/* smtp_client_auth_exchange - one SASL exchange with mech (tried: smtp_client_auth_result) */
static enum smtp_fail
smtp_client_auth_exchange(struct smtp_client *cl, unsigned mech, unsigned tried,
    const struct smtp_auth_creds *creds, struct smtp_error *err)
{
	struct strbuf line = STRBUF_INIT;
	const char *chal;
	enum smtp_fail f;
	unsigned step;
	size_t len;

	smtp_auth_start(mech, creds, &line);
	f = smtp_client_auth_send(cl, &line, err);
	for (step = 0; f == SMTP_OK && cl->reply.code == 334; step++) {
		chal = smtp_reply_line(&cl->reply, 0, &len);
		if (!smtp_auth_step(mech, step, chal, len, creds, &line)) {
			strbuf_reset(&line);
			strbuf_putc(&line, '*');
		}
		f = smtp_client_auth_send(cl, &line, err);
	}
	strbuf_free(&line);
	if (f != SMTP_OK)
		return f;
	return smtp_client_auth_result(cl, mech, tried, err);
}

/*
 * smtp_client_auth_plan - whether this session can log in as p says: TLS
 * (or plaintext allowed), AUTH offered, a mechanism both sides know.
 * Sends nothing; *mech gets the mechanism (0 when no login is wanted).
 */
static enum smtp_fail
smtp_client_auth_plan(const struct smtp_client *cl, const struct smtp_params *p,
    const struct smtp_auth_creds *creds, unsigned *mech, struct smtp_error *err)
{
	const char *bad;

	*mech = 0;
	if (p->auth_user == NULL)
		return SMTP_OK;
	if (!cl->info.tls && !p->auth_allow_plaintext)
		return smtp_client_fail(err, SMTP_FAIL_AUTH_UNAVAILABLE,
		    SMTP_PHASE_AUTH, 0, "refusing to send credentials over a "
		    "connection without TLS");
	if (!(cl->caps.flags & SMTP_CAP_AUTH))
		return smtp_client_fail(err, SMTP_FAIL_AUTH_UNAVAILABLE,
		    SMTP_PHASE_AUTH, 0, "server does not offer AUTH");
	*mech = smtp_auth_choose(cl->caps.auth, p->auth_mechanisms,
	    p->nauth_mechanisms, creds, &bad);
	if (*mech == 0)
		return smtp_client_fail(err, SMTP_FAIL_AUTH_UNAVAILABLE,
		    SMTP_PHASE_AUTH, 0, "no usable AUTH mechanism%s%s%s",
		    bad ? " (unknown: " : "", bad ? bad : "", bad ? ")" : "");
	return SMTP_OK;
}

/*
 * smtp_client_auth - authenticate when a user name is configured; with
 * p->auth_later only check that it could (smtp_login() does it later)
 */
static enum smtp_fail
smtp_client_auth(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err)
{
	struct smtp_auth_creds creds = { p->auth_user, p->auth_password,
	    p->auth_token, p->host, p->port };
	unsigned mech;
	enum smtp_fail f = smtp_client_auth_plan(cl, p, &creds, &mech, err);

	const char *bad;
	unsigned next;

	if (f != SMTP_OK || mech == 0 || p->auth_later)
		return f;
	f = smtp_client_auth_exchange(cl, mech, 0, &creds, err);
	/*
	 * A 535 to CRAM-MD5 may only mean that the server keeps its passwords
	 * hashed: try the next mechanism once. PLAIN and LOGIN carry the same
	 * password, checked the same way, so their 535 is final (one failed
	 * login, not two, for a wrong password).
	 */
	if (f != SMTP_FAIL_AUTH || mech != SMTP_AUTH_CRAM_MD5)
		return f;
	next = smtp_auth_choose(cl->caps.auth & ~mech, p->auth_mechanisms,
	    p->nauth_mechanisms, &creds, &bad);
	if (next == 0)
		return f;
	return smtp_client_auth_exchange(cl, next, mech, &creds, err);
}

void
smtp_set_log_tag(struct smtp_client *cl, const char *tag)
{
	STR_TRUNCATION_OK(str_copy(cl->tag, sizeof(cl->tag), tag ? tag : ""));
}

enum smtp_fail
smtp_login(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err)
{
	struct smtp_params now = *p;

	memset(err, 0, sizeof(*err));
	now.auth_later = false;
	return smtp_client_auth(cl, &now, err);
}

static void
smtp_client_defaults(struct smtp_client *cl, const struct smtp_params *p)
{
	cl->to.connect = smtp_client_or(p->timeouts.connect, SMTP_CONNECT_MS);
	cl->to.greeting = smtp_client_or(p->timeouts.greeting, SMTP_GREETING_MS);
	cl->to.command = smtp_client_or(p->timeouts.command, SMTP_COMMAND_MS);
	cl->to.data_init = smtp_client_or(p->timeouts.data_init, SMTP_DATA_INIT_MS);
	cl->to.data_block = smtp_client_or(p->timeouts.data_block,
	    SMTP_DATA_BLOCK_MS);
	cl->to.data_done = smtp_client_or(p->timeouts.data_done, SMTP_DATA_DONE_MS);
	cl->lim.max_line = p->limits.max_line ? p->limits.max_line :
	    SMTP_REPLY_MAX_LINE;
	cl->lim.max_reply = p->limits.max_reply ? p->limits.max_reply :
	    SMTP_REPLY_MAX_TEXT;
	cl->lim.max_pipeline = p->limits.max_pipeline ? p->limits.max_pipeline :
	    SMTP_DEF_PIPELINE;
	cl->rlim.max_line = cl->lim.max_line;
	cl->rlim.max_text = cl->lim.max_reply;
	smtp_reply_init(&cl->reply);
}

static enum smtp_fail
smtp_client_check_params(const struct smtp_params *p, struct smtp_error *err)
{
	if (p->host == NULL || p->host[0] == '\0' || p->port == 0 ||
	    p->port > 65535)
		return smtp_client_fail(err, SMTP_FAIL_USAGE, SMTP_PHASE_CONNECT,
		    0, "host and port (1-65535) are required");
	if (p->security == CONF_SEC_PLAIN && smtp_client_tls_level(p) != CONF_TLS_NONE)
		return smtp_client_fail(err, SMTP_FAIL_USAGE, SMTP_PHASE_CONNECT,
		    0, "plaintext security requires tls = none");
	if (p->auth_user != NULL && p->auth_password == NULL &&
	    p->auth_token == NULL)
		return smtp_client_fail(err, SMTP_FAIL_USAGE, SMTP_PHASE_AUTH,
		    0, "AUTH needs a password or a token");
	return SMTP_OK;
}

/* smtp_client_session - everything between connect and the first MAIL */
static enum smtp_fail
smtp_client_session(struct smtp_client *cl, const struct smtp_params *p,
    struct smtp_error *err)
{
	const char *helo = p->helo_name ? p->helo_name : "localhost";
	enum smtp_fail f;

	f = smtp_client_connect(cl, p, err);
	if (f == SMTP_OK && p->security == CONF_SEC_STARTTLS &&
	    p->banner_wait_ms > 0 && smtp_client_tls_level(p) != CONF_TLS_NONE)
		f = smtp_client_detect_implicit(cl, p, err);
	if (f == SMTP_OK && p->security == CONF_SEC_TLS)
		f = smtp_client_tls(cl, p, err);
	if (f == SMTP_OK)
		f = smtp_client_greeting(cl, err);
	if (f == SMTP_OK)
		f = smtp_client_ehlo(cl, helo, err);
	if (f == SMTP_OK)
		f = smtp_client_secure(cl, p, helo, err);
	if (f == SMTP_OK)
		f = smtp_client_auth(cl, p, err);
	return f;
}

enum smtp_fail
smtp_open(const struct smtp_params *p, struct smtp_client **out,
    struct smtp_error *err)
{
	struct smtp_client *cl;
	enum smtp_fail f;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	f = smtp_client_check_params(p, err);
	if (f != SMTP_OK)
		return f;
	cl = xcalloc(1, sizeof(*cl));
	if (p->log_tag != NULL)
		smtp_set_log_tag(cl, p->log_tag);
	smtp_client_defaults(cl, p);
	f = smtp_client_session(cl, p, err);
	if (f != SMTP_OK) {
		if (cl->conn != NULL && !cl->dead)
			smtp_quit(cl);
		smtp_close(cl);
		return f;
	}
	*out = cl;
	return SMTP_OK;
}

/* smtp_client_scan - wire size after CRLF conversion and dot-stuffing */
static void
smtp_client_scan(const char *msg, size_t len, uint64_t *wire, bool *eightbit)
{
	const char *p = msg, *end = msg + len, *nl;
	size_t clen, i;

	*wire = 0;
	*eightbit = false;
	for (i = 0; i < len && !*eightbit; i++)
		*eightbit = (unsigned char)msg[i] >= 0x80;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		clen = (size_t)((nl ? nl : end) - p);
		if (nl && clen > 0 && p[clen - 1] == '\r')
			clen--;
		*wire += clen + 2 + (clen > 0 && p[0] == '.');
		p = nl ? nl + 1 : end;
	}
}

static bool
smtp_client_nonascii(const char *s)
{
	for (; s != NULL && *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* smtp_client_headers_utf8 - whether the header block has a byte >= 0x80 */
static bool
smtp_client_headers_utf8(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)msg[i] >= 0x80)
			return true;
		if (msg[i] == '\n' && (i + 1 == len || msg[i + 1] == '\n' ||
		    (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')))
			return false;	/* the blank line: the body starts */
	}
	return false;
}

/* smtp_client_needs_utf8 - whether any envelope address is non-ASCII */
static bool
smtp_client_needs_utf8(const struct smtp_envelope *env)
{
	size_t i;

	if (smtp_client_nonascii(env->sender))
		return true;
	for (i = 0; i < env->nrcpts; i++)
		if (smtp_client_nonascii(env->rcpts[i].addr))
			return true;
	return false;
}

/* smtp_client_mail_cmd - "MAIL FROM:<...>" with the parameters that apply */
static void
smtp_client_mail_cmd(const struct smtp_client *cl, const struct smtp_txn *t,
    struct strbuf *sb)
{
	const struct smtp_envelope *env = t->env;
	unsigned caps = cl->caps.flags;

	strbuf_printf(sb, "MAIL FROM:<%s>", env->sender ? env->sender : "");
	if (caps & SMTP_CAP_SIZE)
		strbuf_printf(sb, " SIZE=%llu", (unsigned long long)t->wire_size);
	if ((caps & SMTP_CAP_8BITMIME) && (env->body == SMTP_BODY_8BITMIME ||
	    (env->body == SMTP_BODY_AUTO && t->eightbit)))
		strbuf_puts(sb, " BODY=8BITMIME");
	if ((caps & SMTP_CAP_SMTPUTF8) && (t->utf8 || t->utf8_headers ||
	    env->smtputf8))
		strbuf_puts(sb, " SMTPUTF8");
	if (!(caps & SMTP_CAP_DSN))
		return;
	if (env->ret != DSN_RET_UNSET)
		strbuf_printf(sb, " RET=%s", dsn_ret_name(env->ret));
	if (env->envid != NULL)
		strbuf_printf(sb, " ENVID=%s", env->envid);
}

/* smtp_client_rcpt_cmd - "RCPT TO:<...>" with DSN parameters if offered */
static void
smtp_client_rcpt_cmd(const struct smtp_client *cl, const struct smtp_rcpt *r,
    struct strbuf *sb)
{
	char notify[DSN_NOTIFY_TEXT_MAX];

	strbuf_printf(sb, "RCPT TO:<%s>", r->addr);
	if (!(cl->caps.flags & SMTP_CAP_DSN))
		return;
	dsn_notify_format(r->notify, notify, sizeof(notify));
	if (notify[0])
		strbuf_printf(sb, " NOTIFY=%s", notify);
	if (r->orcpt != NULL)
		strbuf_printf(sb, " ORCPT=%s", r->orcpt);
}

/* smtp_client_queue_cmd - queue command i of the transaction */
static void
smtp_client_queue_cmd(struct smtp_client *cl, const struct smtp_txn *t,
    size_t i)
{
	struct strbuf sb = STRBUF_INIT;

	if (i == 0)
		smtp_client_mail_cmd(cl, t, &sb);
	else if (i <= t->env->nrcpts)
		smtp_client_rcpt_cmd(cl, &t->env->rcpts[i - 1], &sb);
	else
		strbuf_puts(&sb, "DATA");
	smtp_client_put(cl, &sb, false);
	strbuf_free(&sb);
}

/* smtp_client_set_all - give every recipient (or the accepted ones) a result */
static void
smtp_client_set_all(struct smtp_client *cl, struct smtp_txn *t,
    bool only_accepted, enum smtp_rcpt_status st, int code, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	const char *kept;
	size_t i;

	strbuf_puts(&sb, text);
	kept = smtp_client_keep(cl, &sb);
	for (i = 0; i < t->env->nrcpts; i++) {
		if (only_accepted && t->res[i].status != SMTP_RCPT_SENT)
			continue;
		t->res[i].status = st;
		t->res[i].code = code;
		t->res[i].reply = kept;
	}
}

/*
 * smtp_client_reply_all - the current reply decides recipients' fate; a
 * 2xx counts as delivery only when success is a possible outcome here.
 */
static void
smtp_client_reply_all(struct smtp_client *cl, struct smtp_txn *t,
    bool only_accepted, bool success)
{
	struct strbuf sb = STRBUF_INIT;
	int code = cl->reply.code;

	smtp_client_reply_text(cl, &sb);
	smtp_client_set_all(cl, t, only_accepted, success && code / 100 == 2 ?
	    SMTP_RCPT_SENT : code >= 500 ? SMTP_RCPT_PERM : SMTP_RCPT_TEMP,
	    code, strbuf_cstr(&sb));
	strbuf_free(&sb);
}

/* smtp_client_handle_reply - account for the reply to command i */
static void
smtp_client_handle_reply(struct smtp_client *cl, struct smtp_txn *t, size_t i,
    struct smtp_error *err)
{
	struct smtp_rcpt_result *r;
	struct strbuf sb = STRBUF_INIT;
	int code = cl->reply.code;

	if (i == 0) {
		if (code / 100 != 2) {
			t->mail_failed = true;
			smtp_client_reply_fail(cl, SMTP_PHASE_MAIL, "MAIL FROM", err);
			smtp_client_reply_all(cl, t, false, false);
		}
		return;
	}
	if (i > t->env->nrcpts || t->mail_failed)
		return;
	r = &t->res[i - 1];
	smtp_client_reply_text(cl, &sb);
	r->code = code;
	r->reply = smtp_client_keep(cl, &sb);
	r->status = code / 100 == 2 ? SMTP_RCPT_SENT :
	    code >= 500 ? SMTP_RCPT_PERM : SMTP_RCPT_TEMP;
	if (r->status == SMTP_RCPT_SENT)
		t->accepted++;
}

/* smtp_client_group_timeout - reply wait for command i */
static uint64_t
smtp_client_cmd_timeout(const struct smtp_client *cl, const struct smtp_txn *t,
    size_t i)
{
	return i + 1 == t->ncmds ? cl->to.data_init : cl->to.command;
}

static enum smtp_phase
smtp_client_cmd_phase(const struct smtp_txn *t, size_t i)
{
	if (i == 0)
		return SMTP_PHASE_MAIL;
	return i + 1 == t->ncmds ? SMTP_PHASE_DATA : SMTP_PHASE_RCPT;
}

/*
 * smtp_client_envelope - MAIL, RCPT... and DATA, pipelined in groups when
 * the server allows it. Stops before DATA when nothing was accepted.
 * Returns a session failure, or SMTP_OK with cl->reply holding the DATA
 * reply when t->data_sent.
 */
static enum smtp_fail
smtp_client_envelope(struct smtp_client *cl, struct smtp_txn *t,
    struct smtp_error *err)
{
	size_t group, start, end, i;
	enum smtp_fail f;

	group = (cl->caps.flags & SMTP_CAP_PIPELINING) ? cl->lim.max_pipeline : 1;
	for (start = 0; start < t->ncmds; start = end) {
		if (t->mail_failed || (start + 1 == t->ncmds && t->accepted == 0))
			break;
		end = start + group < t->ncmds ? start + group : t->ncmds;
		for (i = start; i < end; i++)
			smtp_client_queue_cmd(cl, t, i);
		f = smtp_client_flush(cl, cl->to.command, smtp_client_cmd_phase(t,
		    start), false, err);
		for (i = start; f == SMTP_OK && i < end; i++) {
			f = smtp_client_read_reply(cl, smtp_client_cmd_timeout(cl,
			    t, i), smtp_client_cmd_phase(t, i), err);
			if (f == SMTP_OK)
				smtp_client_handle_reply(cl, t, i, err);
		}
		if (f != SMTP_OK)
			return f;
		t->data_sent = end == t->ncmds;
	}
	return SMTP_OK;
}

/* smtp_client_body - the message with CRLF line ends and dot-stuffing */
static enum smtp_fail
smtp_client_body(struct smtp_client *cl, const char *msg, size_t len,
    struct smtp_error *err)
{
	const char *p = msg, *end = msg + len, *nl;
	enum smtp_fail f;
	size_t clen;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		clen = (size_t)((nl ? nl : end) - p);
		if (nl && clen > 0 && p[clen - 1] == '\r')
			clen--;
		if (clen > 0 && p[0] == '.')
			conn_write(cl->conn, ".", 1);
		conn_write(cl->conn, p, clen);
		conn_write(cl->conn, "\r\n", 2);
		p = nl ? nl + 1 : end;
		if (conn_buffered(cl->conn) >= SMTP_FLUSH_AT) {
			f = smtp_client_flush(cl, cl->to.data_block,
			    SMTP_PHASE_BODY, false, err);
			if (f != SMTP_OK)
				return f;
		}
	}
	/* the end of the body and the dot leave together */
	if (log_debug_enabled()) {
		char what[64];

		STR_TRUNCATION_OK(str_format(what, sizeof(what), "(the message, %zu "
		    "bytes) .", len));
		smtp_client_debug(cl, '>', what, strlen(what), false);
	}
	conn_write(cl->conn, ".\r\n", 3);
	f = smtp_client_flush(cl, cl->to.data_block, SMTP_PHASE_BODY, false, err);
	if (f == SMTP_OK)
		f = smtp_client_read_reply(cl, cl->to.data_done, SMTP_PHASE_BODY,
		    err);
	return f;
}

/* smtp_client_data - after DATA: send the body, or just end it */
static enum smtp_fail
smtp_client_data(struct smtp_client *cl, struct smtp_txn *t, const char *msg,
    size_t len, struct smtp_error *err)
{
	enum smtp_fail f;

	if (cl->reply.code != 354) {
		smtp_client_reply_all(cl, t, true, false);
		smtp_client_reply_fail(cl, SMTP_PHASE_DATA, "DATA", err);
		if (cl->reply.code < 400)	/* neither 354 nor an error */
			err->fail = SMTP_FAIL_PROTOCOL;
		return err->fail;
	}
	/* a server that answered 354 with no recipient gets an empty body */
	f = smtp_client_body(cl, t->accepted ? msg : "", t->accepted ? len : 0,
	    err);
	if (f != SMTP_OK)
		return f;
	cl->dirty = false;
	smtp_client_reply_all(cl, t, true, true);
	if (cl->reply.code / 100 == 2)
		return SMTP_OK;
	return smtp_client_reply_fail(cl, SMTP_PHASE_BODY, "end of data", err);
}

/* smtp_client_precheck - limits known before any command is sent */
static enum smtp_fail
smtp_client_precheck(struct smtp_client *cl, const struct smtp_txn *t,
    struct smtp_error *err)
{
	if (t->utf8 && !(cl->caps.flags & SMTP_CAP_SMTPUTF8))
		return smtp_client_fail(err, SMTP_FAIL_SMTPUTF8, SMTP_PHASE_MAIL, 0,
		    "5.6.7 an envelope address is not ASCII and the server does "
		    "not support SMTPUTF8");
	if ((cl->caps.flags & SMTP_CAP_SIZE) && cl->caps.size_limit > 0 &&
	    t->wire_size > cl->caps.size_limit)
		return smtp_client_fail(err, SMTP_FAIL_SIZE, SMTP_PHASE_MAIL, 0,
		    "5.3.4 message size %llu exceeds the server's limit of %llu "
		    "bytes",
		    (unsigned long long)t->wire_size,
		    (unsigned long long)cl->caps.size_limit);
	if (t->env->nrcpts == 0)
		return smtp_client_fail(err, SMTP_FAIL_USAGE, SMTP_PHASE_RCPT, 0,
		    "no recipients");
	return SMTP_OK;
}

/* smtp_client_rcpt_outcome - overall result when nothing was delivered */
static enum smtp_fail
smtp_client_rcpt_outcome(const struct smtp_txn *t, struct smtp_error *err)
{
	size_t i;
	bool temp = false;

	for (i = 0; i < t->env->nrcpts; i++)
		temp = temp || t->res[i].status == SMTP_RCPT_TEMP;
	return smtp_client_fail(err, temp ? SMTP_FAIL_TEMP : SMTP_FAIL_PERM,
	    SMTP_PHASE_RCPT, t->env->nrcpts ? t->res[0].code : 0,
	    "all recipients were refused; first: %s",
	    t->env->nrcpts ? t->res[0].reply : "-");
}

static void
smtp_client_txn_init(struct smtp_client *cl, struct smtp_txn *t,
    const struct smtp_envelope *env, const char *msg, size_t len,
    struct smtp_rcpt_result *res)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->env = env;
	t->res = res;
	t->ncmds = env->nrcpts + 2;
	t->utf8 = smtp_client_needs_utf8(env);
	t->utf8_headers = smtp_client_headers_utf8(msg, len);
	smtp_client_scan(msg, len, &t->wire_size, &t->eightbit);
	smtp_client_drop_texts(cl);
	for (i = 0; i < env->nrcpts; i++) {
		res[i].status = SMTP_RCPT_TEMP;
		res[i].code = 0;
		res[i].reply = "not attempted";
	}
}

/* smtp_client_transaction - one message over a ready session */
static enum smtp_fail
smtp_client_transaction(struct smtp_client *cl, struct smtp_txn *t,
    const char *msg, size_t len, struct smtp_error *err)
{
	enum smtp_fail f;

	f = smtp_client_precheck(cl, t, err);
	if (f != SMTP_OK)
		return f;
	cl->dirty = true;
	f = smtp_client_envelope(cl, t, err);
	if (f != SMTP_OK || t->mail_failed)
		return f != SMTP_OK ? f : err->fail;
	if (!t->data_sent || t->accepted == 0) {
		if (t->data_sent && cl->reply.code == 354)
			(void)smtp_client_body(cl, "", 0, err);
		return smtp_client_rcpt_outcome(t, err);
	}
	return smtp_client_data(cl, t, msg, len, err);
}

/* smtp_client_session_lost - every undecided recipient gets the failure */
static void
smtp_client_session_lost(struct smtp_client *cl, struct smtp_txn *t,
    const struct smtp_error *err)
{
	size_t i;
	struct strbuf sb = STRBUF_INIT;
	const char *kept;

	strbuf_puts(&sb, err->text);
	kept = smtp_client_keep(cl, &sb);
	for (i = 0; i < t->env->nrcpts; i++) {
		if (t->res[i].status == SMTP_RCPT_PERM)
			continue;
		t->res[i].status = SMTP_RCPT_TEMP;
		t->res[i].code = 0;
		t->res[i].reply = kept;
	}
}

enum smtp_fail
smtp_send(struct smtp_client *cl, const struct smtp_envelope *env,
    const char *msg, size_t len, struct smtp_rcpt_result *results,
    struct smtp_error *err)
{
	struct smtp_txn t;
	enum smtp_fail f = SMTP_OK;

	memset(err, 0, sizeof(*err));
	smtp_client_txn_init(cl, &t, env, msg, len, results);
	if (cl->dirty && !cl->dead)
		f = smtp_reset(cl, err);
	if (f == SMTP_OK && cl->dead)
		f = smtp_client_fail(err, SMTP_FAIL_DISCONNECT, SMTP_PHASE_MAIL,
		    0, "the connection is closed");
	if (f == SMTP_OK)
		f = smtp_client_transaction(cl, &t, msg, len, err);
	if (f != SMTP_OK && (cl->dead || f == SMTP_FAIL_SIZE ||
	    f == SMTP_FAIL_SMTPUTF8 || f == SMTP_FAIL_USAGE)) {
		if (f == SMTP_FAIL_SIZE || f == SMTP_FAIL_SMTPUTF8)
			smtp_client_set_all(cl, &t, false, SMTP_RCPT_PERM, 0,
			    err->text);
		else
			smtp_client_session_lost(cl, &t, err);
	}
	return f;
}

enum smtp_fail
smtp_reset(struct smtp_client *cl, struct smtp_error *err)
{
	enum smtp_fail f;

	memset(err, 0, sizeof(*err));
	if (cl->dead)
		return smtp_client_fail(err, SMTP_FAIL_DISCONNECT, SMTP_PHASE_RSET,
		    0, "the connection is closed");
	f = smtp_client_command(cl, "RSET", cl->to.command, SMTP_PHASE_RSET, err);
	if (f != SMTP_OK)
		return f;
	if (cl->reply.code / 100 != 2) {
		cl->dead = true;	/* a server that cannot RSET is unusable */
		return smtp_client_reply_fail(cl, SMTP_PHASE_RSET, "RSET", err);
	}
	cl->dirty = false;
	return SMTP_OK;
}

enum smtp_fail
smtp_try_sender(struct smtp_client *cl, const char *sender,
    struct smtp_error *err)
{
	struct strbuf cmd = STRBUF_INIT;
	struct smtp_error ignored;
	enum smtp_fail f;

	memset(err, 0, sizeof(*err));
	if (cl->dead)
		return smtp_client_fail(err, SMTP_FAIL_DISCONNECT, SMTP_PHASE_MAIL,
		    0, "the connection is closed");
	strbuf_printf(&cmd, "MAIL FROM:<%s>", sender);
	f = smtp_client_command(cl, strbuf_cstr(&cmd), cl->to.command,
	    SMTP_PHASE_MAIL, err);
	strbuf_free(&cmd);
	if (f != SMTP_OK)
		return f;
	if (cl->reply.code / 100 != 2)
		f = smtp_client_reply_fail(cl, SMTP_PHASE_MAIL, "MAIL FROM", err);
	else
		cl->dirty = true;
	if (!cl->dead)
		(void)smtp_reset(cl, &ignored);
	return f;
}

void
smtp_quit(struct smtp_client *cl)
{
	struct smtp_error err;
	uint64_t wait;

	if (cl == NULL || cl->dead || cl->conn == NULL)
		return;
	wait = cl->to.command < SMTP_QUIT_WAIT ? cl->to.command : SMTP_QUIT_WAIT;
	(void)smtp_client_command(cl, "QUIT", wait, SMTP_PHASE_QUIT, &err);
	cl->dead = true;
}

void
smtp_close(struct smtp_client *cl)
{
	if (cl == NULL)
		return;
	conn_close(cl->conn);
	smtp_reply_free(&cl->reply);
	smtp_client_drop_texts(cl);
	free(cl);
}

bool
smtp_usable(const struct smtp_client *cl)
{
	return cl != NULL && !cl->dead;
}

const struct smtp_session_info *
smtp_session_info(const struct smtp_client *cl)
{
	return &cl->info;
}

const char *
smtp_fail_name(enum smtp_fail fail)
{
	static const char *const names[] = {
		[SMTP_OK] = "ok",
		[SMTP_FAIL_RESOLVE] = "resolve",
		[SMTP_FAIL_REFUSED] = "refused",
		[SMTP_FAIL_CONNECT_TIMEOUT] = "connect-timeout",
		[SMTP_FAIL_UNREACHABLE] = "unreachable",
		[SMTP_FAIL_NO_GREETING] = "no-greeting",
		[SMTP_FAIL_PLAINTEXT_PORT] = "plaintext-port",
		[SMTP_FAIL_TLS] = "tls",
		[SMTP_FAIL_TLS_VERIFY] = "tls-verify",
		[SMTP_FAIL_NO_STARTTLS] = "no-starttls",
		[SMTP_FAIL_AUTH] = "auth",
		[SMTP_FAIL_AUTH_UNAVAILABLE] = "auth-unavailable",
		[SMTP_FAIL_TEMP] = "temp",
		[SMTP_FAIL_PERM] = "perm",
		[SMTP_FAIL_TIMEOUT] = "timeout",
		[SMTP_FAIL_DISCONNECT] = "disconnect",
		[SMTP_FAIL_PROTOCOL] = "protocol",
		[SMTP_FAIL_SIZE] = "size",
		[SMTP_FAIL_SMTPUTF8] = "smtputf8",
		[SMTP_FAIL_USAGE] = "usage",
		[SMTP_FAIL_IO] = "io",
	};

	if ((size_t)fail < sizeof(names) / sizeof(names[0]) && names[fail])
		return names[fail];
	return "unknown";
}

const char *
smtp_verify_name(enum smtp_verify v)
{
	static const char *const names[] = {
		[SMTP_VERIFY_NONE] = "none", [SMTP_VERIFY_OK] = "ok",
		[SMTP_VERIFY_UNTRUSTED] = "untrusted",
		[SMTP_VERIFY_HOSTNAME] = "hostname",
		[SMTP_VERIFY_EXPIRED] = "expired",
		[SMTP_VERIFY_NOT_YET_VALID] = "not-yet-valid",
		[SMTP_VERIFY_PIN] = "pin", [SMTP_VERIFY_OTHER] = "other",
	};

	if ((size_t)v < sizeof(names) / sizeof(names[0]) && names[v])
		return names[v];
	return "unknown";
}

const char *
smtp_phase_name(enum smtp_phase phase)
{
	static const char *const names[] = {
		[SMTP_PHASE_CONNECT] = "connect", [SMTP_PHASE_GREETING] = "greeting",
		[SMTP_PHASE_EHLO] = "EHLO", [SMTP_PHASE_STARTTLS] = "STARTTLS",
		[SMTP_PHASE_TLS] = "TLS handshake", [SMTP_PHASE_AUTH] = "AUTH",
		[SMTP_PHASE_MAIL] = "MAIL", [SMTP_PHASE_RCPT] = "RCPT",
		[SMTP_PHASE_DATA] = "DATA", [SMTP_PHASE_BODY] = "end of data",
		[SMTP_PHASE_RSET] = "RSET", [SMTP_PHASE_QUIT] = "QUIT",
	};

	if ((size_t)phase < sizeof(names) / sizeof(names[0]) && names[phase])
		return names[phase];
	return "unknown";
}

bool
smtp_fail_permanent(enum smtp_fail fail)
{
	return fail == SMTP_FAIL_PERM || fail == SMTP_FAIL_SIZE ||
	    fail == SMTP_FAIL_SMTPUTF8;
}
