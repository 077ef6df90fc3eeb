/*
 * conf.h - postern.conf: schema, loading, validation and display.
 *
 * The file is parsed with libconfuse; nothing outside conf.c sees a cfg_t.
 * conf_load() fills a plain struct conf with defaults applied and every
 * value validated. Every problem is reported as "FILE:LINE: message" (the
 * line of the offending option where libconfuse knows it) through
 * log_warn(), and the load fails with CONF_INVALID. Secrets never live in the
 * configuration: it may only name a password file or a command whose
 * output is the secret; a "password" option is refused with that advice.
 *
 * Ownership: conf_load() returns a heap object the caller frees with
 * conf_free(). All strings inside belong to it.
 */
#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "smarthost_policy.h"

struct conf_port {
	unsigned port;			/* 1..65535 */
	enum conf_security security;
};

/*
 * A provider of the catalogue (providers.conf): the submission ports it
 * documents, used for a smarthost with port = auto whose name matches.
 */
struct conf_provider {
	char *name;			/* section title: "Amazon SES" */
	char **match;			/* host name patterns (fnmatch, any case) */
	size_t nmatch;
	char **port_specs;		/* as written: "2587/starttls" */
	size_t nport_specs;
	struct conf_port *ports;	/* parsed, in its order of preference */
	size_t nports;
	char **auth_mechanisms;		/* what it offers (shown, not a limit) */
	size_t nauth_mechanisms;
};

struct conf_smarthost {
	char *host;			/* section title: name to connect to */
	const struct conf_provider *provider;	/* the catalogue's entry that
					 * gave port = auto its candidates;
					 * NULL = none (it points into conf) */
	bool port_auto;			/* port = auto: built-in candidate list */
	struct conf_port *ports;	/* candidates in preference order; for
					 * port = auto the built-in list
					 * (conf_auto_ports in conf.c) */
	size_t nports;
	bool allow_port_25;
	struct tls_policy tls;		/* what TLS demands of the server */
	char *username;			/* NULL = no AUTH */
	char *password_file;		/* secret: read by the worker only */
	char *password_command;		/* its stdout is the password */
	char *oauth_token_command;	/* run per connection for XOAUTH2/OAUTHBEARER */
	char **auth_mechanisms;		/* upper case; empty = strongest offered */
	size_t nauth_mechanisms;
	bool auth_allow_plaintext;	/* AUTH without TLS: loopback hosts only */
	struct smtp_timeouts timeouts;	/* data_init is command_timeout */
	uint64_t port_stagger_ms;	/* RFC 8305 style start delay between candidates */
	uint64_t port_cache_ttl_ms;	/* how long a winning port is remembered */
};

struct conf_alias {
	char *name;			/* local name, e.g. "root" */
	char **targets;			/* addresses or other local names */
	size_t ntargets;
};

enum conf_log_target { CONF_LOG_SYSLOG, CONF_LOG_STDERR };

struct conf {
	char *path;			/* file this was loaded from */
	char *hostname;			/* never NULL after load */
	char *domain;			/* for unqualified addresses; never NULL */

	struct conf_smarthost *smarthosts;	/* tried in order: failover */
	size_t nsmarthosts;

	char *providers_file;		/* the provider catalogue; NULL = none */
	struct conf_provider *providers;
	size_t nproviders;

	char *aliases_file;		/* /etc/aliases format; NULL = none
					 * (aliases_file = ""); may not exist */
	struct conf_alias *aliases;
	size_t naliases;

	struct {
		char *masquerade_domain;	/* NULL = no masquerading */
		char **masquerade_exceptions;	/* local users not rewritten */
		size_t nmasquerade_exceptions;
		char *envelope_sender;		/* force this sender; NULL = keep */
		bool rewrite_header_from;	/* apply rewriting to From: too */
	} sender;

	struct {
		uint64_t lifetime_ms;
		uint64_t min_backoff_ms;
		uint64_t max_backoff_ms;
		uint64_t delay_warning_ms;	/* 0 = no delay warnings */
		uint64_t idle_timeout_ms;	/* close an idle reused session */
		uint64_t rescan_interval_ms;	/* safety-net rescan of incoming */
		unsigned concurrency;		/* SMTP sessions at once */
		unsigned backlog_concurrency;	/* ... while a backlog is due */
		uint64_t max_message_size;	/* bytes; 0 = unlimited */
		unsigned user_max_messages;	/* queued per uid; 0 = unlimited */
		uint64_t user_max_size;		/* bytes queued per uid; 0 = unlimited */
		uint64_t dead_letter_lifetime_ms;	/* quarantine and dead letters */
		uint64_t dead_letter_max_size;	/* bytes in each; 0 = unlimited */
	} queue;

	struct {
		enum conf_log_target target;
		bool debug;
	} log;
};

/* What conf_load() found; each program chooses its exit status from it. */
enum conf_status {
	CONF_OK = 0,
	CONF_UNREADABLE,	/* cannot open or read the file */
	CONF_INVALID		/* read, but wrong: each problem logged */
};

/*
 * conf_load - read and validate path. On success stores a new struct conf
 * in *out and returns CONF_OK. On failure logs each problem as
 * "PATH:LINE: ..." and returns CONF_INVALID (CONF_UNREADABLE when the
 * file cannot be opened or read).
 */
enum conf_status conf_load(const char *path, struct conf **out);

/*
 * conf_load_submission - conf_load() for sendmail, which never connects:
 * the provider catalogue is not read (a smarthost's candidate ports are
 * the worker's business), so a submission pays only for postern.conf.
 */
enum conf_status conf_load_submission(const char *path, struct conf **out);

/*
 * conf_defaults - the configuration of an empty postern.conf: every
 * default, no smarthost. sendmail queues with it when postern.conf is
 * broken, so local mail is never refused for an administrator's typo.
 */
struct conf *conf_defaults(void);
void conf_free(struct conf *conf);

/*
 * conf_print - write the effective configuration, defaults included, in
 * postern.conf syntax and a fixed order; the output loads again with
 * conf_load(). Secrets are never printed: a password file is shown by its
 * path, and password_command and oauth_token_command by their program
 * name with every argument replaced by "********" (a command line may
 * carry a token). Unset options appear as "# name: not set" comments.
 */
void conf_print(const struct conf *conf, FILE *out);


/* conf_security_name - "starttls", "tls" or "plain", as written after a port */
const char *conf_security_name(enum conf_security security);
/*
 * The smarthost the shipped postern.conf names: a placeholder, never a
 * server to send to. While a configuration still names it, postern is
 * "not configured": mail is queued, never sent there.
 */
#define CONF_PLACEHOLDER_HOST	"smtp.example.com"

/* conf_smarthost_placeholder - whether h is the shipped placeholder */
bool conf_smarthost_placeholder(const struct conf_smarthost *h);

/* conf_tls_policy_name - "verify", "encrypt" or "none" */
const char *conf_tls_policy_name(enum conf_tls_policy policy);

#endif
