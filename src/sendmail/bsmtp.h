/*
 * bsmtp.h - "sendmail -bs": an SMTP session on stdin/stdout, as Symfony
 * Mailer's default sendmail transport uses it.
 *
 * Each accepted message is composed and queued exactly as the command
 * line path does (compose.h, submit.h); the reply to the final dot says
 * whether it was queued. Commands: HELO, EHLO, MAIL, RCPT, DATA, RSET,
 * NOOP, VRFY (252), HELP, QUIT; several messages per session. Input lines
 * are limited to BSMTP_LINE_MAX bytes.
 */
#ifndef POSTERN_BSMTP_H
#define POSTERN_BSMTP_H

#include <stdio.h>

#include "aliases.h"
#include "compose.h"
#include "conf.h"

#define BSMTP_LINE_MAX 4096

/* bsmtp_session - run one session; returns EX_OK or EX_TEMPFAIL if any
 * message could not be queued */
int bsmtp_session(FILE *in, FILE *out, const struct conf *conf,
    const struct aliases *aliases, const struct compose_identity *who);

#endif
