/*
 * conf.c - postern.conf: schema, parsing with libconfuse, validation and
 * display.
 *
 * Contract: conf_load() is the only function that touches libconfuse; the
 * rest of postern sees a plain struct conf. Every option is one row of a
 * table (conf_*_opts below): its name, its kind, its default, where its
 * value lands and its check; the libconfuse schema, the build pass, the
 * printout and conf_free() all come from the tables. Loading runs in two
 * passes. While libconfuse reads the file, a validate callback on every
 * option notes the line where the option was set and checks the value on
 * its own (a port entry, a duration, a host name). A bad value is reported
 * with its line and parsing goes on, so one run shows every bad value;
 * syntax errors (an unknown option, a missing brace, a bad integer or
 * boolean) stop libconfuse at once. After a clean parse,
 * conf_build_values() stores the values, and code applies the rules that
 * involve several options (client certificate and key, username and
 * password source, port list and TLS policy); those errors carry the line
 * of the option involved, or of its section when the option is missing.
 *
 * Failure: every problem is one log_warn() line "PATH:LINE: message"
 * ("PATH: message" when no line applies); conf_load() then returns
 * CONF_INVALID, or CONF_UNREADABLE when the file cannot be read. No partial
 * configuration is ever returned.
 *
 * Secrets: this module never opens a password file, a key or a command.
 * The front-end sendmail loads the same file and must not fail because of
 * files only the worker may read, so conf_load() checks the syntax of such
 * paths, never their existence; conf_check_files() (conf_files.h) looks at them
 * for "postern check-config". conf_print() masks command arguments, which
 * may carry tokens.
 *
 * Not reentrant: libconfuse's parser keeps global state, and its callbacks
 * get no user pointer, so the load in progress lives in conf_loading.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "conf_text.h"
#include "strbuf.h"
#include "log.h"
#include "strutil.h"
#include "units.h"
#include "xalloc.h"

#define CONF_MSG_MAX		512
#define CONF_NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define CONF_DIGEST_LEN		(sizeof("sha256:") - 1 + 64)
#define CONF_CONCURRENCY_MAX	100
#define CONF_PASSWORD_ADVICE \
	"secrets do not belong in postern.conf, which every local user " \
	"may be able to read; put the password in a file named by " \
	"password_file (mode 0640) or print it from password_command"

/*
 * port = auto, in order of preference: submission with STARTTLS, then
 * implicit TLS (RFC 8314), then the common 2525 fallback with STARTTLS.
 */
static const struct conf_port conf_auto_ports[] = {
	{ 587, CONF_SEC_STARTTLS },
	{ 465, CONF_SEC_TLS },
	{ 2525, CONF_SEC_STARTTLS },
};
static const struct conf_port conf_auto_port_25 = { 25, CONF_SEC_STARTTLS };

static const char *const conf_mechanisms[] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER",
};

/* --- Load state ------------------------------------------------------------ */

/* conf_mark - where an option was last set, and the value last checked */
struct conf_mark {
	const cfg_opt_t *opt;
	int line;
	unsigned nchecked;		/* list length at the last check */
	char *checked;			/* copy of the value last checked */
};

/* conf_secmark - the line a section starts on */
struct conf_secmark {
	const cfg_t *sec;
	int line;
};

struct conf_loader {
	const char *path;
	const struct conf_section *top;	/* the file's table: conf_root_section */
	cfg_t *root;
	struct conf_mark *marks;
	size_t nmarks;
	struct conf_secmark *secmarks;
	size_t nsecmarks;
	int errors;
	bool defaults_only;		/* conf_defaults(): no smarthost needed */
	bool no_providers;		/* conf_load_submission(): no catalogue */
};

static struct conf_loader *conf_loading;

/* conf_report - log one "PATH:LINE: message" and count it as an error */
static void LOG_PRINTF(3, 4)
conf_report(struct conf_loader *ld, int line, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		log_error("%s:%d: %s", ld->path, line, msg);
	else
		log_error("%s: %s", ld->path, msg);
	ld->errors++;
}

/* conf_confuse_error - libconfuse's error hook: same format as conf_report */
static void __attribute__((format(printf, 2, 0)))
conf_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (conf_loading == NULL) {
		log_warn("configuration: %s", msg);
		return;
	}
	conf_report(conf_loading, cfg ? cfg->line : 0, "%s", msg);
}

static struct conf_mark *
conf_find_mark(struct conf_loader *ld, const cfg_opt_t *opt)
{
	for (size_t i = 0; i < ld->nmarks; i++)
		if (ld->marks[i].opt == opt)
			return &ld->marks[i];
	return NULL;
}

/* conf_note_section - remember the line a section starts on */
static void
conf_note_section(struct conf_loader *ld, const cfg_t *sec)
{
	if (sec == ld->root)
		return;
	for (size_t i = 0; i < ld->nsecmarks; i++)
		if (ld->secmarks[i].sec == sec)
			return;
	/*
	 * libconfuse counts lines per section; the parent's counter stays
	 * on the line of the section's opening brace until it is closed.
	 */
	ld->secmarks = xreallocarray(ld->secmarks, ld->nsecmarks + 1,
	    sizeof(*ld->secmarks));
	ld->secmarks[ld->nsecmarks].sec = sec;
	ld->secmarks[ld->nsecmarks].line = ld->root->line;
	ld->nsecmarks++;
}

/* conf_section_line - the line a section starts on, as well as known */
static int
conf_section_line(const struct conf_loader *ld, const cfg_t *sec)
{
	for (size_t i = 0; i < ld->nsecmarks; i++)
		if (ld->secmarks[i].sec == sec)
			return ld->secmarks[i].line;
	return sec == ld->root ? 0 : sec->line;
}

/* conf_line - the line an option was set on, else its section's line */
static int
conf_line(const struct conf_loader *ld, cfg_t *sec, const char *name)
{
	const cfg_opt_t *opt = cfg_getopt(sec, name);

	for (size_t i = 0; opt != NULL && i < ld->nmarks; i++)
		if (ld->marks[i].opt == opt)
			return ld->marks[i].line;
	return conf_section_line(ld, sec);
}

/* conf_list_written - true if the file assigns the list, even an empty one */
static bool
conf_list_written(cfg_t *sec, const char *name)
{
	const cfg_opt_t *opt = cfg_getopt(sec, name);

	return opt != NULL && (opt->flags & CFGF_MODIFIED);
}

static void
conf_loader_free(struct conf_loader *ld)
{
	for (size_t i = 0; i < ld->nmarks; i++)
		free(ld->marks[i].checked);
	free(ld->marks);
	free(ld->secmarks);
}

/* --- Value syntax ------------------------------------------------------------
 *
 * Each conf_check_* takes one value and, if it is bad, writes the reason
 * to why and returns false.
 */

typedef bool conf_check_fn(cfg_opt_t *, unsigned, char *, size_t);

static bool
conf_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool
conf_has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

