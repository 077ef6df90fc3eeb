/*
 * tls.c - TLS client connections over OpenSSL 3.
 *
 * Contract: see tls.h. This is the only file that includes OpenSSL
 * headers. Each struct tls has its own SSL_CTX built from the
 * configuration, so nothing is shared between connections.
 *
 * Verification is done in two steps. During the handshake a verify
 * callback records the first problem OpenSSL finds (with the certificate
 * it concerns) and lets the handshake finish; tls_check_peer() then
 * decides, so a failure can be named precisely (untrusted issuer, name
 * mismatch, expired, not yet valid, pin mismatch). Host names are checked
 * by OpenSSL itself (SSL_set1_host / X509_VERIFY_PARAM_set1_ip_asc).
 *
 * A server that answers a ClientHello with a plaintext SMTP reply
 * ("220 ...") is recognised from the first bytes read off the socket and
 * reported as TLS_IO_PLAINTEXT, so the caller can tell "wrong port mode"
 * from a real TLS failure.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "strutil.h"
#include "tls.h"
#include "xalloc.h"

#define TLS_SHA256_LEN	32
#define TLS_MAX_PINS	32

struct tls_pin {
	unsigned char hash[TLS_SHA256_LEN];
};

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	bool verify;
	char verify_name[256];
	struct tls_pin cert_pins[TLS_MAX_PINS];
	size_t ncert_pins;
	struct tls_pin spki_pins[TLS_MAX_PINS];
	size_t nspki_pins;
	/* first verification problem seen during the handshake */
	int verify_err;
	int verify_depth;
	char verify_subject[256];
	char verify_issuer[256];
	/* first bytes received, to recognise a plaintext SMTP server */
	unsigned char first[8];
	size_t nfirst;
	bool shut;
	char err[512];
};

static int tls_ex_index = -1;

/* tls_openssl_error - drain OpenSSL's error queue into tls->err */
static void
tls_openssl_error(char *buf, size_t size, const char *what)
{
	unsigned long e;
	char one[256];

	STR_TRUNCATION_OK(str_format(buf, size, "%s", what));
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		STR_TRUNCATION_OK(str_concat(buf, size, ": "));
		STR_TRUNCATION_OK(str_concat(buf, size, one));
	}
}

/* tls_hex_nibble - value of one hex digit, -1 otherwise */
static int
tls_hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* tls_parse_pin - "sha256:HEX" (colons between bytes allowed) to bytes */
static bool
tls_parse_pin(const char *text, struct tls_pin *pin)
{
	size_t n = 0;
	int hi, lo;

	if (strncmp(text, "sha256:", 7) == 0)
		text += 7;
	while (*text != '\0') {
		if (*text == ':') {
			text++;
			continue;
		}
		hi = tls_hex_nibble(text[0]);
		lo = hi < 0 ? -1 : tls_hex_nibble(text[1]);
		if (lo < 0 || n == TLS_SHA256_LEN)
			return false;
		pin->hash[n++] = (unsigned char)(hi << 4 | lo);
		text += 2;
	}
	return n == TLS_SHA256_LEN;
}

static bool
tls_load_pins(const char *const *texts, size_t n, struct tls_pin *pins,
    size_t *npins, char *err, size_t errsize)
{
	size_t i;

	if (n > TLS_MAX_PINS) {
		STR_TRUNCATION_OK(str_format(err, errsize, "too many pins (at most %d)",
		    TLS_MAX_PINS));
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!tls_parse_pin(texts[i], &pins[i])) {
			STR_TRUNCATION_OK(str_format(err, errsize, "malformed pin \"%s\" "
			    "(expected sha256: and 64 hex digits)", texts[i]));
			return false;
		}
	}
	*npins = n;
	return true;
}

/* tls_name_oneline - RFC 2253 form of an X509 name into buf */
static void
tls_name_oneline(const X509_NAME *name, char *buf, size_t size)
{
	BIO *mem;
	char *data;
	long len;

	buf[0] = '\0';
	if (name == NULL || (mem = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253) >= 0) {
		len = BIO_get_mem_data(mem, &data);
		if (len >= 0 && (size_t)len < size) {
			memcpy(buf, data, (size_t)len);
			buf[len] = '\0';
		} else if (len > 0 && size > 0) {
			memcpy(buf, data, size - 1);
			buf[size - 1] = '\0';
		}
	}
	BIO_free(mem);
}

