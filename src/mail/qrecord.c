/*
 * qrecord.c - encode and strictly decode queue files (see qrecord.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qrecord.h"
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

/* qrecord_put - append "key value\n" if value is set and safe */
static bool
qrecord_put(struct strbuf *out, const char *key, const char *value,
    struct strbuf *err)
{
	if (value == NULL)
		return true;
	if (!qrecord_line_safe(value) || strlen(key) + strlen(value) + 2 > QRECORD_LINE_MAX) {
		strbuf_printf(err, "%s value is too long or holds a control character", key);
		return false;
	}
	strbuf_printf(out, "%s %s\n", key, value);
	return true;
}

/* qrecord_put_address - append "key <address>\n" */
static bool
qrecord_put_address(struct strbuf *out, const char *key, const char *address,
    struct strbuf *err)
{
	struct strbuf bracketed = STRBUF_INIT;
	bool ok;

	strbuf_printf(&bracketed, "<%s>", address);
	ok = qrecord_put(out, key, bracketed.data, err);
	strbuf_free(&bracketed);
	return ok;
}

bool
qrecord_encode_envelope(const struct qrecord *rec, const char *message,
    size_t message_len, struct strbuf *out, struct strbuf *err)
{
	bool ok;
	char notify[DSN_NOTIFY_TEXT_MAX];

	if (rec->nrcpts == 0 || rec->nrcpts > QRECORD_RCPT_MAX) {
		strbuf_printf(err, rec->nrcpts ? "more than %d recipients in one "
		    "message" : "no recipients", QRECORD_RCPT_MAX);
		return false;
	}
	ok = qrecord_put_address(out, "sender", rec->sender, err);

	for (size_t i = 0; ok && i < rec->nrcpts; i++) {
		dsn_notify_format(rec->rcpts[i].notify, notify, sizeof(notify));
		ok = qrecord_put_address(out, "rcpt", rec->rcpts[i].address, err) &&
		    qrecord_put(out, "notify", notify[0] ? notify : NULL, err) &&
		    qrecord_put(out, "orcpt", rec->rcpts[i].orcpt, err);
	}
	if (ok && rec->envid && !dsn_envid_valid(rec->envid)) {
		strbuf_puts(err, "the DSN envelope ID is not 1 to 100 printable "
		    "characters");
		ok = false;
	}
	ok = ok && qrecord_put(out, "ret", dsn_ret_name(rec->ret), err) &&
	    qrecord_put(out, "envid", rec->envid, err) &&
	    qrecord_put(out, "body", rec->body, err) &&
	    qrecord_put(out, "smtputf8", rec->smtputf8 ? "yes" : NULL, err) &&
	    qrecord_put(out, "report", rec->report ? "yes" : NULL, err);
	if (!ok)
		return false;
	strbuf_printf(out, "message %zu\n", message_len);
	strbuf_append(out, message, message_len);
	strbuf_puts(out, "end\n");
	return true;
}

/* Decoder state: a cursor over the buffer. */
struct qrecord_cursor {
	const char *p;
	const char *end;
	char key[16];
	char *value;		/* heap copy of the current line's value */
	int stage;		/* qrecord_order index of the last key seen */
};

/*
 * The one order the encoder writes, which the decoder insists on so that
 * every valid file has a single form: sender, the recipients (each with
 * its notify and orcpt), then ret, envid, body, smtputf8, report and
 * message.
 */
static const char *const qrecord_order[] = {
	"sender", "rcpt", "ret", "envid", "body", "smtputf8", "report", "message",
};

/* qrecord_in_order - whether key may follow the keys seen so far */
static bool
qrecord_in_order(struct qrecord_cursor *c, const char *key, struct strbuf *err)
{
	int stage = 1;		/* notify and orcpt belong to the rcpt stage;
				   unknown keys are refused by the caller */

	for (int i = 0; i < (int)(sizeof(qrecord_order) / sizeof(qrecord_order[0])); i++)
		if (strcmp(key, qrecord_order[i]) == 0)
			stage = i;
	if (stage < c->stage) {
		strbuf_printf(err, "\"%s\" line out of order", key);
		return false;
	}
	if (stage > 1 && stage == c->stage) {
		strbuf_printf(err, "duplicate \"%s\" line", key);
		return false;
	}
	c->stage = stage;
	return true;
}

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

