/*
 * secret.h - fetch the smarthost password or OAuth token. Only posternd
 * (and postern probe) call this; sendmail and the spool writer never can,
 * because the files are readable by the postern user alone.
 *
 * A password comes from password_file (its first line) or from the
 * standard output of password_command; a token from oauth_token_command,
 * run for every connection because tokens expire. Commands run through
 * /bin/sh -c with stdin on /dev/null, a 30-second limit, and their output
 * capped at 16 KiB; one trailing newline is removed. The secret is never
 * logged. The caller releases it with secret_free(), which wipes it.
 */
#ifndef POSTERN_SECRET_H
#define POSTERN_SECRET_H

#include "strbuf.h"

/* secret_from_file - first line of path; NULL with a reason in err */
char *secret_from_file(const char *path, struct strbuf *err);
/* secret_from_command - output of command; NULL with a reason in err */
char *secret_from_command(const char *command, struct strbuf *err);
/* secret_free - wipe and free (NULL allowed) */
void secret_free(char *secret);

#endif
