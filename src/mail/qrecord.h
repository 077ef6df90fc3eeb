/*
 * qrecord.h - the queue file format, shared by the front-end (encoder), the
 * spool writer (which prepends the trusted lines) and the worker (decoder).
 *
 * A queue file is line-oriented text followed by the message bytes:
 *
 *   postern-queue 1          \
 *   uid 1000                  | written by the spool writer only, from its
 *   login alice               | own credentials and clock
 *   arrival 1732380000       /
 *   sender <alice@example.com>      envelope sender; "<>" = null sender
 *   rcpt <bob@example.org>          one per recipient, in order
 *   notify SUCCESS,FAILURE          optional, DSN NOTIFY for the rcpt above
 *                                   (dsn_param.h; before its orcpt)
 *   orcpt rfc822;bob@example.org    optional, DSN ORCPT for the rcpt above
 *   ret HDRS                        optional DSN RET (FULL or HDRS)
 *   envid abc123                    optional DSN ENVID
 *   body 8BITMIME                   optional (7BIT or 8BITMIME)
 *   smtputf8 yes                    optional
 *   report yes                      optional: publish the first attempt's
 *                                   result for the submitter (-odi)
 *   message 1234                    the number of message bytes that follow
 *   <1234 bytes: the message, LF line endings>
 *   end                             trailer: the record is complete
 *
 * The front-end sends everything from "sender" to "end". No line may hold
 * CR, LF or NUL; the message may hold anything. The decoder trusts
 * nothing: every line is checked, duplicates and unknown keys are errors,
 * and the length and trailer must match exactly.
 */
#ifndef POSTERN_QRECORD_H
#define POSTERN_QRECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsn_param.h"
#include "strbuf.h"

#define QRECORD_MAGIC		"postern-queue 1"
#define QRECORD_LINE_MAX	4096	/* one envelope line, newline included */
/* uids are 32-bit unsigned; (uid_t)-1 is "no uid" */
#define QRECORD_UID_MAX		4294967294ULL
#define QRECORD_RCPT_MAX	10000

struct qrecord_rcpt {
	char *address;		/* addr-spec without angle brackets */
	unsigned notify;	/* DSN_NOTIFY_* bits; 0 = not given */
	char *orcpt;		/* NULL or "rfc822;addr" */
};

struct qrecord {
	long uid;		/* -1 when not present (front-end part only) */
	char *login;
	int64_t arrival;	/* seconds since the epoch */
	char *sender;		/* "" = null sender */
	struct qrecord_rcpt *rcpts;
	size_t nrcpts;
	enum dsn_ret ret;	/* DSN RET; DSN_RET_UNSET = not given */
	char *envid;		/* NULL, or valid by dsn_envid_valid() */
	char *body;		/* NULL, "7BIT" or "8BITMIME" */
	bool smtputf8;
	bool report;		/* -odi: the submitter waits for the first attempt */
	const char *message;	/* points into the decoded buffer */
	size_t message_len;
};

/* qrecord_add_rcpt - append a recipient; strings are copied */
void qrecord_add_rcpt(struct qrecord *rec, const char *address,
    unsigned notify, const char *orcpt);

/*
 * qrecord_encode_trusted - append the writer's lines (magic, uid, login,
 * arrival) to out, for the worker when it stores an entry itself (the
 * set-gid writer prints the same lines without allocating)
 */
void qrecord_encode_trusted(struct strbuf *out, long uid, const char *login,
    int64_t arrival);

/*
 * qrecord_encode_envelope - append the front-end part ("sender" .. "end")
 * for rec and the given message to out. Returns false, with a reason in
 * err, if a field holds a character a line cannot carry.
 */
bool qrecord_encode_envelope(const struct qrecord *rec, const char *message,
    size_t message_len, struct strbuf *out, struct strbuf *err);

/*
 * qrecord_decode - parse a whole queue file. With trusted_part true the
 * writer's lines (magic, uid, login, arrival) are required first;
 * otherwise they are forbidden. rec->message points into buf, which must
 * outlive rec. Returns false with a reason in err on any defect, having
 * freed whatever it allocated; on success the caller calls qrecord_free().
 */
bool qrecord_decode(const char *buf, size_t len, bool trusted_part,
    struct qrecord *rec, struct strbuf *err);

/* qrecord_free - release what qrecord_decode or qrecord_add_rcpt allocated */
void qrecord_free(struct qrecord *rec);

#endif
