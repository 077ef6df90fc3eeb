/*
 * qrecord.c - encode and strictly decode queue files (see qrecord.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qrecord.h"
#include "qrecord_grammar.h"
#include "xalloc.h"

/* qrecord_line_safe - true if s can be one record line's value */
static bool
qrecord_line_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void
qrecord_add_rcpt(struct qrecord *rec, const char *address, unsigned notify,
    const char *orcpt)
{
	struct qrecord_rcpt *r;

	rec->rcpts = xreallocarray(rec->rcpts, rec->nrcpts + 1, sizeof(*r));
	r = &rec->rcpts[rec->nrcpts++];
	r->address = xstrdup(address);
	r->notify = notify;
	r->orcpt = orcpt ? xstrdup(orcpt) : NULL;
}

/*
 * qrecord_put - append "key value\n" if value is set; a value that holds a
 * line break or another control character (which would split or bend
 * the line) makes *ok false
 */
static void
qrecord_put(struct strbuf *out, const char *key, const char *value, bool *ok)
{
	if (value == NULL)
		return;
	if (!qrecord_line_safe(value))
		*ok = false;
	strbuf_printf(out, "%s %s\n", key, value);
}

/*
 * qrecord_check_envelope - run the grammar over the envelope lines in
 * text[0..len) (up to and including "message N"): what the encoder
 * writes is checked by the same rules the writer and the worker apply
 */
static bool
qrecord_check_envelope(const char *text, size_t len, struct strbuf *err)
{
	struct qgrammar g = QGRAMMAR_INIT;
	const char *p = text, *end = text + len, *nl, *v, *why;
	size_t vlen;
	uint64_t n;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (qgrammar_line(&g, p, (size_t)(nl - p), UINT64_MAX, &v, &vlen,
		    &n, &why) == QG_BAD) {
			strbuf_printf(err, "the envelope cannot be queued: %s "
			    "(\"%.*s\")", why, (int)strcspn(p, " \n"), p);
			return false;
		}
	}
	return true;
}

void
qrecord_encode_trusted(struct strbuf *out, long uid, const char *login,
    int64_t arrival)
{
	strbuf_printf(out, QRECORD_MAGIC "\nuid %ld\nlogin %s\narrival %lld\n",
	    uid, login, (long long)arrival);
}

bool
qrecord_encode_envelope(const struct qrecord *rec, const char *message,
    size_t message_len, struct strbuf *out, struct strbuf *err)
{
	struct strbuf env = STRBUF_INIT;
	char notify[DSN_NOTIFY_TEXT_MAX];
	bool ok;

	if (rec->nrcpts == 0 || rec->nrcpts > QRECORD_RCPT_MAX) {
		strbuf_printf(err, rec->nrcpts ? "more than %d recipients in one "
		    "message" : "no recipients", QRECORD_RCPT_MAX);
		return false;
	}
	ok = qrecord_line_safe(rec->sender);
	strbuf_printf(&env, "sender <%s>\n", rec->sender);
	for (size_t i = 0; i < rec->nrcpts; i++) {
		dsn_notify_format(rec->rcpts[i].notify, notify, sizeof(notify));
		ok = ok && qrecord_line_safe(rec->rcpts[i].address);
		strbuf_printf(&env, "rcpt <%s>\n", rec->rcpts[i].address);
		qrecord_put(&env, "notify", notify[0] ? notify : NULL, &ok);
		qrecord_put(&env, "orcpt", rec->rcpts[i].orcpt, &ok);
	}
	qrecord_put(&env, "ret", dsn_ret_name(rec->ret), &ok);
	qrecord_put(&env, "envid", rec->envid, &ok);
	qrecord_put(&env, "body", rec->body, &ok);
	qrecord_put(&env, "smtputf8", rec->smtputf8 ? "yes" : NULL, &ok);
	qrecord_put(&env, "report", rec->report ? "yes" : NULL, &ok);
	strbuf_printf(&env, "message %zu\n", message_len);
	if (!ok)
		strbuf_puts(err, "the envelope cannot be queued: a field holds a "
		    "line break or another control character");
	ok = ok && qrecord_check_envelope(env.data, env.len, err);
	if (ok) {
		strbuf_append(out, env.data, env.len);
		strbuf_append(out, message, message_len);
		strbuf_puts(out, "end\n");
	}
	strbuf_free(&env);
	return ok;
}

