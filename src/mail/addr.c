/*
 * addr.c - RFC 5322 address lists and envelope address checks.
 *
 * A small lexer turns the text into tokens (atoms, quoted strings, domain
 * literals and the specials . @ < > , ; :) and skips whitespace, folding
 * and comments, remembering the last comment so that the old
 * "a@x (Full Name)" form keeps its name. A recursive-descent parser with
 * one token of lookahead sits on top: a run of words is a display name
 * when '<' or ':' follows it, and a local part otherwise.
 *
 * The lexer refuses NUL bytes, line breaks that are not folding, control
 * characters, stray ')' ']' or backslashes, and unterminated quoted
 * strings, comments and domain literals. Obsolete but harmless forms (dots
 * in display names, CFWS around dots, routes, trailing commas, a group
 * without its ';' at the end of the text) are accepted. Every result is
 * checked against ADDR_SPEC_MAX and, when it holds non-ASCII, for UTF-8
 * well-formedness, so a spec never contains anything that could end an
 * SMTP command or a header line.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "xalloc.h"

enum tok_type {
	T_END, T_ATOM, T_QUOTED, T_LITERAL,
	T_DOT, T_AT, T_LT, T_GT, T_COMMA, T_SEMI, T_COLON,
};

struct tok {
	enum tok_type type;
	struct strbuf text;	/* atom, decoded quoted string, or "[literal]" */
	struct strbuf comment;	/* last comment before this token */
	bool space_before;	/* whitespace or a comment preceded it */
};

struct lex {
	const unsigned char *p;
	const unsigned char *end;
	struct tok tok;
	struct strbuf *err;
};

/* A run of words and dots: a display name or a local part. */
struct words {
	struct strbuf phrase;	/* display form: words joined by one space */
	struct strbuf local;	/* decoded local part */
	size_t count;
	bool adjacent;		/* two words without a dot between them */
	bool quoted;		/* a quoted string took part */
	bool last_word;
};

static enum addr_status parse_element(struct lex *, struct addr_list *, bool);

/* addr_error - store msg in err (if any) and return st */
static enum addr_status
addr_error(struct strbuf *err, enum addr_status st, const char *msg)
{
	if (err) {
		strbuf_reset(err);
		strbuf_puts(err, msg);
	}
	return st;
}

static bool
addr_is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* addr_is_atext - RFC 5322 atext, plus any non-ASCII byte (RFC 6532) */
static bool
addr_is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
addr_is_label_char(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* addr_is_literal_char - what an IPv4, IPv6 or tagged address literal needs */
static bool
addr_is_literal_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '-';
}

/* addr_is_dot_atom - true if s[0..n) needs no quoting as a local part */
static bool
addr_is_dot_atom(const char *s, size_t n)
{
	bool after_dot = true;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (after_dot)
				return false;
			after_dot = true;
		} else if (!addr_is_atext((unsigned char)s[i])) {
			return false;
		} else {
			after_dot = false;
		}
	}
	return !after_dot;
}

/* addr_utf8_valid - well-formed UTF-8: no overlongs, surrogates or > U+10FFFF */
static bool
addr_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 1, cp = s[i] & 0x1f, min = 0x80;
		else if ((s[i] & 0xf0) == 0xe0)
			k = 2, cp = s[i] & 0x0f, min = 0x800;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 3, cp = s[i] & 0x07, min = 0x10000;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* --- Lexer ---------------------------------------------------------------- */

static void
lex_init(struct lex *lx, const char *text, size_t len, struct strbuf *err)
{
	lx->p = (const unsigned char *)text;
	lx->end = lx->p + len;
	lx->tok.type = T_END;
	strbuf_init(&lx->tok.text);
	strbuf_init(&lx->tok.comment);
	lx->tok.space_before = false;
	lx->err = err;
}

static void
lex_free(struct lex *lx)
{
	strbuf_free(&lx->tok.text);
	strbuf_free(&lx->tok.comment);
}

static enum addr_status
lex_error(struct lex *lx, enum addr_status st, const char *msg)
{
	return addr_error(lx->err, st, msg);
}

