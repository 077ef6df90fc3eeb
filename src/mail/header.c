/*
 * header.c - parse, edit and re-emit the header block of a message.
 *
 * Contract: fields keep their exact bytes from header_parse() to
 * header_write(); only fields added through header_append() or
 * header_prepend() are generated, and those are folded here. A field name
 * is printable ASCII (33..126) except ':'. The block ends at the first
 * empty line or at the first line that is neither a field nor a
 * continuation, as Postfix does. Input is bounded: HEADER_FIELD_MAX bytes
 * per unfolded field and HEADER_FIELDS_MAX fields. A NUL byte in the block
 * is reported as HEADER_E_NUL so the caller can refuse the message.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "header.h"
#include "xalloc.h"

/* header_error - store a formatted message in err (if any) and return st */
static enum header_status
header_error(struct strbuf *err, enum header_status st, const char *msg,
    const char *name)
{
	if (err) {
		strbuf_reset(err);
		if (name)
			strbuf_printf(err, "header field \"%.60s\": %s", name, msg);
		else
			strbuf_puts(err, msg);
	}
	return st;
}

void
header_init(struct header_block *b)
{
	b->fields = NULL;
	b->count = 0;
	b->cap = 0;
	b->body_offset = 0;
}

static void
header_field_free(struct header_field *f)
{
	free(f->name);
	free(f->raw);
}

void
header_free(struct header_block *b)
{
	for (size_t i = 0; i < b->count; i++)
		header_field_free(&b->fields[i]);
	free(b->fields);
	header_init(b);
}

/* header_insert - put f at index at, shifting later fields down */
static void
header_insert(struct header_block *b, size_t at, const struct header_field *f)
{
	if (b->count == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->fields = xreallocarray(b->fields, b->cap, sizeof(*b->fields));
	}
	memmove(&b->fields[at + 1], &b->fields[at],
	    (b->count - at) * sizeof(*b->fields));
	b->fields[at] = *f;
	b->count++;
}

