/*
 * bsmtp.c - the -bs SMTP session (see bsmtp.h).
 *
 * State is one envelope at a time: MAIL sets the sender, RCPT adds
 * recipients, DATA reads the message up to the lone dot, undoes dot
 * stuffing, and queues. Out-of-order commands get 503, bad addresses 553,
 * an over-size message 552, a queueing failure 451 so the client keeps
 * the message.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "bsmtp.h"
#include "msgin.h"
#include "qrecord.h"
#include "strutil.h"
#include "submit.h"
#include "xalloc.h"

struct bsmtp {
	FILE *in, *out;
	const struct conf *conf;
	const struct aliases *aliases;
	const struct compose_identity *who;
	bool greeted, have_sender;
	struct qrecord rec;
	int status;
};

static void
bsmtp_reply(struct bsmtp *s, const char *text)
{
	fprintf(s->out, "%s\r\n", text);
	fflush(s->out);
}

/* bsmtp_read_line - one CRLF or LF line without its ending; false at EOF */
static bool
bsmtp_read_line(struct bsmtp *s, struct strbuf *line, bool *too_long)
{
	int c;

	strbuf_reset(line);
	*too_long = false;
	while ((c = getc(s->in)) != EOF && c != '\n')
		if (line->len < BSMTP_LINE_MAX)
			strbuf_putc(line, (char)c);
		else
			*too_long = true;
	if (c == EOF && line->len == 0)
		return false;
	if (line->len && line->data[line->len - 1] == '\r')
		line->data[--line->len] = '\0';
	return true;
}

static void
bsmtp_reset(struct bsmtp *s)
{
	qrecord_free(&s->rec);
	s->have_sender = false;
}

/* bsmtp_path - the address between < and > after "FROM:" / "TO:" */
static char *
bsmtp_path(const char *arg, const char **params)
{
	const char *lt, *gt;

	arg += strspn(arg, " ");
	if ((lt = strchr(arg, '<')) == NULL || lt != arg ||
	    (gt = strchr(lt, '>')) == NULL)
		return NULL;
	*params = gt + 1;
	return xstrndup(lt, (size_t)(gt - lt + 1));
}

/* bsmtp_param - value of "KEY=" in an ESMTP parameter list, or NULL */
static char *
bsmtp_param(const char *params, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = params; (p = strcasestr(p, key)) != NULL; p += kl)
		if ((p == params || p[-1] == ' ') && p[kl] == '=')
			return xstrndup(p + kl + 1, strcspn(p + kl + 1, " "));
	return NULL;
}

/*
 * bsmtp_mail_params - RET and ENVID of a MAIL command into the record
 * (dsn_param.h); false with a 501 reply when one is malformed
 */
static bool
bsmtp_mail_params(struct bsmtp *s, const char *params)
{
	char *ret = bsmtp_param(params, "RET"), *envid = bsmtp_param(params, "ENVID");
	bool ok = true;

	if (ret && !dsn_ret_parse(ret, &s->rec.ret)) {
		bsmtp_reply(s, "501 5.5.4 Bad RET parameter (FULL or HDRS)");
		ok = false;
	} else if (envid && !dsn_envid_valid(envid)) {
		bsmtp_reply(s, "501 5.5.4 Bad ENVID parameter");
		s->rec.ret = DSN_RET_UNSET;
		ok = false;
	} else if (envid) {
		s->rec.envid = envid;
		envid = NULL;
	}
	free(ret);
	free(envid);
	return ok;
}

static void
bsmtp_mail(struct bsmtp *s, const char *arg)
{
	const char *params = "";
	char *path = bsmtp_path(arg, &params), *sender;
	struct strbuf err = STRBUF_INIT;

	if (s->have_sender) {
		bsmtp_reply(s, "503 5.5.1 Error: nested MAIL command");
	} else if (path == NULL) {
		bsmtp_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
	} else if (bsmtp_mail_params(s, params)) {
		if ((sender = compose_envelope_sender(path, s->conf, s->who,
		    &err)) == NULL) {
			s->rec.ret = DSN_RET_UNSET;
			free(s->rec.envid);
			s->rec.envid = NULL;
			fprintf(s->out, "553 5.1.7 %s\r\n", strbuf_cstr(&err));
			fflush(s->out);
		} else {
			s->rec.sender = sender;
			s->have_sender = true;
			bsmtp_reply(s, "250 2.1.0 Ok");
		}
	}
	free(path);
	strbuf_free(&err);
}

static void
bsmtp_rcpt(struct bsmtp *s, const char *arg)
{
	const char *params = "";
	char *path = bsmtp_path(arg, &params), *notify_text;
	struct strbuf err = STRBUF_INIT;
	unsigned notify = 0;

	if (!s->have_sender) {
		bsmtp_reply(s, "503 5.5.1 Error: need MAIL command");
	} else if (path == NULL) {
		bsmtp_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
	} else {
		notify_text = bsmtp_param(params, "NOTIFY");
		if (notify_text && !dsn_notify_parse(notify_text, &notify)) {
			bsmtp_reply(s, "501 5.5.4 Bad NOTIFY parameter (NEVER, or "
			    "SUCCESS, FAILURE and DELAY)");
		} else if (compose_add_recipient(path, notify, s->conf, s->aliases,
		    &s->rec, &err) != 0) {
			fprintf(s->out, "553 5.1.3 %s\r\n", strbuf_cstr(&err));
			fflush(s->out);
		} else {
			bsmtp_reply(s, "250 2.1.5 Ok");
		}
		free(notify_text);
	}
	free(path);
	strbuf_free(&err);
}