/* lex_bad_byte - the error for a byte that may not appear where it is */
static enum addr_status
lex_bad_byte(struct lex *lx, unsigned char c)
{
	if (c == 0)
		return lex_error(lx, ADDR_E_UNSAFE, "address contains a NUL byte");
	if (c == '\r' || c == '\n')
		return lex_error(lx, ADDR_E_UNSAFE, "address contains a line break");
	if (addr_is_ctl(c))
		return lex_error(lx, ADDR_E_UNSAFE,
		    "address contains a control character");
	if (c == ')')
		return lex_error(lx, ADDR_E_SYNTAX, "unbalanced ')' in address");
	if (c == ']')
		return lex_error(lx, ADDR_E_SYNTAX, "unbalanced ']' in address");
	if (c == '\\')
		return lex_error(lx, ADDR_E_SYNTAX,
		    "backslash outside a quoted string");
	return lex_error(lx, ADDR_E_SYNTAX, "invalid character in address");
}

/*
 * lex_fold - at CR or LF, step over a folding line break (one followed by
 * whitespace, or one that ends the text); false for any other line break.
 */
static bool
lex_fold(struct lex *lx)
{
	const unsigned char *q = lx->p;

	if (*q == '\r') {
		if (q + 1 == lx->end || q[1] != '\n')
			return false;
		q++;
	}
	q++;
	if (q != lx->end && *q != ' ' && *q != '\t')
		return false;
	lx->p = q;
	return true;
}

/* lex_quoted_pair - append the byte after a backslash to sb */
static enum addr_status
lex_quoted_pair(struct lex *lx, struct strbuf *sb)
{
	unsigned char c;

	if (lx->end - lx->p < 2)
		return lex_error(lx, ADDR_E_SYNTAX, "backslash at end of address");
	c = lx->p[1];
	if (c == 0 || c == '\r' || c == '\n' || addr_is_ctl(c))
		return lex_bad_byte(lx, c);
	strbuf_putc(sb, (char)c);
	lx->p += 2;
	return ADDR_OK;
}

/*
 * lex_delimited - read from the opening byte at lx->p to the matching close,
 * decoding quoted pairs and folding into sb. Comments nest; quoted strings
 * do not. The outermost delimiters are not stored.
 */
static enum addr_status
lex_delimited(struct lex *lx, struct strbuf *sb, unsigned char open,
    unsigned char close, const char *unterminated)
{
	unsigned depth = 0;
	enum addr_status st;

	while (lx->p < lx->end) {
		unsigned char c = *lx->p;

		if (c == '\\' && depth > 0) {
			if ((st = lex_quoted_pair(lx, sb)) != ADDR_OK)
				return st;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (!lex_fold(lx))
				return lex_bad_byte(lx, c);
			continue;
		}
		if (c == 0 || addr_is_ctl(c))
			return lex_bad_byte(lx, c);
		lx->p++;
		if (c == close && depth > 0 && (open == close || depth == 1))
			return ADDR_OK;
		if (c == open && (depth == 0 || open != close)) {
			if (depth++ == 0)
				continue;
		} else if (c == close) {
			depth--;
		}
		strbuf_putc(sb, (char)c);
	}
	return lex_error(lx, ADDR_E_SYNTAX, unterminated);
}

