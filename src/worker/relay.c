/*
 * relay.c - smarthost failover and port candidates for a new session.
 * See relay.h for which failures move on and which do not.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "relay.h"
#include "secret.h"
#include "strutil.h"

/* relay_network_failure - a failure that says nothing about the server */
static bool
relay_network_failure(enum smtp_fail fail)
{
	switch (fail) {
	case SMTP_FAIL_RESOLVE:
	case SMTP_FAIL_REFUSED:
	case SMTP_FAIL_CONNECT_TIMEOUT:
	case SMTP_FAIL_UNREACHABLE:
	case SMTP_FAIL_NO_GREETING:
	case SMTP_FAIL_DISCONNECT:
	case SMTP_FAIL_TIMEOUT:
	case SMTP_FAIL_TLS:
	case SMTP_FAIL_IO:
		return true;
	default:
		return false;
	}
}

/* relay_params - the SMTP parameters for one candidate */
static void
relay_params(const struct conf *conf, const struct conf_smarthost *h,
    const struct conf_port *port, struct smtp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = h->host;
	p->port = port->port;
	p->security = port->security;
	p->tls = h->tls;
	p->tls_verify_name = h->tls_verify_name;
	p->tls_min_version = h->tls_min_version;
	p->tls_ca_file = h->tls_ca_file;
	p->tls_ca_dir = h->tls_ca_dir;
	p->tls_cert_pins = (const char *const *)h->tls_fingerprints;
	p->ntls_cert_pins = h->ntls_fingerprints;
	p->tls_spki_pins = (const char *const *)h->tls_pubkey_pins;
	p->ntls_spki_pins = h->ntls_pubkey_pins;
	p->tls_client_cert = h->tls_client_cert;
	p->tls_client_key = h->tls_client_key;
	p->helo_name = conf->hostname;
	p->auth_user = h->username;
	p->auth_mechanisms = (const char *const *)h->auth_mechanisms;
	p->nauth_mechanisms = h->nauth_mechanisms;
	p->auth_allow_plaintext = h->auth_allow_plaintext;
	p->timeouts.connect = h->connect_timeout_ms;
	p->timeouts.greeting = h->greeting_timeout_ms;
	p->timeouts.command = h->command_timeout_ms;
	p->timeouts.data_init = h->command_timeout_ms;
	p->timeouts.data_block = h->data_block_timeout_ms;
	p->timeouts.data_done = h->data_done_timeout_ms;
}

/* relay_secret - fetch the password or token for h; false on failure */
static bool
relay_secret(const struct conf_smarthost *h, char **password, char **token,
    struct strbuf *why)
{
	*password = *token = NULL;
	if (!h->username)
		return true;
	if (h->oauth_token_command)
		*token = secret_from_command(h->oauth_token_command, why);
	if (h->password_file)
		*password = secret_from_file(h->password_file, why);
	else if (h->password_command)
		*password = secret_from_command(h->password_command, why);
	return *password || *token;
}

/* relay_try - one candidate; returns the failure class */
static enum smtp_fail
relay_try(const struct conf *conf, const struct conf_smarthost *h,
    const struct conf_port *port, struct relay_session *out,
    struct smtp_error *err)
{
	struct smtp_params p;
	struct strbuf why = STRBUF_INIT;
	char *password, *token;
	enum smtp_fail fail;

	relay_params(conf, h, port, &p);
	if (!relay_secret(h, &password, &token, &why)) {
		memset(err, 0, sizeof(*err));
		err->fail = SMTP_FAIL_AUTH_UNAVAILABLE;
		str_format(err->text, sizeof(err->text),
		    "no credentials for %s: %s", h->username, strbuf_cstr(&why));
		strbuf_free(&why);
		return err->fail;
	}
	strbuf_free(&why);
	p.auth_password = password;
	p.auth_token = token;
	fail = smtp_open(&p, &out->client, err);
	secret_free(password);
	secret_free(token);
	return fail;
}

/* relay_describe - fill the log fields of an open session */
static void
relay_describe(struct relay_session *rs, const struct conf_smarthost *h,
    const struct conf_port *port)
{
	const struct smtp_session_info *in = smtp_session_info(rs->client);

	rs->host = h;
	str_format(rs->desc, sizeof(rs->desc), "%s[%s]:%u", h->host,
	    in->peer_addr, in->port);
	str_copy(rs->mode, sizeof(rs->mode), conf_security_name(port->security));
	str_copy(rs->tls, sizeof(rs->tls), in->tls ? in->tls_version : "none");
}

bool
relay_open(const struct conf *conf, struct relay_session *out,
    struct strbuf *reason)
{
	struct smtp_error err;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < conf->nsmarthosts; i++) {
		const struct conf_smarthost *h = &conf->smarthosts[i];

		for (size_t j = 0; j < h->nports; j++) {
			struct conf_port port = h->ports[j];
			enum smtp_fail fail = relay_try(conf, h, &port, out, &err);

			if (fail == SMTP_FAIL_PLAINTEXT_PORT &&
			    port.security == CONF_SEC_TLS) {
				log_warn("%s:%u answers with a plaintext SMTP banner, not "
				    "implicit TLS; using STARTTLS on it instead. Fix: "
				    "write \"%u/starttls\" in the port list of [%s]",
				    h->host, port.port, port.port, h->host);
				port.security = CONF_SEC_STARTTLS;
				fail = relay_try(conf, h, &port, out, &err);
			}
			if (fail == SMTP_OK) {
				relay_describe(out, h, &port);
				return true;
			}
			strbuf_printf(reason, "%s%s:%u/%s: %s", reason->len ? "; " : "",
			    h->host, port.port, conf_security_name(port.security),
			    err.text);
			if (!relay_network_failure(fail))
				break;		/* the server refused us: next host */
		}
	}
	if (conf->nsmarthosts == 0)
		strbuf_puts(reason, "no smarthost configured");
	return false;
}

void
relay_close(struct relay_session *rs, bool polite)
{
	if (!rs->client)
		return;
	if (polite && smtp_usable(rs->client))
		smtp_quit(rs->client);
	smtp_close(rs->client);
	rs->client = NULL;
}
