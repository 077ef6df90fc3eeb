/*
 * cmdline.c - parse the sendmail(8) command line.
 *
 * Option classes, as Sendmail 8 and Postfix define them:
 *   flags          -t -i -v -U -G -n -m -c -x -s -T -I   (may be clustered)
 *   with a value   -f -r -F -N -R -V -B -C -L -X -h -O -p -e
 *                  (attached "-fX" or the next word "-f X")
 *   rest of word   -o<x> -b<x> -A<x> -q[<x>]
 * Scanning stops at "--" or at the first word that is not an option.
 */
#include "config.h"

#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cmdline.h"
#include "strutil.h"

#define CMDLINE_FLAGS		"tivUGnmcxsTI"
#define CMDLINE_VALUED		"frFNRVBCLXhOpe"

/* cmdline_warn - remember a non-fatal complaint about an ignored value */
static void
cmdline_warn(struct cmdline *out, const char *what, const char *value)
{
	char line[200];

	STR_TRUNCATION_OK(str_format(line, sizeof(line), "ignoring %s \"%.80s\"; ", what, value));
	STR_TRUNCATION_OK(str_concat(out->warnings, sizeof(out->warnings), line));
}

/* cmdline_valued - apply an option that takes a value */
static int
cmdline_valued(struct cmdline *out, char opt, const char *value,
    struct strbuf *err)
{
	switch (opt) {
	case 'f':
	case 'r':
		out->sender = value;
		break;
	case 'F':
		out->full_name = value;
		break;
	case 'N':
		if (!dsn_notify_parse(value, &out->dsn_notify))
			cmdline_warn(out, "-N", value);
		break;
	case 'R':
		if (!dsn_ret_parse(value, &out->dsn_ret))
			cmdline_warn(out, "-R", value);
		break;
	case 'V':
		if (dsn_envid_valid(value))
			out->dsn_envid = value;
		else
			cmdline_warn(out, "-V", value);
		break;
	case 'B':
		if (strcmp(value, "7BIT") == 0)
			out->body = CMDLINE_BODY_7BIT;
		else if (strcmp(value, "8BITMIME") == 0)
			out->body = CMDLINE_BODY_8BITMIME;
		else {
			strbuf_printf(err, "-B takes 7BIT or 8BITMIME, not \"%.80s\"", value);
			return EX_USAGE;
		}
		break;
	case 'C':
		out->config_file = value;
		break;
	case 'e':
		out->error_mode = value[0];
		break;
	default:	/* -L tag, -X file, -h hops, -O opt=val, -p proto: ignored */
		break;
	}
	return 0;
}

/* cmdline_option_o - -o<x>[value]: only i, e<x>, d<x> and A<file> matter */
static void
cmdline_option_o(struct cmdline *out, const char *value)
{
	switch (value[0]) {
	case 'i':
		out->ignore_dots = true;
		break;
	case 'e':
		if (value[1] && strchr("mpqwe", value[1]))
			out->error_mode = value[1];
		break;
	case 'd':
		if (value[1] == 'i' || value[1] == 'f')
			out->delivery = CMDLINE_DELIVERY_WAIT;
		else if (value[1] && strchr("bqd", value[1]))
			out->delivery = CMDLINE_DELIVERY_QUEUE;
		break;
	case 'A':
		if (value[1])
			out->alias_file = value + 1;
		break;
	default:
		break;
	}
}

/* cmdline_option_b - -b<mode> */
static int
cmdline_option_b(struct cmdline *out, const char *value, struct strbuf *err)
{
	if (value[0] == '\0' || value[1] != '\0')
		goto unsupported;
	switch (value[0]) {
	case 'm': out->mode = CMDLINE_DELIVER; return 0;
	case 's': out->mode = CMDLINE_SMTP; return 0;
	case 'p': out->mode = CMDLINE_LIST_QUEUE; return 0;
	case 'i': out->mode = CMDLINE_ALIASES; return 0;
	case 'h':
	case 'H': out->mode = CMDLINE_NOTHING; return 0;
	case 'd':
	case 'D':
	case 'l':
		strbuf_printf(err, "-b%s: postern has no SMTP listener; "
		    "the delivery worker is posternd", value);
		return EX_USAGE;
	case 'v':
		strbuf_puts(err, "-bv (address verification) is not supported");
		return EX_USAGE;
	default:
		break;
	}
unsupported:
	strbuf_printf(err, "unsupported mode -b%.20s", value);
	return EX_USAGE;
}

