/*
 * probe.c - "postern probe": try every candidate port, report, recommend.
 * See probe.h.
 */
#include "config.h"

#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>

#include "probe.h"
#include "relay.h"
#include "secret.h"
#include "smtp_reply.h"
#include "strbuf.h"
#include "strutil.h"
#include "xalloc.h"

#define PROBE_DEFAULT_TIMEOUT_MS	10000

struct probe_row {
	const struct conf *conf;
	const struct conf_smarthost *h;
	struct conf_port port;		/* as expected */
	const char *addr;
	const char *password, *token;	/* set only with auth */
	uint64_t timeout_ms;
	pthread_t thread;
	/* results */
	enum smtp_fail fail;
	char error[2048];
	uint64_t elapsed_ms;
	bool reached;			/* the server answered at all */
	enum conf_security spoken;
	char greeting[256];
	bool tls;
	char tls_version[16], cipher[64];
	char subject[256], issuer[256], not_after[32];
	enum smtp_verify verify;
	char verify_text[512];
	unsigned extensions, auth_offered;
	uint64_t size_limit;
	int auth;			/* -1 not tried, 0 refused, 1 accepted */
	char auth_text[512];
	bool usable;
};

static uint64_t
probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* probe_open - one smtp_open with the given mode, policy and auth */
static enum smtp_fail
probe_open(struct probe_row *r, enum conf_security security,
    enum conf_tls_policy tls, bool auth, struct smtp_client **cl,
    struct smtp_error *err)
{
	struct smtp_params p;
	struct conf_port port = { r->port.port, security };

	relay_params(r->conf, r->h, &port, &p);
	p.addr = r->addr;
	p.tls = tls;
	if (p.timeouts.connect == 0 || p.timeouts.connect > r->timeout_ms)
		p.timeouts.connect = r->timeout_ms;
	if (p.timeouts.greeting == 0 || p.timeouts.greeting > r->timeout_ms)
		p.timeouts.greeting = r->timeout_ms;
	if (p.timeouts.command == 0 || p.timeouts.command > r->timeout_ms)
		p.timeouts.command = r->timeout_ms;
	if (auth) {
		p.auth_password = r->password;
		p.auth_token = r->token;
	} else {
		p.auth_user = NULL;
	}
	return smtp_open(&p, cl, err);
}

/* probe_record - copy what the session learned */
static void
probe_record(struct probe_row *r, const struct smtp_client *cl)
{
	const struct smtp_session_info *in = smtp_session_info(cl);

	r->reached = true;
	str_copy(r->greeting, sizeof(r->greeting), in->greeting);
	r->tls = in->tls;
	if (in->implicit_detected)
		r->spoken = CONF_SEC_TLS;
	str_copy(r->tls_version, sizeof(r->tls_version), in->tls_version);
	str_copy(r->cipher, sizeof(r->cipher), in->tls_cipher);
	str_copy(r->subject, sizeof(r->subject), in->peer_subject);
	str_copy(r->issuer, sizeof(r->issuer), in->peer_issuer);
	str_copy(r->not_after, sizeof(r->not_after), in->peer_not_after);
	r->extensions = in->extensions;
	r->auth_offered = in->auth_offered;
	r->size_limit = in->size_limit;
}

/* probe_session - open in mode security, correcting a plaintext port */
static enum smtp_fail
probe_session(struct probe_row *r, enum conf_tls_policy tls, bool auth,
    struct smtp_client **cl, struct smtp_error *err)
{
	enum smtp_fail f = probe_open(r, r->port.security, tls, auth, cl, err);

	if (f == SMTP_FAIL_PLAINTEXT_PORT && r->port.security == CONF_SEC_TLS) {
		r->spoken = CONF_SEC_STARTTLS;
		r->reached = true;
		f = probe_open(r, CONF_SEC_STARTTLS, tls, auth, cl, err);
	}
	return f;
}

static void
probe_close(struct smtp_client *cl)
{
	if (cl) {
		smtp_quit(cl);
		smtp_close(cl);
	}
}