/* conf_is_dns_name - letters, digits and hyphens in dot-separated labels */
static bool
conf_is_dns_name(const char *s)
{
	size_t label = 0, total = strlen(s);

	if (total == 0 || total > 253)
		return false;
	for (const char *p = s; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) ||
		    (*p == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
}

/* conf_is_ip_literal - an IPv4 or IPv6 address without brackets */
static bool
conf_is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* conf_is_loopback - localhost, 127.0.0.0/8 or ::1 */
static bool
conf_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (str_equal_nocase(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
	return false;
}

/* conf_parse_port - "auto", "PORT" or "PORT/starttls", "/tls", "/plain" */
static bool
conf_parse_port(const char *text, struct conf_port *port, bool *is_auto,
    char *why, size_t size)
{
	const char *p = text;
	unsigned long n = 0;

	*is_auto = str_equal_nocase(text, "auto");
	if (*is_auto)
		return true;
	if (!isdigit((unsigned char)*p)) {
		STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not auto, PORT or "
		    "PORT/starttls, PORT/tls, PORT/plain", text));
		return false;
	}
	for (; isdigit((unsigned char)*p) && n <= 65535; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	if (n == 0 || n > 65535) {
		STR_TRUNCATION_OK(str_format(why, size, "port in \"%s\" is not between 1 and "
		    "65535", text));
		return false;
	}
	port->port = (unsigned)n;
	if (*p == '\0')
		port->security = (n == 465 || n == 2465) ?
		    CONF_SEC_TLS : CONF_SEC_STARTTLS;
	else if (str_equal_nocase(p, "/starttls"))
		port->security = CONF_SEC_STARTTLS;
	else if (str_equal_nocase(p, "/tls"))
		port->security = CONF_SEC_TLS;
	else if (str_equal_nocase(p, "/plain"))
		port->security = CONF_SEC_PLAIN;
	else {
		STR_TRUNCATION_OK(str_format(why, size, "\"%s\": the part after the port must "
		    "be /starttls, /tls or /plain", text));
		return false;
	}
	return true;
}

/*
 * conf_parse_digest - "sha256:" and 64 hex digits, optionally with colons
 * between byte pairs; out receives "sha256:" and lowercase hex.
 */
static bool
conf_parse_digest(const char *text, char *out, size_t size)
{
	char hex[65];
	size_t n = 0;
	const char *p;

	if (strncasecmp(text, "sha256:", 7) != 0)
		return false;
	for (p = text + 7; *p; p++) {
		if (*p == ':') {
			if (n == 0 || n % 2 != 0 || p[1] == '\0' || p[1] == ':')
				return false;
			continue;
		}
		if (!isxdigit((unsigned char)*p) || n == 64)
			return false;
		hex[n++] = (char)tolower((unsigned char)*p);
	}
	if (n != 64)
		return false;
	hex[n] = '\0';
	return str_format(out, size, "sha256:%s", hex);
}

/* conf_mechanism - canonical name of an AUTH mechanism, or NULL */
static const char *
conf_mechanism(const char *name)
{
	for (size_t i = 0; i < CONF_NITEMS(conf_mechanisms); i++)
		if (str_equal_nocase(name, conf_mechanisms[i]))
			return conf_mechanisms[i];
	return NULL;
}

static bool
conf_check_dns_name(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (conf_is_dns_name(v))
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a valid domain name (letters, "
	    "digits and hyphens in labels separated by dots)", v));
	return false;
}

static bool
conf_check_path(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (v[0] == '/')
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not an absolute path", v));
	return false;
}

static bool
conf_check_command(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	while (isspace((unsigned char)*v))
		v++;
	if (*v != '\0')
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "the command is empty"));
	return false;
}

static bool
conf_check_text(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	if (cfg_opt_getnstr(opt, i)[0] != '\0')
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "the value is empty"));
	return false;
}

/* conf_check_address - an address or a local name for the envelope */
static bool
conf_check_address(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (v[0] != '\0' && !conf_has_space(v) && strpbrk(v, "<>,\"") == NULL &&
	    v[0] != '@' && v[strlen(v) - 1] != '@')
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a mail address (user@domain) "
	    "or a local name", v));
	return false;
}

static bool
conf_check_local_name(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (v[0] != '\0' && !conf_has_space(v) && strpbrk(v, "@<>,\"") == NULL)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a local user name", v));
	return false;
}

/* conf_check_alias_target - postern relays only: no pipes, files, includes */
static bool
conf_check_alias_target(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (v[0] == '|' || v[0] == '/' || str_has_prefix(v, ":include:")) {
		STR_TRUNCATION_OK(str_format(why, size, "\"%s\": postern delivers nothing "
		    "locally; an alias target must be a mail address or a "
		    "local name", v));
		return false;
	}
	return conf_check_address(opt, i, why, size);
}

/* conf_check_count - an integer option within lo..hi; note names lo */
static bool
conf_check_count(cfg_opt_t *opt, unsigned i, char *why, size_t size, long lo,
    const char *note, long hi)
{
	long n = cfg_opt_getnint(opt, i);

	if (n >= lo && n <= hi)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "%ld is not between %ld%s and %ld",
	    n, lo, note, hi));
	return false;
}

/* conf_check_user_max_messages - 0 (no limit) to 10 million */
static bool
conf_check_user_max_messages(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	return conf_check_count(opt, i, why, size, 0, " (no limit)", 10000000);
}

/* conf_check_backlog_concurrency - 0 (no more than concurrency) to the cap */
static bool
conf_check_backlog_concurrency(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	return conf_check_count(opt, i, why, size, 0, "", CONF_CONCURRENCY_MAX);
}

static bool
conf_check_concurrency(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	return conf_check_count(opt, i, why, size, 1, "", CONF_CONCURRENCY_MAX);
}

static bool
conf_check_tls_version(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (str_equal_nocase(v, "TLSv1.2") || str_equal_nocase(v, "TLSv1.3"))
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not TLSv1.2 or TLSv1.3", v));
	return false;
}

static bool
conf_check_port(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	struct conf_port port;
	bool is_auto;

	return conf_parse_port(cfg_opt_getnstr(opt, i), &port, &is_auto,
	    why, size);
}

static bool
conf_check_digest(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);
	char digest[CONF_DIGEST_LEN + 1];

	if (conf_parse_digest(v, digest, sizeof(digest)))
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not sha256: followed by 64 hex "
	    "digits (colons between byte pairs are allowed)", v));
	return false;
}

static bool
conf_check_mechanism(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (conf_mechanism(v) != NULL)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not one of PLAIN, LOGIN, CRAM-MD5, "
	    "XOAUTH2, OAUTHBEARER", v));
	return false;
}

static bool
conf_check_password(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	(void)opt;
	(void)i;
	STR_TRUNCATION_OK(str_format(why, size, "%s", "refused: " CONF_PASSWORD_ADVICE));
	return false;
}

/* --- The options: one table ---------------------------------------------------
 *
 * One row per option: its name, its kind (how it is written in the file
 * and where its value lands), its default, and the check each value gets
 * as it is read. The libconfuse schema (conf_schema), the build pass
 * (conf_build_values), the printout (conf_print_values) and conf_free all
 * walk these tables. Rules that involve several options stay as code
 * (conf_build_*). Durations and sizes are strings checked with units.h.
 * Lists have no libconfuse defaults, so a validate callback runs only for
 * values written in the file. Every section accepts "password" only to
 * refuse it with advice.
 */

enum conf_kind {
	CONF_SECTION,	/* a section; .sub is its table */
	CONF_TEXT,	/* char *; unset or "" = NULL */
	CONF_COMMAND,	/* CONF_TEXT, printed with its arguments masked */
	CONF_TEXTS,	/* char ** list, its length at .count */
	CONF_DIGESTS,	/* CONF_TEXTS of "sha256:HEX", kept in canonical form */
	CONF_BOOL,	/* bool */
	CONF_COUNT,	/* unsigned, written as an integer */
	CONF_MS,	/* uint64_t milliseconds, written as a duration */
	CONF_BYTES,	/* uint64_t bytes, written as a size */
	CONF_CHOICE,	/* an enum, written as one of .choices (in enum order) */
	CONF_PORTS,	/* a list that conf_build_ports reads */
	CONF_REFUSED,	/* "password": accepted only to be refused */
};

struct conf_section;

struct conf_opt {
	const char *name;
	enum conf_kind kind;
	const char *def;		/* default as written in the file */
	uint64_t def_num;		/* BOOL, COUNT, and MS without .def */
	size_t at;			/* offsetof the value in the section's struct */
	size_t count;			/* TEXTS, DIGESTS: offsetof the length */
	conf_check_fn *check;		/* each value on its own, beyond its kind */
	bool empty_ok;			/* TEXT: "" means not set, unchecked */
	bool positive;			/* MS: more than zero */
	const char *const *choices;	/* CHOICE: NULL-terminated, in enum order */
	const struct conf_section *sub;	/* SECTION */
};

/* A section, and the struct its values land in. */
struct conf_section {
	const char *name;
	const struct conf_opt *opts;
	size_t nopts;
	cfg_flag_t flags;
};

#define CONF_SECTION_OF(nm, table, fl)	{ nm, table, CONF_NITEMS(table), fl }

/* One row per option, by kind. */
#define OPT_TEXT(n, where, chk) \
	{ .name = n, .kind = CONF_TEXT, .at = where, .check = chk, .empty_ok = true }
#define OPT_TEXT_DEF(n, d, where, chk) \
	{ .name = n, .kind = CONF_TEXT, .def = d, .at = where, .check = chk }
#define OPT_COMMAND(n, where) \
	{ .name = n, .kind = CONF_COMMAND, .at = where, \
	  .check = conf_check_command, .empty_ok = true }
#define OPT_LIST(n, where, len, chk) \
	{ .name = n, .kind = CONF_TEXTS, .at = where, .count = len, .check = chk }
#define OPT_DIGESTS(n, where, len) \
	{ .name = n, .kind = CONF_DIGESTS, .at = where, .count = len, \
	  .check = conf_check_digest }
