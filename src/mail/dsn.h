/*
 * dsn.h - delivery status notifications (RFC 3464, RFC 3462/6522): the
 * bounce and delay-warning messages the worker sends to an envelope
 * sender, and the postmaster copy of a bounce that could not be returned.
 *
 * The message is multipart/report; report-type=delivery-status with three
 * parts: a short human explanation, message/delivery-status with one
 * per-recipient block each, and the original message's headers
 * (text/rfc822-headers), or the whole original (message/rfc822) when the
 * sender asked for RET=FULL. It carries "Auto-Submitted: auto-replied" and
 * is always sent with the null sender, so it cannot itself be bounced.
 * Line endings are LF, the queue's normal form.
 */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum dsn_type {
	DSN_FAILED,		/* bounce to the sender */
	DSN_DELAYED,		/* delay warning to the sender */
	DSN_POSTMASTER,		/* a bounce that could not be returned */
};

struct dsn_rcpt {
	const char *address;	/* final recipient */
	const char *orcpt;	/* "rfc822;addr" as given, or NULL */
	const char *reply;	/* the server's reply or the local reason */
	const char *remote_mta;	/* smarthost name, NULL when none answered */
};

struct dsn_report {
	enum dsn_type type;
	const char *qid;		/* queue ID of the original */
	const char *hostname;		/* this host: Reporting-MTA, From domain */
	const char *to;			/* who receives the notification */
	const char *original_sender;	/* "" for the null sender */
	const char *envid;		/* ENVID of the original, or NULL */
	int64_t arrival;		/* of the original */
	int64_t retry_until;		/* DSN_DELAYED: when postern gives up */
	const char *message;		/* the original, LF line endings */
	size_t message_len;
	bool return_full;		/* RET=FULL: attach the whole message */
};

/*
 * dsn_status - the RFC 3463 status code for a reply of class klass ('2',
 * '4' or '5'): its enhanced code when it starts "NNN x.y.z" and both
 * agree with klass, or, for postern's own refusals, when it starts with
 * the code ("5.3.4 message size ..."); otherwise "klass.0.0". buf must
 * hold 16 bytes.
 */
void dsn_status(const char *reply, char klass, char *buf, size_t size);

/* dsn_build - append the complete notification message to out */
void dsn_build(const struct dsn_report *r, const struct dsn_rcpt *rcpts,
    size_t nrcpts, struct strbuf *out);

#endif