/* probe_thread - everything about one port */
static void *
probe_thread(void *arg)
{
	struct probe_row *r = arg;
	struct smtp_client *cl = NULL;
	struct smtp_error err;
	bool auth = r->password || r->token;
	uint64_t t0 = probe_now_ms();
	enum smtp_fail f;

	r->spoken = r->port.security;
	r->auth = -1;
	f = probe_session(r, r->h->tls, auth, &cl, &err);
	r->elapsed_ms = probe_now_ms() - t0;
	r->fail = f;
	if (f == SMTP_OK) {
		probe_record(r, cl);
		r->verify = smtp_session_info(cl)->verify;
		r->auth = auth ? 1 : -1;
		r->usable = true;
		probe_close(cl);
		return NULL;
	}
	str_copy(r->error, sizeof(r->error), err.text);
	if (f == SMTP_FAIL_TLS_VERIFY) {
		r->verify = err.verify;
		str_copy(r->verify_text, sizeof(r->verify_text), err.text);
	} else if (f == SMTP_FAIL_AUTH || f == SMTP_FAIL_AUTH_UNAVAILABLE) {
		r->auth = 0;
		str_copy(r->auth_text, sizeof(r->auth_text), err.text);
	} else {
		r->reached = r->reached || !(f == SMTP_FAIL_REFUSED ||
		    f == SMTP_FAIL_CONNECT_TIMEOUT || f == SMTP_FAIL_UNREACHABLE ||
		    f == SMTP_FAIL_RESOLVE);
		return NULL;
	}
	/* again, only to show the certificate and extensions */
	if (probe_session(r, r->h->tls == CONF_TLS_VERIFY ? CONF_TLS_ENCRYPT :
	    r->h->tls, false, &cl, &err) == SMTP_OK) {
		probe_record(r, cl);
		probe_close(cl);
	}
	r->reached = true;
	return NULL;
}

/* probe_word - one word for the row's outcome */
static const char *
probe_word(const struct probe_row *r)
{
	switch (r->fail) {
	case SMTP_OK: return "ok";
	case SMTP_FAIL_REFUSED: return "refused";
	case SMTP_FAIL_CONNECT_TIMEOUT: return "filtered";
	case SMTP_FAIL_UNREACHABLE: return "unreachable";
	case SMTP_FAIL_RESOLVE: return "no-address";
	case SMTP_FAIL_NO_GREETING: return "no-greeting";
	case SMTP_FAIL_TLS: return "tls-failed";
	case SMTP_FAIL_TLS_VERIFY: return "cert-failed";
	case SMTP_FAIL_NO_STARTTLS: return "no-starttls";
	case SMTP_FAIL_AUTH:
	case SMTP_FAIL_AUTH_UNAVAILABLE: return "auth-failed";
	default: return smtp_fail_name(r->fail);
	}
}

/* probe_extensions - "SIZE 1000 PIPELINING ... AUTH PLAIN LOGIN" */
static void
probe_extensions(const struct probe_row *r, struct strbuf *out)
{
	static const struct { unsigned bit; const char *name; } caps[] = {
		{ SMTP_CAP_SIZE, "SIZE" }, { SMTP_CAP_PIPELINING, "PIPELINING" },
		{ SMTP_CAP_8BITMIME, "8BITMIME" }, { SMTP_CAP_SMTPUTF8, "SMTPUTF8" },
		{ SMTP_CAP_DSN, "DSN" }, { SMTP_CAP_ENHANCED, "ENHANCEDSTATUSCODES" },
		{ SMTP_CAP_CHUNKING, "CHUNKING" },
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!(r->extensions & caps[i].bit))
			continue;
		strbuf_printf(out, "%s%s", out->len ? " " : "", caps[i].name);
		if (caps[i].bit == SMTP_CAP_SIZE && r->size_limit)
			strbuf_printf(out, "=%llu", (unsigned long long)r->size_limit);
	}
	if (r->auth_offered) {
		strbuf_printf(out, "%sAUTH", out->len ? " " : "");
		for (unsigned bit = 1; bit <= SMTP_AUTH_OAUTHBEARER; bit <<= 1)
			if (r->auth_offered & bit)
				strbuf_printf(out, " %s", smtp_reply_auth_name(bit));
	}
}

/* probe_why_not - why a preferred port was passed over */
static void
probe_why_not(const struct probe_row *r, struct strbuf *out)
{
	strbuf_printf(out, "%s%u ", out->len ? ", " : "", r->port.port);
	switch (r->fail) {
	case SMTP_FAIL_CONNECT_TIMEOUT:
		strbuf_puts(out, "is filtered by your network");
		break;
	case SMTP_FAIL_REFUSED:
		strbuf_puts(out, "refuses connections");
		break;
	case SMTP_FAIL_TLS_VERIFY:
		strbuf_printf(out, "has a certificate that fails verification (%s)",
		    smtp_verify_name(r->verify));
		break;
	case SMTP_FAIL_AUTH:
	case SMTP_FAIL_AUTH_UNAVAILABLE:
		strbuf_puts(out, "does not accept the credentials");
		break;
	default:
		strbuf_printf(out, "failed (%s)", probe_word(r));
		break;
	}
}

/* probe_recommend - the advice line and the config line; best or -1 */
static long
probe_recommend(const struct probe_row *rows, size_t n, const char *host,
    struct strbuf *advice, struct strbuf *config)
{
	struct strbuf why = STRBUF_INIT;
	long best = -1;