/* cmdline_option_q - -q, -q<interval>, -qR<site>, -qI<id> */
static int
cmdline_option_q(struct cmdline *out, const char *value, struct strbuf *err)
{
	if (value[0] == '!')
		value++;
	if (value[0] == '\0') {
		out->mode = CMDLINE_RUN_QUEUE;
	} else if (value[0] >= '0' && value[0] <= '9') {
		out->mode = CMDLINE_NOTHING;	/* periodic runs: posternd's job */
	} else if (value[0] == 'R' || value[0] == 'I') {
		out->mode = CMDLINE_RUN_QUEUE;
		out->queue_selector = value;
	} else {
		strbuf_printf(err, "-q%.20s is not supported", value);
		return EX_USAGE;
	}
	return 0;
}

/* cmdline_flag - apply one flag option */
static void
cmdline_flag(struct cmdline *out, char c)
{
	switch (c) {
	case 't': out->extract_recipients = true; break;
	case 'i': out->ignore_dots = true; break;
	case 'v': out->verbose++; break;
	case 'I': out->mode = CMDLINE_ALIASES; break;
	default: break;		/* -U -G -n -m -c -x -s -T: accepted, ignored */
	}
}

/* cmdline_personality - mailq and newaliases by program name */
static void
cmdline_personality(const char *argv0, struct cmdline *out)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : (argv0 ? argv0 : "sendmail");
	if (strcmp(base, "mailq") == 0)
		out->mode = CMDLINE_LIST_QUEUE;
	else if (strcmp(base, "newaliases") == 0)
		out->mode = CMDLINE_ALIASES;
}

/* cmdline_word - parse one option word; *i may advance past a value */
static int
cmdline_word(int argc, char **argv, int *i, struct cmdline *out,
    struct strbuf *err)
{
	const char *p = argv[*i] + 1;

	while (*p) {
		char c = *p++;
		const char *value;

		if (strchr(CMDLINE_FLAGS, c)) {
			cmdline_flag(out, c);
			continue;
		}
		if (!strchr(CMDLINE_VALUED "obAq", c)) {
			strbuf_printf(err, "unknown option -%c", c);
			return EX_USAGE;
		}
		value = p;
		if (*value == '\0' && c != 'q') {
			if (*i + 1 >= argc) {
				strbuf_printf(err, "option -%c needs a value", c);
				return EX_USAGE;
			}
			value = argv[++*i];
		}
		switch (c) {
		case 'o': cmdline_option_o(out, value); return 0;
		case 'b': return cmdline_option_b(out, value, err);
		case 'q': return cmdline_option_q(out, value, err);
		case 'A': return 0;	/* -Am / -Ac */
		default: return cmdline_valued(out, c, value, err);
		}
	}
	return 0;
}

int
cmdline_parse(int argc, char **argv, struct cmdline *out, struct strbuf *err)
{
	int i, status;

	memset(out, 0, sizeof(*out));
	cmdline_personality(argc > 0 ? argv[0] : NULL, out);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		out->mode = CMDLINE_VERSION;
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if ((status = cmdline_word(argc, argv, &i, out, err)) != 0)
			return status;
	}
	out->recipients = argv + i;
	out->nrecipients = (size_t)(argc - i);
	return 0;
}

const char *
cmdline_usage(void)
{
	return "usage: sendmail [-t] [-i] [-f sender] [-F name] [-N dsn] [-R ret] "
	    "[-V envid]\n"
	    "                [-B 7BIT|8BITMIME] [-odi|-odb|-odq] [-oe<m|p|q|w>] [-v] "
	    "[--] [recipient ...]\n"
	    "       sendmail -bs | -bp | -bi | -q\n"
	    "       mailq | newaliases\n";
}
