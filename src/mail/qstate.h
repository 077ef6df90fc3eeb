/*
 * qstate.h - the delivery state of one queue entry: what has happened to
 * each recipient, when to try again, and why the last attempt failed.
 *
 * The worker rewrites queue/QID.state atomically after every attempt, so
 * a recipient recorded as sent is never sent again, whatever happens to
 * the process afterwards. A missing state file means a fresh entry: every
 * recipient pending, due now. The format is line-oriented text:
 *
 *   postern-state 1
 *   kind mail                    mail | bounce | double-bounce
 *   attempts 2
 *   last 1732380000              time of the last attempt (0 = none)
 *   next 1732380060              earliest next attempt
 *   hold no                      yes = held by the administrator
 *   warned no                    yes = a delay warning was sent
 *   relay smtp.example.com[192.0.2.1]:587 starttls
 *   reason 451 4.3.0 Try again later        why the entry is deferred
 *   rcpt 0 sent 250 2.0.0 Ok: queued as X   one per recipient, in order
 *   rcpt 1 pending 451 4.2.0 Mailbox busy
 *   rcpt 2 bounced 550 5.1.1 No such user
 *
 * Texts are stored on one line: CR, LF and NUL become spaces. Decoding
 * checks every line and needs exactly one rcpt line per recipient of the
 * queue file.
 */
#ifndef POSTERN_QSTATE_H
#define POSTERN_QSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define QSTATE_MAGIC	"postern-state 1"

enum qstate_kind {
	QSTATE_MAIL,		/* submitted by a user */
	QSTATE_BOUNCE,		/* a DSN postern generated (null sender) */
	QSTATE_DOUBLE_BOUNCE,	/* a failed bounce, sent to the postmaster */
};

enum qstate_rcpt_status {
	QSTATE_PENDING,		/* not delivered yet (maybe deferred) */
	QSTATE_SENT,		/* accepted by the smarthost: done */
	QSTATE_BOUNCED,		/* failed for good: done, sender notified */
};

struct qstate_rcpt {
	enum qstate_rcpt_status status;
	char *text;		/* last reply or error; NULL = none */
};

struct qstate {
	enum qstate_kind kind;
	unsigned attempts;
	int64_t last_attempt;
	int64_t next_attempt;
	bool hold;
	bool warned;
	char *relay;		/* "host[addr]:port mode" of the last attempt */
	char *reason;		/* why deferred; NULL = no failure yet */
	struct qstate_rcpt *rcpts;
	size_t nrcpts;
};

/* qstate_init - a fresh state: kind mail, nrcpts pending, due now */
void qstate_init(struct qstate *st, size_t nrcpts);
void qstate_free(struct qstate *st);

/* qstate_set_text - replace *slot with a one-line copy of text (or NULL) */
void qstate_set_text(char **slot, const char *text);

/* qstate_encode - append the file form of st to out */
void qstate_encode(const struct qstate *st, struct strbuf *out);

/*
 * qstate_decode - parse a state file for an entry with nrcpts recipients.
 * Returns false with a reason in err, having freed what it allocated.
 */
bool qstate_decode(const char *buf, size_t len, size_t nrcpts,
    struct qstate *st, struct strbuf *err);

/* qstate_pending - how many recipients are still pending */
size_t qstate_pending(const struct qstate *st);

const char *qstate_kind_name(enum qstate_kind kind);
const char *qstate_status_name(enum qstate_rcpt_status status);

/*
 * qstate_backoff_ms - the wait before attempt number attempts + 1, after
 * attempts (>= 1) failures: min_ms doubled per failure, capped at max_ms,
 * then spread by +-25 % with jitter (0..UINT32_MAX) and kept within
 * [min_ms, max_ms], so a backlog deferred together does not retry in
 * lock step.
 */
uint64_t qstate_backoff_ms(unsigned attempts, uint64_t min_ms, uint64_t max_ms,
    uint32_t jitter);

#endif