	for (size_t i = 0; i < n && best < 0; i++) {
		if (rows[i].usable)
			best = (long)i;
		else
			probe_why_not(&rows[i], &why);
	}
	if (best < 0) {
		strbuf_printf(advice, "no usable port on %s: %s", host, why.data);
		strbuf_free(&why);
		return -1;
	}
	strbuf_printf(advice, "use %u/%s", rows[best].port.port,
	    conf_security_name(rows[best].spoken));
	if (rows[best].spoken != rows[best].port.security)
		strbuf_printf(advice, ": it speaks %s, not %s%s%s",
		    rows[best].spoken == CONF_SEC_TLS ? "implicit TLS" : "STARTTLS",
		    rows[best].port.security == CONF_SEC_TLS ? "implicit TLS" :
		    "STARTTLS", why.len ? "; " : "", why.len ? why.data : "");
	else if (why.len)
		strbuf_printf(advice, ": %s", why.data);
	strbuf_printf(config, "smarthost \"%s\" { port = {\"%u/%s\"} }", host,
	    rows[best].port.port, conf_security_name(rows[best].spoken));
	strbuf_free(&why);
	return best;
}

static void
probe_print_table(const struct probe_row *rows, size_t n, FILE *out)
{
	fprintf(out, "%-14s %-12s %8s  %-10s %-6s %-36s %-13s %s\n", "PORT",
	    "RESULT", "TIME", "SPEAKS", "MATCH", "TLS", "CERTIFICATE", "AUTH");
	for (size_t i = 0; i < n; i++) {
		const struct probe_row *r = &rows[i];
		char port[24], tls[96], ms[24];

		str_format(port, sizeof(port), "%u/%s", r->port.port,
		    conf_security_name(r->port.security));
		str_format(ms, sizeof(ms), "%llu ms", (unsigned long long)r->elapsed_ms);
		str_format(tls, sizeof(tls), "%s%s%s", r->tls ? r->tls_version : "-",
		    r->tls ? " " : "", r->tls ? r->cipher : "");
		fprintf(out, "%-14s %-12s %8s  %-10s %-6s %-36s %-13s %s\n", port,
		    probe_word(r), ms, r->reached && r->greeting[0] ?
		    conf_security_name(r->spoken) : "-", !r->reached ||
		    !r->greeting[0] ? "-" : r->spoken == r->port.security ? "yes" : "NO",
		    tls, !r->tls ? "-" : r->verify == SMTP_VERIFY_NONE ? "not checked" :
		    smtp_verify_name(r->verify), r->auth < 0 ? "-" :
		    r->auth ? "accepted" : "refused");
	}
	for (size_t i = 0; i < n; i++) {
		const struct probe_row *r = &rows[i];
		struct strbuf ext = STRBUF_INIT;

		fprintf(out, "\n%u/%s at %s:\n", r->port.port,
		    conf_security_name(r->port.security), r->addr);
		if (!r->usable && r->error[0] && !r->verify_text[0])
			fprintf(out, "  error:       %s\n", r->error);
		if (r->greeting[0])
			fprintf(out, "  greeting:    %s\n", r->greeting);
		if (r->tls)
			fprintf(out, "  certificate: %s; issuer %s; expires %s\n"
			    "  verified:    %s%s%s\n", r->subject, r->issuer,
			    r->not_after, smtp_verify_name(r->verify),
			    r->verify == SMTP_VERIFY_OK ? " (host name matches)" :
			    r->verify_text[0] ? ": " : "", r->verify_text);
		probe_extensions(r, &ext);
		if (ext.len)
			fprintf(out, "  extensions:  %s\n", ext.data);
		if (r->auth == 0)
			fprintf(out, "  auth:        %s\n", r->auth_text);
		strbuf_free(&ext);
	}
}

/* probe_json_str - a JSON string literal */
static void
probe_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
probe_json_field(FILE *out, const char *key, const char *value, bool comma)
{
	fprintf(out, "%s\"%s\": ", comma ? ", " : "", key);
	probe_json_str(out, value);
}

