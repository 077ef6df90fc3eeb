/*
 * postern.c - the administrator's command: check the configuration,
 * inspect and manage the queue (admin.h), report health
 * (status.h), and probe smarthosts (probe.h).
 *
 * Usage: postern COMMAND [ARGS]. Each command is one small function;
 * main() only dispatches. Exit statuses follow sysexits(3): 64 for a usage
 * error, 78 for a configuration error.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "conf_files.h"
#include "log.h"
#include "paths.h"
#include "strutil.h"
#include "admin.h"
#include "status.h"
#include "probe.h"

struct postern_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/*
 * postern_check_files - conf_check_files(), each line logged at its
 * level ("error: ..." as an error, the rest as warnings), so that under
 * systemd the journal files them at that priority; the error count
 */
static int
postern_check_files(const struct conf *conf, const struct conf_files_user *user)
{
	char *text = NULL, *line, *next;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int errors;

	if (mem == NULL)
		return conf_check_files(conf, user, stderr);
	errors = conf_check_files(conf, user, mem);
	fclose(mem);
	for (line = text; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (str_has_prefix(line, "error: "))
			log_error("%s", line);
		else
			log_warn("%s", line);
	}
	free(text);
	return errors;
}

/* postern_conf_exit - the exit status for what conf_load() found */
static int
postern_conf_exit(enum conf_status cs)
{
	return cs == CONF_UNREADABLE ? EX_NOINPUT : EX_CONFIG;
}

/*
 * postern_check_config - validate postern.conf (or -c FILE) and print the
 * effective configuration; -q prints only problems (for systemd's
 * ExecStartPre= and ExecReload=)
 */
static int
postern_check_config(int argc, char **argv)
{
	const char *path = paths_config_file();
	struct conf *conf;
	struct conf_files_user user;
	bool quiet = false, have_user;
	enum conf_status cs;
	int c, errors;

	optind = 1;
	while ((c = getopt(argc, argv, "c:q")) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'q': quiet = true; break;
		default: optind = -1; break;
		}
		if (optind < 0)
			break;
	}
	if (optind < 0 || optind != argc) {
		fprintf(stderr, "usage: postern check-config [-q] [-c FILE]\n");
		return EX_USAGE;
	}
	if ((cs = conf_load(path, &conf)) != CONF_OK)
		return postern_conf_exit(cs);
	if (!quiet)
		conf_print(conf, stdout);
	for (size_t i = 0; i < conf->nsmarthosts; i++)
		if (conf_smarthost_placeholder(&conf->smarthosts[i]))
			log_warn("warning: not configured: smarthost \"%s\" is the placeholder "
			    "of the shipped file; mail is queued, not sent, until you "
			    "name your provider's server in %s (or run dpkg-reconfigure "
			    "postern)", conf->smarthosts[i].host, path);
	have_user = conf_files_worker_user(paths_spool_dir(), &user);
	errors = postern_check_files(conf, have_user ? &user : NULL);
	conf_free(conf);
	return errors ? EX_CONFIG : EX_OK;
}

/* postern_queue - the queue listing, as mailq */
static int
postern_queue(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: postern queue\n");
		return EX_USAGE;
	}
	return admin_list(stdout);
}

/* postern_flush - ask the worker to try everything now */
static int
postern_flush(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: postern flush\n");
		return EX_USAGE;
	}
	return admin_flush();
}

/* postern_one_qid - the QID argument of show, retry, hold and release */
static const char *
postern_one_qid(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: postern %s QUEUE-ID\n", argv[0]);
		return NULL;
	}
	return argv[1];
}

static int
postern_show(int argc, char **argv)
{
	const char *qid = postern_one_qid(argc, argv);

	return qid ? admin_show(qid, stdout) : EX_USAGE;
}

static int
postern_retry(int argc, char **argv)
{
	const char *qid = postern_one_qid(argc, argv);

	return qid ? admin_change(ADMIN_RETRY, qid) : EX_USAGE;
}

static int
postern_hold(int argc, char **argv)
{
	const char *qid = postern_one_qid(argc, argv);

	return qid ? admin_change(ADMIN_HOLD, qid) : EX_USAGE;
}

static int
postern_release(int argc, char **argv)
{
	const char *qid = postern_one_qid(argc, argv);

	return qid ? admin_change(ADMIN_RELEASE, qid) : EX_USAGE;
}