/* tls_verify_cb - remember the first problem, let the handshake go on */
static int
tls_verify_cb(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(sctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls *tls = ssl ? SSL_get_ex_data(ssl, tls_ex_index) : NULL;
	X509 *cert;

	if (ok || tls == NULL || tls->verify_err != X509_V_OK)
		return 1;
	tls->verify_err = X509_STORE_CTX_get_error(sctx);
	tls->verify_depth = X509_STORE_CTX_get_error_depth(sctx);
	cert = X509_STORE_CTX_get_current_cert(sctx);
	if (cert != NULL) {
		tls_name_oneline(X509_get_subject_name(cert),
		    tls->verify_subject, sizeof(tls->verify_subject));
		tls_name_oneline(X509_get_issuer_name(cert),
		    tls->verify_issuer, sizeof(tls->verify_issuer));
	}
	return 1;
}

/* tls_bio_cb - record the first bytes read from the socket */
static long
tls_bio_cb(BIO *bio, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
	struct tls *tls = (struct tls *)BIO_get_callback_arg(bio);
	size_t n;

	(void)len;
	(void)argi;
	(void)argl;
	if (oper != (BIO_CB_READ | BIO_CB_RETURN) || ret <= 0 ||
	    processed == NULL || tls == NULL || tls->nfirst >= sizeof(tls->first))
		return ret;
	n = *processed;
	if (n > sizeof(tls->first) - tls->nfirst)
		n = sizeof(tls->first) - tls->nfirst;
	memcpy(tls->first + tls->nfirst, argp, n);
	tls->nfirst += n;
	return ret;
}

static bool
tls_set_version(SSL_CTX *ctx, const char *min, char *err, size_t errsize)
{
	int v = TLS1_2_VERSION;

	if (min != NULL && strcmp(min, "TLSv1.3") == 0)
		v = TLS1_3_VERSION;
	else if (min != NULL && strcmp(min, "TLSv1.2") != 0) {
		STR_TRUNCATION_OK(str_format(err, errsize, "unsupported minimum TLS "
		    "version \"%s\" (TLSv1.2 or TLSv1.3)", min));
		return false;
	}
	if (SSL_CTX_set_min_proto_version(ctx, v) != 1) {
		tls_openssl_error(err, errsize, "cannot set TLS version");
		return false;
	}
	return true;
}

/*
 * tls_readable - whether this process can open path (the option named
 * what), with "cannot read OPTION PATH: reason" in err when it cannot:
 * OpenSSL's own message names no file
 */
static bool
tls_readable(const char *what, const char *path, bool dir, char *err,
    size_t errsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));

	if (fd < 0) {
		STR_TRUNCATION_OK(str_format(err, errsize, "cannot read %s %s: %s", what, path,
		    strerror(errno)));
		return false;
	}
	close(fd);
	return true;
}

static bool
tls_set_trust(SSL_CTX *ctx, const struct tls_config *cfg, char *err,
    size_t errsize)
{
	char what[4200];
	int ok;

	if ((cfg->policy->ca_file && !tls_readable("tls_ca_file", cfg->policy->ca_file, false,
	    err, errsize)) || (cfg->policy->ca_dir && !tls_readable("tls_ca_dir",
	    cfg->policy->ca_dir, true, err, errsize)))
		return false;
	if (cfg->policy->ca_file != NULL || cfg->policy->ca_dir != NULL)
		ok = SSL_CTX_load_verify_locations(ctx, cfg->policy->ca_file, cfg->policy->ca_dir);
	else
		ok = SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		STR_TRUNCATION_OK(str_format(what, sizeof(what), "cannot load CA certificates "
		    "from %s", cfg->policy->ca_file ? cfg->policy->ca_file : cfg->policy->ca_dir ?
		    cfg->policy->ca_dir : "the system store"));
		tls_openssl_error(err, errsize, what);
		return false;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_cb);
	return true;
}