/* Decoder state: a cursor over the buffer. */
struct qrecord_cursor {
	const char *p;
	const char *end;
	char key[16];
	char *value;		/* heap copy of the current line's value */
	struct qgrammar grammar;	/* the envelope lines read so far */
};

/* qrecord_next_line - split the next line into key and value */
static bool
qrecord_next_line(struct qrecord_cursor *c, struct strbuf *err)
{
	const char *nl, *sp;
	size_t keylen;

	free(c->value);
	c->value = NULL;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (nl == NULL || nl - c->p >= QRECORD_LINE_MAX) {
		strbuf_puts(err, "truncated or over-long envelope line");
		return false;
	}
	if (memchr(c->p, '\0', (size_t)(nl - c->p))) {
		strbuf_puts(err, "NUL byte in an envelope line");
		return false;
	}
	sp = memchr(c->p, ' ', (size_t)(nl - c->p));
	keylen = (size_t)((sp ? sp : nl) - c->p);
	if (keylen == 0 || keylen >= sizeof(c->key)) {
		strbuf_puts(err, "malformed envelope line");
		return false;
	}
	memcpy(c->key, c->p, keylen);
	c->key[keylen] = '\0';
	c->value = xstrndup(sp ? sp + 1 : nl, sp ? (size_t)(nl - sp - 1) : 0);
	if (strlen(c->value) != (size_t)(sp ? nl - sp - 1 : 0) ||
	    !qrecord_line_safe(c->value) || !qrecord_line_safe(c->key)) {
		strbuf_printf(err, "control character in \"%s\" line", c->key);
		return false;
	}
	c->p = nl + 1;
	return true;
}

/* qrecord_number - a decimal number with no sign, no junk, in range */
static bool
qrecord_number(const char *value, uint64_t max, uint64_t *out)
{
	char *endp;
	unsigned long long v;

	/* canonical form only: one way to write each number */
	if (value[0] < '0' || value[0] > '9' || (value[0] == '0' && value[1]))
		return false;
	errno = 0;
	v = strtoull(value, &endp, 10);
	if (errno || *endp || v > max)
		return false;
	*out = v;
	return true;
}

/* qrecord_trusted - the writer's four lines, in order */
static bool
qrecord_trusted(struct qrecord_cursor *c, struct qrecord *rec, struct strbuf *err)
{
	uint64_t n;

	if (!qrecord_next_line(c, err) || strcmp(c->key, "postern-queue") != 0 ||
	    strcmp(c->value, "1") != 0) {
		strbuf_puts(err, err->len ? "" : "not a postern queue file (version 1)");
		return false;
	}
	if (!qrecord_next_line(c, err) || strcmp(c->key, "uid") != 0 ||
	    !qrecord_number(c->value, QRECORD_UID_MAX, &n)) {
		strbuf_puts(err, err->len ? "" : "missing or bad uid line");
		return false;
	}
	rec->uid = (long)n;
	if (!qrecord_next_line(c, err) || strcmp(c->key, "login") != 0 ||
	    c->value[0] == '\0') {
		strbuf_puts(err, err->len ? "" : "missing login line");
		return false;
	}
	rec->login = xstrdup(c->value);
	if (!qrecord_next_line(c, err) || strcmp(c->key, "arrival") != 0 ||
	    !qrecord_number(c->value, INT64_MAX, &n)) {
		strbuf_puts(err, err->len ? "" : "missing or bad arrival line");
		return false;
	}
	rec->arrival = (int64_t)n;
	return true;
}

/* qrecord_text - a heap copy of value[0..n) */
static char *
qrecord_text(const char *value, size_t n)
{
	return xstrndup(value, n);
}

/*
 * qrecord_envelope_line - check the next envelope line against the
 * grammar and store it in rec; *done at "message N"
 */
