/*
 * conf_files.c - check the files postern.conf names as the worker will see
 * them; see conf_files.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_files.h"
#include "spool_owner.h"
#include "strutil.h"

/* What the worker's sandbox (postern.service) hides, and the option why. */
static const struct {
	const char *prefix;
	const char *option;
} conf_files_hidden[] = {
	{ "/home/", "ProtectHome=yes" }, { "/root/", "ProtectHome=yes" },
	{ "/run/user/", "ProtectHome=yes" }, { "/tmp/", "PrivateTmp=yes" },
	{ "/var/tmp/", "PrivateTmp=yes" },
};

bool
conf_files_worker_user(const char *spool, struct conf_files_user *u)
{
	struct passwd *pw = NULL;
	uid_t uid;
	gid_t gid;

	memset(u, 0, sizeof(*u));
	if (spool_owner_of_queue(spool, &uid, &gid))
		pw = getpwuid(uid);
	else if ((pw = getpwnam("postern")) != NULL)
		uid = pw->pw_uid, gid = pw->pw_gid;
	else
		return false;
	u->uid = uid;
	u->gid = pw ? pw->pw_gid : gid;
	u->groups[0] = u->gid;
	u->ngroups = 1;
	if (pw) {
		int n = (int)(sizeof(u->groups) / sizeof(u->groups[0]));

		STR_TRUNCATION_OK(str_copy(u->name, sizeof(u->name), pw->pw_name));
		if (getgrouplist(pw->pw_name, u->gid, u->groups, &n) >= 0)
			u->ngroups = n;
	} else {
		STR_TRUNCATION_OK(str_format(u->name, sizeof(u->name), "uid %lu",
		    (unsigned long)uid));
	}
	return true;
}

