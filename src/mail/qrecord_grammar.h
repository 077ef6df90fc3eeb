/*
 * qrecord_grammar.h - the one definition of a queue record's envelope
 * lines ("sender" through "message N", qrecord.h), checked one line at a
 * time without allocating.
 *
 * Three parties read the same envelope and must agree on it exactly:
 * the front end's encoder (refuses to write what the worker would
 * refuse), the set-gid writer (refuses a direct caller's record that the
 * worker would refuse, so exit 0 always means "will be delivered or
 * bounced") and the worker's decoder (trusts nothing it reads). All three
 * feed each line to qgrammar_line(), so none can accept what another
 * refuses. The grammar is strict:
 *
 *   - keys in the order sender, rcpt (each followed by at most one
 *     notify, then at most one orcpt), ret, envid, body, smtputf8,
 *     report, message; every key but rcpt at most once;
 *   - sender and rcpt hold one RFC 5321 path in angle brackets and
 *     nothing else: a Mailbox (Dot-string or Quoted-string "@" Domain or
 *     address literal; UTF-8 allowed as RFC 6531 does), or "<>" for the
 *     sender; no leading '-';
 *   - notify in its canonical spelling, orcpt as "addr-type;xtext", envid
 *     as dsn_envid_valid(), ret FULL or HDRS, body 7BIT or 8BITMIME,
 *     smtputf8 and report "yes";
 *   - at most QRECORD_RCPT_MAX recipients, "message N" in canonical
 *     decimal, and only once there are a sender and a recipient.
 *
 * The writer's own lines (postern-queue, uid, login, arrival) are not
 * envelope lines: qgrammar_line() refuses them.
 */
#ifndef POSTERN_QRECORD_GRAMMAR_H
#define POSTERN_QRECORD_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the reader is in the envelope; start with QGRAMMAR_INIT. */
struct qgrammar {
	int stage;		/* index of the last key's group; -1 at start */
	size_t nrcpts;
	bool notify_seen;	/* for the current recipient */
	bool orcpt_seen;
};

#define QGRAMMAR_INIT { -1, 0, false, false }

enum qgrammar_key {
	QG_BAD,			/* refused; *why says why */
	QG_SENDER, QG_RCPT, QG_NOTIFY, QG_ORCPT, QG_RET, QG_ENVID, QG_BODY,
	QG_SMTPUTF8, QG_REPORT,
	QG_MESSAGE,		/* "message N": the envelope is complete */
};

/*
 * qgrammar_line - check line[0..len) (no newline; may hold any byte) as
 * the next envelope line. On success returns its key, *value points at
 * the value inside line (value_len bytes) and, for QG_MESSAGE,
 * *message_len is N. N must not exceed max_message. On refusal returns
 * QG_BAD with a static reason in *why.
 */
enum qgrammar_key qgrammar_line(struct qgrammar *g, const char *line,
    size_t len, uint64_t max_message, const char **value, size_t *value_len,
    uint64_t *message_len, const char **why);

/*
 * qgrammar_path - whether s[0..len) is one strict RFC 5321 Mailbox
 * (without angle brackets), or empty when null_ok. NULL when it is,
 * else a static reason.
 */
const char *qgrammar_path(const char *s, size_t len, bool null_ok);

#endif