static bool
tls_set_client_cert(SSL_CTX *ctx, const struct tls_config *cfg, char *err,
    size_t errsize)
{
	const char *key = cfg->policy->client_key ? cfg->policy->client_key : cfg->policy->client_cert;
	char what[8400];

	if (cfg->policy->client_cert == NULL)
		return true;
	if (!tls_readable("tls_client_cert", cfg->policy->client_cert, false, err,
	    errsize) || !tls_readable("tls_client_key", key, false, err, errsize))
		return false;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->policy->client_cert) != 1)
		STR_TRUNCATION_OK(str_format(what, sizeof(what), "cannot load the client "
		    "certificate %s", cfg->policy->client_cert));
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		STR_TRUNCATION_OK(str_format(what, sizeof(what), "cannot load the client key "
		    "%s", key));
	else if (SSL_CTX_check_private_key(ctx) != 1)
		STR_TRUNCATION_OK(str_format(what, sizeof(what), "the client key %s does not "
		    "match the certificate %s", key, cfg->policy->client_cert));
	else
		return true;
	tls_openssl_error(err, errsize, what);
	return false;
}

static SSL_CTX *
tls_make_ctx(const struct tls_config *cfg, char *err, size_t errsize)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		tls_openssl_error(err, errsize, "cannot create TLS context");
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (!tls_set_version(ctx, cfg->policy->min_version, err, errsize) ||
	    !tls_set_trust(ctx, cfg, err, errsize) ||
	    !tls_set_client_cert(ctx, cfg, err, errsize)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

bool
tls_check_config(const struct tls_config *cfg, char *err, size_t errsize)
{
	SSL_CTX *ctx = tls_make_ctx(cfg, err, errsize);

	if (ctx == NULL)
		return false;
	SSL_CTX_free(ctx);
	return true;
}

static bool
tls_is_ip(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1;
}

/* tls_set_names - SNI and the name the certificate must carry */
static bool
tls_set_names(struct tls *tls, const struct tls_config *cfg)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(tls->ssl);
	const char *name = cfg->policy->verify_name ? cfg->policy->verify_name :
	    cfg->sni;

	if (cfg->sni != NULL && !tls_is_ip(cfg->sni) &&
	    SSL_set_tlsext_host_name(tls->ssl, cfg->sni) != 1)
		return false;
	if (name == NULL)
		return true;
	STR_TRUNCATION_OK(str_copy(tls->verify_name, sizeof(tls->verify_name), name));
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (tls_is_ip(name))
		return X509_VERIFY_PARAM_set1_ip_asc(vp, name) == 1;
	return SSL_set1_host(tls->ssl, name) == 1;
}

static bool
tls_attach(struct tls *tls, const struct tls_config *cfg, int fd)
{
	BIO *bio;

	tls->ssl = SSL_new(tls->ctx);
	if (tls->ssl == NULL)
		return false;
	SSL_set_ex_data(tls->ssl, tls_ex_index, tls);
	if (!tls_set_names(tls, cfg))
		return false;
	bio = BIO_new_socket(fd, BIO_NOCLOSE);
	if (bio == NULL)
		return false;
	BIO_set_callback_ex(bio, tls_bio_cb);
	BIO_set_callback_arg(bio, (char *)tls);
	SSL_set_bio(tls->ssl, bio, bio);
	SSL_set_connect_state(tls->ssl);
	return true;
}

struct tls *
tls_new(const struct tls_config *cfg, int fd, char *err, size_t errsize)
{
	struct tls *tls = xcalloc(1, sizeof(*tls));

	if (tls_ex_index < 0)
		tls_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	tls->verify = cfg->policy->level == CONF_TLS_VERIFY;
	tls->verify_err = X509_V_OK;
	if (!tls_load_pins((const char *const *)cfg->policy->cert_pins, cfg->policy->ncert_pins, tls->cert_pins,
	    &tls->ncert_pins, err, errsize) ||
	    !tls_load_pins((const char *const *)cfg->policy->spki_pins, cfg->policy->nspki_pins, tls->spki_pins,
	    &tls->nspki_pins, err, errsize))
		goto fail;
	tls->ctx = tls_make_ctx(cfg, err, errsize);
	if (tls->ctx == NULL)
		goto fail;
	if (!tls_attach(tls, cfg, fd)) {
		tls_openssl_error(err, errsize, "cannot set up TLS connection");
		goto fail;
	}
	return tls;
fail:
	tls_free(tls);
	return NULL;
}

