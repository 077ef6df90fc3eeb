/*
 * relay.c - smarthost failover, the port race and encryption matching.
 * See relay.h for the rules.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock_ms.h"
#include "conn.h"
#include "log.h"
#include "relay.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"


bool
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

void
relay_params(const struct conf *conf, const struct conf_smarthost *h,
    const struct conf_port *port, struct smtp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->host = h->host;
	p->port = port->port;
	p->security = port->security;
	p->tls = &h->tls;
	p->helo_name = conf->hostname;
	p->auth_user = h->username;
	p->auth_mechanisms = (const char *const *)h->auth_mechanisms;
	p->nauth_mechanisms = h->nauth_mechanisms;
	p->auth_allow_plaintext = h->auth_allow_plaintext;
	p->banner_wait_ms = h->timeouts.greeting &&
	    h->timeouts.greeting < RELAY_BANNER_WAIT_MS ?
	    h->timeouts.greeting : RELAY_BANNER_WAIT_MS;
	p->timeouts = h->timeouts;
}

bool
relay_fetch_secret(const struct conf_smarthost *h, char **password,
    char **token, struct strbuf *why)
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

/* One attempt of the race: a port at one address. */
struct relay_attempt {
	struct relay_race *race;
	struct conf_port port;		/* as configured */
	char addr[64];
	pthread_t thread;
	bool started, done, handled;
	bool connected;			/* TCP is up: it is progressing */
	bool cancelled;			/* still running when the race ended */
	enum smtp_fail fail;
	struct smtp_error err;
	struct smtp_client *client;
	enum conf_security spoken;	/* the mode that worked */
	bool corrected;
};

struct relay_race {
	const struct conf *conf;
	const char *qid;		/* for the dialogue's debug lines */
	const struct conf_smarthost *h;
	const char *password, *token;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int cancel[2];
	struct relay_attempt *att;
	size_t n;
};

enum smtp_fail
relay_connect(struct smtp_params *p, struct smtp_client **cl,
    struct smtp_error *err, enum conf_security *spoken, bool *corrected)
{
	enum smtp_fail f;

	*spoken = p->security;
	*corrected = false;
	f = smtp_open(p, cl, err);
	if (f == SMTP_FAIL_PLAINTEXT_PORT && p->security == CONF_SEC_TLS) {
		p->security = *spoken = CONF_SEC_STARTTLS;
		*corrected = true;
		f = smtp_open(p, cl, err);
	}
	if (f == SMTP_OK && smtp_session_info(*cl)->implicit_detected) {
		*spoken = CONF_SEC_TLS;
		*corrected = true;
	}
	return f;
}

/* relay_attempt_connected - smtp_open's hook: this attempt is progressing */
static void
relay_attempt_connected(void *arg)
{
	struct relay_attempt *a = arg;

	pthread_mutex_lock(&a->race->lock);
	a->connected = true;
	pthread_cond_broadcast(&a->race->cond);
	pthread_mutex_unlock(&a->race->lock);
}

/* relay_attempt_run - thread body: try, correct the mode, report */
static void *
relay_attempt_run(void *arg)
{
	struct relay_attempt *a = arg;
	struct relay_race *r = a->race;
	struct smtp_params p;
	enum smtp_fail f;

	conn_set_cancel_fd(r->cancel[0]);
	relay_params(r->conf, r->h, &a->port, &p);
	p.addr = a->addr;
	p.auth_password = r->password;
	p.auth_token = r->token;
	p.auth_later = true;		/* the race never logs in: relay_login */
	p.on_connected = relay_attempt_connected;
	p.log_tag = r->qid;
	p.on_connected_arg = a;
	f = relay_connect(&p, &a->client, &a->err, &a->spoken, &a->corrected);
	pthread_mutex_lock(&r->lock);
	a->fail = f;
	a->done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

size_t
relay_addresses(const char *host, char (*addrs)[64], size_t max,
    struct strbuf *why)
{
	struct addrinfo hints, *res, *ai;
	size_t n = 0;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		strbuf_printf(why, "cannot resolve %s: %s", host, gai_strerror(rc));
		return 0;
	}
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		char buf[64];
		bool dup = false;

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf), NULL,
		    0, NI_NUMERICHOST) != 0)
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(addrs[i], buf) == 0;
		if (!dup)
			STR_MUST_FIT(str_copy(addrs[n++], sizeof(addrs[0]), buf));
	}
	freeaddrinfo(res);
	if (n == 0)
		strbuf_printf(why, "%s has no usable address", host);
	return n;
}