/* conf_files_in_group - whether the user is a member of gid */
static bool
conf_files_in_group(const struct conf_files_user *u, gid_t gid)
{
	for (int i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}

/* conf_files_may - whether u may access st with the permission bit (4, 1) */
static bool
conf_files_may(const struct conf_files_user *u, const struct stat *st,
    unsigned bit)
{
	if (u->uid == 0)
		return true;
	if (st->st_uid == u->uid)
		return (st->st_mode >> 6) & bit;
	if (conf_files_in_group(u, st->st_gid))
		return (st->st_mode >> 3) & bit;
	return st->st_mode & bit;
}

/*
 * conf_files_blocker - the first directory on path u cannot search, or
 * path itself if u cannot read it (copied to where); false if u can
 */
static bool
conf_files_blocker(const struct conf_files_user *u, const char *path,
    char *where, size_t size, struct stat *st)
{
	char prefix[4096];

	for (const char *p = path; (p = strchr(p + 1, '/')) != NULL;) {
		if (!str_format(prefix, sizeof(prefix), "%.*s", (int)(p - path), path))
			return false;
		if (stat(prefix, st) == 0 && !conf_files_may(u, st, 1)) {
			STR_TRUNCATION_OK(str_copy(where, size, prefix));
			return true;
		}
	}
	if (stat(path, st) != 0 || conf_files_may(u, st, 4))
		return false;
	STR_TRUNCATION_OK(str_copy(where, size, path));
	return true;
}

/* conf_files_owner_text - "root:root" */
static void
conf_files_owner_text(const struct stat *st, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	char uid[24], gid[24];

	STR_TRUNCATION_OK(str_format(uid, sizeof(uid), "%lu", (unsigned long)st->st_uid));
	STR_TRUNCATION_OK(str_format(gid, sizeof(gid), "%lu", (unsigned long)st->st_gid));
	STR_TRUNCATION_OK(str_format(buf, size, "%s:%s", pw ? pw->pw_name : uid,
	    gr ? gr->gr_name : gid));
}

/* conf_files_group_name - the name of the user's own group, for a fix */
static void
conf_files_group_name(const struct conf_files_user *u, char *buf, size_t size)
{
	struct group *gr = getgrgid(u->gid);

	if (gr)
		STR_TRUNCATION_OK(str_copy(buf, size, gr->gr_name));
	else
		STR_TRUNCATION_OK(str_format(buf, size, "%lu", (unsigned long)u->gid));
}

/* conf_files_hidden_warning - a path the unit's sandbox hides */
static void
conf_files_hidden_warning(FILE *out, const char *what, const char *path)
{
	for (size_t i = 0; i < sizeof(conf_files_hidden) / sizeof(conf_files_hidden[0]); i++)
		if (str_has_prefix(path, conf_files_hidden[i].prefix))
			fprintf(out, "warning: %s %s is under %s, which postern.service "
			    "hides from the worker (%s); fix: move it to /etc/postern/ "
			    "and name the new path in postern.conf\n", what, path,
			    conf_files_hidden[i].prefix, conf_files_hidden[i].option);
}

/*
 * conf_files_visible - whether the worker's user can read an existing
 * file: an error line with the fix when it cannot. Returns the number of
 * errors.
 */
static int
conf_files_visible(FILE *out, const char *what, const char *path, bool secret,
    const struct conf_files_user *u)
{
	char where[4096], owner[160], group[64];
	struct stat st;
	bool dir;

	if (u == NULL || !conf_files_blocker(u, path, where, sizeof(where), &st))
		return 0;
	conf_files_owner_text(&st, owner, sizeof(owner));
	conf_files_group_name(u, group, sizeof(group));
	dir = strcmp(where, path) != 0 || S_ISDIR(st.st_mode);
	fprintf(out, "error: %s %s cannot be read by %s, the user posternd runs "
	    "as: %s is %s, mode %04o; fix: ", what, path, u->name, where, owner,
	    (unsigned)(st.st_mode & 07777));
	if (dir)
		fprintf(out, "chmod o+x %s (or move the file to /etc/postern/)\n",
		    where);
	else if (secret)
		fprintf(out, "chgrp %s %s && chmod 0640 %s\n", group, path, path);
	else
		fprintf(out, "chmod 0644 %s\n", path);
	return 1;
}

/* conf_files_warn_stat - report a file stat() failed on */
static void
conf_files_warn_stat(FILE *out, const char *what, const char *path)
{
	if (errno == ENOENT)
		fprintf(out, "warning: %s %s does not exist\n", what, path);
	else
		fprintf(out, "warning: %s %s cannot be checked: %s\n", what,
		    path, strerror(errno));
}

/* conf_files_find_program - the file a command's first word names */
static bool
conf_files_find_program(const char *command, char *path, size_t size)
{
	char word[1024];
	const char *p = command, *dirs, *colon;
	size_t len;

	while (isspace((unsigned char)*p))
		p++;
	for (len = 0; p[len] != '\0' && !isspace((unsigned char)p[len]); len++)
		;
	if (len == 0 || !str_format(word, sizeof(word), "%.*s", (int)len, p))
		return false;
	if (strchr(word, '/') != NULL)
		return str_copy(path, size, word);
	if ((dirs = getenv("PATH")) == NULL)
		dirs = "/usr/bin:/bin";
	for (; ; dirs = colon + 1) {
		colon = strchr(dirs, ':');
		len = colon ? (size_t)(colon - dirs) : strlen(dirs);
		if (len > 0 && str_format(path, size, "%.*s/%s", (int)len, dirs,
		    word) && access(path, X_OK) == 0)
			return true;
		if (colon == NULL)
			return false;
	}
}

/*
 * conf_files_stat - the checks before a file's own: NULL (not set) or
 * missing gives false, a path the sandbox hides a warning
 */
static bool
conf_files_stat(FILE *out, const char *what, const char *path, struct stat *st)
{
	if (path == NULL)
		return false;
	conf_files_hidden_warning(out, what, path);
	if (stat(path, st) != 0) {
		conf_files_warn_stat(out, what, path);
		return false;
	}
	return true;
}

/*
 * conf_files_secret - a secret file: missing, readable or writable by
 * other users, or writable by its group; then its visibility
 */
static int
conf_files_secret(FILE *out, const char *what, const char *path,
    const struct conf_files_user *u)
{
	char group[64] = "";
	struct stat st;
	mode_t mode;
	const char *problem = NULL;

	if (!conf_files_stat(out, what, path, &st))
		return 0;
	mode = st.st_mode & 07777;
	if ((mode & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH))
		problem = "readable and writable by other users";
	else if (mode & S_IROTH)
		problem = "readable by other users";
	else if (mode & S_IWOTH)
		problem = "writable by other users";
	else if (mode & S_IWGRP)
		problem = "writable by its group";
	if (problem && u && u->uid != 0 && st.st_uid != u->uid &&
	    !conf_files_in_group(u, st.st_gid))
		conf_files_group_name(u, group, sizeof(group));
	if (problem && group[0])	/* the worker reads it as "other" now */
		fprintf(out, "warning: %s is %s (mode %04o); fix: chgrp %s %s && "
		    "chmod 0640 %s\n", path, problem, (unsigned)mode, group, path,
		    path);
	else if (problem)
		fprintf(out, "warning: %s is %s (mode %04o); fix: chmod %04o %s\n",
		    path, problem, (unsigned)mode, (unsigned)(mode & 0740), path);
	return conf_files_visible(out, what, path, true, u);
}

/* conf_files_program - a program others may change; then its visibility */
static int
conf_files_program(FILE *out, const char *what, const char *command,
    const struct conf_files_user *u)
{
	char path[4096];
	struct stat st;
	mode_t mode;

	if (command == NULL || !conf_files_find_program(command, path,
	    sizeof(path)) || !conf_files_stat(out, what, path, &st))
		return 0;
	mode = st.st_mode & 07777;
	if (mode & (S_IWGRP | S_IWOTH))
		fprintf(out, "warning: %s %s is writable by %s (mode %04o); "
		    "fix: chmod %04o %s\n", what, path, mode & S_IWOTH ?
		    "other users" : "its group", (unsigned)mode,
		    (unsigned)(mode & ~(mode_t)(S_IWGRP | S_IWOTH)), path);
	return conf_files_visible(out, what, path, false, u);
}

/* conf_files_public - a certificate or CA: its type, then its visibility */
static int
conf_files_public(FILE *out, const char *what, const char *path, bool dir,
    const struct conf_files_user *u)
{
	struct stat st;

	if (!conf_files_stat(out, what, path, &st))
		return 0;
	if (dir != S_ISDIR(st.st_mode)) {
		fprintf(out, "warning: %s %s is not a %s\n", what, path,
		    dir ? "directory" : "file");
		return 0;
	}
	return conf_files_visible(out, what, path, false, u);
}

int
conf_check_files(const struct conf *conf, const struct conf_files_user *u,
    FILE *out)
{
	int errors = 0;

	for (size_t i = 0; i < conf->nsmarthosts; i++) {
		const struct conf_smarthost *sh = &conf->smarthosts[i];

		errors += conf_files_secret(out, "password_file",
		    sh->password_file, u);
		errors += conf_files_secret(out, "tls_client_key",
		    sh->tls.client_key, u);
		errors += conf_files_program(out, "password_command program",
		    sh->password_command, u);
		errors += conf_files_program(out, "oauth_token_command program",
		    sh->oauth_token_command, u);
		errors += conf_files_public(out, "tls_client_cert",
		    sh->tls.client_cert, false, u);
		errors += conf_files_public(out, "tls_ca_file", sh->tls.ca_file,
		    false, u);
		errors += conf_files_public(out, "tls_ca_dir", sh->tls.ca_dir,
		    true, u);
	}
	return errors;
}