/* lex_literal - a domain literal "[...]", kept with brackets, folding removed */
static enum addr_status
lex_literal(struct lex *lx)
{
	struct strbuf *sb = &lx->tok.text;

	strbuf_putc(sb, '[');
	lx->p++;
	while (lx->p < lx->end) {
		unsigned char c = *lx->p;

		if (c == '\r' || c == '\n') {
			if (!lex_fold(lx))
				return lex_bad_byte(lx, c);
			continue;
		}
		lx->p++;
		if (c == ']') {
			strbuf_putc(sb, ']');
			return ADDR_OK;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (c == 0 || addr_is_ctl(c))
			return lex_bad_byte(lx, c);
		if (!addr_is_literal_char(c))
			return lex_error(lx, ADDR_E_SYNTAX,
			    "invalid character in a domain literal");
		strbuf_putc(sb, (char)c);
	}
	return lex_error(lx, ADDR_E_SYNTAX, "unterminated domain literal");
}

/* lex_skip_cfws - skip whitespace, folding and comments before a token */
static enum addr_status
lex_skip_cfws(struct lex *lx)
{
	enum addr_status st;

	strbuf_reset(&lx->tok.comment);
	lx->tok.space_before = false;
	while (lx->p < lx->end) {
		unsigned char c = *lx->p;

		if (c == ' ' || c == '\t') {
			lx->p++;
		} else if (c == '\r' || c == '\n') {
			if (!lex_fold(lx))
				return lex_bad_byte(lx, c);
		} else if (c == '(') {
			strbuf_reset(&lx->tok.comment);
			st = lex_delimited(lx, &lx->tok.comment, '(', ')',
			    "unterminated comment in address");
			if (st != ADDR_OK)
				return st;
		} else {
			break;
		}
		lx->tok.space_before = true;
	}
	return ADDR_OK;
}

static bool
lex_special(struct lex *lx, unsigned char c)
{
	static const char chars[] = ".@<>,;:";
	static const enum tok_type types[] = {
		T_DOT, T_AT, T_LT, T_GT, T_COMMA, T_SEMI, T_COLON,
	};
	const char *hit = c ? strchr(chars, c) : NULL;

	if (!hit)
		return false;
	lx->tok.type = types[hit - chars];
	strbuf_putc(&lx->tok.text, (char)c);
	lx->p++;
	return true;
}

/* lex_next - advance to the next token */
static enum addr_status
lex_next(struct lex *lx)
{
	enum addr_status st;
	unsigned char c;

	if ((st = lex_skip_cfws(lx)) != ADDR_OK)
		return st;
	strbuf_reset(&lx->tok.text);
	lx->tok.type = T_END;
	if (lx->p == lx->end)
		return ADDR_OK;
	c = *lx->p;
	if (c == '"') {
		lx->tok.type = T_QUOTED;
		return lex_delimited(lx, &lx->tok.text, '"', '"',
		    "unterminated quoted string in address");
	}
	if (c == '[') {
		lx->tok.type = T_LITERAL;
		return lex_literal(lx);
	}
	if (lex_special(lx, c))
		return ADDR_OK;
	if (!addr_is_atext(c))
		return lex_bad_byte(lx, c);
	lx->tok.type = T_ATOM;
	while (lx->p < lx->end && addr_is_atext(*lx->p))
		strbuf_putc(&lx->tok.text, (char)*lx->p++);
	return ADDR_OK;
}

/* --- Building addresses ---------------------------------------------------- */

/* addr_put_local - append a local part, quoted only when it must be */
static void
addr_put_local(struct strbuf *out, const char *s, size_t n)
{
	if (addr_is_dot_atom(s, n)) {
		strbuf_append(out, s, n);
		return;
	}
	strbuf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			strbuf_putc(out, '\\');
		strbuf_putc(out, s[i]);
	}
	strbuf_putc(out, '"');
}

/* addr_check_spec - length and UTF-8 checks on a finished addr-spec */
static enum addr_status
addr_check_spec(const struct strbuf *spec, bool *utf8, struct strbuf *err)
{
	const unsigned char *s = (const unsigned char *)strbuf_cstr(spec);

	if (spec->len > ADDR_SPEC_MAX)
		return addr_error(err, ADDR_E_LIMIT,
		    "address is longer than 998 bytes");
	*utf8 = false;
	for (size_t i = 0; i < spec->len; i++)
		if (s[i] >= 0x80)
			*utf8 = true;
	if (*utf8 && !addr_utf8_valid(s, spec->len))
		return addr_error(err, ADDR_E_SYNTAX, "address is not valid UTF-8");
	return ADDR_OK;
}

/* addr_build - fill a from its parts; domain and display may be NULL */
static enum addr_status
addr_build(struct addr *a, const struct strbuf *local, const char *domain,
    const char *display, struct strbuf *err)
{
	struct strbuf spec = STRBUF_INIT;
	enum addr_status st;
	bool utf8;

	if (local->len && memchr(local->data, '\t', local->len))
		return addr_error(err, ADDR_E_UNSAFE, "local part contains a tab");
	addr_put_local(&spec, strbuf_cstr(local), local->len);
	if (domain) {
		strbuf_putc(&spec, '@');
		strbuf_puts(&spec, domain);
	}
	if ((st = addr_check_spec(&spec, &utf8, err)) != ADDR_OK) {
		strbuf_free(&spec);
		return st;
	}
	a->spec = strbuf_export(&spec);
	a->local = xstrndup(strbuf_cstr(local), local->len);
	a->domain = domain ? xstrdup(domain) : NULL;
	a->display = display ? xstrdup(display) : NULL;
	a->utf8 = utf8;
	return ADDR_OK;
}

