/*
 * tls.h - the TLS client, the only module that talks to OpenSSL.
 *
 * A struct tls wraps one client connection on a non-blocking socket the
 * caller owns. Handshake, read and write never block: they return
 * TLS_IO_WANT_READ / TLS_IO_WANT_WRITE and the caller polls the socket
 * with its own deadline. Certificate checks (chain against the system
 * store or a given CA file/dir, host name with OpenSSL's own matcher,
 * validity dates, optional SHA-256 pins of the certificate or its
 * SubjectPublicKeyInfo) are evaluated after the handshake by
 * tls_check_peer(), which names exactly what failed.
 *
 * Ownership: strings in struct tls_config are borrowed for the duration of
 * tls_new() only. tls_free() releases everything; it does not close the
 * socket. Errors come back as a code plus a message in a caller buffer.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "smarthost_policy.h"

struct tls;

/* One connection's TLS: the smarthost's policy, and the name for SNI. */
struct tls_config {
	const char *sni;		/* server name sent in SNI, and the name
					   checked when the policy names none */
	const struct tls_policy *policy;	/* never NULL */
};

enum tls_io {
	TLS_IO_OK,		/* done (or *done bytes transferred) */
	TLS_IO_WANT_READ,	/* poll for POLLIN and call again */
	TLS_IO_WANT_WRITE,	/* poll for POLLOUT and call again */
	TLS_IO_EOF,		/* peer closed the connection */
	TLS_IO_ERROR,		/* failure; see tls_error() */
	TLS_IO_PLAINTEXT,	/* handshake read a plaintext SMTP reply */
};

/* Why a peer certificate was not accepted. */
enum tls_verify {
	TLS_VERIFY_OK,
	TLS_VERIFY_UNTRUSTED,	/* no chain to a trusted CA (incl. self-signed) */
	TLS_VERIFY_HOSTNAME,	/* certificate not valid for the name */
	TLS_VERIFY_EXPIRED,	/* validity ended */
	TLS_VERIFY_NOT_YET_VALID,
	TLS_VERIFY_PIN,		/* no configured pin matches */
	TLS_VERIFY_NO_CERT,	/* server sent no certificate */
	TLS_VERIFY_OTHER,
};

struct tls_info {
	char version[16];	/* "TLSv1.3" */
	char cipher[64];
	char subject[256];	/* one-line RFC 2253 form */
	char issuer[256];
	char not_after[32];	/* "2027-01-02T03:04:05Z" */
	char cert_sha256[72];	/* "sha256:HEX" of the peer certificate */
	char spki_sha256[72];	/* "sha256:HEX" of its public key */
	bool verified;		/* chain, name and dates checked and good */
};

/*
 * tls_new - build a client for fd from cfg. Returns NULL and fills err on
 * a configuration problem (unreadable CA, bad client key, bad pin).
 */
struct tls *tls_new(const struct tls_config *cfg, int fd, char *err,
    size_t errsize);
void tls_free(struct tls *tls);

/*
 * tls_check_config - load what cfg names (CA file or directory, client
 * certificate and key) as tls_new() would, without a connection: false
 * with err naming the option, the path and why
 */
bool tls_check_config(const struct tls_config *cfg, char *err, size_t errsize);

/* tls_handshake - advance the handshake; TLS_IO_OK when complete */
enum tls_io tls_handshake(struct tls *tls);
/* tls_read - read up to n bytes; *done > 0 with TLS_IO_OK */
enum tls_io tls_read(struct tls *tls, void *buf, size_t n, size_t *done);
/* tls_write - write up to n bytes; *done > 0 with TLS_IO_OK */
enum tls_io tls_write(struct tls *tls, const void *buf, size_t n,
    size_t *done);
/* tls_pending - decrypted bytes buffered inside OpenSSL */
bool tls_pending(struct tls *tls);
/* tls_shutdown - send close_notify once, without waiting for the reply */
void tls_shutdown(struct tls *tls);
/* tls_error - message for the last TLS_IO_ERROR */
const char *tls_error(const struct tls *tls);

/*
 * tls_check_peer - after the handshake, check the peer certificate against
 * the configuration. Writes a precise message ("certificate for
 * \"wrong.example\" does not match \"localhost\"", "... expired on ...",
 * "... issuer \"CN=x\" is not trusted", "no pin matches sha256:...") into
 * msg on failure.
 */
enum tls_verify tls_check_peer(struct tls *tls, char *msg, size_t msgsize);
/* tls_get_info - version, cipher and peer certificate details */
void tls_get_info(struct tls *tls, struct tls_info *info);
/* tls_verify_name - short name of a verification result */
const char *tls_verify_name(enum tls_verify v);

/* tls_hmac_md5_hex - HMAC-MD5 (for SASL CRAM-MD5) as 32 lowercase hex chars + NUL */
bool tls_hmac_md5_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[33]);

#endif