#define OPT_BOOL(n, where)	{ .name = n, .kind = CONF_BOOL, .at = where }
#define OPT_COUNT(n, d, where, chk) \
	{ .name = n, .kind = CONF_COUNT, .def_num = d, .at = where, .check = chk }
#define OPT_MS(n, d, where, pos) \
	{ .name = n, .kind = CONF_MS, .def = d, .at = where, .positive = pos }
#define OPT_MS_NUM(n, d, where) \
	{ .name = n, .kind = CONF_MS, .def_num = d, .at = where, .positive = true }
#define OPT_BYTES(n, d, where)	{ .name = n, .kind = CONF_BYTES, .def = d, .at = where }
#define OPT_CHOICE(n, names, where) \
	{ .name = n, .kind = CONF_CHOICE, .at = where, .choices = names }
#define OPT_PORTS(n)		{ .name = n, .kind = CONF_PORTS, .check = conf_check_port }
#define OPT_SECTION(n, sec)	{ .name = n, .kind = CONF_SECTION, .sub = &sec }
#define OPT_REFUSED(n)		{ .name = n, .kind = CONF_REFUSED, .check = conf_check_password }

#define SH(f)	offsetof(struct conf_smarthost, f)
#define AL(f)	offsetof(struct conf_alias, f)
#define CF(f)	offsetof(struct conf, f)

static const char *const conf_tls_names[] = { "verify", "encrypt", "none", NULL };
static const char *const conf_log_names[] = { "syslog", "stderr", NULL };

/*
 * Timeout defaults are smarthost_policy.h's, after RFC 5321 section
 * 4.5.3.2: 5 minutes for the greeting and for each command, 3 minutes for
 * each block of DATA, 10 minutes for the reply to the final dot.
 */
static const struct conf_opt conf_smarthost_opts[] = {
	OPT_PORTS("port"),
	OPT_BOOL("allow_port_25", SH(allow_port_25)),
	OPT_CHOICE("tls", conf_tls_names, SH(tls.level)),
	OPT_TEXT("tls_verify_name", SH(tls.verify_name), conf_check_dns_name),
	OPT_TEXT_DEF("tls_min_version", TLS_MIN_VERSION_DEFAULT, SH(tls.min_version),
	    conf_check_tls_version),
	OPT_TEXT("tls_ca_file", SH(tls.ca_file), conf_check_path),
	OPT_TEXT("tls_ca_dir", SH(tls.ca_dir), conf_check_path),
	OPT_DIGESTS("tls_fingerprint", SH(tls.cert_pins), SH(tls.ncert_pins)),
	OPT_DIGESTS("tls_pubkey_pin", SH(tls.spki_pins), SH(tls.nspki_pins)),
	OPT_TEXT("tls_client_cert", SH(tls.client_cert), conf_check_path),
	OPT_TEXT("tls_client_key", SH(tls.client_key), conf_check_path),
	OPT_TEXT("username", SH(username), conf_check_text),
	OPT_TEXT("password_file", SH(password_file), conf_check_path),
	OPT_COMMAND("password_command", SH(password_command)),
	OPT_COMMAND("oauth_token_command", SH(oauth_token_command)),
	OPT_LIST("auth_mechanisms", SH(auth_mechanisms), SH(nauth_mechanisms),
	    conf_check_mechanism),
	OPT_BOOL("auth_allow_plaintext", SH(auth_allow_plaintext)),
	OPT_MS_NUM("connect_timeout", SMTP_CONNECT_MS, SH(timeouts.connect)),
	OPT_MS_NUM("greeting_timeout", SMTP_GREETING_MS, SH(timeouts.greeting)),
	OPT_MS_NUM("command_timeout", SMTP_COMMAND_MS, SH(timeouts.command)),
	OPT_MS_NUM("data_block_timeout", SMTP_DATA_BLOCK_MS, SH(timeouts.data_block)),
	OPT_MS_NUM("data_done_timeout", SMTP_DATA_DONE_MS, SH(timeouts.data_done)),
	OPT_MS("port_stagger", "250ms", SH(port_stagger_ms), false),
	OPT_MS("port_cache_ttl", "24h", SH(port_cache_ttl_ms), false),
	OPT_REFUSED("password"),
};

static const struct conf_opt conf_alias_opts[] = {
	OPT_LIST("to", AL(targets), AL(ntargets), conf_check_alias_target),
	OPT_REFUSED("password"),
};

static const struct conf_opt conf_sender_opts[] = {
	OPT_TEXT("masquerade_domain", CF(sender.masquerade_domain),
	    conf_check_dns_name),
	OPT_LIST("masquerade_exceptions", CF(sender.masquerade_exceptions),
	    CF(sender.nmasquerade_exceptions), conf_check_local_name),
	OPT_TEXT("envelope_sender", CF(sender.envelope_sender), conf_check_address),
	OPT_BOOL("rewrite_header_from", CF(sender.rewrite_header_from)),
	OPT_REFUSED("password"),
};

static const struct conf_opt conf_queue_opts[] = {
	OPT_MS("lifetime", "5d", CF(queue.lifetime_ms), true),
	OPT_MS("min_backoff", "1m", CF(queue.min_backoff_ms), true),
	OPT_MS("max_backoff", "1h", CF(queue.max_backoff_ms), true),
	OPT_MS("delay_warning", "0", CF(queue.delay_warning_ms), false),
	OPT_MS("idle_timeout", "30s", CF(queue.idle_timeout_ms), false),
	OPT_MS("rescan_interval", "5m", CF(queue.rescan_interval_ms), true),
	OPT_COUNT("concurrency", 2, CF(queue.concurrency), conf_check_concurrency),
	OPT_COUNT("backlog_concurrency", 8, CF(queue.backlog_concurrency),
	    conf_check_backlog_concurrency),
	OPT_BYTES("max_message_size", "35M", CF(queue.max_message_size)),
	OPT_COUNT("user_max_messages", 10000, CF(queue.user_max_messages),
	    conf_check_user_max_messages),
	OPT_BYTES("user_max_size", "1G", CF(queue.user_max_size)),
	OPT_MS("dead_letter_lifetime", "30d", CF(queue.dead_letter_lifetime_ms), true),
	OPT_BYTES("dead_letter_max_size", "256M", CF(queue.dead_letter_max_size)),
	OPT_REFUSED("password"),
};

static const struct conf_opt conf_log_opts[] = {
	OPT_CHOICE("target", conf_log_names, CF(log.target)),
	OPT_BOOL("debug", CF(log.debug)),
	OPT_REFUSED("password"),
};

static const struct conf_section conf_smarthost_section = CONF_SECTION_OF(
    "smarthost", conf_smarthost_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
static const struct conf_section conf_alias_section = CONF_SECTION_OF(
    "alias", conf_alias_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
static const struct conf_section conf_sender_section = CONF_SECTION_OF(
    "sender", conf_sender_opts, CFGF_NONE);
static const struct conf_section conf_queue_section = CONF_SECTION_OF(
    "queue", conf_queue_opts, CFGF_NONE);
static const struct conf_section conf_log_section = CONF_SECTION_OF(
    "log", conf_log_opts, CFGF_NONE);

#define PV(f)	offsetof(struct conf_provider, f)

/* providers.conf: one titled section per provider. */
static const struct conf_opt conf_provider_opts[] = {
	OPT_LIST("match", PV(match), PV(nmatch), conf_check_text),
	OPT_LIST("port", PV(port_specs), PV(nport_specs), conf_check_port),
	OPT_LIST("auth_mechanisms", PV(auth_mechanisms), PV(nauth_mechanisms),
	    conf_check_mechanism),
};
static const struct conf_section conf_provider_section = CONF_SECTION_OF(
    "provider", conf_provider_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
static const struct conf_opt conf_providers_opts[] = {
	OPT_SECTION("provider", conf_provider_section),
};
static const struct conf_section conf_providers_top = CONF_SECTION_OF(
    "root", conf_providers_opts, CFGF_NONE);

/* The file's top level, in the order conf_print() shows it. */
static const struct conf_opt conf_root_opts[] = {
	OPT_TEXT("hostname", CF(hostname), conf_check_dns_name),
	OPT_TEXT("domain", CF(domain), conf_check_dns_name),
	{ .name = "providers_file", .kind = CONF_TEXT, .def = POSTERN_PROVIDERS_FILE,
	  .at = CF(providers_file), .check = conf_check_path, .empty_ok = true },
	OPT_SECTION("smarthost", conf_smarthost_section),
	{ .name = "aliases_file", .kind = CONF_TEXT, .def = "/etc/aliases",
	  .at = CF(aliases_file), .check = conf_check_path, .empty_ok = true },
	OPT_SECTION("alias", conf_alias_section),
	OPT_SECTION("sender", conf_sender_section),
	OPT_SECTION("queue", conf_queue_section),
	OPT_SECTION("log", conf_log_section),
	OPT_REFUSED("password"),
};

static const struct conf_section conf_root_section = CONF_SECTION_OF(
    "root", conf_root_opts, CFGF_NONE);

/* conf_check_kind - a duration, a size or a choice, as its kind says */
static bool
conf_check_kind(const struct conf_opt *o, const char *v, char *why, size_t size)
{
	uint64_t n;
	size_t i;

	if (o->kind == CONF_MS && !units_parse_duration_ms(v, &n))
		STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a duration "
		    "(examples: 250ms, 30s, 5m, 1h30m, 5d)", v));
	else if (o->kind == CONF_MS && o->positive && n == 0)
		STR_TRUNCATION_OK(str_copy(why, size, "must be longer than zero"));
	else if (o->kind == CONF_BYTES && !units_parse_size(v, &n))
		STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a size "
		    "(examples: 0 for no limit, 512k, 35M, 1G)", v));
	else if (o->kind == CONF_CHOICE) {
		for (i = 0; o->choices[i] != NULL; i++)
			if (strcmp(o->choices[i], v) == 0)
				return true;
		STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not ", v));
		for (i = 0; o->choices[i] != NULL; i++) {
			if (i > 0)
				STR_TRUNCATION_OK(str_concat(why, size,
				    o->choices[i + 1] != NULL ? ", " : " or "));
			STR_TRUNCATION_OK(str_concat(why, size, o->choices[i]));
		}
		return false;
	} else
		return true;
	return false;
}