void
tls_free(struct tls *tls)
{
	if (tls == NULL)
		return;
	SSL_free(tls->ssl);
	SSL_CTX_free(tls->ctx);
	free(tls);
}

/* tls_looks_plaintext - the first bytes are an SMTP reply, not a record */
static bool
tls_looks_plaintext(const struct tls *tls)
{
	const unsigned char *p = tls->first;

	return tls->nfirst >= 4 && p[0] >= '2' && p[0] <= '5' &&
	    p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
	    (p[3] == ' ' || p[3] == '-' || p[3] == '\r');
}

/* tls_result - map an OpenSSL return value to enum tls_io */
static enum tls_io
tls_result(struct tls *tls, int ret, const char *what)
{
	switch (SSL_get_error(tls->ssl, ret)) {
	case SSL_ERROR_NONE:
		return TLS_IO_OK;
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			ERR_clear_error();
			return tls_looks_plaintext(tls) ? TLS_IO_PLAINTEXT :
			    TLS_IO_EOF;
		}
		break;
	default:
		break;
	}
	if (tls_looks_plaintext(tls) && !SSL_is_init_finished(tls->ssl)) {
		ERR_clear_error();
		return TLS_IO_PLAINTEXT;
	}
	tls_openssl_error(tls->err, sizeof(tls->err), what);
	return TLS_IO_ERROR;
}

enum tls_io
tls_handshake(struct tls *tls)
{
	ERR_clear_error();
	return tls_result(tls, SSL_connect(tls->ssl), "TLS handshake failed");
}

enum tls_io
tls_read(struct tls *tls, void *buf, size_t n, size_t *done)
{
	int ret;

	ERR_clear_error();
	*done = 0;
	ret = SSL_read_ex(tls->ssl, buf, n, done);
	return ret == 1 ? TLS_IO_OK : tls_result(tls, ret, "TLS read failed");
}

enum tls_io
tls_write(struct tls *tls, const void *buf, size_t n, size_t *done)
{
	int ret;

	ERR_clear_error();
	*done = 0;
	ret = SSL_write_ex(tls->ssl, buf, n, done);
	return ret == 1 ? TLS_IO_OK : tls_result(tls, ret, "TLS write failed");
}

bool
tls_pending(struct tls *tls)
{
	return SSL_pending(tls->ssl) > 0;
}

void
tls_shutdown(struct tls *tls)
{
	if (tls->shut || !SSL_is_init_finished(tls->ssl))
		return;
	tls->shut = true;
	ERR_clear_error();
	(void)SSL_shutdown(tls->ssl);
	ERR_clear_error();
}

const char *
tls_error(const struct tls *tls)
{
	return tls->err[0] ? tls->err : "TLS failure";
}

/* tls_hex - "sha256:" and lowercase hex of n bytes into out */
static void
tls_hex(const unsigned char *p, size_t n, char *out, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o;

	if (!str_copy(out, size, "sha256:"))
		return;
	o = 7;
	for (i = 0; i < n && o + 2 < size; i++) {
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 15];
	}
	out[o] = '\0';
}

/* tls_spki_digest - SHA-256 of the DER SubjectPublicKeyInfo (as in HPKP) */
static bool
tls_spki_digest(X509 *cert, unsigned char k[TLS_SHA256_LEN])
{
	unsigned char *der = NULL;
	unsigned int klen = 0;
	int len;
	bool ok;

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len <= 0)
		return false;
	ok = EVP_Digest(der, (size_t)len, k, &klen, EVP_sha256(), NULL) == 1 &&
	    klen == TLS_SHA256_LEN;
	OPENSSL_free(der);
	return ok;
}

