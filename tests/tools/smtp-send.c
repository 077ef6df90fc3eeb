/*
 * smtp-send.c - test driver for the SMTP client module.
 *
 * Reads a message file, opens a session with the given options, sends
 * the message (--count times, with RSET in between) and prints what
 * happened in stable, line-oriented form for the test scripts:
 *
 *   session peer=ADDR port=N esmtp=yes|no ext=KW,KW size=N auth-offered=M,M
 *   tls version=V cipher=C verify=R starttls=yes|no discarded=N subject=S
 *   auth mechanism=M
 *   message N result=CLASS
 *   rcpt ADDR status=sent|temp|perm code=N reply=TEXT
 *   fail class=CLASS phase=PHASE code=N verify=V text=TEXT
 *
 * Exit status: 0 every recipient sent, 2 some permanent failure and no
 * temporary one, 3 some temporary failure, 4 the session could not be
 * opened, 1 usage error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smtp_client.h"
#include "smtp_reply.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAX_LIST 16

struct opts {
	struct smtp_params p;
	struct tls_policy tls;		/* p.tls points here */
	struct smtp_envelope env;
	const char *pins[MAX_LIST], *spki[MAX_LIST], *mechs[MAX_LIST];
	struct smtp_rcpt rcpts[MAX_LIST];
	unsigned notify;
	const char *orcpt;
	long count;
	char *password, *token;
	const char *file;
};

static const struct option longopts[] = {
	{ "host", 1, NULL, 'h' }, { "addr", 1, NULL, 'A' },
	{ "port", 1, NULL, 'p' }, { "security", 1, NULL, 's' },
	{ "tls", 1, NULL, 't' }, { "ca", 1, NULL, 'c' },
	{ "ca-dir", 1, NULL, 'C' }, { "verify-name", 1, NULL, 'V' },
	{ "tls-min", 1, NULL, 'm' }, { "pin", 1, NULL, 'P' },
	{ "spki-pin", 1, NULL, 'K' }, { "cert", 1, NULL, 'e' },
	{ "key", 1, NULL, 'k' }, { "helo", 1, NULL, 'H' },
	{ "user", 1, NULL, 'u' }, { "password-file", 1, NULL, 'w' },
	{ "token-file", 1, NULL, 'T' }, { "mech", 1, NULL, 'M' },
	{ "allow-plaintext-auth", 0, NULL, 'a' },
	{ "timeout-connect", 1, NULL, '1' }, { "timeout-greeting", 1, NULL, '2' },
	{ "timeout-command", 1, NULL, '3' }, { "timeout-data-init", 1, NULL, '4' },
	{ "timeout-data-block", 1, NULL, '5' }, { "timeout-data-done", 1, NULL, '6' },
	{ "max-pipeline", 1, NULL, 'G' }, { "from", 1, NULL, 'f' },
	{ "to", 1, NULL, 'r' }, { "notify", 1, NULL, 'n' },
	{ "orcpt", 1, NULL, 'o' }, { "ret", 1, NULL, 'R' },
	{ "envid", 1, NULL, 'E' }, { "body", 1, NULL, 'b' },
	{ "smtputf8", 0, NULL, 'U' }, { "count", 1, NULL, 'N' },
	{ NULL, 0, NULL, 0 },
};

static _Noreturn void
usage(const char *why)
{
	fprintf(stderr, "smtp-send: %s\nusage: smtp-send [options] --port N "
	    "--to ADDR MESSAGE-FILE\n", why);
	exit(1);
}

/* read_file - whole file into a heap buffer */
static char *
read_file(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");

	if (f == NULL)
		log_sysfatal(1, "cannot open %s", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_append(&sb, buf, n);
	if (ferror(f))
		log_sysfatal(1, "cannot read %s", path);
	if (f != stdin)
		fclose(f);
	strbuf_append(&sb, "", 0);	/* NUL-terminated even when empty */
	*len = sb.len;
	return strbuf_export(&sb);
}

/* read_secret - first line of a file */
static char *
read_secret(const char *path)
{
	size_t len;
	char *s = read_file(path, &len);

	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

static void
add(const char **list, size_t *n, const char *v)
{
	if (*n >= MAX_LIST)
		usage("too many list values");
	list[(*n)++] = v;
}

static uint64_t
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s)
		usage("bad number");
	return v;
}

