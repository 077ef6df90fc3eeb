/*
 * test_conf.c - loading, validating and printing postern.conf.
 *
 * Each test writes a configuration to a temporary file whose name ends in
 * "postern.conf", loads it with stderr redirected to a second temporary
 * file, and checks the result: the values in struct conf, or the exit
 * status and the "postern.conf:LINE: message" lines. Fixture files live in
 * tests/unit/conf/ and are found through $srcdir (the tests directory).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "conf_files.h"
#include "conf_text.h"
#include "log.h"
#include "unit_main.h"

#define MIN	60000ULL
#define SMARTHOST \
	"smarthost \"smtp.example.com\" {\n" \
	"  username = \"u\"\n" \
	"  password_file = \"/etc/postern/password\"\n" \
	"}\n"

struct loaded {
	int status;
	struct conf *conf;
	char *err;		/* everything written to stderr */
};

static const char *
tmpdir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL && *dir != '\0' ? dir : "/tmp";
}

/* temp_path - create an empty temporary file ending in suffix */
static char *
temp_path(const char *suffix)
{
	char *path = malloc(4096);
	int fd;

	ck_assert_ptr_nonnull(path);
	ck_assert(snprintf(path, 4096, "%s/test_conf-XXXXXX%s", tmpdir(),
	    suffix) < 4096);
	fd = mkstemps(path, (int)strlen(suffix));
	ck_assert_msg(fd >= 0, "mkstemps %s: %s", path, strerror(errno));
	close(fd);
	return path;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* load_path - conf_load with fd 2 captured */
static struct loaded
load_path(const char *path)
{
	struct loaded r = { 0, NULL, NULL };
	char *errpath = temp_path(".err");
	int errfd = open(errpath, O_WRONLY | O_TRUNC);
	int saved = dup(2);

	ck_assert_int_ge(errfd, 0);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_eq(dup2(errfd, 2), 2);
	close(errfd);
	r.status = conf_load(path, &r.conf);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	r.err = read_file(errpath);
	unlink(errpath);
	free(errpath);
	return r;
}

static struct loaded
load_text(const char *text)
{
	char *path = temp_path("-postern.conf");
	struct loaded r;

	write_file(path, text);
	r = load_path(path);
	unlink(path);
	free(path);
	return r;
}

static void
loaded_free(struct loaded *r)
{
	conf_free(r->conf);
	free(r->err);
}

/* load_ok - load text that must be valid */
static struct conf *
load_ok(const char *text)
{
	struct loaded r = load_text(text);

	ck_assert_msg(r.status == 0, "status %d, stderr: %s", r.status, r.err);
	ck_assert_ptr_nonnull(r.conf);
	ck_assert_str_eq(r.err, "");
	free(r.err);
	return r.conf;
}

/*
 * expect_error - text must fail with CONF_INVALID and a message on the line
 * given (0: without a line) that contains fragment.
 */
static void
expect_error(const char *text, int line, const char *fragment)
{
	struct loaded r = load_text(text);
	char where[64];
	const char *at;

	ck_assert_msg(r.status == CONF_INVALID, "status %d for:\n%s", r.status,
	    text);
	ck_assert_ptr_null(r.conf);
	if (line > 0)
		snprintf(where, sizeof(where), "postern.conf:%d: ", line);
	else
		snprintf(where, sizeof(where), "postern.conf: ");
	at = strstr(r.err, where);
	ck_assert_msg(at != NULL, "no \"%s\" in: %s", where, r.err);
	ck_assert_msg(strstr(at, fragment) != NULL, "no \"%s\" in: %s",
	    fragment, r.err);
	ck_assert_msg(strncmp(r.err, "test_conf: ", 11) == 0,
	    "no program name in: %s", r.err);
	loaded_free(&r);
}

static const char *
fixture(const char *name, char *buf, size_t size)
{
	const char *srcdir = getenv("srcdir");

	ck_assert(snprintf(buf, size, "%s/%s", srcdir ? srcdir : "tests",
	    name) < (int)size);
	return buf;
}

START_TEST(shipped_config_loads)
{
	char path[4096];
	struct loaded r = load_path(fixture("../etc/postern.conf", path,
	    sizeof(path)));
	const struct conf_smarthost *sh;

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "");
	ck_assert_uint_eq(r.conf->nsmarthosts, 1);
	sh = &r.conf->smarthosts[0];
	ck_assert_str_eq(sh->host, "smtp.example.com");
	ck_assert(sh->port_auto);
	ck_assert_str_eq(sh->username, "user@example.com");
	ck_assert_str_eq(sh->password_file, "/etc/postern/password");
	ck_assert_int_eq(sh->tls.level, CONF_TLS_VERIFY);
	loaded_free(&r);
}
END_TEST

