/*
 * dsn_param.h - the DSN parameters of RFC 3461 as typed values, parsed in
 * one place for every way they arrive and leave: sendmail's -N and -R,
 * MAIL/RCPT parameters of "sendmail -bs", the queue record, the bounce
 * decision and the SMTP client's MAIL/RCPT commands.
 *
 *   NOTIFY  NEVER, or a list of SUCCESS, FAILURE and DELAY (any case, no
 *           word twice); a bit set, 0 when not given
 *   RET     FULL or HDRS (any case)
 *   ENVID   1 to 100 printable ASCII characters, no space
 *
 * The text forms written (dsn_notify_format, dsn_ret_name) are canonical
 * upper case, and every parser accepts what they write.
 */
#ifndef POSTERN_DSN_PARAM_H
#define POSTERN_DSN_PARAM_H

#include <stdbool.h>
#include <stddef.h>

#define DSN_NOTIFY_NEVER	0x1u
#define DSN_NOTIFY_SUCCESS	0x2u
#define DSN_NOTIFY_FAILURE	0x4u
#define DSN_NOTIFY_DELAY	0x8u

/* Room for the longest canonical NOTIFY list, with its NUL. */
#define DSN_NOTIFY_TEXT_MAX	sizeof("SUCCESS,FAILURE,DELAY")

enum dsn_ret { DSN_RET_UNSET, DSN_RET_FULL, DSN_RET_HDRS };

/* dsn_notify_parse - text to DSN_NOTIFY_* bits; false if malformed */
bool dsn_notify_parse(const char *text, unsigned *bits);
/* dsn_notify_format - bits to "NEVER" or "SUCCESS,FAILURE"; "" for 0 */
void dsn_notify_format(unsigned bits, char *buf, size_t size);
/* dsn_notify_wants - whether bits ask for a report of kind DSN_NOTIFY_x
   (0 = not given: failures and delays, RFC 3461's default) */
bool dsn_notify_wants(unsigned bits, unsigned kind);

/* dsn_ret_parse - "FULL"/"HDRS" in any case; false if neither */
bool dsn_ret_parse(const char *text, enum dsn_ret *ret);
/* dsn_ret_name - "FULL", "HDRS", or NULL for DSN_RET_UNSET */
const char *dsn_ret_name(enum dsn_ret ret);

/* dsn_envid_valid - whether text may be an ENVID */
bool dsn_envid_valid(const char *text);

#endif