/* tls_digests - SHA-256 of the certificate and of its public key */
static bool
tls_digests(X509 *cert, unsigned char c[TLS_SHA256_LEN],
    unsigned char k[TLS_SHA256_LEN])
{
	unsigned int clen = 0;

	return X509_digest(cert, EVP_sha256(), c, &clen) == 1 &&
	    clen == TLS_SHA256_LEN && tls_spki_digest(cert, k);
}

static bool
tls_pin_match(const struct tls_pin *pins, size_t n,
    const unsigned char hash[TLS_SHA256_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(pins[i].hash, hash, TLS_SHA256_LEN) == 0)
			return true;
	return false;
}

/* tls_check_pins - when pins are configured, one of them must match */
static enum tls_verify
tls_check_pins(struct tls *tls, X509 *cert, char *msg, size_t msgsize)
{
	unsigned char c[TLS_SHA256_LEN], k[TLS_SHA256_LEN];
	char chex[72], khex[72];

	if (tls->ncert_pins == 0 && tls->nspki_pins == 0)
		return TLS_VERIFY_OK;
	if (!tls_digests(cert, c, k)) {
		tls_openssl_error(msg, msgsize, "cannot hash the certificate");
		return TLS_VERIFY_OTHER;
	}
	if (tls_pin_match(tls->cert_pins, tls->ncert_pins, c) ||
	    tls_pin_match(tls->spki_pins, tls->nspki_pins, k))
		return TLS_VERIFY_OK;
	tls_hex(c, sizeof(c), chex, sizeof(chex));
	tls_hex(k, sizeof(k), khex, sizeof(khex));
	STR_TRUNCATION_OK(str_format(msg, msgsize, "pin mismatch: no configured pin "
	    "matches certificate %s or public key %s", chex, khex));
	return TLS_VERIFY_PIN;
}

/* tls_cert_names - the DNS and IP names of cert, comma-separated */
static void
tls_cert_names(X509 *cert, char *buf, size_t size)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name,
	    NULL, NULL);
	int i;

	buf[0] = '\0';
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char ip[INET6_ADDRSTRLEN] = "";
		const char *s = NULL;

		if (gn->type == GEN_DNS)
			s = (const char *)ASN1_STRING_get0_data(gn->d.dNSName);
		else if (gn->type == GEN_IPADD && gn->d.iPAddress->length == 4)
			s = inet_ntop(AF_INET, gn->d.iPAddress->data, ip, sizeof(ip));
		else if (gn->type == GEN_IPADD && gn->d.iPAddress->length == 16)
			s = inet_ntop(AF_INET6, gn->d.iPAddress->data, ip, sizeof(ip));
		if (s == NULL)
			continue;
		if (buf[0] != '\0')
			STR_TRUNCATION_OK(str_concat(buf, size, ", "));
		STR_TRUNCATION_OK(str_concat(buf, size, s));
	}
	GENERAL_NAMES_free(names);
	if (buf[0] == '\0')
		tls_name_oneline(X509_get_subject_name(cert), buf, size);
}

/* tls_time_text - an ASN1 time as "YYYY-MM-DDTHH:MM:SSZ" */
static void
tls_time_text(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm tm;

	buf[0] = '\0';
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return;
	STR_TRUNCATION_OK(str_format(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec));
}

static enum tls_verify
tls_explain_untrusted(struct tls *tls, char *msg, size_t msgsize)
{
	STR_TRUNCATION_OK(str_format(msg, msgsize, "untrusted issuer: certificate "
	    "\"%s\" is issued by \"%s\", which is not a trusted CA (%s)",
	    tls->verify_subject, tls->verify_issuer,
	    X509_verify_cert_error_string(tls->verify_err)));
	return TLS_VERIFY_UNTRUSTED;
}