static bool
relay_start(struct relay_attempt *a)
{
	a->started = pthread_create(&a->thread, NULL, relay_attempt_run, a) == 0;
	if (!a->started) {
		a->done = a->handled = true;
		a->fail = SMTP_FAIL_IO;
		STR_TRUNCATION_OK(str_copy(a->err.text, sizeof(a->err.text), "cannot start a thread"));
	}
	return a->started;
}

/*
 * relay_race_decided - the winner once it is the most preferred of the
 * attempts still in the running: every attempt before it has failed or
 * is not even connected (a filtered port is not waited for). -1 while a
 * more preferred attempt is connected and progressing.
 */
static long
relay_race_decided(const struct relay_race *r, size_t started)
{
	for (size_t i = 0; i < started; i++) {
		const struct relay_attempt *a = &r->att[i];

		if (a->done && a->fail == SMTP_OK)
			return (long)i;
		if (!a->done && a->connected)
			return -1;	/* more preferred, progressing: wait */
	}
	return -1;
}

/* relay_race_progressing - an attempt is connected and not finished */
static bool
relay_race_progressing(const struct relay_race *r, size_t started)
{
	for (size_t i = 0; i < started; i++)
		if (r->att[i].connected && !r->att[i].done)
			return true;
	return false;
}

/* relay_race_wait - sleep on the race's condition, until ms at the latest */
static void
relay_race_wait(struct relay_race *r, uint64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&r->cond, &r->lock, &until);
}

/*
 * relay_race_run - the preference order decides, the stagger only saves a
 * filtered port's connect timeout. The next candidate starts when the
 * stagger has passed and no started one is connected and progressing, or
 * at once when one fails on the path. A candidate that succeeds wins only
 * when every more preferred one has failed: a slow first choice that is
 * progressing is waited for. A failure that is the server's answer (a
 * certificate, a 5xx) ends the race. Returns the winner's index, or -1;
 * the lock is held on return.
 */
static long
relay_race_run(struct relay_race *r, bool *server_refused)
{
	uint64_t stagger = r->h->port_stagger_ms, next_start = 0;
	size_t started = 0, finished = 0;
	long winner;

	*server_refused = false;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		uint64_t now = clock_ms_now();
		bool start_now = started < r->n && now >= next_start &&
		    !relay_race_progressing(r, started);

		for (size_t i = 0; i < started; i++) {
			struct relay_attempt *a = &r->att[i];

			if (!a->done || a->handled)
				continue;
			a->handled = true;
			finished++;
			if (a->fail == SMTP_OK)
				continue;
			/*
			 * A STARTTLS port without STARTTLS is most often a
			 * middlebox that strips it: the other candidates
			 * (implicit TLS) may get through. Never plaintext.
			 */
			if (!relay_network_failure(a->fail) &&
			    a->fail != SMTP_FAIL_NO_STARTTLS) {
				*server_refused = true;
				return -1;
			}
			start_now = started < r->n;	/* RFC 8305: no waiting */
		}
		if ((winner = relay_race_decided(r, started)) >= 0)
			return winner;
		if (start_now) {
			relay_start(&r->att[started++]);
			next_start = clock_ms_now() + stagger;
			continue;
		}
		if (finished == r->n)
			return -1;
		if (started < r->n && !relay_race_progressing(r, started))
			relay_race_wait(r, next_start > now ? next_start - now : 0);
		else
			pthread_cond_wait(&r->cond, &r->lock);
	}
}