START_TEST(fixture_full_loads)
{
	char path[4096];
	struct loaded r = load_path(fixture("unit/conf/full.conf", path,
	    sizeof(path)));

	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_uint_eq(r.conf->nsmarthosts, 3);
	ck_assert_uint_eq(r.conf->naliases, 2);
	loaded_free(&r);
}
END_TEST

START_TEST(defaults)
{
	struct conf *c = load_ok("smarthost \"mx.example.net\" {}\n");
	const struct conf_smarthost *sh = &c->smarthosts[0];
	const char *dot = strchr(c->hostname, '.');

	ck_assert_str_ne(c->hostname, "");
	ck_assert_str_eq(c->domain, dot ? dot + 1 : c->hostname);
	ck_assert_str_eq(c->aliases_file, "/etc/aliases");
	ck_assert_uint_eq(c->naliases, 0);
	ck_assert_ptr_null(c->sender.masquerade_domain);
	ck_assert_uint_eq(c->sender.nmasquerade_exceptions, 0);
	ck_assert_ptr_null(c->sender.envelope_sender);
	ck_assert(!c->sender.rewrite_header_from);
	ck_assert_uint_eq(c->queue.lifetime_ms, 5 * 24 * 60 * MIN);
	ck_assert_uint_eq(c->queue.min_backoff_ms, MIN);
	ck_assert_uint_eq(c->queue.max_backoff_ms, 60 * MIN);
	ck_assert_uint_eq(c->queue.delay_warning_ms, 0);
	ck_assert_uint_eq(c->queue.idle_timeout_ms, 30000);
	ck_assert_uint_eq(c->queue.rescan_interval_ms, 5 * MIN);
	ck_assert_uint_eq(c->queue.concurrency, 2);
	ck_assert_uint_eq(c->queue.max_message_size, 35 * 1024 * 1024);
	ck_assert_int_eq(c->log.target, CONF_LOG_SYSLOG);
	ck_assert(!c->log.debug);

	ck_assert_str_eq(sh->host, "mx.example.net");
	ck_assert_ptr_null(sh->tls.verify_name);
	ck_assert(sh->port_auto);
	ck_assert_uint_eq(sh->nports, 3);
	ck_assert_uint_eq(sh->ports[0].port, 587);
	ck_assert_int_eq(sh->ports[0].security, CONF_SEC_STARTTLS);
	ck_assert_uint_eq(sh->ports[1].port, 465);
	ck_assert_int_eq(sh->ports[1].security, CONF_SEC_TLS);
	ck_assert_uint_eq(sh->ports[2].port, 2525);
	ck_assert_int_eq(sh->ports[2].security, CONF_SEC_STARTTLS);
	ck_assert(!sh->allow_port_25);
	ck_assert_int_eq(sh->tls.level, CONF_TLS_VERIFY);
	ck_assert_str_eq(sh->tls.min_version, "TLSv1.2");
	ck_assert_ptr_null(sh->tls.ca_file);
	ck_assert_ptr_null(sh->tls.ca_dir);
	ck_assert_uint_eq(sh->tls.ncert_pins, 0);
	ck_assert_uint_eq(sh->tls.nspki_pins, 0);
	ck_assert_ptr_null(sh->tls.client_cert);
	ck_assert_ptr_null(sh->tls.client_key);
	ck_assert_ptr_null(sh->username);
	ck_assert_ptr_null(sh->password_file);
	ck_assert_ptr_null(sh->password_command);
	ck_assert_ptr_null(sh->oauth_token_command);
	ck_assert_uint_eq(sh->nauth_mechanisms, 0);
	ck_assert(!sh->auth_allow_plaintext);
	ck_assert_uint_eq(sh->timeouts.connect, 30000);
	ck_assert_uint_eq(sh->timeouts.greeting, 5 * MIN);
	ck_assert_uint_eq(sh->timeouts.command, 5 * MIN);
	ck_assert_uint_eq(sh->timeouts.data_block, 3 * MIN);
	ck_assert_uint_eq(sh->timeouts.data_done, 10 * MIN);
	ck_assert_uint_eq(sh->port_stagger_ms, 250);
	ck_assert_uint_eq(sh->port_cache_ttl_ms, 24 * 60 * MIN);
	conf_free(c);
}
END_TEST

START_TEST(identity)
{
	struct conf *c = load_ok("hostname = \"mail.example.org\"\n"
	    "aliases_file = \"\"\n" SMARTHOST);

	ck_assert_str_eq(c->hostname, "mail.example.org");
	ck_assert_str_eq(c->domain, "example.org");
	ck_assert_ptr_null(c->aliases_file);
	conf_free(c);
	c = load_ok("hostname = single\n" SMARTHOST);
	ck_assert_str_eq(c->domain, "single");
	conf_free(c);
	c = load_ok("hostname = a.b.example\ndomain = other.example\n"
	    SMARTHOST);
	ck_assert_str_eq(c->domain, "other.example");
	conf_free(c);
}
END_TEST