/* tls_explain - turn the recorded OpenSSL error into a precise message */
static enum tls_verify
tls_explain(struct tls *tls, X509 *cert, char *msg, size_t msgsize)
{
	char names[512], when[32];

	switch (tls->verify_err) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		tls_cert_names(cert, names, sizeof(names));
		STR_TRUNCATION_OK(str_format(msg, msgsize, "host name mismatch: "
		    "certificate is for \"%s\", not \"%s\"", names,
		    tls->verify_name));
		return TLS_VERIFY_HOSTNAME;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		tls_time_text(X509_get0_notAfter(cert), when, sizeof(when));
		STR_TRUNCATION_OK(str_format(msg, msgsize, "certificate expired: \"%s\" "
		    "was valid until %s", tls->verify_subject, when));
		return TLS_VERIFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		tls_time_text(X509_get0_notBefore(cert), when, sizeof(when));
		STR_TRUNCATION_OK(str_format(msg, msgsize, "certificate not yet valid: "
		    "\"%s\" is valid from %s", tls->verify_subject, when));
		return TLS_VERIFY_NOT_YET_VALID;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return tls_explain_untrusted(tls, msg, msgsize);
	default:
		STR_TRUNCATION_OK(str_format(msg, msgsize, "certificate \"%s\" rejected: %s",
		    tls->verify_subject,
		    X509_verify_cert_error_string(tls->verify_err)));
		return TLS_VERIFY_OTHER;
	}
}

enum tls_verify
tls_check_peer(struct tls *tls, char *msg, size_t msgsize)
{
	X509 *cert = SSL_get0_peer_certificate(tls->ssl);
	enum tls_verify v;

	msg[0] = '\0';
	if (cert == NULL) {
		if (!tls->verify && tls->ncert_pins + tls->nspki_pins == 0)
			return TLS_VERIFY_OK;
		STR_TRUNCATION_OK(str_copy(msg, msgsize, "server sent no certificate"));
		return TLS_VERIFY_NO_CERT;
	}
	v = tls_check_pins(tls, cert, msg, msgsize);
	if (v != TLS_VERIFY_OK || !tls->verify)
		return v;
	if (tls->verify_err != X509_V_OK)
		return tls_explain(tls, cert, msg, msgsize);
	return TLS_VERIFY_OK;
}

void
tls_get_info(struct tls *tls, struct tls_info *info)
{
	X509 *cert = SSL_get0_peer_certificate(tls->ssl);
	unsigned char c[TLS_SHA256_LEN], k[TLS_SHA256_LEN];

	memset(info, 0, sizeof(*info));
	STR_TRUNCATION_OK(str_copy(info->version, sizeof(info->version),
	    SSL_get_version(tls->ssl)));
	STR_TRUNCATION_OK(str_copy(info->cipher, sizeof(info->cipher),
	    SSL_get_cipher_name(tls->ssl)));
	info->verified = tls->verify && tls->verify_err == X509_V_OK &&
	    cert != NULL;
	if (cert == NULL)
		return;
	tls_name_oneline(X509_get_subject_name(cert), info->subject,
	    sizeof(info->subject));
	tls_name_oneline(X509_get_issuer_name(cert), info->issuer,
	    sizeof(info->issuer));
	tls_time_text(X509_get0_notAfter(cert), info->not_after,
	    sizeof(info->not_after));
	if (tls_digests(cert, c, k)) {
		tls_hex(c, sizeof(c), info->cert_sha256, sizeof(info->cert_sha256));
		tls_hex(k, sizeof(k), info->spki_sha256, sizeof(info->spki_sha256));
	}
}

const char *
tls_verify_name(enum tls_verify v)
{
	switch (v) {
	case TLS_VERIFY_OK:
		return "ok";
	case TLS_VERIFY_UNTRUSTED:
		return "untrusted";
	case TLS_VERIFY_HOSTNAME:
		return "hostname";
	case TLS_VERIFY_EXPIRED:
		return "expired";
	case TLS_VERIFY_NOT_YET_VALID:
		return "not-yet-valid";
	case TLS_VERIFY_PIN:
		return "pin";
	case TLS_VERIFY_NO_CERT:
		return "no-certificate";
	case TLS_VERIFY_OTHER:
		break;
	}
	return "other";
}

bool
tls_hmac_md5_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;

	if (keylen > (size_t)INT32_MAX ||
	    HMAC(EVP_md5(), key, (int)keylen, data, len, mac, &maclen) == NULL ||
	    maclen != 16)
		return false;
	for (i = 0; i < 16; i++) {
		out[2 * i] = digits[mac[i] >> 4];
		out[2 * i + 1] = digits[mac[i] & 15];
	}
	out[32] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	return true;
}