static void
probe_print_json(const char *host, const struct probe_row *rows, size_t n,
    const char *advice, const char *config, bool usable, FILE *out)
{
	fputs("{\"host\": ", out);
	probe_json_str(out, host);
	fputs(", \"ports\": [", out);
	for (size_t i = 0; i < n; i++) {
		const struct probe_row *r = &rows[i];
		struct strbuf ext = STRBUF_INIT;

		probe_extensions(r, &ext);
		fprintf(out, "%s{\"port\": %u", i ? ", " : "", r->port.port);
		probe_json_field(out, "expected", conf_security_name(r->port.security), true);
		probe_json_field(out, "address", r->addr, true);
		probe_json_field(out, "result", probe_word(r), true);
		fprintf(out, ", \"time_ms\": %llu, \"usable\": %s",
		    (unsigned long long)r->elapsed_ms, r->usable ? "true" : "false");
		probe_json_field(out, "speaks", r->reached && r->greeting[0] ?
		    conf_security_name(r->spoken) : "", true);
		fprintf(out, ", \"mode_matches\": %s", r->spoken == r->port.security ?
		    "true" : "false");
		probe_json_field(out, "greeting", r->greeting, true);
		probe_json_field(out, "tls_version", r->tls ? r->tls_version : "", true);
		probe_json_field(out, "tls_cipher", r->tls ? r->cipher : "", true);
		probe_json_field(out, "cert_subject", r->subject, true);
		probe_json_field(out, "cert_issuer", r->issuer, true);
		probe_json_field(out, "cert_expires", r->not_after, true);
		probe_json_field(out, "verify", r->tls ? smtp_verify_name(r->verify) :
		    "", true);
		probe_json_field(out, "extensions", strbuf_cstr(&ext), true);
		probe_json_field(out, "auth", r->auth < 0 ? "" : r->auth ? "accepted" :
		    "refused", true);
		probe_json_field(out, "error", r->usable ? "" : r->error, true);
		fputc('}', out);
		strbuf_free(&ext);
	}
	fprintf(out, "], \"usable\": %s", usable ? "true" : "false");
	probe_json_field(out, "recommendation", advice, true);
	probe_json_field(out, "config", config, true);
	fputs("}\n", out);
}

/* probe_target - the smarthost to probe (a copy for an arbitrary HOST) */
static const struct conf_smarthost *
probe_target(const struct conf *conf, const char *host,
    struct conf_smarthost *copy)
{
	if (host == NULL)
		return conf->nsmarthosts ? &conf->smarthosts[0] : NULL;
	for (size_t i = 0; i < conf->nsmarthosts; i++)
		if (strcasecmp(conf->smarthosts[i].host, host) == 0)
			return &conf->smarthosts[i];
	if (conf->nsmarthosts == 0)
		return NULL;
	*copy = conf->smarthosts[0];
	copy->host = (char *)host;
	copy->tls_verify_name = NULL;
	return copy;
}

/* probe_first_address - the numeric first address of host */
static bool
probe_first_address(const char *host, char *buf, size_t size, FILE *err)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		fprintf(err, "postern: cannot resolve %s: %s\n", host, gai_strerror(rc));
		return false;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, buf, (socklen_t)size, NULL,
	    0, NI_NUMERICHOST);
	freeaddrinfo(res);
	return rc == 0;
}

int
probe_run(const struct conf *conf, const struct probe_options *opt, FILE *out)
{
	struct conf_smarthost copy;
	const struct conf_smarthost *h = probe_target(conf, opt->host, &copy);
	struct strbuf advice = STRBUF_INIT, config = STRBUF_INIT, why = STRBUF_INIT;
	struct probe_row *rows;
	char addr[64];
	char *password = NULL, *token = NULL;
	long best;

	if (h == NULL) {
		fprintf(stderr, "postern: no smarthost configured\n");
		return EX_CONFIG;
	}
	if (!probe_first_address(h->host, addr, sizeof(addr), stderr))
		return EX_UNAVAILABLE;
	if (opt->auth && !relay_fetch_secret(h, &password, &token, &why)) {
		fprintf(stderr, "postern: --auth: %s\n", h->username ? why.data :
		    "no username configured");
		strbuf_free(&why);
		return EX_CONFIG;
	}
	strbuf_free(&why);
	rows = xcalloc(h->nports, sizeof(*rows));
	for (size_t i = 0; i < h->nports; i++) {
		rows[i].conf = conf;
		rows[i].h = h;
		rows[i].port = h->ports[i];
		rows[i].addr = addr;
		rows[i].password = password;
		rows[i].token = token;
		rows[i].timeout_ms = opt->timeout_ms ? opt->timeout_ms :
		    PROBE_DEFAULT_TIMEOUT_MS;
		if (pthread_create(&rows[i].thread, NULL, probe_thread, &rows[i]) != 0)
			probe_thread(&rows[i]), rows[i].thread = 0;
	}
	for (size_t i = 0; i < h->nports; i++)
		if (rows[i].thread)
			pthread_join(rows[i].thread, NULL);
	secret_free(password);
	secret_free(token);
	best = probe_recommend(rows, h->nports, h->host, &advice, &config);
	if (opt->json) {
		probe_print_json(h->host, rows, h->nports, advice.data,
		    strbuf_cstr(&config), best >= 0, out);
	} else {
		fprintf(out, "probing %s (%s), ports in order of preference:\n\n",
		    h->host, addr);
		probe_print_table(rows, h->nports, out);
		fprintf(out, "\nrecommendation: %s\n", advice.data);
		if (config.len)
			fprintf(out, "config:         %s\n", config.data);
	}
	free(rows);
	strbuf_free(&advice);
	strbuf_free(&config);
	return best >= 0 ? EX_OK : EX_UNAVAILABLE;
}