void
addr_free(struct addr *a)
{
	free(a->spec);
	free(a->local);
	free(a->domain);
	free(a->display);
	memset(a, 0, sizeof(*a));
}

void
addr_list_init(struct addr_list *list)
{
	list->items = NULL;
	list->count = 0;
	list->cap = 0;
}

void
addr_list_truncate(struct addr_list *list, size_t keep)
{
	while (list->count > keep)
		addr_free(&list->items[--list->count]);
}

void
addr_list_free(struct addr_list *list)
{
	addr_list_truncate(list, 0);
	free(list->items);
	addr_list_init(list);
}

/* list_add - build an address and append it, enforcing ADDR_LIST_MAX */
static enum addr_status
list_add(struct lex *lx, struct addr_list *list, const struct strbuf *local,
    const struct strbuf *domain, const char *display)
{
	struct addr a;
	enum addr_status st;

	if (list->count >= ADDR_LIST_MAX)
		return lex_error(lx, ADDR_E_LIMIT,
		    "more than 10000 addresses in one list");
	st = addr_build(&a, local, domain->len ? domain->data : NULL, display,
	    lx->err);
	if (st != ADDR_OK)
		return st;
	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->items = xreallocarray(list->items, list->cap,
		    sizeof(*list->items));
	}
	list->items[list->count++] = a;
	return ADDR_OK;
}

/* --- Parser ---------------------------------------------------------------- */

static void
words_init(struct words *w)
{
	memset(w, 0, sizeof(*w));
	strbuf_init(&w->phrase);
	strbuf_init(&w->local);
}

static void
words_free(struct words *w)
{
	strbuf_free(&w->phrase);
	strbuf_free(&w->local);
}

static void
words_take(struct words *w, const struct tok *t)
{
	bool word = t->type != T_DOT;

	if (t->space_before && w->phrase.len)
		strbuf_putc(&w->phrase, ' ');
	strbuf_append(&w->phrase, strbuf_cstr(&t->text), t->text.len);
	strbuf_append(&w->local, strbuf_cstr(&t->text), t->text.len);
	if (word && w->last_word)
		w->adjacent = true;
	if (t->type == T_QUOTED)
		w->quoted = true;
	w->last_word = word;
	w->count++;
}

static bool
tok_is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QUOTED || t->type == T_DOT;
}

/* parse_words - take atoms, quoted strings and dots */
static enum addr_status
parse_words(struct lex *lx, struct words *w)
{
	enum addr_status st;

	while (tok_is_word(&lx->tok)) {
		words_take(w, &lx->tok);
		if ((st = lex_next(lx)) != ADDR_OK)
			return st;
	}
	return ADDR_OK;
}

static enum addr_status
parse_unexpected(struct lex *lx)
{
	if (lx->err) {
		strbuf_reset(lx->err);
		if (lx->tok.type == T_END)
			strbuf_puts(lx->err, "unexpected end of address");
		else
			strbuf_printf(lx->err, "unexpected \"%.40s\" in address",
			    strbuf_cstr(&lx->tok.text));
	}
	return ADDR_E_SYNTAX;
}

/* parse_domain - atoms separated by dots, or one domain literal */
static enum addr_status
parse_domain(struct lex *lx, struct strbuf *out)
{
	enum addr_status st;

	if (lx->tok.type == T_LITERAL) {
		strbuf_append(out, lx->tok.text.data, lx->tok.text.len);
		return lex_next(lx);
	}
	for (;;) {
		if (lx->tok.type != T_ATOM)
			return lex_error(lx, ADDR_E_SYNTAX, out->len ?
			    "empty label in domain" : "missing domain after '@'");
		for (size_t i = 0; i < lx->tok.text.len; i++)
			if (!addr_is_label_char((unsigned char)lx->tok.text.data[i]))
				return lex_error(lx, ADDR_E_SYNTAX,
				    "invalid character in domain");
		strbuf_append(out, lx->tok.text.data, lx->tok.text.len);
		if ((st = lex_next(lx)) != ADDR_OK || lx->tok.type != T_DOT)
			return st;
		strbuf_putc(out, '.');
		if ((st = lex_next(lx)) != ADDR_OK)
			return st;
	}
}

