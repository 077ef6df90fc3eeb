/*
 * probe.c - "postern probe": try every candidate port, report, recommend.
 * See probe.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "clock_ms.h"
#include "probe.h"
#include "relay.h"
#include "secret.h"
#include "smtp_reply.h"
#include "strbuf.h"
#include "strutil.h"
#include "xalloc.h"

/*
 * Without --timeout: a filtered port is given up after 10 s, but a server
 * that answers gets up to 60 s per reply, longer than the pause servers
 * make after a failed login (Dovecot waits up to 15 s).
 */
#define PROBE_CONNECT_TIMEOUT_MS	10000
#define PROBE_REPLY_TIMEOUT_MS		60000

struct probe_row {
	const struct conf *conf;
	const struct conf_smarthost *h;
	struct conf_port port;		/* as expected */
	char addr[64];
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
	const char *sender;		/* with auth: the envelope sender to ask about */
	int sender_ok;			/* -1 not asked, 0 refused, 1 accepted */
	char sender_text[512];
	bool usable;
};

/* probe_cap - lower *t to cap (0 = the client's default, also capped) */
static void
probe_cap(uint64_t *t, uint64_t cap)
{
	if (*t == 0 || *t > cap)
		*t = cap;
}

/*
 * probe_session - one session to the row's port and address with the
 * delivery's parameters, encryption matching included (relay_connect);
 * tls overrides the policy, and auth says whether to log in
 */
static enum smtp_fail
probe_session(struct probe_row *r, enum conf_tls_policy tls, bool auth,
    struct smtp_client **cl, struct smtp_error *err)
{
	struct smtp_params p;
	struct tls_policy policy = r->h->tls;	/* the smarthost's, at this level */
	enum smtp_fail f;
	bool corrected;

	relay_params(r->conf, r->h, &r->port, &p);
	p.addr = r->addr;
	policy.level = tls;
	p.tls = &policy;
	probe_cap(&p.timeouts.connect, r->timeout_ms ? r->timeout_ms :
	    PROBE_CONNECT_TIMEOUT_MS);
	probe_cap(&p.timeouts.greeting, r->timeout_ms ? r->timeout_ms :
	    PROBE_REPLY_TIMEOUT_MS);
	probe_cap(&p.timeouts.command, r->timeout_ms ? r->timeout_ms :
	    PROBE_REPLY_TIMEOUT_MS);
	if (auth) {
		p.auth_password = r->password;
		p.auth_token = r->token;
	} else {
		p.auth_user = NULL;
	}
	f = relay_connect(&p, cl, err, &r->spoken, &corrected);
	if (corrected)
		r->reached = true;
	return f;
}

/* probe_record - copy what the session learned */
static void
probe_record(struct probe_row *r, const struct smtp_client *cl)
{
	const struct smtp_session_info *in = smtp_session_info(cl);

	r->reached = true;
	STR_TRUNCATION_OK(str_copy(r->greeting, sizeof(r->greeting), in->greeting));
	r->tls = in->tls;
	r->verify = in->verify;
	if (in->implicit_detected)
		r->spoken = CONF_SEC_TLS;
	STR_TRUNCATION_OK(str_copy(r->tls_version, sizeof(r->tls_version), in->tls_version));
	STR_TRUNCATION_OK(str_copy(r->cipher, sizeof(r->cipher), in->tls_cipher));
	STR_TRUNCATION_OK(str_copy(r->subject, sizeof(r->subject), in->peer_subject));
	STR_TRUNCATION_OK(str_copy(r->issuer, sizeof(r->issuer), in->peer_issuer));
	STR_TRUNCATION_OK(str_copy(r->not_after, sizeof(r->not_after), in->peer_not_after));
	r->extensions = in->extensions;
	r->auth_offered = in->auth_offered;
	r->size_limit = in->size_limit;
}

static void
probe_close(struct smtp_client *cl)
{
	if (cl) {
		smtp_quit(cl);
		smtp_close(cl);
	}
}

