/*
 * header.h - the top header block of a message.
 *
 * header_parse() splits a message whose line endings are LF into header
 * fields and the offset of the body. A field is "Name: value" (optional
 * whitespace before the colon) plus any continuation lines starting with
 * space or tab; its bytes are kept exactly, so header_write() re-emits an
 * unchanged block byte for byte. The block ends at the first empty line,
 * which is consumed, or at the first line that is neither a field nor a
 * continuation; that line starts the body, and header_write() then supplies
 * the missing empty line. A message may be empty or have no body.
 *
 * Functions that can fail return a header_status and, when err is not
 * NULL, a one-line message in err (replacing its contents). Nothing is
 * printed. The block owns every field; header_free() releases them.
 */
#ifndef POSTERN_HEADER_H
#define POSTERN_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "strbuf.h"

#define HEADER_FIELD_MAX (64 * 1024)	/* bytes of one field, unfolded */
#define HEADER_FIELDS_MAX 10000		/* fields in one block */
#define HEADER_LINE_MAX 998		/* bytes of one generated line */
#define HEADER_FOLD_COLUMN 78		/* where header_append() folds */
#define HEADER_NONE SIZE_MAX		/* "no such field" index */

enum header_status {
	HEADER_OK = 0,
	HEADER_E_NUL,		/* a NUL byte in the header block */
	HEADER_E_LIMIT,		/* a field or the field count exceeds a maximum */
	HEADER_E_SYNTAX,	/* invalid name or value given to append/prepend */
	HEADER_E_ADDR,		/* an address field does not parse */
};

struct header_field {
	char *name;		/* field name as written */
	char *raw;		/* the exact field bytes, final LF included if any */
	size_t raw_len;
	size_t value_off;	/* offset in raw just past the ':' */
};

struct header_block {
	struct header_field *fields;
	size_t count;
	size_t cap;
	size_t body_offset;	/* where the body starts in the parsed message */
};

#define HEADER_BLOCK_INIT { NULL, 0, 0, 0 }

void header_init(struct header_block *b);
/* header_free - free all fields; b is empty afterwards */
void header_free(struct header_block *b);

/*
 * header_parse - parse the header block at the start of msg[0..len) into b
 * (which need not be initialized). Fails with HEADER_E_NUL for a NUL byte
 * in a field or in the non-field line that ends the block, and with
 * HEADER_E_LIMIT for an over-long field or too many fields; b is empty
 * after a failure.
 */
enum header_status header_parse(struct header_block *b, const char *msg,
    size_t len, struct strbuf *err);

/*
 * header_field_value - the unfolded value of f into out (replacing its
 * contents): line breaks removed, surrounding whitespace trimmed.
 */
void header_field_value(const struct header_field *f, struct strbuf *out);

/* header_first - index of the first field called name (any case), or HEADER_NONE */
size_t header_first(const struct header_block *b, const char *name);
/* header_next - index of the next field called name after index prev, or HEADER_NONE */
size_t header_next(const struct header_block *b, const char *name, size_t prev);
/* header_remove - delete every field called name; returns how many */
size_t header_remove(struct header_block *b, const char *name);

/*
 * header_append, header_prepend - add "name: value" at the end or at the
 * top, folded before whitespace (preferring whitespace after a comma) so
 * lines stay near HEADER_FOLD_COLUMN. value is copied. Fails with
 * HEADER_E_SYNTAX for an invalid name or a value holding line breaks or
 * control characters, and with HEADER_E_LIMIT when the value exceeds
 * HEADER_FIELD_MAX, a line cannot be folded under HEADER_LINE_MAX, or the
 * block is full.
 */
enum header_status header_append(struct header_block *b, const char *name,
    const char *value, struct strbuf *err);
enum header_status header_prepend(struct header_block *b, const char *name,
    const char *value, struct strbuf *err);
/* header_replace - give field i (index < count) a new value, keeping its
   name and position; fails as header_append does, leaving it unchanged */
enum header_status header_replace(struct header_block *b, size_t i,
    const char *value, struct strbuf *err);

/* header_write - append every field and then the empty separator line to out */
void header_write(const struct header_block *b, struct strbuf *out);

/*
 * header_collect_recipients - append the recipients for "sendmail -t" to
 * out. When the message has any Resent-To, Resent-Cc or Resent-Bcc field,
 * only those in the topmost Resent- block (the contiguous run of Resent-*
 * fields nearest the top) count, which may be none; otherwise To, Cc and
 * Bcc do. Fails with HEADER_E_ADDR ("Name: reason" in err) or
 * HEADER_E_LIMIT, leaving out as it was before the call.
 */
enum header_status header_collect_recipients(const struct header_block *b,
    struct addr_list *out, struct strbuf *err);

/* header_date - when as an RFC 5322 date in local time */
void header_date(time_t when, char *buf, size_t size);

/* header_message_id - append a new "<time.pid.random@hostname>" */
void header_message_id(const char *hostname, struct strbuf *out);

#endif
