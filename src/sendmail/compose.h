/*
 * compose.h - turn what a sendmail caller gave (options, arguments, the
 * message in normal form) into a queue record: the envelope sender, the
 * expanded recipient list, and a header block with the fix-ups a
 * submission needs.
 *
 * Sender: -f (validated; "<>" is the null sender), else the caller's login
 * at the configured domain; then envelope_sender forcing and masquerading
 * from [sender] in postern.conf. Recipients: the argument words (each may
 * be a comma-separated list) plus, with -t, the To/Cc/Bcc (or first
 * Resent- block) of the message, each validated as an envelope address,
 * alias-expanded, qualified and de-duplicated. Headers: Bcc and Resent-Bcc
 * removed; Date, Message-ID and From added when missing; "To:
 * undisclosed-recipients:;" when there is neither To nor Cc.
 *
 * Errors carry a sysexits status: EX_USAGE for no recipients or a bad
 * address on the command line, EX_DATAERR for a message that cannot be
 * accepted (NUL in the header block, a header address that does not parse
 * with -t).
 */
#ifndef POSTERN_COMPOSE_H
#define POSTERN_COMPOSE_H

#include <time.h>

#include "aliases.h"
#include "cmdline.h"
#include "conf.h"
#include "qrecord.h"
#include "strbuf.h"

struct compose_identity {
	const char *login;	/* the caller's login name */
	const char *gecos_name;	/* full name from the password file, or NULL */
};

/*
 * compose_message - fill rec (sender, rcpts, DSN fields, body type) and
 * write the final message into out. Returns 0 or a sysexits status with a
 * one-line reason in err. The caller frees rec with qrecord_free() after
 * clearing the fields it did not allocate (none: every string is owned).
 */
int compose_message(const struct cmdline *cl, const struct conf *conf,
    const struct aliases *aliases, const struct compose_identity *who,
    const struct strbuf *message, struct qrecord *rec, struct strbuf *out,
    struct strbuf *err);

/*
 * compose_envelope_sender - the envelope sender for a -f value (NULL when
 * not given) after validation, qualification, forcing and masquerading.
 * Returns a heap string ("" for the null sender) or NULL with err set.
 */
char *compose_envelope_sender(const char *given, const struct conf *conf,
    const struct compose_identity *who, struct strbuf *err);

/*
 * compose_add_recipient - validate one envelope recipient (an argument
 * word or an SMTP RCPT path), expand aliases and append the results to
 * rec with the DSN NOTIFY value given. Returns 0 or EX_USAGE with err set.
 */
int compose_add_recipient(const char *text, unsigned notify,
    const struct conf *conf, const struct aliases *aliases,
    struct qrecord *rec, struct strbuf *err);

/*
 * compose_fix_headers - apply the header fix-ups to message (normal form)
 * and write the result to out. Returns 0, or EX_DATAERR with err set.
 */
int compose_fix_headers(const struct strbuf *message, const struct conf *conf,
    const struct compose_identity *who, const char *full_name,
    const char *sender, struct strbuf *out, struct strbuf *err);

#endif