/* probe_thread - everything about one port at one address */
static void *
probe_thread(void *arg)
{
	struct probe_row *r = arg;
	struct smtp_client *cl = NULL;
	struct smtp_error err;
	bool auth = r->password || r->token;
	uint64_t t0 = clock_ms_now();
	enum conf_tls_policy again = r->h->tls.level;
	enum smtp_fail f;

	r->spoken = r->port.security;
	r->auth = -1;
	f = probe_session(r, r->h->tls.level, auth, &cl, &err);
	r->elapsed_ms = clock_ms_now() - t0;
	r->fail = f;
	if (f == SMTP_OK) {
		probe_record(r, cl);
		r->auth = auth ? 1 : -1;
		r->usable = true;
		r->sender_ok = -1;
		if (auth && r->sender != NULL) {
			r->sender_ok = smtp_try_sender(cl, r->sender, &err) == SMTP_OK;
			STR_TRUNCATION_OK(str_copy(r->sender_text,
			    sizeof(r->sender_text), err.text));
		}
		probe_close(cl);
		return NULL;
	}
	STR_TRUNCATION_OK(str_copy(r->error, sizeof(r->error), err.text));
	if (f == SMTP_FAIL_TLS_VERIFY) {
		r->verify = err.verify;
		STR_TRUNCATION_OK(str_copy(r->verify_text, sizeof(r->verify_text), err.text));
		if (again == CONF_TLS_VERIFY)
			again = CONF_TLS_ENCRYPT;	/* only to show it */
	} else if (err.phase == SMTP_PHASE_AUTH) {
		/* a refusal, or a server slow to answer a failed login */
		r->auth = 0;
		STR_TRUNCATION_OK(str_copy(r->auth_text, sizeof(r->auth_text), err.text));
	} else {
		r->reached = r->reached || !(f == SMTP_FAIL_REFUSED ||
		    f == SMTP_FAIL_CONNECT_TIMEOUT || f == SMTP_FAIL_UNREACHABLE ||
		    f == SMTP_FAIL_RESOLVE);
		return NULL;
	}
	/* again without logging in: the certificate, its check, the extensions */
	if (probe_session(r, again, false, &cl, &err) == SMTP_OK) {
		enum smtp_verify seen = r->verify;

		probe_record(r, cl);
		if (f == SMTP_FAIL_TLS_VERIFY)
			r->verify = seen;	/* not the unverified second look */
		probe_close(cl);
	}
	r->reached = true;
	return NULL;
}

/* probe_word - one word for the row's outcome */
static const char *
probe_word(const struct probe_row *r)
{
	if (r->auth == 0)
		return "auth-failed";
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

/* probe_failure - what went wrong on one row, as a verb phrase */
static void
probe_failure(const struct probe_row *r, struct strbuf *out)
{
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
	case SMTP_FAIL_NO_STARTTLS:
		strbuf_puts(out, "offers no STARTTLS (stripped on the path, or "
		    "a server without TLS)");
		break;
	default:
		if (r->auth == 0)
			strbuf_puts(out, "does not accept the credentials");
		else
			strbuf_printf(out, "failed (%s)", probe_word(r));
		break;
	}
}

/*
 * probe_why_not - why a preferred port (rows[0..naddrs), one per address)
 * was passed over: "587 is filtered by your network", or, when its
 * addresses fared differently, "587 refuses connections at ::1 and is
 * filtered by your network at 127.0.0.1"
 */
static void
probe_why_not(const struct probe_row *rows, size_t naddrs, struct strbuf *out)
{
	struct strbuf first = STRBUF_INIT, other = STRBUF_INIT;
	bool same = true;

	probe_failure(&rows[0], &first);
	for (size_t j = 1; j < naddrs && same; j++) {
		strbuf_reset(&other);
		probe_failure(&rows[j], &other);
		same = strcmp(first.data, other.data) == 0;
	}
	strbuf_printf(out, "%s%u ", out->len ? ", " : "", rows[0].port.port);
	for (size_t j = 0; j < (same ? 1 : naddrs); j++) {
		strbuf_reset(&other);
		probe_failure(&rows[j], &other);
		strbuf_printf(out, "%s%s", j == 0 ? "" : j + 1 == naddrs ? " and " :
		    ", ", other.data);
		if (!same)
			strbuf_printf(out, " at %s", rows[j].addr);
	}
	strbuf_free(&first);
	strbuf_free(&other);
}

