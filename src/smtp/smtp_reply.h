/*
 * smtp_reply.h - SMTP reply and EHLO capability parsing (RFC 5321 4.2,
 * RFC 3463 enhanced status codes). Pure parsing: no I/O, no OpenSSL.
 *
 * A reply arrives one line at a time (without its CRLF) through
 * smtp_reply_feed(). Every line must start with three digits followed by
 * '-' (more lines follow) or ' ' / end of line (last line); all lines of
 * one reply must carry the same code. Limits are hard: a line longer than
 * max_line or a reply whose text exceeds max_reply, or with more than
 * max_lines lines, is a protocol error, never truncated silently.
 *
 * Ownership: struct smtp_reply owns its text buffer; smtp_reply_free()
 * releases it. The parser resets the reply when a new reply starts.
 */
#ifndef POSTERN_SMTP_REPLY_H
#define POSTERN_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define SMTP_REPLY_MAX_LINE	4096	/* default hard limit per line */
#define SMTP_REPLY_MAX_TEXT	65536	/* default hard limit per reply */
#define SMTP_REPLY_MAX_LINES	256	/* default hard limit of lines */

struct smtp_reply {
	int code;		/* 200..599 once complete */
	char enh[16];		/* "2.0.0" enhanced status, "" when absent */
	struct strbuf lines;	/* line texts after "NNN-", '\n'-separated */
	size_t nlines;
	bool complete;
};

struct smtp_reply_limits {
	size_t max_line;	/* 0 = SMTP_REPLY_MAX_LINE */
	size_t max_text;	/* 0 = SMTP_REPLY_MAX_TEXT */
	size_t max_lines;	/* 0 = SMTP_REPLY_MAX_LINES */
};

enum smtp_reply_status {
	SMTP_REPLY_MORE,	/* line accepted, reply continues */
	SMTP_REPLY_DONE,	/* last line: reply complete */
	SMTP_REPLY_ESYNTAX,	/* line does not start with a valid code */
	SMTP_REPLY_EMISMATCH,	/* continuation carries a different code */
	SMTP_REPLY_ETOOLONG,	/* line, text or line count over the limit */
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);
/* smtp_reply_reset - forget the contents, keep the allocation */
void smtp_reply_reset(struct smtp_reply *r);

/*
 * smtp_reply_feed - add one line (no CRLF) to r. A completed reply is
 * reset before the first line of the next one. On an error status r is
 * left incomplete and the connection should be abandoned.
 */
enum smtp_reply_status smtp_reply_feed(struct smtp_reply *r,
    const struct smtp_reply_limits *lim, const char *line, size_t len);

/* smtp_reply_status_name - short text for an error status */
const char *smtp_reply_status_name(enum smtp_reply_status st);

/*
 * smtp_reply_line - text of line i (0-based), without the code prefix;
 * *len receives its length. NULL when i is out of range.
 */
const char *smtp_reply_line(const struct smtp_reply *r, size_t i, size_t *len);

/*
 * smtp_reply_format - the whole reply on one line for logs and bounces:
 * "550 5.1.1 first line text; second line text". Control characters are
 * replaced by '?'. Appends to out.
 */
void smtp_reply_format(const struct smtp_reply *r, struct strbuf *out);

/* EHLO keywords postern cares about (bit flags in smtp_caps.flags). */
#define SMTP_CAP_PIPELINING	0x0001u
#define SMTP_CAP_SIZE		0x0002u
#define SMTP_CAP_8BITMIME	0x0004u
#define SMTP_CAP_SMTPUTF8	0x0008u
#define SMTP_CAP_DSN		0x0010u
#define SMTP_CAP_STARTTLS	0x0020u
#define SMTP_CAP_AUTH		0x0040u
#define SMTP_CAP_ENHANCED	0x0080u
#define SMTP_CAP_CHUNKING	0x0100u

/* SASL mechanisms (bit flags in smtp_caps.auth). */
#define SMTP_AUTH_PLAIN		0x01u
#define SMTP_AUTH_LOGIN		0x02u
#define SMTP_AUTH_CRAM_MD5	0x04u
#define SMTP_AUTH_XOAUTH2	0x08u
#define SMTP_AUTH_OAUTHBEARER	0x10u

struct smtp_caps {
	unsigned flags;		/* SMTP_CAP_* */
	unsigned auth;		/* SMTP_AUTH_* offered */
	uint64_t size_limit;	/* SIZE argument; 0 = none or unlimited */
};

/*
 * smtp_reply_caps - parse a complete 250 EHLO reply into caps. The first
 * line (the server's name) is skipped; keywords are case-insensitive;
 * unknown keywords and mechanisms are ignored; "AUTH=" (old form) counts
 * as AUTH. A malformed SIZE argument is treated as no limit.
 */
void smtp_reply_caps(const struct smtp_reply *r, struct smtp_caps *caps);

/* smtp_reply_auth_name - the SASL name of one SMTP_AUTH_* bit */
const char *smtp_reply_auth_name(unsigned mech);
/* smtp_reply_auth_bit - SMTP_AUTH_* for a SASL name (any case), 0 if unknown */
unsigned smtp_reply_auth_bit(const char *name, size_t len);

#endif