static void
opt_security(struct opts *o, const char *v)
{
	if (strcmp(v, "plain") == 0)
		o->p.security = CONF_SEC_PLAIN;
	else if (strcmp(v, "starttls") == 0)
		o->p.security = CONF_SEC_STARTTLS;
	else if (strcmp(v, "tls") == 0)
		o->p.security = CONF_SEC_TLS;
	else
		usage("--security plain|starttls|tls");
}

static void
opt_tls(struct opts *o, const char *v)
{
	if (strcmp(v, "verify") == 0)
		o->tls.level = CONF_TLS_VERIFY;
	else if (strcmp(v, "encrypt") == 0)
		o->tls.level = CONF_TLS_ENCRYPT;
	else if (strcmp(v, "none") == 0)
		o->tls.level = CONF_TLS_NONE;
	else
		usage("--tls verify|encrypt|none");
}

static void
opt_envelope(struct opts *o, int c, const char *v)
{
	switch (c) {
	case 'f':
		o->env.sender = v;
		break;
	case 'r':
		if (o->env.nrcpts >= MAX_LIST)
			usage("too many recipients");
		o->rcpts[o->env.nrcpts++].addr = v;
		break;
	case 'n':
		if (!dsn_notify_parse(v, &o->notify))
			usage("bad --notify value");
		break;
	case 'o':
		o->orcpt = v;
		break;
	case 'R':
		if (!dsn_ret_parse(v, &o->env.ret))
			usage("bad --ret value");
		break;
	case 'E':
		o->env.envid = v;
		break;
	case 'b':
		o->env.body = strcmp(v, "7bit") == 0 ? SMTP_BODY_7BIT :
		    strcmp(v, "8bitmime") == 0 ? SMTP_BODY_8BITMIME : SMTP_BODY_AUTO;
		break;
	case 'U':
		o->env.smtputf8 = true;
		break;
	default:
		usage("unknown option");
	}
}

static void
opt_timeout(struct opts *o, int c, const char *v)
{
	uint64_t *slot[] = { &o->p.timeouts.connect, &o->p.timeouts.greeting,
	    &o->p.timeouts.command, &o->p.timeouts.data_init,
	    &o->p.timeouts.data_block, &o->p.timeouts.data_done };

	*slot[c - '1'] = num(v);
}

static void
opt_one(struct opts *o, int c, const char *v)
{
	switch (c) {
	case 'h': o->p.host = v; break;
	case 'A': o->p.addr = v; break;
	case 'p': o->p.port = (unsigned)num(v); break;
	case 's': opt_security(o, v); break;
	case 't': opt_tls(o, v); break;
	case 'c': o->tls.ca_file = (char *)v; break;
	case 'C': o->tls.ca_dir = (char *)v; break;
	case 'V': o->tls.verify_name = (char *)v; break;
	case 'm': o->tls.min_version = (char *)v; break;
	case 'P': add(o->pins, &o->tls.ncert_pins, v); break;
	case 'K': add(o->spki, &o->tls.nspki_pins, v); break;
	case 'e': o->tls.client_cert = (char *)v; break;
	case 'k': o->tls.client_key = (char *)v; break;
	case 'H': o->p.helo_name = v; break;
	case 'u': o->p.auth_user = v; break;
	case 'w': o->password = read_secret(v); break;
	case 'T': o->token = read_secret(v); break;
	case 'M': add(o->mechs, &o->p.nauth_mechanisms, v); break;
	case 'a': o->p.auth_allow_plaintext = true; break;
	case 'G': o->p.limits.max_pipeline = (size_t)num(v); break;
	case 'N': o->count = (long)num(v); break;
	case '1': case '2': case '3': case '4': case '5': case '6':
		opt_timeout(o, c, v);
		break;
	default:
		opt_envelope(o, c, v);
	}
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	o->p.host = "127.0.0.1";
	o->p.security = CONF_SEC_STARTTLS;
	o->tls.level = CONF_TLS_VERIFY;
	o->p.tls = &o->tls;
	o->env.sender = "sender@example.org";
	o->count = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		opt_one(o, c, optarg);
	if (optind + 1 != argc || o->env.nrcpts == 0)
		usage("need --to and one message file");
	o->file = argv[optind];
	o->tls.cert_pins = (char **)o->pins;
	o->tls.spki_pins = (char **)o->spki;
	o->p.auth_mechanisms = o->mechs;
	o->p.auth_password = o->password;
	o->p.auth_token = o->token;
	for (i = 0; i < o->env.nrcpts; i++) {
		o->rcpts[i].notify = o->notify;
		o->rcpts[i].orcpt = o->orcpt;
	}
	o->env.rcpts = o->rcpts;
}