/*
 * probe_port_row - the row that speaks for port group rows[0..naddrs): a
 * usable one, else one that reached the server, else the first
 */
static const struct probe_row *
probe_port_row(const struct probe_row *rows, size_t naddrs)
{
	const struct probe_row *reached = NULL;

	for (size_t j = 0; j < naddrs; j++) {
		if (rows[j].usable)
			return &rows[j];
		if (rows[j].reached && !reached)
			reached = &rows[j];
	}
	return reached ? reached : &rows[0];
}

/*
 * probe_recommend - the advice line and the config line for rows, nports
 * groups of naddrs rows (one per address, in delivery's order); the best
 * row or NULL
 */
static const struct probe_row *
probe_recommend(const struct probe_row *rows, size_t nports, size_t naddrs,
    const char *host, struct strbuf *advice, struct strbuf *config)
{
	struct strbuf why = STRBUF_INIT;
	const struct probe_row *best = NULL;

	for (size_t i = 0; i < nports && !best; i++) {
		const struct probe_row *r = probe_port_row(rows + i * naddrs, naddrs);

		if (r->usable)
			best = r;
		else
			probe_why_not(rows + i * naddrs, naddrs, &why);
	}
	if (!best) {
		strbuf_printf(advice, "no usable port on %s: %s", host, why.data);
		strbuf_free(&why);
		return NULL;
	}
	strbuf_printf(advice, "use %u/%s", best->port.port,
	    conf_security_name(best->spoken));
	if (best->spoken != best->port.security)
		strbuf_printf(advice, ": it speaks %s, not %s%s%s",
		    best->spoken == CONF_SEC_TLS ? "implicit TLS" : "STARTTLS",
		    best->port.security == CONF_SEC_TLS ? "implicit TLS" :
		    "STARTTLS", why.len ? "; " : "", why.len ? why.data : "");
	else if (why.len)
		strbuf_printf(advice, ": %s", why.data);
	strbuf_printf(config, "smarthost \"%s\" { port = {\"%u/%s\"} }", host,
	    best->port.port, conf_security_name(best->spoken));
	strbuf_free(&why);
	return best;
}

