/*
 * addr.h - RFC 5322 address lists and envelope addresses.
 *
 * addr_list_parse() reads an address-list as found in To, Cc, Bcc and
 * Resent-* header values, or a comma-separated recipient argument: display
 * names (quoted or encoded-word, kept as written), bare addr-specs, quoted
 * local parts, comments (nested, and the old "a@x (Full Name)" form),
 * groups (expanded to their members), domain literals, empty elements,
 * obsolete routes, UTF-8, and unqualified local names such as "root". The
 * text may still be folded. It is lenient about obsolete forms but never
 * repairs an unterminated quoted string, comment, domain literal or '<'.
 *
 * addr_envelope_parse() checks one address given on the command line or in
 * an SMTP MAIL FROM/RCPT TO path. It accepts far less than a header does:
 * no whitespace outside quotes, no comments, no display name, no control
 * characters, nothing starting with '-'. Its result is safe to put into an
 * SMTP command or a header.
 *
 * Every function reports failure as an addr_status code and, when err is
 * not NULL, a one-line message in err (replacing its contents). Nothing is
 * printed. All strings handed out are heap copies owned by the caller.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define ADDR_SPEC_MAX 998		/* bytes in one normalized addr-spec */
#define ADDR_LIST_MAX 10000		/* addresses in one addr_list */
#define ADDR_TEXT_MAX (256 * 1024)	/* bytes of text given to one parse */

enum addr_status {
	ADDR_OK = 0,
	ADDR_E_SYNTAX,		/* malformed address or list */
	ADDR_E_UNSAFE,		/* NUL, line break, control character, leading '-' */
	ADDR_E_LIMIT,		/* one of the maxima above was exceeded */
};

enum addr_role {
	ADDR_SENDER,		/* may be the null sender: "", "<>" or "\"\"" */
	ADDR_RECIPIENT,
};

/*
 * One mailbox. spec is the wire form: local part re-quoted only when it is
 * not a dot-atom, then "@" and the domain exactly as written; an
 * unqualified address is the local part alone. local is the decoded local
 * part (quotes and backslashes removed). domain is NULL when unqualified.
 * display is the display name with quoted strings decoded and encoded
 * words left as they are, or the comment of the old "a@x (Name)" form, or
 * NULL. utf8 is true when spec holds non-ASCII bytes (needs SMTPUTF8).
 */
struct addr {
	char *spec;
	char *local;
	char *domain;
	char *display;
	bool utf8;
};

/* A growing array of addresses; owns every string in it. */
struct addr_list {
	struct addr *items;
	size_t count;
	size_t cap;
};

#define ADDR_LIST_INIT { NULL, 0, 0 }

void addr_list_init(struct addr_list *list);
/* addr_list_free - free every address and the array; the list is empty after */
void addr_list_free(struct addr_list *list);
/* addr_list_truncate - free the addresses from index keep on (undo appends) */
void addr_list_truncate(struct addr_list *list, size_t keep);

/*
 * addr_list_parse - append the addresses in text[0..len) to list.
 * Group members are appended in order; empty groups and empty elements add
 * nothing. On error the list is left as it was before the call.
 */
enum addr_status addr_list_parse(struct addr_list *list, const char *text,
    size_t len, struct strbuf *err);

/*
 * addr_qualify - make an unqualified address "local@domain". Does nothing
 * to an address that already has a domain. Fails (ADDR_E_SYNTAX or
 * ADDR_E_LIMIT) on an invalid domain or an over-long result, leaving a
 * unchanged.
 */
enum addr_status addr_qualify(struct addr *a, const char *domain,
    struct strbuf *err);

/*
 * addr_envelope_parse - validate one envelope address text[0..len):
 * "a@x", "<a@x>", a bare local name, or for ADDR_SENDER the null sender.
 * A source route in angle brackets is dropped. On success *out is the
 * normalized addr-spec ("" for the null sender), which the caller frees.
 * On failure *out is NULL.
 */
enum addr_status addr_envelope_parse(const char *text, size_t len,
    enum addr_role role, char **out, struct strbuf *err);

/* addr_free - free the strings of one address (not the struct itself) */
void addr_free(struct addr *a);

#endif