/*
 * parse_spec_rest - finish an addr-spec whose local-part words were read:
 * "@domain" follows, or nothing and the words must be an unquoted local
 * name. domain stays empty for an unqualified address.
 */
static enum addr_status
parse_spec_rest(struct lex *lx, const struct words *w, struct strbuf *domain)
{
	enum addr_status st;

	if (lx->tok.type != T_AT) {
		if (w->adjacent)
			return lex_error(lx, ADDR_E_SYNTAX,
			    "display name without an <address>");
		if (w->count == 0)
			return parse_unexpected(lx);
		if (w->quoted || !addr_is_dot_atom(w->local.data, w->local.len))
			return lex_error(lx, ADDR_E_SYNTAX, "invalid local name");
		return ADDR_OK;
	}
	if (w->count == 0)
		return lex_error(lx, ADDR_E_SYNTAX, "missing local part before '@'");
	if (w->adjacent)
		return lex_error(lx, ADDR_E_SYNTAX,
		    "words before '@' are not a local part (missing '<'?)");
	if ((st = lex_next(lx)) != ADDR_OK)
		return st;
	return parse_domain(lx, domain);
}

/* parse_route - skip an obsolete source route "@a,@b:" */
static enum addr_status
parse_route(struct lex *lx)
{
	struct strbuf ignored = STRBUF_INIT;
	enum addr_status st = ADDR_OK;

	while (st == ADDR_OK && (lx->tok.type == T_AT || lx->tok.type == T_COMMA)) {
		bool at = lx->tok.type == T_AT;

		st = lex_next(lx);
		if (st == ADDR_OK && at)
			st = parse_domain(lx, &ignored);
	}
	strbuf_free(&ignored);
	if (st != ADDR_OK)
		return st;
	if (lx->tok.type != T_COLON)
		return lex_error(lx, ADDR_E_SYNTAX, "malformed route in address");
	return lex_next(lx);
}

/* parse_angle - "<" [route] addr-spec ">" with display name phrase */
static enum addr_status
parse_angle(struct lex *lx, struct addr_list *list, const struct words *name)
{
	struct words w;
	struct strbuf domain = STRBUF_INIT;
	enum addr_status st;

	words_init(&w);
	st = lex_next(lx);
	if (st == ADDR_OK && lx->tok.type == T_AT)
		st = parse_route(lx);
	if (st == ADDR_OK && lx->tok.type == T_GT)
		st = lex_error(lx, ADDR_E_SYNTAX, "empty address <>");
	if (st == ADDR_OK)
		st = parse_words(lx, &w);
	if (st == ADDR_OK)
		st = parse_spec_rest(lx, &w, &domain);
	if (st == ADDR_OK && lx->tok.type != T_GT)
		st = lx->tok.type == T_END ?
		    lex_error(lx, ADDR_E_SYNTAX, "unterminated '<' in address") :
		    parse_unexpected(lx);
	if (st == ADDR_OK)
		st = list_add(lx, list, &w.local, &domain,
		    name->phrase.len ? name->phrase.data : NULL);
	if (st == ADDR_OK)
		st = lex_next(lx);
	strbuf_free(&domain);
	words_free(&w);
	return st;
}

/* parse_group - the members of "name: a, b;" up to and past the ';' */
static enum addr_status
parse_group(struct lex *lx, struct addr_list *list)
{
	enum addr_status st = lex_next(lx);

	while (st == ADDR_OK) {
		switch (lx->tok.type) {
		case T_SEMI:
			return lex_next(lx);
		case T_END:
			return ADDR_OK;	/* lenient: missing ';' at the end */
		case T_COMMA:
			st = lex_next(lx);
			break;
		default:
			st = parse_element(lx, list, true);
			if (st == ADDR_OK && lx->tok.type != T_COMMA &&
			    lx->tok.type != T_SEMI && lx->tok.type != T_END)
				st = parse_unexpected(lx);
		}
	}
	return st;
}

