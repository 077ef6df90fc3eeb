/*
 * conf_files.h - "postern check-config" looks at the files the worker
 * will use, as the worker will see them.
 *
 * conf_load() checks none of this, because programs that never read
 * these files (sendmail, run by any user) load the same configuration.
 * For every file postern.conf names (password_file, tls_client_key,
 * tls_client_cert, tls_ca_file, tls_ca_dir and the programs of
 * password_command and oauth_token_command), one line per problem, with
 * the exact fix where one applies:
 *
 *   error:   the worker's user cannot read it (or search a directory on
 *            its way): "fix: chgrp postern F && chmod 0640 F";
 *   warning: it lies under /home, /root, /run/user, /tmp or /var/tmp,
 *            which postern.service does not show the worker
 *            (ProtectHome=, PrivateTmp=);
 *   warning: missing; a secret readable or writable by other users, or
 *            writable by its group; a program others may change.
 *
 * The worker's user is the owner of the spool's queue directory (the
 * user posternd switches to), else the "postern" user; when neither
 * exists the readability check is left out.
 */
#ifndef POSTERN_CONF_FILES_H
#define POSTERN_CONF_FILES_H

#include <stdio.h>
#include <sys/types.h>

#include "conf.h"

struct conf_files_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];		/* supplementary groups, gid included */
	int ngroups;
	char name[64];
};

/* conf_files_worker_user - who the worker runs as; false if unknown */
bool conf_files_worker_user(const char *spool, struct conf_files_user *u);

/*
 * conf_check_files - write the lines above to out; user NULL leaves out
 * the readability check. Returns the number of errors (warnings are not
 * counted): a worker that cannot read its files cannot deliver.
 */
int conf_check_files(const struct conf *conf, const struct conf_files_user *user,
    FILE *out);

#endif
