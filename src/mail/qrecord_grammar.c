/*
 * qrecord_grammar.c - the envelope lines of a queue record, checked line
 * by line (qrecord_grammar.h). No allocation: the set-gid writer runs it.
 */
#include "config.h"

#include <string.h>

#include "dsn_param.h"
#include "qrecord.h"
#include "qrecord_grammar.h"

#define QG_PATH_MAX	998	/* bytes of one path, as ADDR_SPEC_MAX */
#define QG_ORCPT_MAX	500	/* RFC 3461: ORCPT up to 500 characters */

/* The keys, each with its group in the one order the record allows. */
static const struct {
	const char *name;
	enum qgrammar_key key;
	int stage;
} qg_keys[] = {
	{ "sender", QG_SENDER, 0 },
	{ "rcpt", QG_RCPT, 1 }, { "notify", QG_NOTIFY, 1 }, { "orcpt", QG_ORCPT, 1 },
	{ "ret", QG_RET, 2 }, { "envid", QG_ENVID, 3 }, { "body", QG_BODY, 4 },
	{ "smtputf8", QG_SMTPUTF8, 5 }, { "report", QG_REPORT, 6 },
	{ "message", QG_MESSAGE, 7 },
};

/* qg_utf8_len - length of the well-formed UTF-8 sequence at s, or 0 */
static size_t
qg_utf8_len(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* no overlong forms, surrogates or code points above U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* qg_atext - RFC 5322 atext (ASCII part) */
static bool
qg_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* qg_local - Dot-string or Quoted-string; *used is its length */
static const char *
qg_local(const unsigned char *s, size_t len, size_t *used)
{
	size_t i = 0, u;

	if (len > 0 && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\') {
				if (++i >= len || s[i] < 0x20 || s[i] > 0x7e)
					return "bad quoted pair in a local part";
			} else if (s[i] >= 0x80) {
				if ((u = qg_utf8_len(s + i, len - i)) == 0)
					return "malformed UTF-8 in a local part";
				i += u - 1;
			} else if (s[i] < 0x20 || s[i] > 0x7e) {
				return "control character in a quoted local part";
			}
		}
		if (i >= len)
			return "unterminated quoted local part";
		*used = i + 1;
		return NULL;
	}
	for (bool atom_start = true; i < len && s[i] != '@'; i++) {
		if (s[i] == '.') {
			if (atom_start)
				return "empty atom in a local part";
			atom_start = true;
			continue;
		}
		if (s[i] >= 0x80) {
			if ((u = qg_utf8_len(s + i, len - i)) == 0)
				return "malformed UTF-8 in a local part";
			i += u - 1;
		} else if (!qg_atext(s[i])) {
			return "a local part holds a character outside an atom "
			    "(space, angle bracket, comma or control)";
		}
		atom_start = false;
	}
	if (i == 0 || s[i - 1] == '.')
		return "empty local part or trailing dot";
	*used = i;
	return NULL;
}

/* qg_domain - sub-domain *("." sub-domain), or an address literal */
static const char *
qg_domain(const unsigned char *s, size_t len)
{
	size_t label = 0, u;

	if (len > 0 && s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return "unterminated address literal";
		for (size_t i = 1; i < len - 1; i++)
			if (s[i] < 33 || s[i] > 126 || s[i] == '[' || s[i] == ']' ||
			    s[i] == '\\')
				return "bad character in an address literal";
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return "empty domain label, or one ending in '-'";
			label = 0;
			continue;
		}
		if (s[i] >= 0x80) {
			if ((u = qg_utf8_len(s + i, len - i)) == 0)
				return "malformed UTF-8 in a domain";
			i += u - 1;
		} else if (s[i] == '-' && label == 0) {
			return "a domain label starts with '-'";
		} else if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')) {
			return "a domain holds a character other than letters, "
			    "digits, '-', '_' and '.'";
		}
		label++;
	}
	if (label == 0 || s[len - 1] == '-')
		return "empty domain, or a label ending in '-'";
	return NULL;
}

const char *
qgrammar_path(const char *text, size_t len, bool null_ok)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t local = 0;
	const char *why;

	if (len == 0)
		return null_ok ? NULL : "empty address";
	if (len > QG_PATH_MAX)
		return "address too long";
	if (s[0] == '-')
		return "address starts with '-'";
	if ((why = qg_local(s, len, &local)) != NULL)
		return why;
	if (local >= len || s[local] != '@')
		return "address has no domain (expected local@domain)";
	return qg_domain(s + local + 1, len - local - 1);
}

/* qg_bracketed - "<path>" and nothing else */
static const char *
qg_bracketed(const char *v, size_t n, bool null_ok)
{
	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return "address is not one path in angle brackets";
	return qgrammar_path(v + 1, n - 2, null_ok);
}

/* qg_hex - an upper-case hex digit, as xtext writes them */
static bool
qg_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* qg_orcpt - "addr-type;xtext" (RFC 3461 section 4.2) */
static const char *
qg_orcpt(const char *v, size_t n)
{
	size_t i = 0;

	if (n > QG_ORCPT_MAX)
		return "orcpt too long";
	while (i < n && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
	    (v[i] >= '0' && v[i] <= '9') || (v[i] == '-' && i > 0)))
		i++;
	if (i == 0 || i >= n || v[i] != ';' || ++i == n)
		return "orcpt is not addr-type;xtext";
	for (; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '+') {
			if (i + 2 >= n || !qg_hex(v[i + 1]) || !qg_hex(v[i + 2]))
				return "bad xtext escape in orcpt";
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return "orcpt holds a character xtext does not allow";
		}
	}
	return NULL;
}

