/*
 * conf.c - postern.conf: schema, parsing with libconfuse, validation and
 * display.
 *
 * Contract: conf_load() is the only function that touches libconfuse; the
 * rest of postern sees a plain struct conf. Loading runs in two passes.
 * While libconfuse reads the file, a validate callback on every option
 * notes the line where the option was set and checks the value on its own
 * (a port entry, a duration, a host name). A bad value is reported with
 * its line and parsing goes on, so one run shows every bad value; syntax
 * errors (an unknown option, a missing brace, a bad integer or boolean)
 * stop libconfuse at once. After a clean parse, conf_build_*() copy the
 * values into struct conf and apply the rules that involve several
 * options (client certificate and key, username and password source, port
 * list and TLS policy); those errors carry the line of the option
 * involved, or of its section when the option is missing.
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
#define CONF_DIGEST_LEN		(sizeof("sha256:") - 1 + 64)
#define CONF_CONCURRENCY_MAX	100
#define CONF_PASSWORD_ADVICE \
	"secrets do not belong in postern.conf, which every local user " \
	"may be able to read; put the password in a file named by " \
	"password_file (mode 0640) or print it from password_command"

/* --- Schema ----------------------------------------------------------------
 *
 * Durations and sizes are strings checked with units.h. Lists have no
 * libconfuse defaults: their defaults are applied in conf_build_*(), so
 * that a validate callback runs only for values written in the file.
 * Every section accepts "password" only to refuse it with advice.
 */