/* postern_delete - one entry, or every entry with --all */
static int
postern_delete(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: postern delete QUEUE-ID|--all\n");
		return EX_USAGE;
	}
	return admin_change(ADMIN_DELETE, strcmp(argv[1], "--all") == 0 ?
	    "ALL" : argv[1]);
}

/* postern_requeue - move quarantined entries back after a fix */
static int
postern_requeue(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: postern requeue QUEUE-ID|--all\n");
		return EX_USAGE;
	}
	return admin_requeue(strcmp(argv[1], "--all") == 0 ? "ALL" : argv[1]);
}

/*
 * postern_config_problem - what keeps postern.conf from being used as it
 * is: NULL, "postern.conf has errors ..." or "not configured ..."
 */
static const char *
postern_config_problem(char *buf, size_t size)
{
	struct conf *conf;
	const char *problem = NULL;

	log_set_muted(true);		/* check-config shows the errors */
	if (conf_load(paths_config_file(), &conf) != CONF_OK) {
		STR_TRUNCATION_OK(str_format(buf, size, "%s has errors (see postern "
		    "check-config)", paths_config_file()));
		problem = buf;
	} else {
		for (size_t i = 0; i < conf->nsmarthosts && !problem; i++)
			if (conf_smarthost_placeholder(&conf->smarthosts[i]))
				problem = "not configured: the smarthost is the "
				    "placeholder " CONF_PLACEHOLDER_HOST;
		conf_free(conf);
	}
	log_set_muted(false);
	return problem;
}

/* postern_status - health for people, or --prometheus for monitoring */
static int
postern_status(int argc, char **argv)
{
	char buf[4200];
	bool prometheus = argc == 2 && strcmp(argv[1], "--prometheus") == 0;

	if (argc == 1 || prometheus)
		return status_report(prometheus, postern_config_problem(buf,
		    sizeof(buf)), stdout);
	fprintf(stderr, "usage: postern status [--prometheus]\n");
	return EX_USAGE;
}

/* postern_probe - test every candidate port: [--json] [--auth] [--timeout S] [HOST] */
static int
postern_probe(int argc, char **argv)
{
	struct probe_options opt = { NULL, false, false, 0 };
	struct conf *conf;
	enum conf_status cs;
	int status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			opt.json = true;
		else if (strcmp(argv[i], "--auth") == 0)
			opt.auth = true;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		    atoi(argv[i + 1]) > 0)
			opt.timeout_ms = (uint64_t)atoi(argv[++i]) * 1000;
		else if (argv[i][0] != '-' && opt.host == NULL)
			opt.host = argv[i];
		else {
			fprintf(stderr, "usage: postern probe [--json] [--auth] "
			    "[--timeout SECONDS] [HOST]\n");
			return EX_USAGE;
		}
	}
	if ((cs = conf_load(paths_config_file(), &conf)) != CONF_OK)
		return postern_conf_exit(cs);
	status = probe_run(conf, &opt, stdout);
	conf_free(conf);
	return status;
}

static const struct postern_command postern_commands[] = {
	{ "check-config", postern_check_config,
	  "validate postern.conf and print the effective configuration" },
	{ "queue", postern_queue, "list the queue (as mailq)" },
	{ "show", postern_show, "show one queued message's envelope and headers" },
	{ "flush", postern_flush, "try every queued message now" },
	{ "retry", postern_retry, "retry one queued message now" },
	{ "delete", postern_delete, "delete a queued message, or --all" },
	{ "hold", postern_hold, "hold a queued message" },
	{ "release", postern_release, "release a held message" },
	{ "requeue", postern_requeue,
	  "move a quarantined message, or --all, back into the queue" },
	{ "status", postern_status, "worker and queue health (exit 1 when degraded)" },
	{ "probe", postern_probe, "test every candidate port of a smarthost" },
};

static void
postern_usage(FILE *out)
{
	fprintf(out, "usage: postern COMMAND [ARGS] | --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(postern_commands) / sizeof(postern_commands[0]); i++)
		fprintf(out, "  %-13s %s\n", postern_commands[i].name,
		    postern_commands[i].summary);
}

int
main(int argc, char **argv)
{
	log_init("postern", LOG_TO_STDERR);
	if (argc < 2) {
		postern_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		postern_usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("postern %s\n", PACKAGE_VERSION);
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof(postern_commands) / sizeof(postern_commands[0]); i++)
		if (strcmp(argv[1], postern_commands[i].name) == 0)
			return postern_commands[i].run(argc - 1, argv + 1);
	log_warn("unknown command '%s'", argv[1]);
	postern_usage(stderr);
	return EX_USAGE;
}