static bool
header_is_name_char(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/*
 * header_name_len - length of the field name if line[0..n) starts a field
 * ("Name:" or "Name  :"), else 0.
 */
static size_t
header_name_len(const char *line, size_t n)
{
	size_t i = 0, name;

	while (i < n && header_is_name_char((unsigned char)line[i]))
		i++;
	name = i;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return name > 0 && i < n && line[i] == ':' ? name : 0;
}

/* header_line_end - index just past the line starting at pos (past its LF) */
static size_t
header_line_end(const char *msg, size_t len, size_t pos)
{
	const char *lf = memchr(msg + pos, '\n', len - pos);

	return lf ? (size_t)(lf - msg) + 1 : len;
}

/* header_field_end - index just past the field starting at pos */
static size_t
header_field_end(const char *msg, size_t len, size_t pos)
{
	size_t end = header_line_end(msg, len, pos);

	while (end < len && (msg[end] == ' ' || msg[end] == '\t'))
		end = header_line_end(msg, len, end);
	return end;
}

/* header_unfolded_len - bytes of msg[pos..end) without line feeds */
static size_t
header_unfolded_len(const char *msg, size_t pos, size_t end)
{
	size_t n = end - pos;

	for (size_t i = pos; i < end; i++)
		if (msg[i] == '\n')
			n--;
	return n;
}

/* header_take - check and store the field msg[pos..end) with its name */
static enum header_status
header_take(struct header_block *b, const char *msg, size_t pos, size_t end,
    size_t name_len, struct strbuf *err)
{
	struct header_field f;
	char *name = xstrndup(msg + pos, name_len);
	const char *colon;

	if (memchr(msg + pos, '\0', end - pos)) {
		header_error(err, HEADER_E_NUL, "contains a NUL byte", name);
		free(name);
		return HEADER_E_NUL;
	}
	if (header_unfolded_len(msg, pos, end) > HEADER_FIELD_MAX ||
	    b->count >= HEADER_FIELDS_MAX) {
		header_error(err, HEADER_E_LIMIT, b->count >= HEADER_FIELDS_MAX ?
		    "too many header fields (limit 10000)" :
		    "longer than 65536 bytes", name);
		free(name);
		return HEADER_E_LIMIT;
	}
	colon = memchr(msg + pos, ':', end - pos);
	f.name = name;
	f.raw = xstrndup(msg + pos, end - pos);
	f.raw_len = end - pos;
	f.value_off = (size_t)(colon - (msg + pos)) + 1;
	header_insert(b, b->count, &f);
	return HEADER_OK;
}

enum header_status
header_parse(struct header_block *b, const char *msg, size_t len,
    struct strbuf *err)
{
	size_t pos = 0, end, name_len;
	enum header_status st;

	header_init(b);
	while (pos < len) {
		end = header_line_end(msg, len, pos);
		if (msg[pos] == '\n') {
			pos++;
			break;
		}
		name_len = header_name_len(msg + pos, end - pos);
		if (name_len == 0) {
			if (memchr(msg + pos, '\0', end - pos)) {
				header_free(b);
				return header_error(err, HEADER_E_NUL,
				    "message header contains a NUL byte", NULL);
			}
			break;
		}
		end = header_field_end(msg, len, pos);
		if ((st = header_take(b, msg, pos, end, name_len, err)) != HEADER_OK) {
			header_free(b);
			return st;
		}
		pos = end;
	}
	b->body_offset = pos;
	return HEADER_OK;
}

void
header_field_value(const struct header_field *f, struct strbuf *out)
{
	const char *s = f->raw + f->value_off;
	size_t n = f->raw_len - f->value_off, start = 0;

	strbuf_reset(out);
	while (start < n && (s[start] == ' ' || s[start] == '\t' || s[start] == '\n'))
		start++;
	for (size_t i = start; i < n; i++)
		if (s[i] != '\n')
			strbuf_putc(out, s[i]);
	while (out->len && (out->data[out->len - 1] == ' ' ||
	    out->data[out->len - 1] == '\t'))
		out->data[--out->len] = '\0';
}

/* header_find - first index >= from of a field called name, or HEADER_NONE */
static size_t
header_find(const struct header_block *b, const char *name, size_t from)
{
	for (size_t i = from; i < b->count; i++)
		if (strcasecmp(b->fields[i].name, name) == 0)
			return i;
	return HEADER_NONE;
}

size_t
header_first(const struct header_block *b, const char *name)
{
	return header_find(b, name, 0);
}

size_t
header_next(const struct header_block *b, const char *name, size_t prev)
{
	return prev == HEADER_NONE ? HEADER_NONE : header_find(b, name, prev + 1);
}

size_t
header_remove(struct header_block *b, const char *name)
{
	size_t kept = 0, removed = 0;

	for (size_t i = 0; i < b->count; i++) {
		if (strcasecmp(b->fields[i].name, name) == 0) {
			header_field_free(&b->fields[i]);
			removed++;
		} else {
			b->fields[kept++] = b->fields[i];
		}
	}
	b->count = kept;
	return removed;
}

/* --- Generated fields ------------------------------------------------------- */

static bool
header_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* header_word_end - end of the whitespace run and word starting at i */
static size_t
header_word_end(const char *v, size_t n, size_t i)
{
	while (i < n && header_is_wsp(v[i]))
		i++;
	while (i < n && !header_is_wsp(v[i]))
		i++;
	return i;
}

/* header_item_end - end of the list item starting at i (a word ending in ',') */
static size_t
header_item_end(const char *v, size_t n, size_t i)
{
	do
		i = header_word_end(v, n, i);
	while (i < n && v[i - 1] != ',');
	return i;
}

/* header_fold_put - append v[0..n), first breaking the line if it overflows */
static void
header_fold_put(struct strbuf *out, size_t *col, const char *v, size_t n)
{
	if (*col + n > HEADER_FOLD_COLUMN && n > 0 && header_is_wsp(v[0])) {
		strbuf_putc(out, '\n');
		*col = 0;
	}
	strbuf_append(out, v, n);
	*col += n;
}

/*
 * header_fold - append value v[0..n) after "Name:" at column col. A list
 * item that does not fit moves whole to a new line; one too long for any
 * line is broken before its words.
 */
static void
header_fold(struct strbuf *out, size_t col, const char *v, size_t n)
{
	size_t i = 0, item, w;

	while (i < n) {
		item = header_item_end(v, n, i);
		if (col + (item - i) <= HEADER_FOLD_COLUMN ||
		    (item - i <= HEADER_FOLD_COLUMN && header_is_wsp(v[i]))) {
			header_fold_put(out, &col, v + i, item - i);
			i = item;
			continue;
		}
		for (; i < item; i = w) {
			w = header_word_end(v, n, i);
			header_fold_put(out, &col, v + i, w - i);
		}
	}
}

/* header_check_new - validate the name and value of a generated field */
static enum header_status
header_check_new(const char *name, const char *value, struct strbuf *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > HEADER_LINE_MAX - 2)
		return header_error(err, HEADER_E_SYNTAX,
		    "invalid header field name", NULL);
	for (size_t i = 0; i < n; i++)
		if (!header_is_name_char((unsigned char)name[i]))
			return header_error(err, HEADER_E_SYNTAX,
			    "invalid header field name", NULL);
	if (strlen(value) > HEADER_FIELD_MAX)
		return header_error(err, HEADER_E_LIMIT, "longer than 65536 bytes",
		    name);
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n')
			return header_error(err, HEADER_E_SYNTAX,
			    "value contains a line break", name);
		if ((*p > 0 && *p < 0x20 && *p != '\t') || *p == 0x7f)
			return header_error(err, HEADER_E_SYNTAX,
			    "value contains a control character", name);
	}
	return HEADER_OK;
}