/* trailing_comment - the "Full Name" of "a@x (Full Name)", or NULL */
static const char *
trailing_comment(struct strbuf *c)
{
	size_t start = 0;

	while (c->len && (c->data[c->len - 1] == ' ' || c->data[c->len - 1] == '\t'))
		c->data[--c->len] = '\0';
	while (start < c->len && (c->data[start] == ' ' || c->data[start] == '\t'))
		start++;
	return start < c->len ? c->data + start : NULL;
}

/* parse_plain - an addr-spec or local name without angle brackets */
static enum addr_status
parse_plain(struct lex *lx, struct addr_list *list, const struct words *w)
{
	struct strbuf domain = STRBUF_INIT;
	enum addr_status st;

	st = parse_spec_rest(lx, w, &domain);
	if (st == ADDR_OK)
		st = list_add(lx, list, &w->local, &domain,
		    trailing_comment(&lx->tok.comment));
	strbuf_free(&domain);
	return st;
}

/* parse_element - one mailbox or group of a list; in_group forbids groups */
static enum addr_status
parse_element(struct lex *lx, struct addr_list *list, bool in_group)
{
	struct words w;
	enum addr_status st;

	words_init(&w);
	st = parse_words(lx, &w);
	if (st != ADDR_OK)
		goto out;
	switch (lx->tok.type) {
	case T_LT:
		st = parse_angle(lx, list, &w);
		break;
	case T_COLON:
		st = in_group ? lex_error(lx, ADDR_E_SYNTAX, "group inside a group") :
		    parse_group(lx, list);
		break;
	case T_SEMI:
		st = in_group ? parse_plain(lx, list, &w) : parse_unexpected(lx);
		break;
	case T_AT:
	case T_COMMA:
	case T_END:
		st = parse_plain(lx, list, &w);
		break;
	default:
		st = parse_unexpected(lx);
	}
out:
	words_free(&w);
	return st;
}

static enum addr_status
parse_list(struct lex *lx, struct addr_list *list)
{
	enum addr_status st = lex_next(lx);

	while (st == ADDR_OK && lx->tok.type != T_END) {
		if (lx->tok.type == T_COMMA) {
			st = lex_next(lx);
			continue;
		}
		st = parse_element(lx, list, false);
		if (st == ADDR_OK && lx->tok.type != T_COMMA && lx->tok.type != T_END)
			st = parse_unexpected(lx);
	}
	return st;
}

enum addr_status
addr_list_parse(struct addr_list *list, const char *text, size_t len,
    struct strbuf *err)
{
	struct lex lx;
	size_t before = list->count;
	enum addr_status st;

	if (len > ADDR_TEXT_MAX)
		return addr_error(err, ADDR_E_LIMIT,
		    "address list is longer than 262144 bytes");
	lex_init(&lx, text, len, err);
	st = parse_list(&lx, list);
	lex_free(&lx);
	if (st != ADDR_OK)
		addr_list_truncate(list, before);
	return st;
}

/* --- Qualifying ------------------------------------------------------------- */

/* addr_domain_ok - dot-separated labels, or a domain literal */
static bool
addr_domain_ok(const char *d)
{
	size_t n = strlen(d);
	bool after_dot = true;

	if (n >= 2 && d[0] == '[' && d[n - 1] == ']') {
		for (size_t i = 1; i + 1 < n; i++)
			if (!addr_is_literal_char((unsigned char)d[i]))
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (after_dot)
				return false;
			after_dot = true;
		} else if (!addr_is_label_char((unsigned char)d[i])) {
			return false;
		} else {
			after_dot = false;
		}
	}
	return !after_dot;
}

enum addr_status
addr_qualify(struct addr *a, const char *domain, struct strbuf *err)
{
	struct strbuf local = STRBUF_INIT;
	struct addr q;
	enum addr_status st;

	if (a->domain)
		return ADDR_OK;
	if (!addr_domain_ok(domain))
		return addr_error(err, ADDR_E_SYNTAX, "invalid domain to qualify with");
	strbuf_puts(&local, a->local);
	st = addr_build(&q, &local, domain, a->display, err);
	strbuf_free(&local);
	if (st != ADDR_OK)
		return st;
	addr_free(a);
	*a = q;
	return ADDR_OK;
}