/* qg_number - canonical decimal (no sign, no leading zero) up to max */
static bool
qg_number(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20 || (v[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(v[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (x > max)
		return false;
	*out = x;
	return true;
}

/* qg_equals - v[0..n) is exactly word */
static bool
qg_equals(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(v, word, n) == 0;
}

/* qg_value - check the value for its key; NULL or a reason */
static const char *
qg_value(struct qgrammar *g, enum qgrammar_key key, const char *v, size_t n,
    uint64_t max_message, uint64_t *message_len)
{
	char text[DSN_NOTIFY_TEXT_MAX + 1], canonical[DSN_NOTIFY_TEXT_MAX];
	unsigned bits;

	switch (key) {
	case QG_SENDER:
		return qg_bracketed(v, n, true);
	case QG_RCPT:
		if (g->nrcpts >= QRECORD_RCPT_MAX)
			return "more than 10000 recipients";
		return qg_bracketed(v, n, false);
	case QG_NOTIFY:
		if (n >= sizeof(text))
			return "bad notify value";
		memcpy(text, v, n);
		text[n] = '\0';
		if (!dsn_notify_parse(text, &bits))
			return "bad notify value";
		dsn_notify_format(bits, canonical, sizeof(canonical));
		return strcmp(canonical, text) == 0 ? NULL :
		    "notify value not in its canonical spelling";
	case QG_ORCPT:
		return qg_orcpt(v, n);
	case QG_RET:
		return qg_equals(v, n, "FULL") || qg_equals(v, n, "HDRS") ? NULL :
		    "ret is neither FULL nor HDRS";
	case QG_ENVID: {
		char envid[128];

		if (n >= sizeof(envid))
			return "envid too long";
		memcpy(envid, v, n);
		envid[n] = '\0';
		return dsn_envid_valid(envid) ? NULL :
		    "envid is not 1 to 100 printable characters";
	}
	case QG_BODY:
		return qg_equals(v, n, "7BIT") || qg_equals(v, n, "8BITMIME") ? NULL :
		    "body is neither 7BIT nor 8BITMIME";
	case QG_SMTPUTF8:
	case QG_REPORT:
		return qg_equals(v, n, "yes") ? NULL : "flag value is not \"yes\"";
	case QG_MESSAGE:
		if (!qg_number(v, n, UINT64_MAX, message_len))
			return "message length is not a plain decimal number";
		return *message_len <= max_message ? NULL :
		    "message larger than the queue accepts";
	case QG_BAD:
		break;
	}
	return "unknown key";
}

/* qg_order - whether key may come now; updates the state */
static const char *
qg_order(struct qgrammar *g, enum qgrammar_key key, int stage)
{
	if (stage < g->stage || (stage == g->stage && stage != 1))
		return stage == g->stage ? "duplicate line" : "line out of order";
	if (stage == 1 && key != QG_RCPT) {
		if (g->stage != 1)
			return "notify or orcpt before any rcpt";
		if (key == QG_NOTIFY && (g->notify_seen || g->orcpt_seen))
			return "notify twice, or after orcpt, for one recipient";
		if (key == QG_ORCPT && g->orcpt_seen)
			return "orcpt twice for one recipient";
	}
	if (stage > 0 && g->stage < 0)
		return "the envelope must start with the sender";
	if (stage > 1 && g->nrcpts == 0)
		return "the sender must be followed by a recipient";
	return NULL;
}

enum qgrammar_key
qgrammar_line(struct qgrammar *g, const char *line, size_t len,
    uint64_t max_message, const char **value, size_t *value_len,
    uint64_t *message_len, const char **why)
{
	const char *sp = memchr(line, ' ', len);
	size_t keylen = sp ? (size_t)(sp - line) : len, i, n;
	const char *v;

	if (len + 1 > QRECORD_LINE_MAX) {
		*why = "envelope line too long";
		return QG_BAD;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
			*why = "control character in an envelope line";
			return QG_BAD;
		}
	for (i = 0; i < sizeof(qg_keys) / sizeof(qg_keys[0]); i++)
		if (strlen(qg_keys[i].name) == keylen &&
		    memcmp(qg_keys[i].name, line, keylen) == 0)
			break;
	if (i == sizeof(qg_keys) / sizeof(qg_keys[0]) || sp == NULL) {
		*why = "unknown key, or a key without a value";
		return QG_BAD;
	}
	v = sp + 1;
	n = len - keylen - 1;
	if ((*why = qg_order(g, qg_keys[i].key, qg_keys[i].stage)) != NULL ||
	    (*why = qg_value(g, qg_keys[i].key, v, n, max_message,
	    message_len)) != NULL)
		return QG_BAD;
	switch (qg_keys[i].key) {
	case QG_RCPT:
		g->nrcpts++;
		g->notify_seen = g->orcpt_seen = false;
		break;
	case QG_NOTIFY:
		g->notify_seen = true;
		break;
	case QG_ORCPT:
		g->orcpt_seen = true;
		break;
	default:
		break;
	}
	g->stage = qg_keys[i].stage;
	*value = v;
	*value_len = n;
	return qg_keys[i].key;
}
