/*
 * smarthost_policy.h - how postern talks to a smarthost: the encryption
 * of a port, what TLS demands of the server, and how long each step may
 * take, with the one definition of each default. Declarations only: the
 * configuration (conf.c) fills these from postern.conf, and the wire
 * (smtp_client.c, tls.c) reads them through a pointer, so no setting is
 * copied field by field on its way and no default is written twice.
 */
#ifndef POSTERN_SMARTHOST_POLICY_H
#define POSTERN_SMARTHOST_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* How a port is secured on the wire. */
enum conf_security {
	CONF_SEC_STARTTLS,	/* plaintext greeting, then STARTTLS */
	CONF_SEC_TLS,		/* implicit TLS from the first byte (465) */
	CONF_SEC_PLAIN,		/* no TLS; only with tls = none */
};

/* What the TLS layer demands of the server. */
enum conf_tls_policy {
	CONF_TLS_VERIFY,	/* TLS with certificate and host name checks */
	CONF_TLS_ENCRYPT,	/* TLS required, certificate not verified */
	CONF_TLS_NONE,		/* plaintext allowed (internal relays only) */
};

#define TLS_MIN_VERSION_DEFAULT	"TLSv1.2"

/* What TLS demands of one smarthost (postern.conf's tls_* options). */
struct tls_policy {
	enum conf_tls_policy level;
	char *verify_name;		/* name checked in the certificate;
					   NULL = the smarthost's name */
	char *min_version;		/* "TLSv1.2" or "TLSv1.3"; NULL = the default */
	char *ca_file;			/* NULL with ca_dir NULL = system store */
	char *ca_dir;
	char **cert_pins;		/* "sha256:HEX" of the certificate (64
					   lowercase hex digits); any may match */
	size_t ncert_pins;
	char **spki_pins;		/* the same, of the SubjectPublicKeyInfo */
	size_t nspki_pins;
	char *client_cert;		/* PEM; NULL = no client certificate */
	char *client_key;		/* NULL = in client_cert's file */
};

/* Defaults of struct smtp_timeouts, in milliseconds (as Postfix's smtp). */
#define SMTP_CONNECT_MS		30000u		/* connect_timeout */
#define SMTP_GREETING_MS	300000u		/* greeting_timeout */
#define SMTP_COMMAND_MS		300000u		/* command_timeout */
#define SMTP_DATA_INIT_MS	120000u		/* the DATA command */
#define SMTP_DATA_BLOCK_MS	180000u		/* data_block_timeout */
#define SMTP_DATA_DONE_MS	600000u		/* data_done_timeout */

/* How long each step of a session may take, in ms; 0 = the default. */
struct smtp_timeouts {
	uint64_t connect;
	uint64_t greeting;
	uint64_t command;		/* EHLO, STARTTLS, TLS, AUTH, MAIL, RCPT,
					   RSET, QUIT */
	uint64_t data_init;		/* the DATA command */
	uint64_t data_block;		/* each wait while sending the body */
	uint64_t data_done;		/* the final dot */
};

#endif