/* bsmtp_collect - read DATA up to the lone dot, undoing dot stuffing */
static bool
bsmtp_collect(struct bsmtp *s, struct strbuf *raw, bool *too_big)
{
	struct strbuf line = STRBUF_INIT;
	uint64_t max = s->conf->queue.max_message_size;
	bool too_long, ended = false;

	*too_big = false;
	while (bsmtp_read_line(s, &line, &too_long)) {
		const char *p = strbuf_cstr(&line);

		if (strcmp(p, ".") == 0) {
			ended = true;
			break;
		}
		if (p[0] == '.')
			p++;
		if (max && raw->len + strlen(p) + 1 > max)
			*too_big = true;
		else {
			strbuf_puts(raw, p);
			strbuf_putc(raw, '\n');
		}
	}
	strbuf_free(&line);
	return ended;
}

/* bsmtp_queue - compose and queue the collected message */
static void
bsmtp_queue(struct bsmtp *s, const struct strbuf *raw)
{
	struct msgin_options mo = { true, 0 };
	struct strbuf norm = STRBUF_INIT, msg = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	char qid[64];
	int status;

	msgin_normalize(raw->data ? raw->data : "", raw->len, &mo, &norm);
	status = compose_fix_headers(&norm, s->conf, s->who, NULL, s->rec.sender,
	    &msg, &err);
	if (status == 0 && !qrecord_encode_envelope(&s->rec, msg.data, msg.len,
	    &text, &err))
		status = EX_DATAERR;
	if (status != 0) {
		fprintf(s->out, "554 5.6.0 %s\r\n", strbuf_cstr(&err));
	} else if (submit_record(&text, qid, sizeof(qid)) != 0) {
		s->status = EX_TEMPFAIL;
		fprintf(s->out, "451 4.3.0 Error: the message could not be queued\r\n");
	} else {
		fprintf(s->out, "250 2.0.0 Ok: queued as %s\r\n", qid);
	}
	fflush(s->out);
	strbuf_free(&norm);
	strbuf_free(&msg);
	strbuf_free(&text);
	strbuf_free(&err);
}

static bool
bsmtp_data(struct bsmtp *s)
{
	struct strbuf raw = STRBUF_INIT;
	bool too_big, ended;

	if (!s->have_sender || s->rec.nrcpts == 0) {
		bsmtp_reply(s, "503 5.5.1 Error: need RCPT command");
		return true;
	}
	bsmtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	ended = bsmtp_collect(s, &raw, &too_big);
	if (!ended) {
		strbuf_free(&raw);
		return false;	/* the client went away mid-message */
	}
	if (too_big)
		bsmtp_reply(s, "552 5.3.4 Error: message exceeds the size limit");
	else
		bsmtp_queue(s, &raw);
	strbuf_free(&raw);
	bsmtp_reset(s);
	return true;
}

static void
bsmtp_ehlo(struct bsmtp *s, bool extended)
{
	s->greeted = true;
	bsmtp_reset(s);
	if (!extended) {
		fprintf(s->out, "250 %s\r\n", s->conf->hostname);
	} else {
		fprintf(s->out, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n",
		    s->conf->hostname);
		if (s->conf->queue.max_message_size)
			fprintf(s->out, "250-SIZE %llu\r\n",
			    (unsigned long long)s->conf->queue.max_message_size);
		fprintf(s->out, "250-DSN\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
	}
	fflush(s->out);
}

/* bsmtp_command - dispatch one line; false ends the session */
static bool
bsmtp_command(struct bsmtp *s, const char *line)
{
	if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0)
		bsmtp_ehlo(s, toupper((unsigned char)line[0]) == 'E');
	else if (strncasecmp(line, "MAIL FROM:", 10) == 0)
		bsmtp_mail(s, line + 10);
	else if (strncasecmp(line, "RCPT TO:", 8) == 0)
		bsmtp_rcpt(s, line + 8);
	else if (strcasecmp(line, "DATA") == 0)
		return bsmtp_data(s);
	else if (strcasecmp(line, "RSET") == 0) {
		bsmtp_reset(s);
		bsmtp_reply(s, "250 2.0.0 Ok");
	} else if (strncasecmp(line, "NOOP", 4) == 0)
		bsmtp_reply(s, "250 2.0.0 Ok");
	else if (strncasecmp(line, "VRFY", 4) == 0)
		bsmtp_reply(s, "252 2.0.0 Cannot VRFY; send some mail and find out");
	else if (strncasecmp(line, "HELP", 4) == 0)
		bsmtp_reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT");
	else if (strcasecmp(line, "QUIT") == 0) {
		bsmtp_reply(s, "221 2.0.0 Bye");
		return false;
	} else
		bsmtp_reply(s, "502 5.5.2 Error: command not recognized");
	return true;
}

int
bsmtp_session(FILE *in, FILE *out, const struct conf *conf,
    const struct aliases *aliases, const struct compose_identity *who)
{
	struct bsmtp s;
	struct strbuf line = STRBUF_INIT;
	bool too_long;

	memset(&s, 0, sizeof(s));
	s.in = in;
	s.out = out;
	s.conf = conf;
	s.aliases = aliases;
	s.who = who;
	s.rec.uid = -1;
	fprintf(out, "220 %s ESMTP postern\r\n", conf->hostname);
	fflush(out);
	while (bsmtp_read_line(&s, &line, &too_long)) {
		if (too_long)
			bsmtp_reply(&s, "500 5.5.0 Error: line too long");
		else if (!bsmtp_command(&s, strbuf_cstr(&line)))
			break;
	}
	bsmtp_reset(&s);
	strbuf_free(&line);
	return s.status;
}