/*
 * relay_race_end - end the other attempts: those connected are given up
 * to RELAY_LOSER_GRACE_MS to finish their handshake (never a login), so
 * that they leave with QUIT instead of a cut connection; the rest are
 * cancelled. Joins every attempt; keeps only the winner's client.
 */
static void
relay_race_end(struct relay_race *r, long winner)
{
	uint64_t deadline = clock_ms_now() + RELAY_LOSER_GRACE_MS;
	char byte = 1;

	for (;;) {
		bool waiting = false;
		uint64_t now = clock_ms_now();

		for (size_t i = 0; i < r->n; i++)
			waiting = waiting || (r->att[i].started && !r->att[i].done &&
			    r->att[i].connected);
		if (!waiting || now >= deadline)
			break;
		relay_race_wait(r, deadline - now);
	}
	for (size_t i = 0; i < r->n; i++)
		r->att[i].cancelled = r->att[i].started && !r->att[i].done;
	pthread_mutex_unlock(&r->lock);
	if (write(r->cancel[1], &byte, 1) != 1)
		log_syswarn("cannot cancel the other port attempts");
	for (size_t i = 0; i < r->n; i++) {
		if (!r->att[i].started)
			continue;
		pthread_join(r->att[i].thread, NULL);
		if ((long)i != winner && r->att[i].client) {
			smtp_quit(r->att[i].client);
			smtp_close(r->att[i].client);
			r->att[i].client = NULL;
		}
	}
}

/*
 * relay_login - log in once, on the race's winner. A refusal ends the
 * session (QUIT) and is kept in the attempt, as the server's answer.
 */
static bool
relay_login(struct relay_race *r, struct relay_attempt *a)
{
	struct smtp_params p;

	relay_params(r->conf, r->h, &a->port, &p);
	p.addr = a->addr;
	p.security = a->spoken;
	p.auth_password = r->password;
	p.auth_token = r->token;
	a->fail = smtp_login(a->client, &p, &a->err);
	if (a->fail == SMTP_OK)
		return true;
	smtp_quit(a->client);
	smtp_close(a->client);
	a->client = NULL;
	return false;
}

/* relay_describe - fill the session from the winning attempt */
static void
relay_describe(struct relay_session *rs, const struct conf_smarthost *h,
    const struct relay_attempt *a)
{
	const struct smtp_session_info *in = smtp_session_info(a->client);

	rs->client = a->client;
	rs->host = h;
	STR_TRUNCATION_OK(str_format(rs->desc, sizeof(rs->desc), "%s[%s]:%u", h->host,
	    in->peer_addr, in->port));
	STR_TRUNCATION_OK(str_copy(rs->mode, sizeof(rs->mode), conf_security_name(a->spoken)));
	STR_TRUNCATION_OK(str_copy(rs->tls, sizeof(rs->tls), in->tls ? in->tls_version : "none"));
}

/* relay_warn_corrected - the configuration fix, once per host and port */
static void
relay_warn_corrected(struct port_cache *cache, const struct conf_smarthost *h,
    const struct relay_attempt *a)
{
	if (!a->corrected || (cache && !port_cache_first_warning(cache, h->host,
	    a->port.port)))
		return;
	if (a->spoken == CONF_SEC_TLS)
		log_warn("%s:%u is configured for STARTTLS but stays silent and "
		    "speaks implicit TLS; using implicit TLS. Fix: write "
		    "\"%u/tls\" in the port list of smarthost \"%s\"", h->host,
		    a->port.port, a->port.port, h->host);
	else
		log_warn("%s:%u is configured for implicit TLS but answers with a "
		    "plaintext SMTP banner; using STARTTLS. Fix: write "
		    "\"%u/starttls\" in the port list of smarthost \"%s\"", h->host,
		    a->port.port, a->port.port, h->host);
}

