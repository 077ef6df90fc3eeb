/*
 * smtp_reply.c - SMTP reply and EHLO capability parsing.
 *
 * Contract: see smtp_reply.h. Input is untrusted server output: every
 * length is checked against the limits before it is stored, text is kept
 * in a strbuf, and nothing here allocates without bound. Errors are
 * returned as enum smtp_reply_status; this module never logs.
 */
#include "config.h"

#include <string.h>

#include "smtp_reply.h"

static const struct smtp_reply_limits smtp_reply_default_limits;

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->lines);
}

void
smtp_reply_free(struct smtp_reply *r)
{
	strbuf_free(&r->lines);
	smtp_reply_init(r);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	strbuf_reset(&r->lines);
	r->code = 0;
	r->enh[0] = '\0';
	r->nlines = 0;
	r->complete = false;
}

static size_t
smtp_reply_limit(size_t value, size_t fallback)
{
	return value ? value : fallback;
}

static bool
smtp_reply_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* smtp_reply_code - the three-digit code at the start of line, or -1 */
static int
smtp_reply_code(const char *line, size_t len)
{
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' || !smtp_reply_isdigit(line[2]))
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* smtp_reply_digits - length of a run of 1..max digits at s, 0 if none */
static size_t
smtp_reply_digits(const char *s, size_t len, size_t max)
{
	size_t n = 0;

	while (n < len && n <= max && smtp_reply_isdigit(s[n]))
		n++;
	return n >= 1 && n <= max ? n : 0;
}

/*
 * smtp_reply_enhanced - length of an RFC 3463 status "c.sss.ddd" at the
 * start of text whose class digit matches the reply code; 0 when absent.
 */
static size_t
smtp_reply_enhanced(const char *text, size_t len, int code)
{
	size_t a, b;

	if (len < 5 || text[0] != (char)('0' + code / 100) || text[1] != '.')
		return 0;
	a = smtp_reply_digits(text + 2, len - 2, 3);
	if (a == 0 || 2 + a >= len || text[2 + a] != '.')
		return 0;
	b = smtp_reply_digits(text + 3 + a, len - 3 - a, 3);
	if (b == 0)
		return 0;
	if (3 + a + b < len && text[3 + a + b] != ' ')
		return 0;
	return 3 + a + b;
}

/* smtp_reply_first - take code and enhanced status from the first line */
static void
smtp_reply_first(struct smtp_reply *r, int code, const char *text, size_t len)
{
	size_t n;

	r->code = code;
	n = smtp_reply_enhanced(text, len, code);
	if (n > 0 && n < sizeof(r->enh)) {
		memcpy(r->enh, text, n);
		r->enh[n] = '\0';
	}
}

enum smtp_reply_status
smtp_reply_feed(struct smtp_reply *r, const struct smtp_reply_limits *lim,
    const char *line, size_t len)
{
	const char *text;
	size_t tlen;
	int code;

	if (lim == NULL)
		lim = &smtp_reply_default_limits;
	if (r->complete)
		smtp_reply_reset(r);
	if (len > smtp_reply_limit(lim->max_line, SMTP_REPLY_MAX_LINE))
		return SMTP_REPLY_ETOOLONG;
	code = smtp_reply_code(line, len);
	if (code < 0)
		return SMTP_REPLY_ESYNTAX;
	if (r->nlines > 0 && code != r->code)
		return SMTP_REPLY_EMISMATCH;
	text = len > 4 ? line + 4 : "";
	tlen = len > 4 ? len - 4 : 0;
	if (r->nlines + 1 > smtp_reply_limit(lim->max_lines, SMTP_REPLY_MAX_LINES) ||
	    r->lines.len + tlen + 1 >
	    smtp_reply_limit(lim->max_text, SMTP_REPLY_MAX_TEXT))
		return SMTP_REPLY_ETOOLONG;
	if (r->nlines == 0)
		smtp_reply_first(r, code, text, tlen);
	else
		strbuf_putc(&r->lines, '\n');
	strbuf_append(&r->lines, text, tlen);
	r->nlines++;
	if (len > 3 && line[3] == '-')
		return SMTP_REPLY_MORE;
	r->complete = true;
	return SMTP_REPLY_DONE;
}

const char *
smtp_reply_status_name(enum smtp_reply_status st)
{
	switch (st) {
	case SMTP_REPLY_MORE:
		return "incomplete reply";
	case SMTP_REPLY_DONE:
		return "complete reply";
	case SMTP_REPLY_ESYNTAX:
		return "malformed reply line";
	case SMTP_REPLY_EMISMATCH:
		return "reply code changes within a multi-line reply";
	case SMTP_REPLY_ETOOLONG:
		return "reply exceeds the length limit";
	}
	return "unknown reply status";
}

const char *
smtp_reply_line(const struct smtp_reply *r, size_t i, size_t *len)
{
	const char *p, *end, *nl;

	if (i >= r->nlines)
		return NULL;
	p = strbuf_cstr(&r->lines);
	end = p + r->lines.len;
	for (; i > 0; i--)
		p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

/* smtp_reply_put_clean - append text with control bytes replaced by '?' */
static void
smtp_reply_put_clean(struct strbuf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		strbuf_putc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
}

void
smtp_reply_format(const struct smtp_reply *r, struct strbuf *out)
{
	const char *line;
	size_t i, len, skip;

	strbuf_printf(out, "%03d", r->code);
	for (i = 0; i < r->nlines; i++) {
		line = smtp_reply_line(r, i, &len);
		/* Repeated enhanced codes on continuation lines add nothing. */
		skip = i > 0 ? smtp_reply_enhanced(line, len, r->code) : 0;
		if (skip > 0 && skip == strlen(r->enh) &&
		    memcmp(line, r->enh, skip) == 0) {
			line += skip;
			len -= skip;
			while (len > 0 && *line == ' ') {
				line++;
				len--;
			}
		}
		strbuf_puts(out, i == 0 ? " " : "; ");
		smtp_reply_put_clean(out, line, len);
	}
}

static const struct {
	const char *name;
	unsigned bit;
} smtp_reply_mechs[] = {
	{ "PLAIN", SMTP_AUTH_PLAIN },
	{ "LOGIN", SMTP_AUTH_LOGIN },
	{ "CRAM-MD5", SMTP_AUTH_CRAM_MD5 },
	{ "XOAUTH2", SMTP_AUTH_XOAUTH2 },
	{ "OAUTHBEARER", SMTP_AUTH_OAUTHBEARER },
};

static const struct {
	const char *name;
	unsigned flag;
} smtp_reply_keywords[] = {
	{ "PIPELINING", SMTP_CAP_PIPELINING },
	{ "SIZE", SMTP_CAP_SIZE },
	{ "8BITMIME", SMTP_CAP_8BITMIME },
	{ "SMTPUTF8", SMTP_CAP_SMTPUTF8 },
	{ "DSN", SMTP_CAP_DSN },
	{ "STARTTLS", SMTP_CAP_STARTTLS },
	{ "AUTH", SMTP_CAP_AUTH },
	{ "AUTH=", SMTP_CAP_AUTH },
	{ "ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCED },
	{ "CHUNKING", SMTP_CAP_CHUNKING },
};

#define SMTP_REPLY_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* smtp_reply_word_eq - case-insensitive compare of a counted word */
static bool
smtp_reply_word_eq(const char *w, size_t len, const char *name)
{
	size_t i;

	if (strlen(name) != len)
		return false;
	for (i = 0; i < len; i++) {
		char a = w[i], b = name[i];

		if (a >= 'a' && a <= 'z')
			a = (char)(a - 'a' + 'A');
		if (a != b)
			return false;
	}
	return true;
}

const char *
smtp_reply_auth_name(unsigned mech)
{
	size_t i;

	for (i = 0; i < SMTP_REPLY_NELEM(smtp_reply_mechs); i++)
		if (smtp_reply_mechs[i].bit == mech)
			return smtp_reply_mechs[i].name;
	return "unknown";
}

unsigned
smtp_reply_auth_bit(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < SMTP_REPLY_NELEM(smtp_reply_mechs); i++)
		if (smtp_reply_word_eq(name, len, smtp_reply_mechs[i].name))
			return smtp_reply_mechs[i].bit;
	return 0;
}

/* smtp_reply_word - next space-separated word in [*p, end); length or 0 */
static size_t
smtp_reply_word(const char **p, const char *end)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*p = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	return (size_t)(s - *p);
}

/* smtp_reply_size_arg - parse a SIZE argument; 0 when absent or malformed */
static uint64_t
smtp_reply_size_arg(const char *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return 0;
	for (i = 0; i < len; i++) {
		if (!smtp_reply_isdigit(s[i]))
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* smtp_reply_caps_line - interpret one EHLO keyword line */
static void
smtp_reply_caps_line(struct smtp_caps *caps, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *kw;
	size_t klen, i, alen;

	klen = smtp_reply_word(&p, end);
	kw = p;
	p += klen;
	/* "AUTH=PLAIN LOGIN" is the pre-standard spelling of AUTH. */
	if (klen > 5 && smtp_reply_word_eq(kw, 5, "AUTH=")) {
		p = kw + 5;
		klen = 5;
	}
	for (i = 0; i < SMTP_REPLY_NELEM(smtp_reply_keywords); i++)
		if (smtp_reply_word_eq(kw, klen, smtp_reply_keywords[i].name))
			caps->flags |= smtp_reply_keywords[i].flag;
	if (smtp_reply_word_eq(kw, klen, "SIZE")) {
		alen = smtp_reply_word(&p, end);
		caps->size_limit = smtp_reply_size_arg(p, alen);
	} else if (smtp_reply_word_eq(kw, klen, "AUTH") ||
	    smtp_reply_word_eq(kw, klen, "AUTH=")) {
		while ((alen = smtp_reply_word(&p, end)) > 0) {
			caps->auth |= smtp_reply_auth_bit(p, alen);
			p += alen;
		}
	}
}

void
smtp_reply_caps(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *line;
	size_t i, len;

	memset(caps, 0, sizeof(*caps));
	for (i = 1; i < r->nlines; i++) {
		line = smtp_reply_line(r, i, &len);
		smtp_reply_caps_line(caps, line, len);
	}
}