START_TEST(port_list_and_inference)
{
	struct conf *c;
	const struct conf_smarthost *sh;
	static const struct conf_port want[] = {
		{ 587, CONF_SEC_STARTTLS }, { 465, CONF_SEC_TLS },
		{ 2465, CONF_SEC_TLS }, { 2525, CONF_SEC_STARTTLS },
		{ 2526, CONF_SEC_TLS },
	};

	c = load_ok("smarthost \"relay.example\" {\n"
	    "  port = {587, 465, 2465, \"2525\", \"2526/tls\", \"2527/starttls\","
	    " \"25/plain\"}\n"
	    "  allow_port_25 = true\n  tls = none\n}\n");
	sh = &c->smarthosts[0];
	ck_assert(!sh->port_auto);
	ck_assert_uint_eq(sh->nports, 7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_uint_eq(sh->ports[i].port, want[i].port);
		ck_assert_int_eq(sh->ports[i].security, want[i].security);
	}
	ck_assert_uint_eq(sh->ports[5].port, 2527);
	ck_assert_int_eq(sh->ports[5].security, CONF_SEC_STARTTLS);
	ck_assert_uint_eq(sh->ports[6].port, 25);
	ck_assert_int_eq(sh->ports[6].security, CONF_SEC_PLAIN);
	ck_assert_int_eq(sh->tls.level, CONF_TLS_NONE);
	conf_free(c);
}
END_TEST

START_TEST(port_single_value)
{
	struct conf *c = load_ok("smarthost \"a.example\" { port = 587 }\n"
	    "smarthost \"b.example\" { port = \"465/tls\" }\n"
	    "smarthost \"c.example\" { port = 2465 }\n"
	    "smarthost \"d.example\" { port = AUTO\n allow_port_25 = yes }\n");

	ck_assert_uint_eq(c->nsmarthosts, 4);
	ck_assert_uint_eq(c->smarthosts[0].nports, 1);
	ck_assert_uint_eq(c->smarthosts[0].ports[0].port, 587);
	ck_assert_int_eq(c->smarthosts[0].ports[0].security, CONF_SEC_STARTTLS);
	ck_assert_uint_eq(c->smarthosts[1].nports, 1);
	ck_assert_uint_eq(c->smarthosts[1].ports[0].port, 465);
	ck_assert_int_eq(c->smarthosts[1].ports[0].security, CONF_SEC_TLS);
	ck_assert_int_eq(c->smarthosts[2].ports[0].security, CONF_SEC_TLS);
	ck_assert(c->smarthosts[3].port_auto);
	ck_assert_uint_eq(c->smarthosts[3].nports, 4);
	ck_assert_uint_eq(c->smarthosts[3].ports[3].port, 25);
	conf_free(c);
}
END_TEST

START_TEST(port_errors)
{
	expect_error("smarthost \"a.example\" {\n"
	    "  port = {auto, 587}\n}\n", 2,
	    "auto cannot be combined with explicit ports");
	expect_error("smarthost \"a.example\" {\n\n"
	    "  port = \"587/ssl\"\n}\n", 3, "/starttls, /tls or /plain");
	expect_error("smarthost \"a.example\" {\n  port = 70000\n}\n", 2,
	    "between 1 and 65535");
	expect_error("smarthost \"a.example\" {\n  port = 0\n}\n", 2,
	    "between 1 and 65535");
	expect_error("smarthost \"a.example\" {\n  port = smtp\n}\n", 2,
	    "\"smtp\" is not auto, PORT");
	/* Nothing records the line of an empty list: its section's is used. */
	expect_error("smarthost \"a.example\" {\n  port = {}\n"
	    "  tls = verify\n}\n", 1, "the list is empty");
	expect_error("smarthost \"a.example\" {\n  port = 25\n}\n", 2,
	    "allow_port_25 = true");
	expect_error("smarthost \"a.example\" {\n  port = \"2525/plain\"\n}\n",
	    2, "needs tls = none");
	expect_error("smarthost \"a.example\" {\n  port = auto\n"
	    "  tls = none\n}\n", 3, "tls = none needs explicit ports");
	expect_error("smarthost \"a.example\" {\n  tls = none\n}\n", 2,
	    "tls = none needs explicit ports");
}
END_TEST

START_TEST(unknown_option)
{
	expect_error("hostname = \"h.example\"\n\ncolour = \"blue\"\n" SMARTHOST,
	    3, "no such option 'colour'");
	expect_error(SMARTHOST "smarthost \"b.example\" {\n"
	    "  port = 587\n  tls_verify = yes\n}\n", 7,
	    "no such option 'tls_verify'");
	expect_error("queue {\n  lifetime = 5d\n  retries = 3\n}\n" SMARTHOST,
	    3, "no such option 'retries'");
}
END_TEST