/* conf_find_opt - the row of option name in the section called section */
static const struct conf_opt *
conf_find_opt(const struct conf_section *s, const char *section,
    const char *name)
{
	const struct conf_opt *found = NULL;

	for (size_t i = 0; i < s->nopts && found == NULL; i++) {
		const struct conf_opt *o = &s->opts[i];

		if (o->kind == CONF_SECTION)
			found = conf_find_opt(o->sub, section, name);
		else if (strcmp(s->name, section) == 0 && strcmp(o->name, name) == 0)
			found = o;
	}
	return found;
}

/*
 * conf_note_option - record where opt was set; false if a single-valued
 * option is set a second time. Lists may be extended with "+=".
 */
static bool
conf_note_option(struct conf_loader *ld, cfg_t *sec, cfg_opt_t *opt)
{
	struct conf_mark *m = conf_find_mark(ld, opt);

	if (m == NULL) {
		ld->marks = xreallocarray(ld->marks, ld->nmarks + 1,
		    sizeof(*ld->marks));
		m = &ld->marks[ld->nmarks++];
		m->opt = opt;
		m->nchecked = 0;
		m->checked = NULL;
	} else if (!(opt->flags & CFGF_LIST)) {
		conf_report(ld, sec->line, "%s is set twice (first on line %d)",
		    opt->name, m->line);
		return false;
	}
	m->line = sec->line;
	return true;
}

/*
 * conf_option_cb - libconfuse validate callback for every option. Called
 * after each value is stored: once for a single value, once per element
 * of a list and again at its closing brace. The newest element is checked
 * unless it is the one checked last time. Always returns 0 so that parsing
 * continues and every bad value is reported; conf_load() counts errors.
 */
static int
conf_option_cb(cfg_t *sec, cfg_opt_t *opt)
{
	struct conf_loader *ld = conf_loading;
	const struct conf_opt *row;
	struct conf_mark *m;
	char why[CONF_MSG_MAX];
	const char *value = NULL;
	unsigned n = cfg_opt_size(opt);

	if (ld == NULL || n == 0)
		return 0;
	conf_note_section(ld, sec);
	if (!conf_note_option(ld, sec, opt))
		return 0;
	m = conf_find_mark(ld, opt);
	if (opt->type == CFGT_STR) {
		value = cfg_opt_getnstr(opt, n - 1);
		if (value == NULL)
			return 0;
		if (m->checked != NULL && m->nchecked == n &&
		    strcmp(m->checked, value) == 0)
			return 0;
		free(m->checked);
		m->checked = xstrdup(value);
		m->nchecked = n;
		if (conf_has_control(value)) {
			conf_report(ld, sec->line, "%s: control characters "
			    "are not allowed", opt->name);
			return 0;
		}
	}
	row = conf_find_opt(ld->top, cfg_name(sec), opt->name);
	if (row == NULL)
		return 0;
	if (value != NULL && value[0] == '\0' && row->empty_ok &&
	    !(opt->flags & CFGF_LIST))
		return 0;
	if ((value != NULL && !conf_check_kind(row, value, why, sizeof(why))) ||
	    (row->check != NULL && !row->check(opt, n - 1, why, sizeof(why))))
		conf_report(ld, sec->line, "%s: %s", opt->name, why);
	return 0;
}

/*
 * conf_schema - the libconfuse options of section s, from its table; each
 * option's validate callback is conf_option_cb. Made once per process
 * (cfg_init() copies what it is given).
 */
static cfg_opt_t *
conf_schema(const struct conf_section *s)
{
	cfg_opt_t *opts = xcalloc(s->nopts + 1, sizeof(*opts));

	for (size_t i = 0; i < s->nopts; i++) {
		const struct conf_opt *o = &s->opts[i];

		switch (o->kind) {
		case CONF_SECTION:
			opts[i] = (cfg_opt_t)CFG_SEC(o->name, conf_schema(o->sub),
			    o->sub->flags);
			continue;
		case CONF_TEXTS:
		case CONF_DIGESTS:
		case CONF_PORTS:
			opts[i] = (cfg_opt_t)CFG_STR_LIST(o->name, NULL, CFGF_NONE);
			break;
		case CONF_BOOL:
			opts[i] = (cfg_opt_t)CFG_BOOL(o->name,
			    o->def_num ? cfg_true : cfg_false, CFGF_NONE);
			break;
		case CONF_COUNT:
			opts[i] = (cfg_opt_t)CFG_INT(o->name, (long)o->def_num,
			    CFGF_NONE);
			break;
		case CONF_CHOICE:	/* the default is the first choice */
			opts[i] = (cfg_opt_t)CFG_STR(o->name, (char *)o->choices[0],
			    CFGF_NONE);
			break;
		default:
			opts[i] = (cfg_opt_t)CFG_STR(o->name, (char *)o->def,
			    CFGF_NONE);
			break;
		}
		opts[i].validcb = conf_option_cb;
	}
	opts[s->nopts] = (cfg_opt_t)CFG_END();
	return opts;
}

/* --- Building struct conf ---------------------------------------------------- */

