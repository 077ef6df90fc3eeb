/*
 * qstate.c - encode and decode queue/QID.state, and the retry backoff.
 * See qstate.h for the format. The decoder trusts nothing: the file is
 * the worker's own, but a crash, a full disk or an administrator's
 * editor may have left anything there.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qstate.h"
#include "xalloc.h"

static const char *const qstate_kinds[] = { "mail", "bounce", "double-bounce" };
static const char *const qstate_statuses[] = { "pending", "sent", "bounced" };

void
qstate_init(struct qstate *st, size_t nrcpts)
{
	memset(st, 0, sizeof(*st));
	st->kind = QSTATE_MAIL;
	st->nrcpts = nrcpts;
	st->rcpts = xcalloc(nrcpts ? nrcpts : 1, sizeof(*st->rcpts));
}

void
qstate_free(struct qstate *st)
{
	if (st->rcpts)
		for (size_t i = 0; i < st->nrcpts; i++)
			free(st->rcpts[i].text);
	free(st->rcpts);
	free(st->relay);
	free(st->reason);
	memset(st, 0, sizeof(*st));
}

void
qstate_set_text(char **slot, const char *text)
{
	free(*slot);
	*slot = NULL;
	if (!text)
		return;
	*slot = xstrdup(text);
	for (char *p = *slot; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

const char *
qstate_kind_name(enum qstate_kind kind)
{
	return qstate_kinds[kind];
}

const char *
qstate_status_name(enum qstate_rcpt_status status)
{
	return qstate_statuses[status];
}

size_t
qstate_pending(const struct qstate *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->nrcpts; i++)
		n += st->rcpts[i].status == QSTATE_PENDING;
	return n;
}

void
qstate_encode(const struct qstate *st, struct strbuf *out)
{
	strbuf_printf(out, "%s\nkind %s\nattempts %u\nlast %" PRId64
	    "\nnext %" PRId64 "\nhold %s\nwarned %s\n", QSTATE_MAGIC,
	    qstate_kinds[st->kind], st->attempts, st->last_attempt,
	    st->next_attempt, st->hold ? "yes" : "no", st->warned ? "yes" : "no");
	if (st->relay)
		strbuf_printf(out, "relay %s\n", st->relay);
	if (st->reason)
		strbuf_printf(out, "reason %s\n", st->reason);
	for (size_t i = 0; i < st->nrcpts; i++) {
		strbuf_printf(out, "rcpt %zu %s", i,
		    qstate_statuses[st->rcpts[i].status]);
		if (st->rcpts[i].text)
			strbuf_printf(out, " %s", st->rcpts[i].text);
		strbuf_putc(out, '\n');
	}
}

/* qstate_lookup - index of word in names[], or -1 */
static int
qstate_lookup(const char *word, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	return -1;
}

/* qstate_number - parse a whole decimal number within [0, max] */
static bool
qstate_number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* canonical form only: one way to write each number */
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool
qstate_bool(const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* qstate_rcpt_line - "IDX STATUS[ TEXT]"; recipients must come in order */
static bool
qstate_rcpt_line(struct qstate *st, char *val, size_t *seen)
{
	char *sp = strchr(val, ' '), *text = NULL;
	uint64_t idx;
	int status;

	if (!sp)
		return false;
	*sp++ = '\0';
	if (!qstate_number(val, SIZE_MAX, &idx) || idx != *seen ||
	    idx >= st->nrcpts)
		return false;
	text = strchr(sp, ' ');
	if (text)
		*text++ = '\0';
	status = qstate_lookup(sp, qstate_statuses, 3);
	if (status < 0)
		return false;
	st->rcpts[idx].status = (enum qstate_rcpt_status)status;
	qstate_set_text(&st->rcpts[idx].text, text);
	(*seen)++;
	return true;
}

/* qstate_line - apply one "key value" line; false if it is not valid */
static bool
qstate_line(struct qstate *st, char *line, size_t *seen)
{
	char *val = strchr(line, ' ');
	uint64_t n;
	int k;

	if (!val)
		return false;
	*val++ = '\0';
	if (strcmp(line, "rcpt") == 0)
		return qstate_rcpt_line(st, val, seen);
	if (strcmp(line, "kind") == 0) {
		if ((k = qstate_lookup(val, qstate_kinds, 3)) < 0)
			return false;
		st->kind = (enum qstate_kind)k;
	} else if (strcmp(line, "attempts") == 0) {
		if (!qstate_number(val, UINT32_MAX, &n))
			return false;
		st->attempts = (unsigned)n;
	} else if (strcmp(line, "last") == 0) {
		if (!qstate_number(val, INT64_MAX, &n))
			return false;
		st->last_attempt = (int64_t)n;
	} else if (strcmp(line, "next") == 0) {
		if (!qstate_number(val, INT64_MAX, &n))
			return false;
		st->next_attempt = (int64_t)n;
	} else if (strcmp(line, "hold") == 0) {
		return qstate_bool(val, &st->hold);
	} else if (strcmp(line, "warned") == 0) {
		return qstate_bool(val, &st->warned);
	} else if (strcmp(line, "relay") == 0) {
		qstate_set_text(&st->relay, val);
	} else if (strcmp(line, "reason") == 0) {
		qstate_set_text(&st->reason, val);
	} else {
		return false;
	}
	return true;
}

bool
qstate_decode(const char *buf, size_t len, size_t nrcpts, struct qstate *st,
    struct strbuf *err)
{
	struct strbuf line = STRBUF_INIT;
	size_t pos = 0, lineno = 0, seen = 0;
	bool ok = true;

	qstate_init(st, nrcpts);
	if (memchr(buf, '\0', len)) {
		strbuf_puts(err, "NUL byte in state file");
		ok = false;
	}
	while (ok && pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		if (!nl) {
			strbuf_puts(err, "state file truncated (no final newline)");
			ok = false;
			break;
		}
		strbuf_reset(&line);
		strbuf_append(&line, buf + pos, (size_t)(nl - (buf + pos)));
		pos = (size_t)(nl - buf) + 1;
		lineno++;
		if (lineno == 1) {
			if (strcmp(line.data ? line.data : "", QSTATE_MAGIC) != 0) {
				strbuf_puts(err, "not a postern state file");
				ok = false;
			}
			continue;
		}
		if (!qstate_line(st, line.data, &seen)) {
			strbuf_printf(err, "state line %zu is not valid", lineno);
			ok = false;
		}
	}
	if (ok && lineno == 0) {
		strbuf_puts(err, "empty state file");
		ok = false;
	}
	if (ok && seen != nrcpts) {
		strbuf_printf(err, "state file has %zu recipients, queue file %zu",
		    seen, nrcpts);
		ok = false;
	}
	strbuf_free(&line);
	if (!ok)
		qstate_free(st);
	return ok;
}

uint64_t
qstate_backoff_ms(unsigned attempts, uint64_t min_ms, uint64_t max_ms,
    uint32_t jitter)
{
	uint64_t base = min_ms, spread, lo;

	if (max_ms < min_ms)
		max_ms = min_ms;
	for (unsigned i = 1; i < attempts && base < max_ms; i++)
		base = base > max_ms / 2 ? max_ms : base * 2;
	if (base > max_ms)
		base = max_ms;
	/* base * [0.75, 1.25): spread is half of base, offset by a quarter */
	spread = base / 2;
	lo = base - base / 4;
	base = lo + (uint64_t)((double)spread * ((double)jitter / 4294967296.0));
	if (base < min_ms)
		base = min_ms;
	if (base > max_ms)
		base = max_ms;
	return base;
}