START_TEST(bad_types_and_values)
{
	expect_error("queue {\n  concurrency = two\n}\n" SMARTHOST, 2,
	    "invalid integer value for option 'concurrency'");
	expect_error("queue {\n  concurrency = 0\n}\n" SMARTHOST, 2,
	    "concurrency: 0 is not between 1 and 100");
	expect_error("log {\n  debug = maybe\n}\n" SMARTHOST, 2,
	    "invalid boolean value for option 'debug'");
	expect_error("hostname = {\"a\", \"b\"}\n" SMARTHOST, 1,
	    "unexpected token");
	expect_error("queue = 5\n" SMARTHOST, 1, "queue");
	expect_error("hostname = \"bad_name.example\"\n" SMARTHOST, 1,
	    "not a valid domain name");
	expect_error("log {\n  target = file\n}\n" SMARTHOST, 2,
	    "\"file\" is not syslog or stderr");
	expect_error("queue {\n  max_message_size = 10X\n}\n" SMARTHOST, 2,
	    "is not a size");
	expect_error("hostname = \"a\\nb\"\n" SMARTHOST, 1,
	    "control characters");
	expect_error("aliases_file = \"aliases\"\n" SMARTHOST, 1,
	    "not an absolute path");
}
END_TEST

START_TEST(bad_duration)
{
	expect_error("queue {\n  lifetime = \"5 days\"\n}\n" SMARTHOST, 2,
	    "lifetime: \"5 days\" is not a duration");
	expect_error("queue {\n  rescan_interval = 0\n}\n" SMARTHOST, 2,
	    "rescan_interval: must be longer than zero");
	expect_error(SMARTHOST "smarthost \"b.example\" {\n"
	    "  command_timeout = 5x\n}\n", 6, "command_timeout");
	expect_error("queue {\n  min_backoff = 2h\n  max_backoff = 1h\n}\n"
	    SMARTHOST, 2, "min_backoff must not be longer than max_backoff");
	expect_error("queue {\n  lifetime = 1d\n  delay_warning = 2d\n}\n"
	    SMARTHOST, 3, "delay_warning must be shorter than lifetime");
}
END_TEST

START_TEST(bad_tls)
{
	expect_error("smarthost \"a.example\" {\n  tls = strict\n}\n", 2,
	    "tls: \"strict\" is not verify, encrypt or none");
	expect_error("smarthost \"a.example\" {\n  tls_min_version = TLSv1.1\n"
	    "}\n", 2, "is not TLSv1.2 or TLSv1.3");
	expect_error("smarthost \"a.example\" {\n  tls = encrypt\n"
	    "  tls_ca_file = \"/etc/ssl/ca.pem\"\n}\n", 3,
	    "tls_ca_file is only used with tls = verify");
	expect_error("smarthost \"a.example\" {\n"
	    "  tls_fingerprint = \"sha256:abcd\"\n}\n", 2,
	    "is not sha256: followed by 64 hex digits");
	expect_error("smarthost \"a.example\" {\n  port = \"25/plain\"\n"
	    "  allow_port_25 = true\n  tls = none\n"
	    "  tls_pubkey_pin = \"sha256:" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\"\n}\n", 5,
	    "pinning needs TLS");
}
END_TEST