/* conf_get - a string option, NULL when unset or empty */
static const char *
conf_get(cfg_t *sec, const char *name)
{
	const char *v = cfg_getstr(sec, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *
conf_dup(cfg_t *sec, const char *name)
{
	const char *v = conf_get(sec, name);

	return v != NULL ? xstrdup(v) : NULL;
}

/* conf_dup_list - copy a string list; *n gets its length */
static char **
conf_dup_list(cfg_t *sec, const char *name, size_t *n)
{
	unsigned count = cfg_size(sec, name);
	char **list = xcalloc(count + 1, sizeof(*list));

	for (unsigned i = 0; i < count; i++)
		list[i] = xstrdup(cfg_getnstr(sec, name, i));
	*n = count;
	return list;
}

static void
conf_free_list(char **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

/* conf_dup_digests - copy a list of digests in canonical form */
static char **
conf_dup_digests(cfg_t *sec, const char *name, size_t *n)
{
	char **list = conf_dup_list(sec, name, n);
	char digest[CONF_DIGEST_LEN + 1];

	for (size_t i = 0; i < *n; i++) {
		if (conf_parse_digest(list[i], digest, sizeof(digest))) {
			free(list[i]);
			list[i] = xstrdup(digest);
		}
	}
	return list;
}

/* conf_choice - the index of v in choices; 0 (the default) if absent */
static int
conf_choice(const char *const *choices, const char *v)
{
	for (int i = 0; v != NULL && choices[i] != NULL; i++)
		if (strcmp(choices[i], v) == 0)
			return i;
	return 0;
}

/* conf_build_value - one option's value from sec into its place at base */
static void
conf_build_value(struct conf_loader *ld, cfg_t *sec, const struct conf_opt *o,
    void *base)
{
	char *at = (char *)base + o->at;
	const char *v = NULL;

	if (o->kind == CONF_MS || o->kind == CONF_BYTES || o->kind == CONF_CHOICE)
		v = cfg_getstr(sec, o->name);
	switch (o->kind) {
	case CONF_TEXT:
	case CONF_COMMAND:
		*(char **)(void *)at = conf_dup(sec, o->name);
		break;
	case CONF_TEXTS:
	case CONF_DIGESTS:
		*(char ***)(void *)at = (o->kind == CONF_DIGESTS ?
		    conf_dup_digests : conf_dup_list)(sec, o->name,
		    (size_t *)(void *)((char *)base + o->count));
		break;
	case CONF_BOOL:
		*(bool *)(void *)at = cfg_getbool(sec, o->name);
		break;
	case CONF_COUNT:
		*(unsigned *)(void *)at = (unsigned)cfg_getint(sec, o->name);
		break;
	case CONF_MS:
		*(uint64_t *)(void *)at = o->def_num;
		if ((v != NULL || o->def_num == 0) &&
		    (v == NULL || !units_parse_duration_ms(v, (uint64_t *)(void *)at)))
			conf_report(ld, conf_line(ld, sec, o->name),
			    "%s: not a duration", o->name);
		break;
	case CONF_BYTES:
		if (v == NULL || !units_parse_size(v, (uint64_t *)(void *)at))
			conf_report(ld, conf_line(ld, sec, o->name),
			    "%s: not a size", o->name);
		break;
	case CONF_CHOICE:
		*(int *)(void *)at = conf_choice(o->choices, v);
		break;
	case CONF_SECTION:
	case CONF_PORTS:
	case CONF_REFUSED:
		break;
	}
}

/* conf_build_values - every value of section s into the struct at base */
static void
conf_build_values(struct conf_loader *ld, cfg_t *sec,
    const struct conf_section *s, void *base)
{
	for (size_t i = 0; i < s->nopts; i++)
		conf_build_value(ld, sec, &s->opts[i], base);
}

/* conf_free_values - what conf_build_values allocated */
static void
conf_free_values(const struct conf_section *s, void *base)
{
	for (size_t i = 0; i < s->nopts; i++) {
		const struct conf_opt *o = &s->opts[i];
		char *at = (char *)base + o->at;

		if (o->kind == CONF_TEXT || o->kind == CONF_COMMAND)
			free(*(char **)(void *)at);
		else if (o->kind == CONF_TEXTS || o->kind == CONF_DIGESTS)
			conf_free_list(*(char ***)(void *)at,
			    *(size_t *)(void *)((char *)base + o->count));
	}
}

/* conf_system_hostname - the FQDN if the resolver knows one, else gethostname */
static char *
conf_system_hostname(void)
{
	struct addrinfo hints, *res = NULL;
	char name[256];
	char *fqdn = NULL;

	if (gethostname(name, sizeof(name)) != 0)
		return xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	if (strchr(name, '.') != NULL)
		return xstrdup(name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		const char *canon = res->ai_canonname;

		if (canon != NULL && strchr(canon, '.') != NULL &&
		    conf_is_dns_name(canon) &&
		    !str_has_prefix(canon, "localhost."))
			fqdn = xstrdup(canon);
		freeaddrinfo(res);
	}
	return fqdn != NULL ? fqdn : xstrdup(name);
}

/* conf_build_identity - hostname and domain, when not set, from the system */
static void
conf_build_identity(struct conf_loader *ld, struct conf *conf)
{
	const char *dot;

	if (conf->hostname == NULL) {
		conf->hostname = conf_system_hostname();
		if (!conf_is_dns_name(conf->hostname))
			conf_report(ld, 0, "the system host name \"%s\" is not "
			    "a valid domain name; set hostname", conf->hostname);
	}
	if (conf->domain == NULL) {
		dot = strchr(conf->hostname, '.');
		conf->domain = xstrdup(dot != NULL ? dot + 1 : conf->hostname);
	}
}

static void
conf_build_aliases(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	unsigned n = cfg_size(root, "alias");

	conf->aliases = xcalloc(n, sizeof(*conf->aliases));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(root, "alias", i);
		struct conf_alias *a = &conf->aliases[i];
		int line = conf_section_line(ld, sec);

		a->name = xstrdup(cfg_title(sec));
		conf_build_values(ld, sec, &conf_alias_section, a);
		conf->naliases++;
		if (a->name[0] == '\0' || conf_has_space(a->name) ||
		    conf_has_control(a->name) || strpbrk(a->name, "@<>,\"") != NULL)
			conf_report(ld, line, "alias \"%s\": not a local name",
			    a->name);
		if (a->ntargets == 0)
			conf_report(ld, line, "alias \"%s\": needs to = "
			    "{ \"address\", ... }", a->name);
		for (unsigned j = 0; j < i; j++)
			if (str_equal_nocase(conf->aliases[j].name, a->name))
				conf_report(ld, line, "alias \"%s\" is defined "
				    "twice", a->name);
	}
}

/* conf_queue_rules - the rules between the queue's durations */
static void
conf_queue_rules(struct conf_loader *ld, cfg_t *sec, const struct conf *conf)
{
	if (conf->queue.min_backoff_ms > conf->queue.max_backoff_ms)
		conf_report(ld, conf_line(ld, sec, "min_backoff"),
		    "min_backoff must not be longer than max_backoff");
	if (conf->queue.delay_warning_ms >= conf->queue.lifetime_ms &&
	    conf->queue.delay_warning_ms != 0)
		conf_report(ld, conf_line(ld, sec, "delay_warning"),
		    "delay_warning must be shorter than lifetime, or 0 to "
		    "send no delay warnings");
}

/* conf_add_port - append a candidate; false if the port is listed already */
static bool
conf_add_port(struct conf_smarthost *sh, struct conf_port port)
{
	for (size_t i = 0; i < sh->nports; i++)
		if (sh->ports[i].port == port.port)
			return false;
	sh->ports = xreallocarray(sh->ports, sh->nports + 1,
	    sizeof(*sh->ports));
	sh->ports[sh->nports++] = port;
	return true;
}

/* conf_find_provider - the catalogue's first entry matching host, or NULL */
static const struct conf_provider *
conf_find_provider(const struct conf *conf, const char *host)
{
	for (size_t i = 0; i < conf->nproviders; i++)
		for (size_t j = 0; j < conf->providers[i].nmatch; j++)
			if (fnmatch(conf->providers[i].match[j], host,
			    FNM_CASEFOLD) == 0)
				return &conf->providers[i];
	return NULL;
}

/*
 * conf_build_ports - the candidate list: explicit, or for port = auto the
 * provider's from the catalogue, else the built-in one
 */
static void
conf_build_ports(struct conf_loader *ld, cfg_t *sec, const struct conf *conf,
    struct conf_smarthost *sh)
{
	unsigned n = cfg_size(sec, "port");
	int line = conf_line(ld, sec, "port");
	char why[CONF_MSG_MAX];
	bool is_auto = false;

	if (n == 0 && conf_list_written(sec, "port"))
		conf_report(ld, line, "port: the list is empty; write auto or "
		    "list the ports to try");
	for (unsigned i = 0; i < n; i++) {
		struct conf_port port;
		bool entry_auto;

		if (!conf_parse_port(cfg_getnstr(sec, "port", i), &port,
		    &entry_auto, why, sizeof(why)))
			conf_report(ld, line, "port: %s", why);
		else if (entry_auto)
			is_auto = true;
		else if (!conf_add_port(sh, port))
			conf_report(ld, line, "port: %u is listed twice",
			    port.port);
	}
	if (is_auto && n > 1)
		conf_report(ld, line, "port: auto cannot be combined with "
		    "explicit ports");
	if (n > 0 && !is_auto)
		return;
	sh->port_auto = true;
	free(sh->ports);
	sh->ports = NULL;
	sh->nports = 0;
	if ((sh->provider = conf_find_provider(conf, sh->host)) != NULL) {
		for (size_t i = 0; i < sh->provider->nports; i++)
			if (sh->provider->ports[i].port != 25 || sh->allow_port_25)
				conf_add_port(sh, sh->provider->ports[i]);
		return;
	}
	for (size_t i = 0; i < CONF_NITEMS(conf_auto_ports); i++)
		conf_add_port(sh, conf_auto_ports[i]);
	if (sh->allow_port_25)
		conf_add_port(sh, conf_auto_port_25);
}

static void
conf_port_rules(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
{
	int line = conf_line(ld, sec, "port");

	if (sh->port_auto && sh->tls.level == CONF_TLS_NONE)
		conf_report(ld, conf_line(ld, sec, "tls"), "tls = none needs "
		    "explicit ports (port = auto only tries TLS ports); for an "
		    "internal relay write for example port = \"25/plain\"");
	for (size_t i = 0; i < sh->nports && !sh->port_auto; i++) {
		if (sh->ports[i].port == 25 && !sh->allow_port_25)
			conf_report(ld, line, "port 25 is meant for relaying "
			    "between mail servers and often blocked; use 587 or "
			    "465, or set allow_port_25 = true");
		if (sh->ports[i].security == CONF_SEC_PLAIN &&
		    sh->tls.level != CONF_TLS_NONE)
			conf_report(ld, line, "port %u/plain sends mail without "
			    "TLS and needs tls = none", sh->ports[i].port);
	}
}

/* conf_tls_rules - the rules between the TLS options */
static void
conf_tls_rules(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
{
	char *canonical;
	static const char *const verify_only[] = {
		"tls_verify_name", "tls_ca_file", "tls_ca_dir",
	};

	/* TLSv1.2 and TLSv1.3 are checked as read; keep the canonical case */
	canonical = xstrdup(sh->tls.min_version != NULL &&
	    str_equal_nocase(sh->tls.min_version, "TLSv1.3") ? "TLSv1.3" :
	    TLS_MIN_VERSION_DEFAULT);
	free(sh->tls.min_version);
	sh->tls.min_version = canonical;

	for (size_t i = 0; i < CONF_NITEMS(verify_only); i++)
		if (sh->tls.level != CONF_TLS_VERIFY && conf_get(sec, verify_only[i]))
			conf_report(ld, conf_line(ld, sec, verify_only[i]),
			    "%s is only used with tls = verify", verify_only[i]);
	if (sh->tls.level == CONF_TLS_NONE &&
	    (sh->tls.ncert_pins > 0 || sh->tls.nspki_pins > 0))
		conf_report(ld, conf_line(ld, sec, sh->tls.ncert_pins > 0 ?
		    "tls_fingerprint" : "tls_pubkey_pin"), "certificate "
		    "pinning needs TLS; it cannot be used with tls = none");
	if ((sh->tls.client_cert == NULL) != (sh->tls.client_key == NULL))
		conf_report(ld, conf_line(ld, sec, sh->tls.client_cert ?
		    "tls_client_cert" : "tls_client_key"), "tls_client_cert "
		    "and tls_client_key must be given together");
}

/* conf_mechanism_kinds - canonical names; tells which kinds are listed */
static void
conf_mechanism_kinds(struct conf_loader *ld, cfg_t *sec,
    struct conf_smarthost *sh, bool *password_kind, bool *oauth_kind)
{
	int line = conf_line(ld, sec, "auth_mechanisms");

	*password_kind = *oauth_kind = false;
	for (size_t i = 0; i < sh->nauth_mechanisms; i++) {
		const char *m = conf_mechanism(sh->auth_mechanisms[i]);

		if (m == NULL)
			continue;
		free(sh->auth_mechanisms[i]);
		sh->auth_mechanisms[i] = xstrdup(m);
		if (str_has_prefix(m, "XOAUTH") || str_has_prefix(m, "OAUTH"))
			*oauth_kind = true;
		else
			*password_kind = true;
		for (size_t j = 0; j < i; j++)
			if (strcmp(sh->auth_mechanisms[j], m) == 0)
				conf_report(ld, line, "auth_mechanisms: %s is "
				    "listed twice", m);
	}
}

/*
 * conf_credential_rules - with a username: password mechanisms need
 * exactly one of password_file and password_command, OAuth mechanisms
 * need oauth_token_command, and nothing may be set that the listed
 * mechanisms never use. An empty auth_mechanisms means the strongest the
 * server offers among those the configured credentials allow.
 */
static void
conf_credential_rules(struct conf_loader *ld, cfg_t *sec,
    const struct conf_smarthost *sh, bool pw_kind, bool oauth_kind)
{
	bool has_pw = sh->password_file || sh->password_command;
	bool any_list = sh->nauth_mechanisms > 0;

	if (sh->password_file && sh->password_command)
		conf_report(ld, conf_line(ld, sec, "password_command"),
		    "set password_file or password_command, not both");
	if ((pw_kind || (!any_list && sh->oauth_token_command == NULL)) &&
	    !has_pw)
		conf_report(ld, conf_line(ld, sec, "username"), "username "
		    "needs password_file or password_command");
	if (any_list && !pw_kind && has_pw)
		conf_report(ld, conf_line(ld, sec, sh->password_file ?
		    "password_file" : "password_command"), "no password "
		    "mechanism is listed in auth_mechanisms, so the password "
		    "is never used");
	if (oauth_kind && sh->oauth_token_command == NULL)
		conf_report(ld, conf_line(ld, sec, "auth_mechanisms"),
		    "XOAUTH2 and OAUTHBEARER need oauth_token_command");
	if (any_list && !oauth_kind && sh->oauth_token_command)
		conf_report(ld, conf_line(ld, sec, "oauth_token_command"),
		    "oauth_token_command is only used by XOAUTH2 and "
		    "OAUTHBEARER, which auth_mechanisms does not list");
}

/* conf_auth_rules - credentials; without a username none may be given */
static void
conf_auth_rules(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
{
	static const char *const needs_user[] = {
		"password_file", "password_command", "oauth_token_command",
	};
	bool pw_kind, oauth_kind;

	conf_mechanism_kinds(ld, sec, sh, &pw_kind, &oauth_kind);

	if (sh->username != NULL) {
		conf_credential_rules(ld, sec, sh, pw_kind, oauth_kind);
	} else {
		for (size_t i = 0; i < CONF_NITEMS(needs_user); i++)
			if (conf_get(sec, needs_user[i]) != NULL)
				conf_report(ld, conf_line(ld, sec, needs_user[i]),
				    "%s needs username", needs_user[i]);
		if (sh->nauth_mechanisms > 0)
			conf_report(ld, conf_line(ld, sec, "auth_mechanisms"),
			    "auth_mechanisms needs username");
	}
	if (sh->auth_allow_plaintext && !conf_is_loopback(sh->host))
		conf_report(ld, conf_line(ld, sec, "auth_allow_plaintext"),
		    "auth_allow_plaintext is only allowed for a smarthost on "
		    "the loopback interface (localhost, 127.0.0.1, ::1)");
}

static void
conf_build_smarthost(struct conf_loader *ld, cfg_t *sec,
    const struct conf *conf, struct conf_smarthost *sh)
{
	int line = conf_section_line(ld, sec);

	sh->host = xstrdup(cfg_title(sec));
	if (!conf_is_dns_name(sh->host) && !conf_is_ip_literal(sh->host))
		conf_report(ld, line, "smarthost \"%s\": not a host name or IP "
		    "address (write IPv6 addresses without brackets)", sh->host);
	conf_build_values(ld, sec, &conf_smarthost_section, sh);
	sh->timeouts.data_init = sh->timeouts.command;	/* as Postfix's smtp */
	conf_build_ports(ld, sec, conf, sh);
	conf_tls_rules(ld, sec, sh);
	conf_port_rules(ld, sec, sh);
	conf_auth_rules(ld, sec, sh);
}

static void
conf_build_smarthosts(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	unsigned n = cfg_size(root, "smarthost");

	if (n == 0 && !ld->defaults_only)
		conf_report(ld, 0, "no smarthost is configured; postern "
		    "relays all mail through one: add smarthost \"NAME\" "
		    "{ ... }");
	conf->smarthosts = xcalloc(n, sizeof(*conf->smarthosts));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(root, "smarthost", i);

		conf_build_smarthost(ld, sec, conf, &conf->smarthosts[i]);
		conf->nsmarthosts++;
		for (unsigned j = 0; j < i; j++)
			if (str_equal_nocase(conf->smarthosts[j].host,
			    conf->smarthosts[i].host))
				conf_report(ld, conf_section_line(ld, sec),
				    "smarthost \"%s\" is defined twice",
				    conf->smarthosts[i].host);
	}
}

static void conf_load_providers(struct conf_loader *ld, cfg_t *root,
    struct conf *conf);

/* conf_build - the values, then the rules that span several options */
static void
conf_build(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	cfg_t *queue = cfg_getsec(root, "queue");

	conf_build_values(ld, root, &conf_root_section, conf);
	if (!ld->defaults_only && !ld->no_providers)
		conf_load_providers(ld, root, conf);
	conf_build_identity(ld, conf);
	conf_build_smarthosts(ld, root, conf);
	conf_build_aliases(ld, root, conf);
	conf_build_values(ld, cfg_getsec(root, "sender"), &conf_sender_section,
	    conf);
	conf_build_values(ld, queue, &conf_queue_section, conf);
	conf_queue_rules(ld, queue, conf);
	conf_build_values(ld, cfg_getsec(root, "log"), &conf_log_section, conf);
}

/* Upper bound on postern.conf; the shipped file is about 10 KB. */
#define CONF_FILE_MAX	((size_t)1 << 20)

/*
 * conf_read_text - read path into text, comments blanked (conf_text.h);
 * CONF_UNREADABLE with a message if it cannot be read, CONF_INVALID if it
 * is not a text file postern could mean
 */
static enum conf_status
conf_read_text(const char *path, struct strbuf *text)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = CONF_OK;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		log_syswarn("cannot open configuration file %s", path);
		rc = CONF_UNREADABLE;
	} else if (S_ISDIR(st.st_mode)) {
		log_warn("cannot read configuration file %s: it is a directory",
		    path);
		rc = CONF_UNREADABLE;
	}
	while (rc == CONF_OK) {
		strbuf_reserve(text, 8192);
		n = read(fd, text->data + text->len, text->cap - text->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_syswarn("cannot read configuration file %s", path);
			rc = CONF_UNREADABLE;
		} else if (n == 0)
			break;
		else if ((text->len += (size_t)n) > CONF_FILE_MAX) {
			log_warn("%s: larger than %zu bytes", path, CONF_FILE_MAX);
			rc = CONF_INVALID;
		}
		text->data[text->len] = '\0';
	}
	if (fd >= 0)
		close(fd);
	if (rc == CONF_OK && memchr(text->data, '\0', text->len) != NULL) {
		log_warn("%s: contains a NUL byte; not a text file", path);
		rc = CONF_INVALID;
	}
	if (rc == CONF_OK)
		conf_text_blank_comments(text->data, text->len);
	return rc;
}

/*
 * conf_read_cfg - libconfuse's view of text (comments blanked), read with
 * the schema of top (made once, into *schema); errors are counted in ld
 */
static cfg_t *
conf_read_cfg(struct conf_loader *ld, const struct conf_section *top,
    cfg_opt_t **schema, const char *text)
{
	cfg_t *cfg;
	int rc;

	if (*schema == NULL)
		*schema = conf_schema(top);
	if ((cfg = cfg_init(*schema, CFGF_NONE)) == NULL)
		xalloc_die("loading the configuration");
	cfg_set_error_function(cfg, conf_confuse_error);
	free(cfg->filename);
	cfg->filename = xstrdup(ld->path);
	ld->root = cfg;
	ld->top = top;
	conf_loading = ld;
	rc = cfg_parse_buf(cfg, text);
	conf_loading = NULL;
	if (rc != CFG_SUCCESS && ld->errors == 0)
		conf_report(ld, 0, "cannot parse the file");
	return cfg;
}

/* conf_parse - parse text (comments blanked) as the file path says */
static enum conf_status
conf_parse(const char *path, const char *text, bool defaults_only,
    bool no_providers, struct conf **out)
{
	static cfg_opt_t *schema;
	struct conf_loader ld;
	struct conf *conf;
	cfg_t *cfg;
	enum conf_status status;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.defaults_only = defaults_only;
	ld.no_providers = no_providers;
	cfg = conf_read_cfg(&ld, &conf_root_section, &schema, text);
	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	if (ld.errors == 0)
		conf_build(&ld, cfg, conf);
	status = ld.errors > 0 ? CONF_INVALID : CONF_OK;
	conf_loader_free(&ld);
	cfg_free(cfg);
	if (status != CONF_OK) {
		conf_free(conf);
		return status;
	}
	*out = conf;
	return CONF_OK;
}

/* conf_build_providers - each provider's ports, parsed and checked */
static void
conf_build_providers(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	unsigned n = cfg_size(root, "provider");
	char why[CONF_MSG_MAX];

	conf->providers = xcalloc(n, sizeof(*conf->providers));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(root, "provider", i);
		struct conf_provider *pv = &conf->providers[conf->nproviders++];
		int line = conf_section_line(ld, sec);

		pv->name = xstrdup(cfg_title(sec));
		conf_build_values(ld, sec, &conf_provider_section, pv);
		pv->ports = xcalloc(pv->nport_specs, sizeof(*pv->ports));
		for (size_t j = 0; j < pv->nport_specs; j++) {
			bool is_auto;

			if (!conf_parse_port(pv->port_specs[j], &pv->ports[pv->nports],
			    &is_auto, why, sizeof(why)) || is_auto)
				conf_report(ld, line, "provider \"%s\": port \"%s\": %s",
				    pv->name, pv->port_specs[j], is_auto ?
				    "list the provider's ports" : why);
			else
				pv->nports++;
		}
		if (pv->nmatch == 0 || pv->nports == 0)
			conf_report(ld, line, "provider \"%s\" needs match = { ... } "
			    "and port = { ... }", pv->name);
	}
}

/*
 * conf_load_providers - the catalogue named by providers_file. A missing
 * file means no catalogue (a build not installed), with a warning when
 * postern.conf names it; a file that exists must load, and its errors
 * are the configuration's.
 */
static void
conf_load_providers(struct conf_loader *main, cfg_t *root, struct conf *conf)
{
	static cfg_opt_t *schema;
	const cfg_opt_t *opt = cfg_getopt(root, "providers_file");
	bool named = opt != NULL && (opt->flags & CFGF_MODIFIED);
	struct strbuf text = STRBUF_INIT;
	struct conf_loader ld;
	cfg_t *cfg;

	if (conf->providers_file == NULL)
		return;
	if (access(conf->providers_file, F_OK) != 0 && errno == ENOENT) {
		if (named)
			log_warn("%s:%d: providers_file: %s does not exist; "
			    "port = auto uses the built-in ports", main->path,
			    conf_line(main, root, "providers_file"),
			    conf->providers_file);
		return;
	}
	memset(&ld, 0, sizeof(ld));
	ld.path = conf->providers_file;
	if (conf_read_text(ld.path, &text) != CONF_OK) {
		conf_report(main, conf_line(main, root, "providers_file"),
		    "providers_file: cannot read %s", ld.path);
		strbuf_free(&text);
		return;
	}
	cfg = conf_read_cfg(&ld, &conf_providers_top, &schema,
	    strbuf_cstr(&text));
	if (ld.errors == 0)
		conf_build_providers(&ld, cfg, conf);
	main->errors += ld.errors;
	conf_loader_free(&ld);
	cfg_free(cfg);
	strbuf_free(&text);
}

/* conf_load_text - read path and parse it; no_providers skips the catalogue */
static enum conf_status
conf_load_text(const char *path, bool no_providers, struct conf **out)
{
	struct strbuf text = STRBUF_INIT;
	enum conf_status status;

	*out = NULL;
	if ((status = conf_read_text(path, &text)) == CONF_OK)
		status = conf_parse(path, strbuf_cstr(&text), false, no_providers,
		    out);
	strbuf_free(&text);
	return status;
}

enum conf_status
conf_load(const char *path, struct conf **out)
{
	return conf_load_text(path, false, out);
}

enum conf_status
conf_load_submission(const char *path, struct conf **out)
{
	return conf_load_text(path, true, out);
}

struct conf *
conf_defaults(void)
{
	struct conf *conf;

	if (conf_parse("(built-in defaults)", "", true, true, &conf) != CONF_OK)
		log_panic("the built-in defaults do not load");
	return conf;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	conf_free_values(&conf_root_section, conf);
	for (size_t i = 0; i < conf->nsmarthosts; i++) {
		free(conf->smarthosts[i].host);
		free(conf->smarthosts[i].ports);
		conf_free_values(&conf_smarthost_section, &conf->smarthosts[i]);
	}
	free(conf->smarthosts);
	for (size_t i = 0; i < conf->naliases; i++) {
		free(conf->aliases[i].name);
		conf_free_values(&conf_alias_section, &conf->aliases[i]);
	}
	free(conf->aliases);
	for (size_t i = 0; i < conf->nproviders; i++) {
		free(conf->providers[i].name);
		free(conf->providers[i].ports);
		conf_free_values(&conf_provider_section, &conf->providers[i]);
	}
	free(conf->providers);
	conf_free_values(&conf_sender_section, conf);
	free(conf);
}

bool
conf_smarthost_placeholder(const struct conf_smarthost *h)
{
	return str_equal_nocase(h->host, CONF_PLACEHOLDER_HOST);
}

const char *
conf_security_name(enum conf_security security)
{
	switch (security) {
	case CONF_SEC_STARTTLS:
		return "starttls";
	case CONF_SEC_TLS:
		return "tls";
	case CONF_SEC_PLAIN:
		return "plain";
	}
	return "?";
}

const char *
conf_tls_policy_name(enum conf_tls_policy policy)
{
	switch (policy) {
	case CONF_TLS_VERIFY:
		return "verify";
	case CONF_TLS_ENCRYPT:
		return "encrypt";
	case CONF_TLS_NONE:
		return "none";
	}
	return "?";
}

/* --- Printing ---------------------------------------------------------------- */

/* conf_put_quoted - a double-quoted string that reads back as the same value */
static void
conf_put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		/* "$" too: libconfuse expands ${NAME} inside double quotes */
		if (*s == '"' || *s == '\\' || *s == '$')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
conf_put_str(FILE *out, const char *indent, const char *name, const char *value)
{
	if (value == NULL) {
		fprintf(out, "%s# %s: not set\n", indent, name);
		return;
	}
	fprintf(out, "%s%s = ", indent, name);
	conf_put_quoted(out, value);
	fputc('\n', out);
}

static void
conf_put_list(FILE *out, const char *indent, const char *name,
    char *const *list, size_t n)
{
	fprintf(out, "%s%s = {", indent, name);
	for (size_t i = 0; i < n; i++) {
		fputs(i > 0 ? ", " : "", out);
		conf_put_quoted(out, list[i]);
	}
	fputs("}\n", out);
}

static void
conf_put_bool(FILE *out, const char *indent, const char *name, bool value)
{
	fprintf(out, "%s%s = %s\n", indent, name, value ? "true" : "false");
}

/* conf_put_command - a command with every argument masked: it may hold a token */
static void
conf_put_command(FILE *out, const char *indent, const char *name,
    const char *command)
{
	char masked[1024];
	const char *p = command, *end, *rest;

	if (command == NULL) {
		conf_put_str(out, indent, name, NULL);
		return;
	}
	while (isspace((unsigned char)*p))
		p++;
	for (end = p; *end != '\0' && !isspace((unsigned char)*end); end++)
		;
	for (rest = end; isspace((unsigned char)*rest); rest++)
		;
	if (!str_format(masked, sizeof(masked), "%.*s%s", (int)(end - p), p,
	    *rest != '\0' ? " ********" : ""))
		STR_TRUNCATION_OK(str_copy(masked, sizeof(masked), "********"));
	conf_put_str(out, indent, name, masked);
}

/* conf_format_ms - a duration that parses back to exactly ms */
static void
conf_format_ms(uint64_t ms, char *buf, size_t size)
{
	if (ms % 1000 != 0 || !units_format_duration(ms, buf, size))
		STR_MUST_FIT(str_format(buf, size, "%llums", (unsigned long long)ms));
}

/* conf_format_size - the largest binary unit that divides n exactly */
static void
conf_format_size(uint64_t n, char *buf, size_t size)
{
	static const struct { char unit; uint64_t bytes; } units[] = {
		{ 'G', 1024ULL * 1024 * 1024 }, { 'M', 1024 * 1024 },
		{ 'k', 1024 },
	};

	for (size_t i = 0; i < CONF_NITEMS(units); i++) {
		if (n != 0 && n % units[i].bytes == 0) {
			STR_MUST_FIT(str_format(buf, size, "%llu%c",
			    (unsigned long long)(n / units[i].bytes),
			    units[i].unit));
			return;
		}
	}
	STR_MUST_FIT(str_format(buf, size, "%llu", (unsigned long long)n));
}

static void
conf_print_ports(const struct conf_smarthost *sh, FILE *out)
{
	if (sh->port_auto) {
		fputs("\tport = auto\t# tries", out);
		for (size_t i = 0; i < sh->nports; i++)
			fprintf(out, " %u/%s", sh->ports[i].port,
			    conf_security_name(sh->ports[i].security));
		if (sh->provider != NULL)
			fprintf(out, " (%s, from providers_file)", sh->provider->name);
		fputc('\n', out);
		return;
	}
	fputs("\tport = {", out);
	for (size_t i = 0; i < sh->nports; i++)
		fprintf(out, "%s\"%u/%s\"", i > 0 ? ", " : "", sh->ports[i].port,
		    conf_security_name(sh->ports[i].security));
	fputs("}\n", out);
}

/* conf_print_value - one option as the file would write it */
static void
conf_print_value(FILE *out, const char *indent, const struct conf_opt *o,
    const void *base)
{
	const char *at = (const char *)base + o->at;
	char buf[64];

	switch (o->kind) {
	case CONF_TEXT:
		conf_put_str(out, indent, o->name, *(char *const *)(const void *)at);
		break;
	case CONF_COMMAND:
		conf_put_command(out, indent, o->name,
		    *(char *const *)(const void *)at);
		break;
	case CONF_TEXTS:
	case CONF_DIGESTS:
		conf_put_list(out, indent, o->name,
		    *(char **const *)(const void *)at,
		    *(const size_t *)(const void *)((const char *)base + o->count));
		break;
	case CONF_BOOL:
		conf_put_bool(out, indent, o->name, *(const bool *)(const void *)at);
		break;
	case CONF_COUNT:
		fprintf(out, "%s%s = %u\n", indent, o->name,
		    *(const unsigned *)(const void *)at);
		break;
	case CONF_MS:
		conf_format_ms(*(const uint64_t *)(const void *)at, buf, sizeof(buf));
		conf_put_str(out, indent, o->name, buf);
		break;
	case CONF_BYTES:
		conf_format_size(*(const uint64_t *)(const void *)at, buf,
		    sizeof(buf));
		conf_put_str(out, indent, o->name, buf);
		break;
	case CONF_CHOICE:
		fprintf(out, "%s%s = %s\n", indent, o->name,
		    o->choices[*(const int *)(const void *)at]);
		break;
	case CONF_PORTS:
		conf_print_ports(base, out);
		break;
	case CONF_SECTION:
	case CONF_REFUSED:
		break;
	}
}

/* conf_print_block - "NAME [TITLE] {", the section's values, "}" */
static void
conf_print_block(FILE *out, const struct conf_section *s, const char *title,
    const void *base)
{
	fprintf(out, "\n%s ", s->name);
	if (title != NULL) {
		conf_put_quoted(out, title);
		fputc(' ', out);
	}
	fputs("{\n", out);
	for (size_t i = 0; i < s->nopts; i++)
		conf_print_value(out, "\t", &s->opts[i], base);
	fputs("}\n", out);
}

/* conf_print_section - every instance of a section of the top level */
static void
conf_print_section(FILE *out, const struct conf_section *s,
    const struct conf *conf)
{
	if (s == &conf_smarthost_section)
		for (size_t i = 0; i < conf->nsmarthosts; i++)
			conf_print_block(out, s, conf->smarthosts[i].host,
			    &conf->smarthosts[i]);
	else if (s == &conf_alias_section)
		for (size_t i = 0; i < conf->naliases; i++)
			conf_print_block(out, s, conf->aliases[i].name,
			    &conf->aliases[i]);
	else
		conf_print_block(out, s, NULL, conf);
}

void
conf_print(const struct conf *conf, FILE *out)
{
	bool after_section = true;

	fputs("# effective configuration", out);
	if (conf->path != NULL)
		fprintf(out, " loaded from %s", conf->path);
	fputs("\n# secrets are never shown; command arguments are masked\n",
	    out);
	for (size_t i = 0; i < conf_root_section.nopts; i++) {
		const struct conf_opt *o = &conf_root_section.opts[i];

		if (o->kind == CONF_SECTION) {
			conf_print_section(out, o->sub, conf);
			after_section = true;
		} else if (o->kind != CONF_REFUSED) {
			if (after_section)
				fputc('\n', out);
			conf_print_value(out, "", o, conf);
			after_section = false;
		}
	}
}