static void
probe_print_table(const struct probe_row *rows, size_t n, FILE *out)
{
	fprintf(out, "%-14s %-16s %-12s %8s  %-10s %-6s %-36s %-13s %s\n",
	    "PORT", "ADDRESS", "RESULT", "TIME", "SPEAKS", "MATCH", "TLS",
	    "CERTIFICATE", "AUTH");
	for (size_t i = 0; i < n; i++) {
		const struct probe_row *r = &rows[i];
		char port[24], tls[96], ms[24];

		STR_TRUNCATION_OK(str_format(port, sizeof(port), "%u/%s", r->port.port,
		    conf_security_name(r->port.security)));
		STR_TRUNCATION_OK(str_format(ms, sizeof(ms), "%llu ms", (unsigned long long)r->elapsed_ms));
		STR_TRUNCATION_OK(str_format(tls, sizeof(tls), "%s%s%s", r->tls ? r->tls_version : "-",
		    r->tls ? " " : "", r->tls ? r->cipher : ""));
		fprintf(out, "%-14s %-16s %-12s %8s  %-10s %-6s %-36s %-13s %s\n",
		    port, r->addr, probe_word(r), ms, r->reached && r->greeting[0] ?
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
		probe_json_field(out, "sender", r->sender_ok < 0 ? "" :
		    r->sender_ok ? "accepted" : r->sender_text, true);
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
	copy->tls.verify_name = NULL;
	return copy;
}

/*
 * probe_sender - the envelope sender of mail from root (cron's), as the
 * worker will send it: envelope_sender, else root at the masquerade
 * domain or the domain
 */
static void
probe_sender(const struct conf *conf, char *buf, size_t size)
{
	if (conf->sender.envelope_sender != NULL)
		STR_TRUNCATION_OK(str_copy(buf, size, conf->sender.envelope_sender));
	else
		STR_TRUNCATION_OK(str_format(buf, size, "root@%s",
		    conf->sender.masquerade_domain ? conf->sender.masquerade_domain :
		    conf->domain));
}

/* probe_print_sender - what the recommended port said to the sender */
static void
probe_print_sender(const struct probe_row *best, FILE *out)
{
	if (best == NULL || best->sender_ok < 0)
		return;
	if (best->sender_ok) {
		fprintf(out, "sender:         <%s> accepted\n", best->sender);
		return;
	}
	fprintf(out, "sender:         <%s> refused: %s\n"
	    "                providers that take only verified senders refuse "
	    "it: set sender { envelope_sender = \"ADDRESS\" } (or "
	    "masquerade_domain) in postern.conf to an address the provider "
	    "has verified\n", best->sender, best->sender_text);
}

int
probe_run(const struct conf *conf, const struct probe_options *opt, FILE *out)
{
	struct conf_smarthost copy;
	const struct conf_smarthost *h = probe_target(conf, opt->host, &copy);
	struct strbuf advice = STRBUF_INIT, config = STRBUF_INIT, why = STRBUF_INIT;
	struct strbuf list = STRBUF_INIT;
	const struct probe_row *best;
	struct probe_row *rows;
	char addrs[RELAY_MAX_ADDRS][64];
	char *password = NULL, *token = NULL;
	char sender[512];
	size_t naddrs, n;

	if (h == NULL) {
		fprintf(stderr, "postern: no smarthost configured\n");
		return EX_CONFIG;
	}
	if ((naddrs = relay_addresses(h->host, addrs, RELAY_MAX_ADDRS, &why)) == 0) {
		fprintf(stderr, "postern: %s\n", why.data);
		strbuf_free(&why);
		return EX_UNAVAILABLE;
	}
	if (opt->auth && !relay_fetch_secret(h, &password, &token, &why)) {
		fprintf(stderr, "postern: --auth: %s\n", h->username ? why.data :
		    "no username configured");
		strbuf_free(&why);
		return EX_CONFIG;
	}
	strbuf_free(&why);
	probe_sender(conf, sender, sizeof(sender));
	n = h->nports * naddrs;
	rows = xcalloc(n, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		rows[i].conf = conf;
		rows[i].h = h;
		rows[i].port = h->ports[i / naddrs];
		STR_MUST_FIT(str_copy(rows[i].addr, sizeof(rows[i].addr), addrs[i % naddrs]));
		rows[i].password = password;
		rows[i].token = token;
		rows[i].sender = opt->auth ? sender : NULL;
		rows[i].sender_ok = -1;
		rows[i].timeout_ms = opt->timeout_ms;
		if (pthread_create(&rows[i].thread, NULL, probe_thread, &rows[i]) != 0)
			probe_thread(&rows[i]), rows[i].thread = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (rows[i].thread)
			pthread_join(rows[i].thread, NULL);
	secret_free(password);
	secret_free(token);
	best = probe_recommend(rows, h->nports, naddrs, h->host, &advice, &config);
	if (opt->json) {
		probe_print_json(h->host, rows, n, advice.data,
		    strbuf_cstr(&config), best != NULL, out);
	} else {
		for (size_t j = 0; j < naddrs; j++)
			strbuf_printf(&list, "%s%s", j ? ", " : "", addrs[j]);
		fprintf(out, "probing %s (%s), ", h->host, list.data);
		if (h->provider != NULL)
			fprintf(out, "a %s host: its documented ports (providers "
			    "file)", h->provider->name);
		else
			fputs("ports", out);
		fputs(" in order of preference:\n\n", out);
		probe_print_table(rows, n, out);
		fprintf(out, "\nrecommendation: %s\n", advice.data);
		if (config.len)
			fprintf(out, "config:         %s\n", config.data);
		probe_print_sender(best, out);
	}
	free(rows);
	strbuf_free(&list);
	strbuf_free(&advice);
	strbuf_free(&config);
	return best ? EX_OK : EX_UNAVAILABLE;
}