static bool
qrecord_envelope_line(struct qrecord_cursor *c, struct qrecord *rec,
    uint64_t *message_len, bool *done, struct strbuf *err)
{
	size_t room = (size_t)(c->end - c->p), vlen;
	const char *nl = memchr(c->p, '\n', room < QRECORD_LINE_MAX ? room :
	    QRECORD_LINE_MAX), *v, *why;
	enum qgrammar_key key;
	unsigned bits;

	free(c->value);
	c->value = NULL;
	if (nl == NULL) {
		strbuf_puts(err, "truncated or over-long envelope line");
		return false;
	}
	key = qgrammar_line(&c->grammar, c->p, (size_t)(nl - c->p), SIZE_MAX,
	    &v, &vlen, message_len, &why);
	if (key == QG_BAD) {
		strbuf_printf(err, "envelope: %s", why);
		return false;
	}
	c->p = nl + 1;
	switch (key) {
	case QG_SENDER:
		rec->sender = qrecord_text(v + 1, vlen - 2);
		break;
	case QG_RCPT:
		rec->rcpts = xreallocarray(rec->rcpts, rec->nrcpts + 1,
		    sizeof(*rec->rcpts));
		rec->rcpts[rec->nrcpts].address = qrecord_text(v + 1, vlen - 2);
		rec->rcpts[rec->nrcpts].notify = 0;
		rec->rcpts[rec->nrcpts++].orcpt = NULL;
		break;
	case QG_NOTIFY:
		c->value = qrecord_text(v, vlen);
		rec->rcpts[rec->nrcpts - 1].notify =
		    dsn_notify_parse(c->value, &bits) ? bits : 0;
		break;
	case QG_ORCPT:
		rec->rcpts[rec->nrcpts - 1].orcpt = qrecord_text(v, vlen);
		break;
	case QG_RET:
		c->value = qrecord_text(v, vlen);
		(void)dsn_ret_parse(c->value, &rec->ret);
		break;
	case QG_ENVID:
		rec->envid = qrecord_text(v, vlen);
		break;
	case QG_BODY:
		rec->body = qrecord_text(v, vlen);
		break;
	case QG_SMTPUTF8:
		rec->smtputf8 = true;
		break;
	case QG_REPORT:
		rec->report = true;
		break;
	case QG_MESSAGE:
		*done = true;
		break;
	case QG_BAD:
		break;
	}
	return true;
}

bool
qrecord_decode(const char *buf, size_t len, bool trusted_part,
    struct qrecord *rec, struct strbuf *err)
{
	struct qrecord_cursor c = { buf, buf + len, "", NULL, QGRAMMAR_INIT };
	uint64_t message_len = 0;
	bool done = false, ok = true;

	memset(rec, 0, sizeof(*rec));
	rec->uid = -1;
	if (trusted_part)
		ok = qrecord_trusted(&c, rec, err);
	while (ok && !done)
		ok = qrecord_envelope_line(&c, rec, &message_len, &done, err);
	free(c.value);
	if (ok && (rec->sender == NULL || rec->nrcpts == 0)) {
		strbuf_puts(err, "envelope lacks a sender or recipients");
		ok = false;
	}
	if (!ok) {
		qrecord_free(rec);
		return false;
	}
	if (message_len > (uint64_t)(c.end - c.p) ||
	    (size_t)(c.end - c.p) - message_len != 4 ||
	    memcmp(c.p + message_len, "end\n", 4) != 0) {
		strbuf_puts(err, "message length does not match, or the end marker is missing");
		qrecord_free(rec);
		return false;
	}
	rec->message = c.p;
	rec->message_len = (size_t)message_len;
	return true;
}

void
qrecord_free(struct qrecord *rec)
{
	for (size_t i = 0; i < rec->nrcpts; i++) {
		free(rec->rcpts[i].address);
		free(rec->rcpts[i].orcpt);
	}
	free(rec->rcpts);
	free(rec->login);
	free(rec->sender);
	free(rec->envid);
	free(rec->body);
	memset(rec, 0, sizeof(*rec));
	rec->uid = -1;
}