/* header_longest_line - length of the longest line in s[0..n) */
static size_t
header_longest_line(const char *s, size_t n)
{
	size_t longest = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '\n') {
			if (i - start > longest)
				longest = i - start;
			start = i + 1;
		}
	}
	return longest;
}

/* header_make - build the folded field "name: value\n" at index at */
static enum header_status
header_make(struct header_block *b, size_t at, const char *name,
    const char *value, struct strbuf *err)
{
	struct strbuf raw = STRBUF_INIT;
	struct header_field f;
	size_t start = 0, n = strlen(value);
	enum header_status st;

	if ((st = header_check_new(name, value, err)) != HEADER_OK)
		return st;
	if (b->count >= HEADER_FIELDS_MAX)
		return header_error(err, HEADER_E_LIMIT,
		    "too many header fields (limit 10000)", name);
	while (start < n && header_is_wsp(value[start]))
		start++;
	while (n > start && header_is_wsp(value[n - 1]))
		n--;
	strbuf_puts(&raw, name);
	strbuf_putc(&raw, ':');
	if (n > start) {
		strbuf_putc(&raw, ' ');
		header_fold(&raw, raw.len, value + start, n - start);
	}
	if (header_longest_line(raw.data, raw.len) > HEADER_LINE_MAX) {
		strbuf_free(&raw);
		return header_error(err, HEADER_E_LIMIT,
		    "a line cannot be folded under 998 bytes", name);
	}
	strbuf_putc(&raw, '\n');
	f.name = xstrdup(name);
	f.value_off = strlen(name) + 1;
	f.raw_len = raw.len;
	f.raw = strbuf_export(&raw);
	header_insert(b, at, &f);
	return HEADER_OK;
}

enum header_status
header_append(struct header_block *b, const char *name, const char *value,
    struct strbuf *err)
{
	return header_make(b, b->count, name, value, err);
}