static void
print_fail(const struct smtp_error *err)
{
	printf("fail class=%s phase=%s code=%d verify=%s text=%s\n",
	    smtp_fail_name(err->fail), smtp_phase_name(err->phase), err->code,
	    smtp_verify_name(err->verify), err->text);
}

static void
print_bits(const char *label, unsigned bits, bool auth)
{
	static const char *const caps[] = { "PIPELINING", "SIZE", "8BITMIME",
	    "SMTPUTF8", "DSN", "STARTTLS", "AUTH", "ENHANCEDSTATUSCODES",
	    "CHUNKING" };
	const char *sep = "";
	unsigned i;

	printf(" %s=", label);
	for (i = 0; i < 9; i++) {
		if (!(bits & (1u << i)))
			continue;
		printf("%s%s", sep, auth ? smtp_reply_auth_name(1u << i) : caps[i]);
		sep = ",";
	}
	if (*sep == '\0')
		printf("-");
}

static void
print_session(const struct smtp_session_info *in)
{
	printf("session peer=%s port=%u esmtp=%s", in->peer_addr, in->port,
	    in->esmtp ? "yes" : "no");
	print_bits("ext", in->extensions, false);
	printf(" size=%llu", (unsigned long long)in->size_limit);
	print_bits("auth-offered", in->auth_offered, true);
	printf("\n");
	if (in->tls)
		printf("tls version=%s cipher=%s verify=%s starttls=%s "
		    "discarded=%zu cert-sha256=%s spki-sha256=%s subject=%s "
		    "issuer=%s not-after=%s\n", in->tls_version, in->tls_cipher,
		    smtp_verify_name(in->verify), in->starttls ? "yes" : "no",
		    in->plaintext_discarded, in->peer_cert_sha256 + 7,
		    in->peer_spki_sha256 + 7, in->peer_subject, in->peer_issuer,
		    in->peer_not_after);
	else
		printf("tls none\n");
	if (in->auth_mechanism)
		printf("auth mechanism=%s\n", in->auth_mechanism);
}

/* send_once - one message; returns the worst recipient outcome */
static int
send_once(struct smtp_client *cl, struct opts *o, const char *msg, size_t len,
    long n)
{
	struct smtp_rcpt_result res[MAX_LIST];
	struct smtp_error err;
	enum smtp_fail f;
	int worst = 0;
	size_t i;

	f = smtp_send(cl, &o->env, msg, len, res, &err);
	printf("message %ld result=%s\n", n, smtp_fail_name(f));
	if (f != SMTP_OK)
		print_fail(&err);
	for (i = 0; i < o->env.nrcpts; i++) {
		printf("rcpt %s status=%s code=%d reply=%s\n", o->rcpts[i].addr,
		    res[i].status == SMTP_RCPT_SENT ? "sent" :
		    res[i].status == SMTP_RCPT_TEMP ? "temp" : "perm",
		    res[i].code, res[i].reply);
		if (res[i].status == SMTP_RCPT_TEMP)
			worst = 3;
		else if (res[i].status == SMTP_RCPT_PERM && worst == 0)
			worst = 2;
	}
	return worst;
}

int
main(int argc, char **argv)
{
	struct smtp_client *cl;
	struct smtp_error err;
	struct opts o;
	char *msg;
	size_t len;
	int worst = 0, r;
	long n;

	log_init("smtp-send", LOG_TO_STDERR);
	parse_args(&o, argc, argv);
	msg = read_file(o.file, &len);
	if (smtp_open(&o.p, &cl, &err) != SMTP_OK) {
		print_fail(&err);
		worst = 4;
		goto out;
	}
	print_session(smtp_session_info(cl));
	for (n = 1; n <= o.count; n++) {
		if (n > 1 && smtp_usable(cl) && smtp_reset(cl, &err) != SMTP_OK)
			print_fail(&err);
		r = send_once(cl, &o, msg, len, n);
		worst = r > worst ? r : worst;
	}
	smtp_quit(cl);
	smtp_close(cl);
out:
	xfree_secret(o.password, o.password ? strlen(o.password) : 0);
	xfree_secret(o.token, o.token ? strlen(o.token) : 0);
	free(msg);
	fflush(stdout);
	return worst;
}