/* --- Envelope addresses ------------------------------------------------------ */

/* env_check_bytes - refuse NUL, line breaks, control characters, '-' */
static enum addr_status
env_check_bytes(const char *text, size_t len, struct strbuf *err)
{
	if (len > ADDR_SPEC_MAX + 2)
		return addr_error(err, ADDR_E_LIMIT, "address is longer than 998 bytes");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == 0)
			return addr_error(err, ADDR_E_UNSAFE, "address contains a NUL byte");
		if (c == '\r' || c == '\n')
			return addr_error(err, ADDR_E_UNSAFE,
			    "address contains a line break");
		if (c < 0x20 || c == 0x7f)
			return addr_error(err, ADDR_E_UNSAFE,
			    "address contains a control character");
	}
	if (len && text[0] == '-')
		return addr_error(err, ADDR_E_UNSAFE, "address starts with '-'");
	return ADDR_OK;
}

/* env_check_unquoted - no spaces, comments or angle brackets outside quotes */
static enum addr_status
env_check_unquoted(const char *s, size_t n, struct strbuf *err)
{
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (quoted && s[i] == '\\') {
			i++;
		} else if (s[i] == '"') {
			quoted = !quoted;
		} else if (!quoted && s[i] == ' ') {
			return addr_error(err, ADDR_E_SYNTAX,
			    "address contains a space outside quotes");
		} else if (!quoted && (s[i] == '(' || s[i] == ')')) {
			return addr_error(err, ADDR_E_SYNTAX,
			    "comments are not allowed in an envelope address");
		} else if (!quoted && (s[i] == '<' || s[i] == '>')) {
			return addr_error(err, ADDR_E_SYNTAX,
			    "unbalanced '<' or '>' in address");
		}
	}
	return ADDR_OK;
}

/* env_parse_spec - exactly one addr-spec (after an optional route) */
static enum addr_status
env_parse_spec(const char *s, size_t n, bool angled, char **out,
    struct strbuf *err)
{
	struct lex lx;
	struct words w;
	struct strbuf domain = STRBUF_INIT;
	struct addr a;
	enum addr_status st;

	lex_init(&lx, s, n, err);
	words_init(&w);
	st = lex_next(&lx);
	if (st == ADDR_OK && angled && lx.tok.type == T_AT)
		st = parse_route(&lx);
	if (st == ADDR_OK)
		st = parse_words(&lx, &w);
	if (st == ADDR_OK)
		st = parse_spec_rest(&lx, &w, &domain);
	if (st == ADDR_OK && lx.tok.type != T_END)
		st = parse_unexpected(&lx);
	if (st == ADDR_OK)
		st = addr_build(&a, &w.local, domain.len ? domain.data : NULL,
		    NULL, err);
	if (st == ADDR_OK && a.spec[0] == '-') {
		addr_free(&a);
		st = addr_error(err, ADDR_E_UNSAFE, "address starts with '-'");
	}
	if (st == ADDR_OK) {
		*out = a.spec;
		a.spec = NULL;
		addr_free(&a);
	}
	strbuf_free(&domain);
	words_free(&w);
	lex_free(&lx);
	return st;
}

enum addr_status
addr_envelope_parse(const char *text, size_t len, enum addr_role role,
    char **out, struct strbuf *err)
{
	bool angled = len > 0 && text[0] == '<';
	enum addr_status st;

	*out = NULL;
	if ((st = env_check_bytes(text, len, err)) != ADDR_OK)
		return st;
	if (angled) {
		if (len < 2 || text[len - 1] != '>')
			return addr_error(err, ADDR_E_SYNTAX,
			    "unbalanced '<' or '>' in address");
		text++;
		len -= 2;
	}
	if ((st = env_check_unquoted(text, len, err)) != ADDR_OK)
		return st;
	if (len == 0 || (len == 2 && text[0] == '"' && text[1] == '"')) {
		if (role != ADDR_SENDER)
			return addr_error(err, ADDR_E_SYNTAX, "empty recipient address");
		*out = xstrdup("");
		return ADDR_OK;
	}
	return env_parse_spec(text, len, angled, out, err);
}