static cfg_opt_t conf_alias_opts[] = {
	CFG_STR_LIST("to", NULL, CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t conf_sender_opts[] = {
	CFG_STR("masquerade_domain", NULL, CFGF_NONE),
	CFG_STR_LIST("masquerade_exceptions", NULL, CFGF_NONE),
	CFG_STR("envelope_sender", NULL, CFGF_NONE),
	CFG_BOOL("rewrite_header_from", cfg_false, CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t conf_queue_opts[] = {
	CFG_STR("lifetime", "5d", CFGF_NONE),
	CFG_STR("min_backoff", "1m", CFGF_NONE),
	CFG_STR("max_backoff", "1h", CFGF_NONE),
	CFG_STR("delay_warning", "0", CFGF_NONE),
	CFG_STR("idle_timeout", "30s", CFGF_NONE),
	CFG_STR("rescan_interval", "5m", CFGF_NONE),
	CFG_INT("concurrency", 2, CFGF_NONE),
	CFG_STR("max_message_size", "35M", CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t conf_log_opts[] = {
	CFG_STR("target", "syslog", CFGF_NONE),
	CFG_BOOL("debug", cfg_false, CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_END()
};

/*
 * Timeout defaults follow RFC 5321 section 4.5.3.2: 5 minutes for the
 * greeting and for each command, 3 minutes for each block of DATA, 10
 * minutes for the reply to the final dot.
 */
static cfg_opt_t conf_smarthost_opts[] = {
	CFG_STR_LIST("port", NULL, CFGF_NONE),
	CFG_BOOL("allow_port_25", cfg_false, CFGF_NONE),
	CFG_STR("tls", "verify", CFGF_NONE),
	CFG_STR("tls_verify_name", NULL, CFGF_NONE),
	CFG_STR("tls_min_version", TLS_MIN_VERSION_DEFAULT, CFGF_NONE),
	CFG_STR("tls_ca_file", NULL, CFGF_NONE),
	CFG_STR("tls_ca_dir", NULL, CFGF_NONE),
	CFG_STR_LIST("tls_fingerprint", NULL, CFGF_NONE),
	CFG_STR_LIST("tls_pubkey_pin", NULL, CFGF_NONE),
	CFG_STR("tls_client_cert", NULL, CFGF_NONE),
	CFG_STR("tls_client_key", NULL, CFGF_NONE),
	CFG_STR("username", NULL, CFGF_NONE),
	CFG_STR("password_file", NULL, CFGF_NONE),
	CFG_STR("password_command", NULL, CFGF_NONE),
	CFG_STR("oauth_token_command", NULL, CFGF_NONE),
	CFG_STR_LIST("auth_mechanisms", NULL, CFGF_NONE),
	CFG_BOOL("auth_allow_plaintext", cfg_false, CFGF_NONE),
	/* The session timeouts default to smarthost_policy.h's SMTP_*_MS. */
	CFG_STR("connect_timeout", NULL, CFGF_NONE),
	CFG_STR("greeting_timeout", NULL, CFGF_NONE),
	CFG_STR("command_timeout", NULL, CFGF_NONE),
	CFG_STR("data_block_timeout", NULL, CFGF_NONE),
	CFG_STR("data_done_timeout", NULL, CFGF_NONE),
	CFG_STR("port_stagger", "250ms", CFGF_NONE),
	CFG_STR("port_cache_ttl", "24h", CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t conf_root_opts[] = {
	CFG_STR("hostname", NULL, CFGF_NONE),
	CFG_STR("domain", NULL, CFGF_NONE),
	CFG_SEC("smarthost", conf_smarthost_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_STR("aliases_file", "/etc/aliases", CFGF_NONE),
	CFG_SEC("alias", conf_alias_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("sender", conf_sender_opts, CFGF_NONE),
	CFG_SEC("queue", conf_queue_opts, CFGF_NONE),
	CFG_SEC("log", conf_log_opts, CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_END()
};

/* Durations stored in struct conf and struct conf_smarthost, in print order. */
struct conf_duration_field {
	const char *name;
	size_t offset;
	uint64_t default_ms;		/* when the schema has none (NULL) */
};

static const struct conf_duration_field conf_queue_durations[] = {
	{ "lifetime", offsetof(struct conf, queue.lifetime_ms), 0 },
	{ "min_backoff", offsetof(struct conf, queue.min_backoff_ms), 0 },
	{ "max_backoff", offsetof(struct conf, queue.max_backoff_ms), 0 },
	{ "delay_warning", offsetof(struct conf, queue.delay_warning_ms), 0 },
	{ "idle_timeout", offsetof(struct conf, queue.idle_timeout_ms), 0 },
	{ "rescan_interval", offsetof(struct conf, queue.rescan_interval_ms), 0 },
};

static const struct conf_duration_field conf_smarthost_durations[] = {
	{ "connect_timeout", offsetof(struct conf_smarthost, timeouts.connect),
	  SMTP_CONNECT_MS },
	{ "greeting_timeout", offsetof(struct conf_smarthost, timeouts.greeting),
	  SMTP_GREETING_MS },
	{ "command_timeout", offsetof(struct conf_smarthost, timeouts.command),
	  SMTP_COMMAND_MS },
	{ "data_block_timeout", offsetof(struct conf_smarthost, timeouts.data_block),
	  SMTP_DATA_BLOCK_MS },
	{ "data_done_timeout", offsetof(struct conf_smarthost, timeouts.data_done),
	  SMTP_DATA_DONE_MS },
	{ "port_stagger", offsetof(struct conf_smarthost, port_stagger_ms), 0 },
	{ "port_cache_ttl", offsetof(struct conf_smarthost, port_cache_ttl_ms), 0 },
};

#define CONF_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

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
	cfg_t *root;
	struct conf_mark *marks;
	size_t nmarks;
	struct conf_secmark *secmarks;
	size_t nsecmarks;
	int errors;
	bool defaults_only;		/* conf_defaults(): no smarthost needed */
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

static bool
conf_check_duration(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);
	uint64_t ms;

	if (units_parse_duration_ms(v, &ms))
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a duration (examples: 250ms, "
	    "30s, 5m, 1h30m, 5d)", v));
	return false;
}

static bool
conf_check_duration_pos(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	uint64_t ms;

	if (!conf_check_duration(opt, i, why, size))
		return false;
	if (units_parse_duration_ms(cfg_opt_getnstr(opt, i), &ms) && ms > 0)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "must be longer than zero"));
	return false;
}

static bool
conf_check_size(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);
	uint64_t n;

	if (units_parse_size(v, &n))
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not a size (examples: 0 for no "
	    "limit, 512k, 35M, 1G)", v));
	return false;
}

static bool
conf_check_concurrency(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	long n = cfg_opt_getnint(opt, i);

	if (n >= 1 && n <= CONF_CONCURRENCY_MAX)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "%ld is not between 1 and %d", n,
	    CONF_CONCURRENCY_MAX));
	return false;
}

static bool
conf_check_log_target(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (strcmp(v, "syslog") == 0 || strcmp(v, "stderr") == 0)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not syslog or stderr", v));
	return false;
}

static bool
conf_check_tls(cfg_opt_t *opt, unsigned i, char *why, size_t size)
{
	const char *v = cfg_opt_getnstr(opt, i);

	if (strcmp(v, "verify") == 0 || strcmp(v, "encrypt") == 0 ||
	    strcmp(v, "none") == 0)
		return true;
	STR_TRUNCATION_OK(str_format(why, size, "\"%s\" is not verify, encrypt or none", v));
	return false;
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

/*
 * Which check applies to which option. A NULL section matches every
 * section. empty_ok: for a single string, "" means "not set".
 */
static const struct conf_check {
	const char *section;
	const char *option;
	conf_check_fn *check;
	bool empty_ok;
} conf_checks[] = {
	{ NULL, "password", conf_check_password, false },
	{ "root", "hostname", conf_check_dns_name, true },
	{ "root", "domain", conf_check_dns_name, true },
	{ "root", "aliases_file", conf_check_path, true },
	{ "alias", "to", conf_check_alias_target, false },
	{ "sender", "masquerade_domain", conf_check_dns_name, true },
	{ "sender", "masquerade_exceptions", conf_check_local_name, false },
	{ "sender", "envelope_sender", conf_check_address, true },
	{ "queue", "lifetime", conf_check_duration_pos, false },
	{ "queue", "min_backoff", conf_check_duration_pos, false },
	{ "queue", "max_backoff", conf_check_duration_pos, false },
	{ "queue", "delay_warning", conf_check_duration, false },
	{ "queue", "idle_timeout", conf_check_duration, false },
	{ "queue", "rescan_interval", conf_check_duration_pos, false },
	{ "queue", "concurrency", conf_check_concurrency, false },
	{ "queue", "max_message_size", conf_check_size, false },
	{ "log", "target", conf_check_log_target, false },
	{ "smarthost", "port", conf_check_port, false },
	{ "smarthost", "tls", conf_check_tls, false },
	{ "smarthost", "tls_verify_name", conf_check_dns_name, true },
	{ "smarthost", "tls_min_version", conf_check_tls_version, false },
	{ "smarthost", "tls_ca_file", conf_check_path, true },
	{ "smarthost", "tls_ca_dir", conf_check_path, true },
	{ "smarthost", "tls_fingerprint", conf_check_digest, false },
	{ "smarthost", "tls_pubkey_pin", conf_check_digest, false },
	{ "smarthost", "tls_client_cert", conf_check_path, true },
	{ "smarthost", "tls_client_key", conf_check_path, true },
	{ "smarthost", "username", conf_check_text, true },
	{ "smarthost", "password_file", conf_check_path, true },
	{ "smarthost", "password_command", conf_check_command, true },
	{ "smarthost", "oauth_token_command", conf_check_command, true },
	{ "smarthost", "auth_mechanisms", conf_check_mechanism, false },
	{ "smarthost", "connect_timeout", conf_check_duration_pos, false },
	{ "smarthost", "greeting_timeout", conf_check_duration_pos, false },
	{ "smarthost", "command_timeout", conf_check_duration_pos, false },
	{ "smarthost", "data_block_timeout", conf_check_duration_pos, false },
	{ "smarthost", "data_done_timeout", conf_check_duration_pos, false },
	{ "smarthost", "port_stagger", conf_check_duration, false },
	{ "smarthost", "port_cache_ttl", conf_check_duration, false },
};

static const struct conf_check *
conf_find_check(const char *section, const char *option)
{
	for (size_t i = 0; i < CONF_NITEMS(conf_checks); i++) {
		const struct conf_check *c = &conf_checks[i];

		if ((c->section == NULL || strcmp(c->section, section) == 0) &&
		    strcmp(c->option, option) == 0)
			return c;
	}
	return NULL;
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
	const struct conf_check *check;
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
	check = conf_find_check(cfg_name(sec), opt->name);
	if (check == NULL)
		return 0;
	if (value != NULL && value[0] == '\0' && check->empty_ok &&
	    !(opt->flags & CFGF_LIST))
		return 0;
	if (!check->check(opt, n - 1, why, sizeof(why)))
		conf_report(ld, sec->line, "%s: %s", opt->name, why);
	return 0;
}

/* conf_schema_init - attach conf_option_cb to every option of the schema */
static void
conf_schema_init(cfg_opt_t *opts)
{
	for (; opts->name != NULL; opts++) {
		if (opts->type == CFGT_SEC)
			conf_schema_init(opts->subopts);
		else
			opts->validcb = conf_option_cb;
	}
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

/* conf_durations - parse a table of durations into the struct at base */
static void
conf_durations(struct conf_loader *ld, cfg_t *sec,
    const struct conf_duration_field *fields, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = cfg_getstr(sec, fields[i].name);
		uint64_t ms = fields[i].default_ms;

		if (v == NULL && ms > 0)
			;	/* not set: the default */
		else if (v == NULL || !units_parse_duration_ms(v, &ms))
			conf_report(ld, conf_line(ld, sec, fields[i].name),
			    "%s: not a duration", fields[i].name);
		memcpy((char *)base + fields[i].offset, &ms, sizeof(ms));
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

static void
conf_build_identity(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	const char *dot;

	conf->hostname = conf_dup(root, "hostname");
	if (conf->hostname == NULL) {
		conf->hostname = conf_system_hostname();
		if (!conf_is_dns_name(conf->hostname))
			conf_report(ld, 0, "the system host name \"%s\" is not "
			    "a valid domain name; set hostname", conf->hostname);
	}
	conf->domain = conf_dup(root, "domain");
	if (conf->domain == NULL) {
		dot = strchr(conf->hostname, '.');
		conf->domain = xstrdup(dot != NULL ? dot + 1 : conf->hostname);
	}
	conf->aliases_file = conf_dup(root, "aliases_file");
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
		a->targets = conf_dup_list(sec, "to", &a->ntargets);
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

static void
conf_build_sender(cfg_t *root, struct conf *conf)
{
	cfg_t *sec = cfg_getsec(root, "sender");

	conf->sender.masquerade_domain = conf_dup(sec, "masquerade_domain");
	conf->sender.masquerade_exceptions = conf_dup_list(sec,
	    "masquerade_exceptions", &conf->sender.nmasquerade_exceptions);
	conf->sender.envelope_sender = conf_dup(sec, "envelope_sender");
	conf->sender.rewrite_header_from = cfg_getbool(sec,
	    "rewrite_header_from");
}

static void
conf_build_queue(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	cfg_t *sec = cfg_getsec(root, "queue");
	const char *size = cfg_getstr(sec, "max_message_size");

	conf_durations(ld, sec, conf_queue_durations,
	    CONF_NITEMS(conf_queue_durations), conf);
	conf->queue.concurrency = (unsigned)cfg_getint(sec, "concurrency");
	if (size == NULL ||
	    !units_parse_size(size, &conf->queue.max_message_size))
		conf_report(ld, conf_line(ld, sec, "max_message_size"),
		    "max_message_size: not a size");
	if (conf->queue.min_backoff_ms > conf->queue.max_backoff_ms)
		conf_report(ld, conf_line(ld, sec, "min_backoff"),
		    "min_backoff must not be longer than max_backoff");
	if (conf->queue.delay_warning_ms >= conf->queue.lifetime_ms &&
	    conf->queue.delay_warning_ms != 0)
		conf_report(ld, conf_line(ld, sec, "delay_warning"),
		    "delay_warning must be shorter than lifetime, or 0 to "
		    "send no delay warnings");
}

static void
conf_build_log(cfg_t *root, struct conf *conf)
{
	cfg_t *sec = cfg_getsec(root, "log");

	conf->log.target = strcmp(cfg_getstr(sec, "target"), "stderr") == 0 ?
	    CONF_LOG_STDERR : CONF_LOG_SYSLOG;
	conf->log.debug = cfg_getbool(sec, "debug");
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

/* conf_build_ports - the candidate list, explicit or built in */
static void
conf_build_ports(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
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
	for (size_t i = 0; i < CONF_NITEMS(conf_auto_ports); i++)
		conf_add_port(sh, conf_auto_ports[i]);
	if (sh->allow_port_25)
		conf_add_port(sh, conf_auto_port_25);
}

static void
conf_check_ports(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
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

static void
conf_build_tls(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
{
	const char *tls = cfg_getstr(sec, "tls");
	static const char *const verify_only[] = {
		"tls_verify_name", "tls_ca_file", "tls_ca_dir",
	};

	sh->tls.level = strcmp(tls, "none") == 0 ? CONF_TLS_NONE :
	    strcmp(tls, "encrypt") == 0 ? CONF_TLS_ENCRYPT : CONF_TLS_VERIFY;
	sh->tls.verify_name = conf_dup(sec, "tls_verify_name");
	sh->tls.min_version = xstrdup(str_equal_nocase(cfg_getstr(sec,
	    "tls_min_version"), "TLSv1.3") ? "TLSv1.3" : TLS_MIN_VERSION_DEFAULT);
	sh->tls.ca_file = conf_dup(sec, "tls_ca_file");
	sh->tls.ca_dir = conf_dup(sec, "tls_ca_dir");
	sh->tls.cert_pins = conf_dup_digests(sec, "tls_fingerprint",
	    &sh->tls.ncert_pins);
	sh->tls.spki_pins = conf_dup_digests(sec, "tls_pubkey_pin",
	    &sh->tls.nspki_pins);
	sh->tls.client_cert = conf_dup(sec, "tls_client_cert");
	sh->tls.client_key = conf_dup(sec, "tls_client_key");

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

/* conf_build_mechanisms - canonical names; tells which kinds are listed */
static void
conf_build_mechanisms(struct conf_loader *ld, cfg_t *sec,
    struct conf_smarthost *sh, bool *password_kind, bool *oauth_kind)
{
	int line = conf_line(ld, sec, "auth_mechanisms");

	sh->auth_mechanisms = conf_dup_list(sec, "auth_mechanisms",
	    &sh->nauth_mechanisms);
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
 * conf_check_credentials - with a username: password mechanisms need
 * exactly one of password_file and password_command, OAuth mechanisms
 * need oauth_token_command, and nothing may be set that the listed
 * mechanisms never use. An empty auth_mechanisms means the strongest the
 * server offers among those the configured credentials allow.
 */
static void
conf_check_credentials(struct conf_loader *ld, cfg_t *sec,
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

/* conf_build_auth - credentials; without a username none may be given */
static void
conf_build_auth(struct conf_loader *ld, cfg_t *sec, struct conf_smarthost *sh)
{
	static const char *const needs_user[] = {
		"password_file", "password_command", "oauth_token_command",
	};
	bool pw_kind, oauth_kind;

	sh->username = conf_dup(sec, "username");
	sh->password_file = conf_dup(sec, "password_file");
	sh->password_command = conf_dup(sec, "password_command");
	sh->oauth_token_command = conf_dup(sec, "oauth_token_command");
	sh->auth_allow_plaintext = cfg_getbool(sec, "auth_allow_plaintext");
	conf_build_mechanisms(ld, sec, sh, &pw_kind, &oauth_kind);

	if (sh->username != NULL) {
		conf_check_credentials(ld, sec, sh, pw_kind, oauth_kind);
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
    struct conf_smarthost *sh)
{
	int line = conf_section_line(ld, sec);

	sh->host = xstrdup(cfg_title(sec));
	if (!conf_is_dns_name(sh->host) && !conf_is_ip_literal(sh->host))
		conf_report(ld, line, "smarthost \"%s\": not a host name or IP "
		    "address (write IPv6 addresses without brackets)", sh->host);
	sh->allow_port_25 = cfg_getbool(sec, "allow_port_25");
	conf_build_ports(ld, sec, sh);
	conf_build_tls(ld, sec, sh);
	conf_check_ports(ld, sec, sh);
	conf_build_auth(ld, sec, sh);
	conf_durations(ld, sec, conf_smarthost_durations,
	    CONF_NITEMS(conf_smarthost_durations), sh);
	sh->timeouts.data_init = sh->timeouts.command;	/* as Postfix's smtp */
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

		conf_build_smarthost(ld, sec, &conf->smarthosts[i]);
		conf->nsmarthosts++;
		for (unsigned j = 0; j < i; j++)
			if (str_equal_nocase(conf->smarthosts[j].host,
			    conf->smarthosts[i].host))
				conf_report(ld, conf_section_line(ld, sec),
				    "smarthost \"%s\" is defined twice",
				    conf->smarthosts[i].host);
	}
}

static void
conf_build(struct conf_loader *ld, cfg_t *root, struct conf *conf)
{
	conf_build_identity(ld, root, conf);
	conf_build_smarthosts(ld, root, conf);
	conf_build_aliases(ld, root, conf);
	conf_build_sender(root, conf);
	conf_build_queue(ld, root, conf);
	conf_build_log(root, conf);
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

/* conf_parse - parse text (comments blanked) as the file path says */
static enum conf_status
conf_parse(const char *path, const char *text, bool defaults_only,
    struct conf **out)
{
	static bool schema_ready;
	struct conf_loader ld;
	struct conf *conf;
	cfg_t *cfg;
	enum conf_status status;
	int rc;

	*out = NULL;
	if (!schema_ready) {
		conf_schema_init(conf_root_opts);
		schema_ready = true;
	}
	if ((cfg = cfg_init(conf_root_opts, CFGF_NONE)) == NULL)
		xalloc_die("loading the configuration");
	cfg_set_error_function(cfg, conf_confuse_error);
	free(cfg->filename);
	cfg->filename = xstrdup(path);

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.root = cfg;
	ld.defaults_only = defaults_only;
	conf_loading = &ld;
	rc = cfg_parse_buf(cfg, text);
	conf_loading = NULL;
	if (rc != CFG_SUCCESS && ld.errors == 0)
		conf_report(&ld, 0, "cannot parse the file");

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

enum conf_status
conf_load(const char *path, struct conf **out)
{
	struct strbuf text = STRBUF_INIT;
	enum conf_status status;

	*out = NULL;
	if ((status = conf_read_text(path, &text)) == CONF_OK)
		status = conf_parse(path, strbuf_cstr(&text), false, out);
	strbuf_free(&text);
	return status;
}

struct conf *
conf_defaults(void)
{
	struct conf *conf;

	if (conf_parse("(built-in defaults)", "", true, &conf) != CONF_OK)
		log_panic("the built-in defaults do not load");
	return conf;
}

static void
conf_free_smarthost(struct conf_smarthost *sh)
{
	free(sh->host);
	free(sh->tls.verify_name);
	free(sh->ports);
	free(sh->tls.min_version);
	free(sh->tls.ca_file);
	free(sh->tls.ca_dir);
	conf_free_list(sh->tls.cert_pins, sh->tls.ncert_pins);
	conf_free_list(sh->tls.spki_pins, sh->tls.nspki_pins);
	free(sh->tls.client_cert);
	free(sh->tls.client_key);
	free(sh->username);
	free(sh->password_file);
	free(sh->password_command);
	free(sh->oauth_token_command);
	conf_free_list(sh->auth_mechanisms, sh->nauth_mechanisms);
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->hostname);
	free(conf->domain);
	for (size_t i = 0; i < conf->nsmarthosts; i++)
		conf_free_smarthost(&conf->smarthosts[i]);
	free(conf->smarthosts);
	free(conf->aliases_file);
	for (size_t i = 0; i < conf->naliases; i++) {
		free(conf->aliases[i].name);
		conf_free_list(conf->aliases[i].targets,
		    conf->aliases[i].ntargets);
	}
	free(conf->aliases);
	free(conf->sender.masquerade_domain);
	conf_free_list(conf->sender.masquerade_exceptions,
	    conf->sender.nmasquerade_exceptions);
	free(conf->sender.envelope_sender);
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

static void
conf_put_durations(FILE *out, const char *indent,
    const struct conf_duration_field *fields, size_t n, const void *base)
{
	char buf[64];
	uint64_t ms;

	for (size_t i = 0; i < n; i++) {
		memcpy(&ms, (const char *)base + fields[i].offset, sizeof(ms));
		conf_format_ms(ms, buf, sizeof(buf));
		conf_put_str(out, indent, fields[i].name, buf);
	}
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
		fputc('\n', out);
		return;
	}
	fputs("\tport = {", out);
	for (size_t i = 0; i < sh->nports; i++)
		fprintf(out, "%s\"%u/%s\"", i > 0 ? ", " : "", sh->ports[i].port,
		    conf_security_name(sh->ports[i].security));
	fputs("}\n", out);
}

static void
conf_print_smarthost(const struct conf_smarthost *sh, FILE *out)
{
	fputs("smarthost ", out);
	conf_put_quoted(out, sh->host);
	fputs(" {\n", out);
	conf_print_ports(sh, out);
	conf_put_bool(out, "\t", "allow_port_25", sh->allow_port_25);
	fprintf(out, "\ttls = %s\n", conf_tls_policy_name(sh->tls.level));
	conf_put_str(out, "\t", "tls_verify_name", sh->tls.verify_name);
	conf_put_str(out, "\t", "tls_min_version", sh->tls.min_version);
	conf_put_str(out, "\t", "tls_ca_file", sh->tls.ca_file);
	conf_put_str(out, "\t", "tls_ca_dir", sh->tls.ca_dir);
	conf_put_list(out, "\t", "tls_fingerprint", sh->tls.cert_pins,
	    sh->tls.ncert_pins);
	conf_put_list(out, "\t", "tls_pubkey_pin", sh->tls.spki_pins,
	    sh->tls.nspki_pins);
	conf_put_str(out, "\t", "tls_client_cert", sh->tls.client_cert);
	conf_put_str(out, "\t", "tls_client_key", sh->tls.client_key);
	conf_put_str(out, "\t", "username", sh->username);
	conf_put_str(out, "\t", "password_file", sh->password_file);
	conf_put_command(out, "\t", "password_command", sh->password_command);
	conf_put_command(out, "\t", "oauth_token_command",
	    sh->oauth_token_command);
	conf_put_list(out, "\t", "auth_mechanisms", sh->auth_mechanisms,
	    sh->nauth_mechanisms);
	conf_put_bool(out, "\t", "auth_allow_plaintext",
	    sh->auth_allow_plaintext);
	conf_put_durations(out, "\t", conf_smarthost_durations,
	    CONF_NITEMS(conf_smarthost_durations), sh);
	fputs("}\n\n", out);
}

static void
conf_print_aliases(const struct conf *conf, FILE *out)
{
	conf_put_str(out, "", "aliases_file", conf->aliases_file);
	fputc('\n', out);
	for (size_t i = 0; i < conf->naliases; i++) {
		fputs("alias ", out);
		conf_put_quoted(out, conf->aliases[i].name);
		fputs(" {\n", out);
		conf_put_list(out, "\t", "to", conf->aliases[i].targets,
		    conf->aliases[i].ntargets);
		fputs("}\n\n", out);
	}
}

static void
conf_print_sections(const struct conf *conf, FILE *out)
{
	char buf[64];

	fputs("sender {\n", out);
	conf_put_str(out, "\t", "masquerade_domain",
	    conf->sender.masquerade_domain);
	conf_put_list(out, "\t", "masquerade_exceptions",
	    conf->sender.masquerade_exceptions,
	    conf->sender.nmasquerade_exceptions);
	conf_put_str(out, "\t", "envelope_sender", conf->sender.envelope_sender);
	conf_put_bool(out, "\t", "rewrite_header_from",
	    conf->sender.rewrite_header_from);
	fputs("}\n\nqueue {\n", out);
	conf_put_durations(out, "\t", conf_queue_durations,
	    CONF_NITEMS(conf_queue_durations), conf);
	fprintf(out, "\tconcurrency = %u\n", conf->queue.concurrency);
	conf_format_size(conf->queue.max_message_size, buf, sizeof(buf));
	conf_put_str(out, "\t", "max_message_size", buf);
	fputs("}\n\nlog {\n", out);
	fprintf(out, "\ttarget = %s\n",
	    conf->log.target == CONF_LOG_STDERR ? "stderr" : "syslog");
	conf_put_bool(out, "\t", "debug", conf->log.debug);
	fputs("}\n", out);
}

void
conf_print(const struct conf *conf, FILE *out)
{
	fputs("# effective configuration", out);
	if (conf->path != NULL)
		fprintf(out, " loaded from %s", conf->path);
	fputs("\n# secrets are never shown; command arguments are masked\n\n",
	    out);
	conf_put_str(out, "", "hostname", conf->hostname);
	conf_put_str(out, "", "domain", conf->domain);
	fputc('\n', out);
	for (size_t i = 0; i < conf->nsmarthosts; i++)
		conf_print_smarthost(&conf->smarthosts[i], out);
	conf_print_aliases(conf, out);
	conf_print_sections(conf, out);
}