/* relay_warn_stripped - a STARTTLS port that offered no STARTTLS, once */
static void
relay_warn_stripped(struct port_cache *cache, const struct relay_race *r,
    const struct relay_attempt *winner)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct relay_attempt *a = &r->att[i];

		if (!a->done || a->cancelled || a->fail != SMTP_FAIL_NO_STARTTLS ||
		    (cache && !port_cache_first_warning(cache, r->h->host,
		    a->port.port)))
			continue;
		log_warn("%s:%u offers no STARTTLS (stripped on the path, as SMTP "
		    "inspection by some firewalls does, or a server without "
		    "TLS); used %u/%s instead, never plaintext", r->h->host,
		    a->port.port, winner->port.port,
		    conf_security_name(winner->spoken));
	}
}

/* relay_progress - how far an attempt got: the furthest failure matters */
static int
relay_progress(const struct relay_attempt *a)
{
	if (!a->started || a->cancelled)
		return -1;
	switch (a->fail) {
	case SMTP_FAIL_RESOLVE: return 0;
	case SMTP_FAIL_REFUSED:
	case SMTP_FAIL_UNREACHABLE: return 1;
	case SMTP_FAIL_CONNECT_TIMEOUT: return 2;
	default: return relay_network_failure(a->fail) ? 3 : 4;
	}
}

/* relay_short - a connect failure in one word, or NULL for anything else */
static const char *
relay_short(enum smtp_fail fail)
{
	switch (fail) {
	case SMTP_FAIL_REFUSED: return "refused";
	case SMTP_FAIL_UNREACHABLE: return "unreachable";
	case SMTP_FAIL_CONNECT_TIMEOUT: return "filtered (no answer to connect)";
	default: return NULL;
	}
}

/*
 * relay_reason - why a race found no session, naming the failure that
 * mattered: when the server refused us, that refusal alone; otherwise
 * one phrase per port, from the address that got furthest ("localhost:
 * 587/starttls filtered ...; 465/tls refused"), with the server's words
 * whenever a port got past the connect.
 */
static void
relay_reason(const struct relay_race *r, size_t nports, size_t naddrs,
    bool refused, struct strbuf *reason)
{
	const struct relay_attempt *a;
	bool any = false;

	strbuf_printf(reason, "%s", reason->len ? "; " : "");
	for (size_t i = 0; refused && i < r->n; i++) {
		a = &r->att[i];
		if (relay_progress(a) == 4) {
			strbuf_printf(reason, "%s[%s]:%u/%s: %s", r->h->host, a->addr,
			    a->port.port, conf_security_name(a->port.security),
			    a->err.text);
			return;
		}
	}
	strbuf_printf(reason, "%s: ", r->h->host);
	for (size_t i = 0; i < nports; i++) {
		const struct relay_attempt *best = &r->att[i * naddrs];
		const char *word;

		for (size_t j = 1; j < naddrs; j++)
			if (relay_progress(&r->att[i * naddrs + j]) > relay_progress(best))
				best = &r->att[i * naddrs + j];
		if (relay_progress(best) < 0)
			continue;		/* never started */
		word = relay_short(best->fail);
		strbuf_printf(reason, "%s%u/%s ", any ? "; " : "", best->port.port,
		    conf_security_name(best->port.security));
		if (word)
			strbuf_puts(reason, word);
		else
			strbuf_printf(reason, "at %s: %s", best->addr, best->err.text);
		any = true;
	}
	if (!any)
		strbuf_puts(reason, "no attempt was made");
}

/*
 * relay_try_ports - one race among ports[0..nports) of h. True with the
 * session filled; false with the failures appended to reason and
 * *refused set when the server itself refused us.
 */