START_TEST(fingerprints_normalized)
{
	struct conf *c = load_ok("smarthost \"a.example\" {\n"
	    "  tls = encrypt\n"
	    "  tls_fingerprint = {\"SHA256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:"
	    "23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\"}\n"
	    "  tls_pubkey_pin = \"sha256:00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEEFF\"\n"
	    "}\n");
	const struct conf_smarthost *sh = &c->smarthosts[0];

	ck_assert_uint_eq(sh->tls.ncert_pins, 1);
	ck_assert_str_eq(sh->tls.cert_pins[0], "sha256:"
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	ck_assert_uint_eq(sh->tls.nspki_pins, 1);
	ck_assert_str_eq(sh->tls.spki_pins[0], "sha256:"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	conf_free(c);
	expect_error("smarthost \"a.example\" {\n  tls_fingerprint = "
	    "\"sha256:A:BCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789\"\n}\n", 2, "tls_fingerprint");
}
END_TEST

START_TEST(password_option_refused)
{
	expect_error("password = \"hunter2\"\n" SMARTHOST, 1,
	    "secrets do not belong in postern.conf");
	expect_error("smarthost \"a.example\" {\n  username = u\n"
	    "  password = \"hunter2\"\n}\n", 3,
	    "secrets do not belong in postern.conf");
	expect_error("queue {\n  password = x\n}\n" SMARTHOST, 2,
	    "password_file");
}
END_TEST

START_TEST(client_cert_and_key)
{
	struct conf *c;

	expect_error("smarthost \"a.example\" {\n  port = 465\n\n"
	    "  tls_client_cert = \"/etc/postern/client.pem\"\n}\n", 4,
	    "tls_client_cert and tls_client_key must be given together");
	expect_error("smarthost \"a.example\" {\n"
	    "  tls_client_key = \"/etc/postern/client.key\"\n}\n", 2,
	    "must be given together");
	c = load_ok("smarthost \"a.example\" {\n"
	    "  tls_client_cert = \"/etc/postern/client.pem\"\n"
	    "  tls_client_key = \"/etc/postern/client.key\"\n}\n");
	ck_assert_str_eq(c->smarthosts[0].tls.client_key,
	    "/etc/postern/client.key");
	conf_free(c);
}
END_TEST

START_TEST(auth_rules)
{
	struct conf *c;

	expect_error("smarthost \"a.example\" {\n  port = 587\n"
	    "  username = alice\n}\n", 3,
	    "username needs password_file or password_command");
	expect_error("smarthost \"a.example\" {\n  username = alice\n"
	    "  password_file = \"/etc/postern/password\"\n"
	    "  password_command = \"pass show smtp\"\n}\n", 4, "not both");
	expect_error("smarthost \"a.example\" {\n"
	    "  password_file = \"/etc/postern/password\"\n}\n", 2,
	    "password_file needs username");
	expect_error("smarthost \"a.example\" {\n  username = alice\n"
	    "  auth_mechanisms = XOAUTH2\n}\n", 3,
	    "XOAUTH2 and OAUTHBEARER need oauth_token_command");
	expect_error("smarthost \"a.example\" {\n  username = alice\n"
	    "  password_file = \"/p\"\n  auth_mechanisms = {plain, Plain}\n}\n",
	    4, "PLAIN is listed twice");
	expect_error("smarthost \"a.example\" {\n  username = alice\n"
	    "  password_file = \"/p\"\n  auth_mechanisms = {GSSAPI}\n}\n",
	    4, "\"GSSAPI\" is not one of");
	expect_error("smarthost \"mail.example\" {\n  username = alice\n"
	    "  password_file = \"/p\"\n  auth_allow_plaintext = true\n}\n",
	    4, "loopback");

	c = load_ok("smarthost \"smtp.gmail.com\" {\n  username = alice\n"
	    "  auth_mechanisms = {xoauth2, oauthbearer}\n"
	    "  oauth_token_command = \"/usr/local/bin/token alice\"\n}\n"
	    "smarthost \"127.0.0.1\" {\n  port = \"2500/plain\"\n  tls = none\n"
	    "  username = bob\n  password_command = \"/bin/echo x\"\n"
	    "  auth_mechanisms = cram-md5\n  auth_allow_plaintext = true\n}\n");
	ck_assert_uint_eq(c->smarthosts[0].nauth_mechanisms, 2);
	ck_assert_str_eq(c->smarthosts[0].auth_mechanisms[0], "XOAUTH2");
	ck_assert_str_eq(c->smarthosts[0].auth_mechanisms[1], "OAUTHBEARER");
	ck_assert_ptr_null(c->smarthosts[0].password_file);
	ck_assert_str_eq(c->smarthosts[1].auth_mechanisms[0], "CRAM-MD5");
	ck_assert(c->smarthosts[1].auth_allow_plaintext);
	conf_free(c);
}
END_TEST

START_TEST(structure_errors)
{
	expect_error("hostname = h.example\nhostname = g.example\n" SMARTHOST, 2,
	    "hostname is set twice (first on line 1)");
	expect_error(SMARTHOST "\nsmarthost \"smtp.example.com\" {\n}\n", 6,
	    "duplicate title 'smtp.example.com'");
	expect_error(SMARTHOST "smarthost \"SMTP.example.com\" {\n"
	    "  port = 587\n}\n", 5, "defined twice");
	expect_error(SMARTHOST "smarthost \"SMTP.example.com\" {}\n", 5,
	    "defined twice");
	expect_error("hostname = h.example\n", 0, "no smarthost is configured");
	expect_error("smarthost \"bad host\" {\n  port = 587\n}\n", 1,
	    "not a host name or IP address");
	expect_error("alias \"root\" { }\n" SMARTHOST, 1, "needs to =");
	expect_error("alias \"root\" {\n  to = \"|/usr/bin/procmail\"\n}\n"
	    SMARTHOST, 2, "delivers nothing locally");
	expect_error("sender {\n  masquerade_exceptions = {\"root@x\"}\n}\n"
	    SMARTHOST, 2, "not a local user name");
	expect_error(SMARTHOST "\n}\n", 6, "unexpected closing brace");
	expect_error("queue {\n  lifetime =\n}\n" SMARTHOST, 3,
	    "unexpected token");
}
END_TEST

START_TEST(every_bad_value_reported)
{
	struct loaded r = load_text("queue {\n  lifetime = forever\n"
	    "  min_backoff = soon\n}\n" SMARTHOST);

	ck_assert_int_eq(r.status, CONF_INVALID);
	ck_assert_ptr_nonnull(strstr(r.err, "postern.conf:2: lifetime"));
	ck_assert_ptr_nonnull(strstr(r.err, "postern.conf:3: min_backoff"));
	loaded_free(&r);
}
END_TEST

START_TEST(missing_file)
{
	struct loaded r = load_path("/nonexistent/dir/postern.conf");

	ck_assert_int_eq(r.status, CONF_UNREADABLE);
	ck_assert_ptr_null(r.conf);
	ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/dir/postern.conf"));
	ck_assert_ptr_nonnull(strstr(r.err, strerror(ENOENT)));
	loaded_free(&r);
	r = load_path(tmpdir());
	ck_assert_int_eq(r.status, CONF_UNREADABLE);
	ck_assert_ptr_nonnull(strstr(r.err, "directory"));
	loaded_free(&r);
}
END_TEST

START_TEST(aliases_and_order)
{
	struct conf *c = load_ok(
	    "smarthost \"first.example\" { port = 465 }\n"
	    "alias \"root\" { to = {\"admin@example.com\", \"bob\"} }\n"
	    "smarthost \"second.example\" { port = 587 }\n"
	    "alias \"postmaster\" { to = root }\n"
	    "smarthost \"10.1.2.3\" { port = 2525 }\n"
	    "smarthost \"fd00::25\" { port = 2526 }\n"
	    "sender {\n  masquerade_domain = example.com\n"
	    "  masquerade_exceptions = {root, daemon}\n"
	    "  envelope_sender = \"bounces@example.com\"\n"
	    "  rewrite_header_from = true\n}\n");

	ck_assert_uint_eq(c->nsmarthosts, 4);
	ck_assert_str_eq(c->smarthosts[0].host, "first.example");
	ck_assert_str_eq(c->smarthosts[1].host, "second.example");
	ck_assert_str_eq(c->smarthosts[2].host, "10.1.2.3");
	ck_assert_str_eq(c->smarthosts[3].host, "fd00::25");
	ck_assert_uint_eq(c->naliases, 2);
	ck_assert_str_eq(c->aliases[0].name, "root");
	ck_assert_uint_eq(c->aliases[0].ntargets, 2);
	ck_assert_str_eq(c->aliases[0].targets[0], "admin@example.com");
	ck_assert_str_eq(c->aliases[0].targets[1], "bob");
	ck_assert_str_eq(c->aliases[1].name, "postmaster");
	ck_assert_uint_eq(c->aliases[1].ntargets, 1);
	ck_assert_str_eq(c->aliases[1].targets[0], "root");
	ck_assert_str_eq(c->sender.masquerade_domain, "example.com");
	ck_assert_uint_eq(c->sender.nmasquerade_exceptions, 2);
	ck_assert_str_eq(c->sender.masquerade_exceptions[1], "daemon");
	ck_assert_str_eq(c->sender.envelope_sender, "bounces@example.com");
	ck_assert(c->sender.rewrite_header_from);
	conf_free(c);
}
END_TEST

/* print_to_string - conf_print into a heap string */
static char *
print_to_string(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(fp);
	conf_print(c, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

static void
assert_same_smarthost(const struct conf_smarthost *a,
    const struct conf_smarthost *b)
{
	ck_assert_str_eq(a->host, b->host);
	ck_assert_int_eq(a->port_auto, b->port_auto);
	ck_assert_uint_eq(a->nports, b->nports);
	for (size_t i = 0; i < a->nports; i++) {
		ck_assert_uint_eq(a->ports[i].port, b->ports[i].port);
		ck_assert_int_eq(a->ports[i].security, b->ports[i].security);
	}
	ck_assert_int_eq(a->allow_port_25, b->allow_port_25);
	ck_assert_int_eq(a->tls.level, b->tls.level);
	ck_assert_str_eq(a->tls.min_version, b->tls.min_version);
	ck_assert_uint_eq(a->tls.ncert_pins, b->tls.ncert_pins);
	ck_assert_uint_eq(a->nauth_mechanisms, b->nauth_mechanisms);
	ck_assert_pstr_eq(a->username, b->username);
	ck_assert_pstr_eq(a->password_file, b->password_file);
	ck_assert_pstr_eq(a->tls.client_key, b->tls.client_key);
	ck_assert_uint_eq(a->timeouts.connect, b->timeouts.connect);
	ck_assert_uint_eq(a->timeouts.data_done, b->timeouts.data_done);
	ck_assert_uint_eq(a->port_stagger_ms, b->port_stagger_ms);
	ck_assert_uint_eq(a->port_cache_ttl_ms, b->port_cache_ttl_ms);
}

START_TEST(print_masks_and_round_trips)
{
	struct conf *c = load_ok(
	    "hostname = \"relay.example.org\"\n"
	    "smarthost \"smtp.example.com\" {\n"
	    "  port = {465, \"2587/starttls\"}\n"
	    "  username = 'a$b\"c'\n"
	    "  password_command = \"/usr/bin/pass show mail/secret-token\"\n"
	    "  tls_min_version = tlsv1.3\n"
	    "  connect_timeout = 1500ms\n"
	    "  port_stagger = 0\n"
	    "  tls_client_cert = \"/etc/postern/c.pem\"\n"
	    "  tls_client_key = \"/etc/postern/c.key\"\n"
	    "}\n"
	    "smarthost \"smtp.gmail.com\" {\n  username = alice\n"
	    "  auth_mechanisms = XOAUTH2\n"
	    "  oauth_token_command = \"  oauth-helper --refresh ya29.SECRET\"\n"
	    "}\n"
	    "alias \"root\" { to = {\"admin@example.com\"} }\n"
	    "queue {\n  lifetime = 1d12h\n  concurrency = 7\n"
	    "  max_message_size = 10240\n  delay_warning = 4h\n}\n"
	    "log {\n  target = stderr\n  debug = on\n}\n");
	char *text = print_to_string(c), *path;
	struct loaded r;

	ck_assert_ptr_null(strstr(text, "secret-token"));
	ck_assert_ptr_null(strstr(text, "SECRET"));
	ck_assert_ptr_nonnull(strstr(text,
	    "password_command = \"/usr/bin/pass ********\""));
	ck_assert_ptr_nonnull(strstr(text,
	    "oauth_token_command = \"oauth-helper ********\""));
	ck_assert_ptr_nonnull(strstr(text, "username = \"a\\$b\\\"c\""));
	ck_assert_ptr_nonnull(strstr(text,
	    "port = {\"465/tls\", \"2587/starttls\"}"));
	ck_assert_ptr_nonnull(strstr(text, "connect_timeout = \"1500ms\""));
	ck_assert_ptr_nonnull(strstr(text, "lifetime = \"1d12h\""));
	ck_assert_ptr_nonnull(strstr(text, "max_message_size = \"10k\""));
	ck_assert_ptr_nonnull(strstr(text, "# tls_ca_file: not set"));

	path = temp_path("-postern.conf");
	write_file(path, text);
	r = load_path(path);
	ck_assert_msg(r.status == 0, "reload failed: %s\n%s", r.err, text);
	ck_assert_str_eq(r.conf->hostname, c->hostname);
	ck_assert_str_eq(r.conf->domain, c->domain);
	ck_assert_pstr_eq(r.conf->aliases_file, c->aliases_file);
	ck_assert_uint_eq(r.conf->nsmarthosts, c->nsmarthosts);
	for (size_t i = 0; i < c->nsmarthosts; i++)
		assert_same_smarthost(&r.conf->smarthosts[i], &c->smarthosts[i]);
	ck_assert_str_eq(r.conf->smarthosts[0].password_command,
	    "/usr/bin/pass ********");
	ck_assert_uint_eq(r.conf->naliases, 1);
	ck_assert_str_eq(r.conf->aliases[0].targets[0], "admin@example.com");
	ck_assert_uint_eq(r.conf->queue.lifetime_ms, c->queue.lifetime_ms);
	ck_assert_uint_eq(r.conf->queue.delay_warning_ms,
	    c->queue.delay_warning_ms);
	ck_assert_uint_eq(r.conf->queue.concurrency, 7);
	ck_assert_uint_eq(r.conf->queue.max_message_size, 10240);
	ck_assert_int_eq(r.conf->log.target, CONF_LOG_STDERR);
	ck_assert(r.conf->log.debug);
	unlink(path);
	free(path);
	loaded_free(&r);
	free(text);
	conf_free(c);
}
END_TEST

/* check_files - conf_check_files into a string; returns the error count */
static int
check_files(const struct conf *c, const struct conf_files_user *u, char **text)
{
	size_t len = 0;
	FILE *fp = open_memstream(text, &len);
	int n;

	ck_assert_ptr_nonnull(fp);
	n = conf_check_files(c, u, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return n;
}

/* a worker user that owns nothing and is in no group of the files */
static const struct conf_files_user stranger = {
	.uid = 54321, .gid = 54321, .groups = { 54321 }, .ngroups = 1,
	.name = "stranger",
};

START_TEST(secret_file_modes)
{
	char *pw = temp_path(".password"), *prog = temp_path(".sh");
	char conftext[8192], want[8192], *out;
	struct conf *c;

	ck_assert(snprintf(conftext, sizeof(conftext),
	    "smarthost \"a.example\" {\n  username = u\n"
	    "  password_file = \"%s\"\n}\n"
	    "smarthost \"b.example\" {\n  username = u\n"
	    "  password_command = \"%s --token abc\"\n}\n", pw, prog) <
	    (int)sizeof(conftext));
	c = load_ok(conftext);

	ck_assert_int_eq(chmod(pw, 0644), 0);
	ck_assert_int_eq(chmod(prog, 0755), 0);
	ck_assert_int_eq(check_files(c, NULL, &out), 0);
	snprintf(want, sizeof(want), "warning: %s is readable by other users "
	    "(mode 0644); fix: chmod 0640 %s\n", pw, pw);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);

	ck_assert_int_eq(chmod(pw, 0640), 0);
	ck_assert_int_eq(check_files(c, NULL, &out), 0);
	ck_assert_ptr_null(strstr(out, "readable by other"));
	free(out);

	/* the worker's user is neither owner nor group: it cannot read it */
	ck_assert_int_eq(check_files(c, &stranger, &out), 1);
	snprintf(want, sizeof(want), "error: password_file %s cannot be read "
	    "by stranger, the user posternd runs as: %s is ", pw, pw);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof(want), "fix: chgrp 54321 %s && chmod 0640 %s\n",
	    pw, pw);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);
	/* readable by all: the worker reads it, the advice gives it the group */
	ck_assert_int_eq(chmod(pw, 0644), 0);
	ck_assert_int_eq(check_files(c, &stranger, &out), 0);
	snprintf(want, sizeof(want), "fix: chgrp 54321 %s && chmod 0640 %s\n",
	    pw, pw);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);

	ck_assert_int_eq(chmod(prog, 0777), 0);
	ck_assert_int_eq(check_files(c, NULL, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "writable by other users"));
	ck_assert_ptr_null(strstr(out, "abc"));
	free(out);

	unlink(pw);
	ck_assert_int_eq(chmod(prog, 0755), 0);
	ck_assert_int_eq(check_files(c, NULL, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "does not exist"));
	free(out);

	unlink(prog);
	free(pw);
	free(prog);
	conf_free(c);
}
END_TEST

START_TEST(files_hidden_by_the_unit)
{
	struct conf *c = load_ok("smarthost \"a.example\" {\n"
	    "  tls_ca_file = \"/tmp/ca.pem\"\n"
	    "  tls_client_cert = \"/home/alice/cert.pem\"\n"
	    "  tls_client_key = \"/root/key.pem\"\n}\n");
	char *out;

	check_files(c, NULL, &out);
	ck_assert_msg(strstr(out, "tls_ca_file /tmp/ca.pem is under /tmp/, which "
	    "postern.service hides from the worker (PrivateTmp=yes)") != NULL,
	    "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "/home/alice/cert.pem is under /home/"));
	ck_assert_ptr_nonnull(strstr(out, "/root/key.pem is under /root/, which "
	    "postern.service hides from the worker (ProtectHome=yes)"));
	free(out);
	conf_free(c);
}
END_TEST

/* conf_text_blank_comments: comments become spaces, strings and newlines stay */
static void
blank_case(const char *in, const char *want)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	conf_text_blank_comments(buf, strlen(buf));
	ck_assert_str_eq(buf, want);
}

START_TEST(comments_blanked)
{
	blank_case("a = 1 # c\nb", "a = 1    \nb");
	blank_case("a // c\n", "a     \n");
	blank_case("/* x\ny */z", "    \n    z");
	blank_case("s = \"a#b//c\" #x", "s = \"a#b//c\"   ");
	blank_case("s = 'q\\'#' #", "s = 'q\\'#'  ");
	blank_case("s = \"q\\\"#\" //", "s = \"q\\\"#\"   ");
	blank_case("p = a/b # c", "p = a/b    ");
	blank_case("/* open", "       ");
	blank_case("#", " ");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	log_init("test_conf", LOG_TO_STDERR);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, shipped_config_loads);
	tcase_add_test(tc, fixture_full_loads);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, identity);
	tcase_add_test(tc, port_list_and_inference);
	tcase_add_test(tc, port_single_value);
	tcase_add_test(tc, port_errors);
	tcase_add_test(tc, unknown_option);
	tcase_add_test(tc, bad_types_and_values);
	tcase_add_test(tc, bad_duration);
	tcase_add_test(tc, bad_tls);
	tcase_add_test(tc, fingerprints_normalized);
	tcase_add_test(tc, password_option_refused);
	tcase_add_test(tc, client_cert_and_key);
	tcase_add_test(tc, auth_rules);
	tcase_add_test(tc, structure_errors);
	tcase_add_test(tc, every_bad_value_reported);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, aliases_and_order);
	tcase_add_test(tc, print_masks_and_round_trips);
	tcase_add_test(tc, secret_file_modes);
	tcase_add_test(tc, files_hidden_by_the_unit);
	tcase_add_test(tc, comments_blanked);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
