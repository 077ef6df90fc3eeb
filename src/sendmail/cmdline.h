/*
 * cmdline.h - the sendmail(8) command line as real callers use it.
 *
 * cmdline_parse() understands the Sendmail 8 / Postfix option syntax:
 * clustered flags (-ti), values attached or apart (-fX, -f X, -B8BITMIME),
 * repeated options (the last -f wins), "--", and option scanning that stops
 * at the first recipient. Options that a relay-only sendmail has no use for
 * are accepted and ignored, as Postfix does, so that no caller breaks; an
 * option nobody defines is a usage error. argv[0] "mailq" and "newaliases"
 * select those modes; an explicit -b option still overrides them.
 *
 * The parser only records what was asked. Addresses are validated by the
 * caller, which also decides what the set-id state means for -C.
 */
#ifndef POSTERN_CMDLINE_H
#define POSTERN_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "dsn_param.h"
#include "strbuf.h"

enum cmdline_mode {
	CMDLINE_DELIVER,	/* -bm, the default: read a message from stdin */
	CMDLINE_SMTP,		/* -bs: SMTP on stdin/stdout */
	CMDLINE_LIST_QUEUE,	/* -bp, mailq */
	CMDLINE_ALIASES,	/* -bi, -I, newaliases */
	CMDLINE_RUN_QUEUE,	/* -q */
	CMDLINE_NOTHING,	/* accepted no-op: -bh, -bH, -q30m */
	CMDLINE_VERSION,	/* --version (alone): print the version */
};

enum cmdline_body { CMDLINE_BODY_UNSET, CMDLINE_BODY_7BIT, CMDLINE_BODY_8BITMIME };

enum cmdline_delivery {
	CMDLINE_DELIVERY_DEFAULT,	/* queue; the worker delivers */
	CMDLINE_DELIVERY_WAIT,		/* -odi: wait for the first attempt */
	CMDLINE_DELIVERY_QUEUE,		/* -odb, -odq: queue only */
};

struct cmdline {
	enum cmdline_mode mode;
	bool extract_recipients;	/* -t */
	bool ignore_dots;		/* -i, -oi */
	const char *sender;		/* -f/-r value, NULL if not given */
	const char *full_name;		/* -F */
	unsigned dsn_notify;		/* -N: DSN_NOTIFY_* bits, 0 = not given */
	enum dsn_ret dsn_ret;		/* -R */
	const char *dsn_envid;		/* -V */
	enum cmdline_body body;		/* -B */
	enum cmdline_delivery delivery;	/* -od<x> */
	char error_mode;		/* -oe<x>: 'm','p','q','w','e'; 0 unset */
	int verbose;			/* -v count */
	const char *config_file;	/* -C */
	const char *alias_file;		/* -oA */
	const char *queue_selector;	/* -qR.../-qI..., NULL for all */
	char **recipients;		/* argv words after the options */
	size_t nrecipients;
	char warnings[512];		/* ignored bad DSN values, for -v/stderr */
};

/*
 * cmdline_parse - fill *out from argv. Pointers in *out point into argv.
 * Returns 0, or EX_USAGE with a one-line reason in err.
 */
int cmdline_parse(int argc, char **argv, struct cmdline *out, struct strbuf *err);

/* cmdline_usage - the short usage message for stderr */
const char *cmdline_usage(void);

#endif