/* qrecord_take_address - strip the angle brackets of "<addr>" */
static char *
qrecord_take_address(const char *value, struct strbuf *err)
{
	size_t n = strlen(value);

	if (n < 2 || value[0] != '<' || value[n - 1] != '>') {
		strbuf_printf(err, "address \"%.100s\" is not in angle brackets", value);
		return NULL;
	}
	return xstrndup(value + 1, n - 2);
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

/* qrecord_once - store value into *slot unless it was already set */
static bool
qrecord_once(char **slot, const char *key, const char *value, struct strbuf *err)
{
	if (*slot != NULL) {
		strbuf_printf(err, "duplicate \"%s\" line", key);
		return false;
	}
	if (value[0] == '\0') {
		strbuf_printf(err, "empty \"%s\" line", key);
		return false;
	}
	*slot = xstrdup(value);
	return true;
}

/* qrecord_rcpt_param - notify/orcpt for the most recent recipient */
static bool
qrecord_rcpt_param(struct qrecord *rec, struct qrecord_cursor *c,
    struct strbuf *err)
{
	struct qrecord_rcpt *r;
	unsigned bits;
	char canonical[DSN_NOTIFY_TEXT_MAX];

	if (rec->nrcpts == 0) {
		strbuf_printf(err, "\"%s\" line before any rcpt", c->key);
		return false;
	}
	r = &rec->rcpts[rec->nrcpts - 1];
	if (strcmp(c->key, "orcpt") == 0)
		return qrecord_once(&r->orcpt, c->key, c->value, err);
	if (r->notify != 0 || r->orcpt != NULL) {
		strbuf_puts(err, r->notify ? "duplicate \"notify\" line" :
		    "\"notify\" line after \"orcpt\"");
		return false;
	}
	if (dsn_notify_parse(c->value, &bits))	/* one spelling per value */
		dsn_notify_format(bits, canonical, sizeof(canonical));
	if (bits == 0 || strcmp(canonical, c->value) != 0) {
		strbuf_printf(err, "bad \"notify\" value \"%s\"", c->value);
		return false;
	}
	r->notify = bits;
	return true;
}

/* qrecord_envelope_line - apply one envelope line; *done at "message" */
static bool
qrecord_envelope_line(struct qrecord_cursor *c, struct qrecord *rec,
    uint64_t *message_len, bool *done, struct strbuf *err)
{
	const char *k = c->key;
	char *addr;

	if (!qrecord_in_order(c, k, err))
		return false;
	if (strcmp(k, "sender") == 0 || strcmp(k, "rcpt") == 0) {
		if ((addr = qrecord_take_address(c->value, err)) == NULL)
			return false;
		if (k[0] == 's') {
			bool ok = rec->sender == NULL;

			free(rec->sender);
			rec->sender = addr;
			if (!ok)
				strbuf_puts(err, "duplicate \"sender\" line");
			return ok;
		}
		if (rec->nrcpts >= QRECORD_RCPT_MAX) {
			free(addr);
			strbuf_puts(err, "too many recipients");
			return false;
		}
		qrecord_add_rcpt(rec, addr, 0, NULL);
		free(addr);
		return true;
	}
	if (strcmp(k, "notify") == 0 || strcmp(k, "orcpt") == 0)
		return qrecord_rcpt_param(rec, c, err);
	if (strcmp(k, "ret") == 0 && rec->ret == DSN_RET_UNSET &&
	    dsn_ret_parse(c->value, &rec->ret)) {
		if (strcmp(dsn_ret_name(rec->ret), c->value) == 0)
			return true;	/* one spelling per value */
		rec->ret = DSN_RET_UNSET;
	}
	if (strcmp(k, "envid") == 0) {
		if (dsn_envid_valid(c->value))
			return qrecord_once(&rec->envid, k, c->value, err);
		strbuf_puts(err, "bad \"envid\" value");
		return false;
	}
	if (strcmp(k, "body") == 0 && (strcmp(c->value, "7BIT") == 0 ||
	    strcmp(c->value, "8BITMIME") == 0))
		return qrecord_once(&rec->body, k, c->value, err);
	if (strcmp(k, "report") == 0 && strcmp(c->value, "yes") == 0) {
		rec->report = true;
		return true;
	}
	if (strcmp(k, "smtputf8") == 0 && strcmp(c->value, "yes") == 0 &&
	    !rec->smtputf8) {
		rec->smtputf8 = true;
		return true;
	}
	if (strcmp(k, "message") == 0 && qrecord_number(c->value, SIZE_MAX, message_len)) {
		*done = true;
		return true;
	}
	strbuf_printf(err, "unexpected \"%s\" line", k);
	return false;
}

bool
qrecord_decode(const char *buf, size_t len, bool trusted_part,
    struct qrecord *rec, struct strbuf *err)
{
	struct qrecord_cursor c = { buf, buf + len, "", NULL, 0 };
	uint64_t message_len = 0;
	bool done = false, ok = true;

	memset(rec, 0, sizeof(*rec));
	rec->uid = -1;
	if (trusted_part)
		ok = qrecord_trusted(&c, rec, err);
	while (ok && !done)
		ok = qrecord_next_line(&c, err) &&
		    qrecord_envelope_line(&c, rec, &message_len, &done, err);
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
