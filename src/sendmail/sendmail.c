/*
 * sendmail.c - the sendmail(8) front-end, run unprivileged by cron, PHP,
 * mailx, git and the rest.
 *
 * It parses the command line, reads the whole message from stdin, works
 * out the envelope, applies the header fix-ups, and hands the record to
 * the set-gid spool writer. Exit 0 means the writer stored the message
 * durably. Everything else follows sysexits(3): 64 usage or no
 * recipients, 65 a message that cannot be accepted, 75 a temporary
 * failure (try again), 78 a configuration error.
 *
 * The environment is treated as hostile and sparse: fds 0-2 may be
 * closed, HOME/USER/PATH may be missing (the login comes from the uid),
 * and -C is refused when running set-id.
 */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "bsmtp.h"
#include "cmdline.h"
#include "compose.h"
#include "conf.h"
#include "log.h"
#include "msgin.h"
#include "paths.h"
#include "admin.h"
#include "qrecord.h"
#include "stdfds.h"
#include "strutil.h"
#include "submit.h"

/* sendmail_identity - login and full name from the real uid */
static void
sendmail_identity(struct compose_identity *who, char *login, size_t lsize,
    char *name, size_t nsize)
{
	struct passwd *pw = getpwuid(getuid());

	who->login = login;
	who->gecos_name = NULL;
	if (pw == NULL || !str_copy(login, lsize, pw->pw_name) || login[0] == '\0') {
		STR_MUST_FIT(str_format(login, lsize, "uid%ld", (long)getuid()));
		return;
	}
	if (pw->pw_gecos && pw->pw_gecos[0] && pw->pw_gecos[0] != ',') {
		STR_TRUNCATION_OK(str_copy(name, nsize, pw->pw_gecos));
		name[strcspn(name, ",")] = '\0';
		who->gecos_name = name;
	}
}

/* How long -odi waits for the worker's first attempt. */
#define SENDMAIL_WAIT_MS	120000

/* sendmail_deliver - the default mode: queue one message from stdin */
static int
sendmail_deliver(const struct cmdline *cl, const struct conf *conf,
    const struct aliases *aliases, const struct compose_identity *who)
{
	struct msgin_options mo = { cl->ignore_dots, conf->queue.max_message_size };
	struct strbuf in = STRBUF_INIT, msg = STRBUF_INIT, rec_text = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;
	struct qrecord rec;
	char qid[64];
	int status;

	switch (msgin_read(0, &mo, &in)) {
	case MSGIN_TOO_BIG:
		log_fatal(EX_DATAERR, "message is larger than the %llu byte limit "
		    "(max_message_size); nothing was queued",
		    (unsigned long long)conf->queue.max_message_size);
	case MSGIN_READ_ERROR:
		log_sysfatal(EX_IOERR, "cannot read the message from standard input");
	case MSGIN_OK:
		break;
	}
	status = compose_message(cl, conf, aliases, who, &in, &rec, &msg, &err);
	rec.report = cl->delivery == CMDLINE_DELIVERY_WAIT;
	if (status == 0 &&
	    !qrecord_encode_envelope(&rec, msg.data, msg.len, &rec_text, &err))
		status = EX_DATAERR;
	if (status != 0)
		log_fatal(status, "%s; nothing was queued", strbuf_cstr(&err));
	if ((status = submit_record(&rec_text, qid, sizeof(qid))) != 0)
		log_fatal(status, "the message could not be queued; nothing was queued");
	if (cl->delivery == CMDLINE_DELIVERY_WAIT)
		admin_wait_result(qid, SENDMAIL_WAIT_MS, stderr);
	if (cl->verbose) {
		for (size_t i = 0; i < rec.nrcpts; i++)
			fprintf(stderr, "sendmail: %s: to=<%s>\n", qid, rec.rcpts[i].address);
		fprintf(stderr, "sendmail: %s: from=<%s> size=%zu queued\n", qid,
		    rec.sender, msg.len);
	}
	qrecord_free(&rec);
	strbuf_free(&in);
	strbuf_free(&msg);
	strbuf_free(&rec_text);
	strbuf_free(&err);
	return EX_OK;
}

/* sendmail_check_aliases - -bi / newaliases: report problems, build nothing */
static int
sendmail_check_aliases(const struct cmdline *cl, const struct conf *conf)
{
	struct aliases aliases;
	struct strbuf problems = STRBUF_INIT;
	int n = aliases_load(&aliases, conf, cl->alias_file, &problems);

	fputs(strbuf_cstr(&problems), stderr);
	printf("%zu aliases, %d problem%s\n", aliases.count, n, n == 1 ? "" : "s");
	aliases_free(&aliases);
	strbuf_free(&problems);
	return n ? EX_DATAERR : EX_OK;
}

int
main(int argc, char **argv)
{
	struct cmdline cl;
	struct strbuf err = STRBUF_INIT;
	struct conf *conf;
	struct aliases aliases;
	struct strbuf problems = STRBUF_INIT;
	struct compose_identity who;
	char login[256], name[256];
	enum conf_status cs;
	int status;

	if (!stdfds_ensure())	/* mailutils starts it with fds 1 and 2 closed */
		_exit(EX_OSERR);
	log_init("sendmail", LOG_TO_STDERR);
	if (cmdline_parse(argc, argv, &cl, &err) != 0) {
		log_warn("%s", strbuf_cstr(&err));
		fputs(cmdline_usage(), stderr);
		strbuf_free(&err);
		return EX_USAGE;
	}
	if (cl.warnings[0])
		log_warn("%s", cl.warnings);
	if (cl.config_file) {
		if (paths_is_setid())
			log_fatal(EX_USAGE, "-C is not allowed in a set-id program");
		setenv("POSTERN_CONFIG", cl.config_file, 1);
	}
	if (cl.mode == CMDLINE_NOTHING)
		return EX_OK;
	if (cl.mode == CMDLINE_VERSION) {
		printf("sendmail (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EX_OK;
	}
	if ((cs = conf_load_submission(paths_config_file(), &conf)) != CONF_OK) {
		if (cl.mode == CMDLINE_ALIASES)	/* newaliases checks the file */
			return cs == CONF_UNREADABLE ? EX_NOINPUT : EX_CONFIG;
		log_warn("%s cannot be used (see above); using the built-in "
		    "defaults, so mail is still queued; it is delivered once "
		    "the configuration is fixed (postern check-config)",
		    paths_config_file());
		conf = conf_defaults();
	}
	if (cl.mode == CMDLINE_ALIASES)
		return sendmail_check_aliases(&cl, conf);
	if (cl.mode == CMDLINE_LIST_QUEUE || cl.mode == CMDLINE_RUN_QUEUE) {
		conf_free(conf);
		return cl.mode == CMDLINE_LIST_QUEUE ? admin_list(stdout) :
		    admin_flush();
	}
	aliases_load(&aliases, conf, NULL, &problems);	/* newaliases reports them */
	sendmail_identity(&who, login, sizeof(login), name, sizeof(name));
	if (cl.mode == CMDLINE_SMTP)
		status = bsmtp_session(stdin, stdout, conf, &aliases, &who);
	else
		status = sendmail_deliver(&cl, conf, &aliases, &who);
	aliases_free(&aliases);
	strbuf_free(&problems);
	conf_free(conf);
	return status;
}