static bool
relay_try_ports(const struct conf *conf, const struct conf_smarthost *h,
    const struct conf_port *ports, size_t nports, struct port_cache *cache,
    const char *qid, struct relay_session *out, struct strbuf *reason,
    bool *refused)
{
	char addrs[RELAY_MAX_ADDRS][64];
	struct strbuf why = STRBUF_INIT;
	struct relay_race r;
	char *password = NULL, *token = NULL;
	size_t naddrs;
	long winner = -1;

	*refused = false;
	memset(&r, 0, sizeof(r));
	naddrs = relay_addresses(h->host, addrs, RELAY_MAX_ADDRS, &why);
	if (naddrs == 0 || !relay_fetch_secret(h, &password, &token, &why)) {
		strbuf_printf(reason, "%s%s: %s", reason->len ? "; " : "", h->host,
		    why.data);
		*refused = naddrs > 0;	/* no credentials: no port will do */
		strbuf_free(&why);
		return false;
	}
	strbuf_free(&why);
	r.conf = conf;
	r.h = h;
	r.qid = qid;
	r.password = password;
	r.token = token;
	r.n = nports * naddrs;
	r.att = xcalloc(r.n, sizeof(*r.att));
	for (size_t i = 0; i < nports; i++)
		for (size_t j = 0; j < naddrs; j++) {
			struct relay_attempt *a = &r.att[i * naddrs + j];

			a->race = &r;
			a->port = ports[i];
			STR_MUST_FIT(str_copy(a->addr, sizeof(a->addr), addrs[j]));
		}
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	if (pipe2(r.cancel, O_CLOEXEC) < 0)
		log_sysfatal(71, "pipe");
	winner = relay_race_run(&r, refused);
	relay_race_end(&r, winner);
	if (winner >= 0 && !relay_login(&r, &r.att[winner])) {
		winner = -1;
		*refused = true;	/* the server refused the login */
	}
	secret_free(password);
	secret_free(token);
	if (winner >= 0) {
		relay_describe(out, h, &r.att[winner]);
		relay_warn_corrected(cache, h, &r.att[winner]);
		relay_warn_stripped(cache, &r, &r.att[winner]);
		if (cache)
			port_cache_put(cache, h->host, r.att[winner].port.port,
			    r.att[winner].spoken);
	} else {
		relay_reason(&r, nports, naddrs, *refused, reason);
	}
	close(r.cancel[0]);
	close(r.cancel[1]);
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
	free(r.att);
	return winner >= 0;
}

/* relay_is_candidate - whether port is still in h's list (config reloads) */
static bool
relay_is_candidate(const struct conf_smarthost *h, unsigned port)
{
	for (size_t i = 0; i < h->nports; i++)
		if (h->ports[i].port == port)
			return true;
	return false;
}

bool
relay_open(const struct conf *conf, struct port_cache *cache, const char *qid,
    struct relay_session *out, struct strbuf *reason)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < conf->nsmarthosts; i++) {
		const struct conf_smarthost *h = &conf->smarthosts[i];
		struct port_cache_entry ce;
		bool refused = false;

		if (conf_smarthost_placeholder(h)) {
			strbuf_printf(reason, "%spostern is not configured: smarthost "
			    "\"%s\" is the placeholder of the shipped postern.conf "
			    "(set your provider's, or run dpkg-reconfigure postern)",
			    reason->len ? "; " : "", h->host);
			continue;
		}

		if (cache && port_cache_get(cache, h->host, h->port_cache_ttl_ms, &ce) &&
		    relay_is_candidate(h, ce.port)) {
			struct conf_port cached = { ce.port, ce.security };
			struct strbuf first = STRBUF_INIT;

			if (relay_try_ports(conf, h, &cached, 1, NULL, qid, out,
			    &first, &refused)) {
				strbuf_free(&first);
				return true;
			}
			if (refused) {
				strbuf_printf(reason, "%s%s", reason->len ? "; " : "",
				    first.data);
				strbuf_free(&first);
				continue;	/* the server refused us: next host */
			}
			log_info("%s: remembered port %u/%s failed (%s); probing all "
			    "ports again", h->host, ce.port,
			    conf_security_name(ce.security), first.data);
			strbuf_free(&first);
			port_cache_forget(cache, h->host);
		}
		if (relay_try_ports(conf, h, h->ports, h->nports, cache, qid, out,
		    reason, &refused))
			return true;
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