enum header_status
header_prepend(struct header_block *b, const char *name, const char *value,
    struct strbuf *err)
{
	return header_make(b, 0, name, value, err);
}

enum header_status
header_replace(struct header_block *b, size_t i, const char *value,
    struct strbuf *err)
{
	char *name = xstrdup(b->fields[i].name);
	enum header_status st = header_make(b, i, name, value, err);

	free(name);
	if (st != HEADER_OK)
		return st;
	header_field_free(&b->fields[i + 1]);
	memmove(&b->fields[i + 1], &b->fields[i + 2],
	    (b->count - i - 2) * sizeof(b->fields[0]));
	b->count--;
	return HEADER_OK;
}

void
header_write(const struct header_block *b, struct strbuf *out)
{
	for (size_t i = 0; i < b->count; i++) {
		const struct header_field *f = &b->fields[i];

		strbuf_append(out, f->raw, f->raw_len);
		if (f->raw_len == 0 || f->raw[f->raw_len - 1] != '\n')
			strbuf_putc(out, '\n');
	}
	strbuf_putc(out, '\n');
}

/* --- Recipients for -t ------------------------------------------------------- */

static const char *const header_rcpt_fields[] = { "To", "Cc", "Bcc", NULL };
static const char *const header_resent_fields[] = {
	"Resent-To", "Resent-Cc", "Resent-Bcc", NULL,
};

static bool
header_name_in(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(name, *names) == 0)
			return true;
	return false;
}

static bool
header_is_resent(const char *name)
{
	return strncasecmp(name, "Resent-", 7) == 0;
}

/*
 * header_rcpt_range - the fields [*from, *to) and names that hold the -t
 * recipients: the topmost Resent- block when any Resent recipient field
 * exists, else the whole block.
 */
static const char *const *
header_rcpt_range(const struct header_block *b, size_t *from, size_t *to)
{
	size_t i;

	*from = 0;
	*to = b->count;
	for (i = 0; i < b->count; i++)
		if (header_name_in(b->fields[i].name, header_resent_fields))
			break;
	if (i == b->count)
		return header_rcpt_fields;
	for (i = 0; !header_is_resent(b->fields[i].name); i++)
		;
	*from = i;
	while (i < b->count && header_is_resent(b->fields[i].name))
		i++;
	*to = i;
	return header_resent_fields;
}

/* header_parse_rcpt - parse the addresses of one field into out */
static enum header_status
header_parse_rcpt(const struct header_field *f, struct addr_list *out,
    struct strbuf *value, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	enum addr_status st;

	header_field_value(f, value);
	st = addr_list_parse(out, strbuf_cstr(value), value->len, &why);
	if (st != ADDR_OK)
		header_error(err, st == ADDR_E_LIMIT ? HEADER_E_LIMIT :
		    HEADER_E_ADDR, strbuf_cstr(&why), f->name);
	strbuf_free(&why);
	if (st == ADDR_OK)
		return HEADER_OK;
	return st == ADDR_E_LIMIT ? HEADER_E_LIMIT : HEADER_E_ADDR;
}

enum header_status
header_collect_recipients(const struct header_block *b, struct addr_list *out,
    struct strbuf *err)
{
	struct strbuf value = STRBUF_INIT;
	size_t from, to, before = out->count;
	const char *const *names = header_rcpt_range(b, &from, &to);
	enum header_status st = HEADER_OK;

	for (size_t i = from; i < to && st == HEADER_OK; i++)
		if (header_name_in(b->fields[i].name, names))
			st = header_parse_rcpt(&b->fields[i], out, &value, err);
	strbuf_free(&value);
	if (st != HEADER_OK)
		addr_list_truncate(out, before);
	return st;
}

void
header_date(time_t when, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

void
header_message_id(const char *hostname, struct strbuf *out)
{
	uint32_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)clock();
	strbuf_printf(out, "<%lld.%ld.%08x@%s>", (long long)time(NULL),
	    (long)getpid(), (unsigned)rnd, hostname);
}
