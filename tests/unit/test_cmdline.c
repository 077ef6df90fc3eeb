/*
 * test_cmdline.c - the sendmail command line, as real callers spell it.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cmdline.h"
#include "unit_main.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })

static struct cmdline cl;
static struct strbuf err;

/* parse - copy argv to static storage: cl points into it after the call */
static int
parse(char **argv)
{
	static char *store[64];
	int n = 0;

	for (; argv[n] && n < 63; n++)
		store[n] = argv[n];
	store[n] = NULL;
	strbuf_free(&err);
	return cmdline_parse(n, store, &cl, &err);
}

#define PARSE(...) parse(ARGV(__VA_ARGS__))

START_TEST(debian_cron)
{
	ck_assert_int_eq(PARSE("sendmail", "-FCronDaemon", "-i", "-B8BITMIME",
	    "-oem", "a@x,b@y"), 0);
	ck_assert_str_eq(cl.full_name, "CronDaemon");
	ck_assert(cl.ignore_dots);
	ck_assert_int_eq(cl.body, CMDLINE_BODY_8BITMIME);
	ck_assert_int_eq(cl.error_mode, 'm');
	ck_assert_uint_eq(cl.nrecipients, 1);
	ck_assert_str_eq(cl.recipients[0], "a@x,b@y");
	ck_assert(!cl.extract_recipients);
	ck_assert_int_eq(cl.mode, CMDLINE_DELIVER);
}
END_TEST

START_TEST(phpmailer_repeats)
{
	ck_assert_int_eq(PARSE("sendmail", "-t", "-i", "-oi", "-fapp@example.com",
	    "-t"), 0);
	ck_assert(cl.extract_recipients);
	ck_assert(cl.ignore_dots);
	ck_assert_str_eq(cl.sender, "app@example.com");
	ck_assert_uint_eq(cl.nrecipients, 0);
}
END_TEST

START_TEST(clustered_and_apart)
{
	ck_assert_int_eq(PARSE("sendmail", "-ti", "-f", "a@x", "-r", "b@y",
	    "-B", "7BIT", "--", "-odd@x"), 0);
	ck_assert(cl.extract_recipients && cl.ignore_dots);
	ck_assert_str_eq(cl.sender, "b@y");	/* the last one wins */
	ck_assert_int_eq(cl.body, CMDLINE_BODY_7BIT);
	ck_assert_uint_eq(cl.nrecipients, 1);
	ck_assert_str_eq(cl.recipients[0], "-odd@x");
	ck_assert_int_eq(PARSE("sendmail", "-tf<>"), 0);
	ck_assert_str_eq(cl.sender, "<>");
	ck_assert_int_eq(PARSE("sendmail", "-f", ""), 0);
	ck_assert_str_eq(cl.sender, "");
}
END_TEST

START_TEST(scanning_stops_at_recipient)
{
	ck_assert_int_eq(PARSE("sendmail", "-i", "list@x", "-oi", "cc@x"), 0);
	ck_assert_uint_eq(cl.nrecipients, 3);
	ck_assert_str_eq(cl.recipients[1], "-oi");
}
END_TEST

START_TEST(mutt_dsn)
{
	ck_assert_int_eq(PARSE("sendmail", "-oem", "-oi", "-N", "failure,delay",
	    "-R", "hdrs", "-V", "env-1", "-B8BITMIME", "--", "a@x"), 0);
	ck_assert_uint_eq(cl.dsn_notify, DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY);
	ck_assert_int_eq(cl.dsn_ret, DSN_RET_HDRS);
	ck_assert_str_eq(cl.dsn_envid, "env-1");
	ck_assert_int_eq(PARSE("sendmail", "-N", "never"), 0);
	ck_assert_uint_eq(cl.dsn_notify, DSN_NOTIFY_NEVER);
	ck_assert_int_eq(PARSE("sendmail", "-N", "NEVER", "-R", "FULL"), 0);
	ck_assert_uint_eq(cl.dsn_notify, DSN_NOTIFY_NEVER);
	ck_assert_int_eq(cl.dsn_ret, DSN_RET_FULL);
	/* Bad DSN values are ignored with a warning, as Postfix does. */
	ck_assert_int_eq(PARSE("sendmail", "-N", "sometimes", "-R", "all", "a@x"), 0);
	ck_assert_uint_eq(cl.dsn_notify, 0);
	ck_assert_int_eq(cl.dsn_ret, DSN_RET_UNSET);
	ck_assert_ptr_nonnull(strstr(cl.warnings, "-N"));
	ck_assert_int_eq(PARSE("sendmail", "-N", "success,", "a@x"), 0);
	ck_assert_uint_eq(cl.dsn_notify, 0);
	ck_assert_int_eq(PARSE("sendmail", "-N", "never,success", "a@x"), 0);
	ck_assert_uint_eq(cl.dsn_notify, 0);
	ck_assert_int_eq(PARSE("sendmail", "-N", "delay,delay", "a@x"), 0);
	ck_assert_uint_eq(cl.dsn_notify, 0);
}
END_TEST

START_TEST(modes)
{
	ck_assert_int_eq(PARSE("sendmail", "-bs"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_SMTP);
	ck_assert_int_eq(PARSE("sendmail", "-bp"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_LIST_QUEUE);
	ck_assert_int_eq(PARSE("/usr/bin/mailq"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_LIST_QUEUE);
	ck_assert_int_eq(PARSE("newaliases"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_ALIASES);
	ck_assert_int_eq(PARSE("newaliases", "-bp"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_LIST_QUEUE);
	ck_assert_int_eq(PARSE("sendmail", "-bi"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_ALIASES);
	ck_assert_int_eq(PARSE("sendmail", "-I"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_ALIASES);
	ck_assert_int_eq(PARSE("sendmail", "-q"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_RUN_QUEUE);
	ck_assert_ptr_null(cl.queue_selector);
	ck_assert_int_eq(PARSE("sendmail", "-qIABC"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_RUN_QUEUE);
	ck_assert_str_eq(cl.queue_selector, "IABC");
	ck_assert_int_eq(PARSE("sendmail", "-q30m"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_NOTHING);
	ck_assert_int_eq(PARSE("sendmail", "-bh"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_NOTHING);
	ck_assert_int_eq(PARSE("sendmail", "-bm", "a@x"), 0);
	ck_assert_int_eq(cl.mode, CMDLINE_DELIVER);
}
END_TEST

START_TEST(delivery_and_ignored)
{
	ck_assert_int_eq(PARSE("sendmail", "-FAnacron", "-odi", "root"), 0);
	ck_assert_int_eq(cl.delivery, CMDLINE_DELIVERY_WAIT);
	ck_assert_int_eq(PARSE("sendmail", "-odq"), 0);
	ck_assert_int_eq(cl.delivery, CMDLINE_DELIVERY_QUEUE);
	ck_assert_int_eq(PARSE("sendmail", "-odb"), 0);
	ck_assert_int_eq(cl.delivery, CMDLINE_DELIVERY_QUEUE);
	ck_assert_int_eq(PARSE("sendmail", "-h", "17", "-U", "-Am", "-Ac", "-G",
	    "-n", "-m", "-L", "tag", "-X", "/tmp/log", "-O", "a=b", "-o7", "-om",
	    "-oAfile", "-v", "-v", "-x", "-c", "-e", "p", "-p", "smtp", "a@x"), 0);
	ck_assert_int_eq(cl.verbose, 2);
	ck_assert_int_eq(cl.error_mode, 'p');
	ck_assert_str_eq(cl.alias_file, "file");
	ck_assert_uint_eq(cl.nrecipients, 1);
	ck_assert_int_eq(PARSE("sendmail", "-C", "/tmp/x.conf", "a@x"), 0);
	ck_assert_str_eq(cl.config_file, "/tmp/x.conf");
}
END_TEST

START_TEST(usage_errors)
{
	ck_assert_int_eq(PARSE("sendmail", "-Z"), EX_USAGE);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "-Z"));
	ck_assert_int_eq(PARSE("sendmail", "-tZ"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-f"), EX_USAGE);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "needs a value"));
	ck_assert_int_eq(PARSE("sendmail", "-B8bitmime"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-bd"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-bv", "a@x"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-bt"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-qSfoo"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-d0.1"), EX_USAGE);
	ck_assert_int_eq(PARSE("sendmail", "-M"), EX_USAGE);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, debian_cron);
	tcase_add_test(tc, phpmailer_repeats);
	tcase_add_test(tc, clustered_and_apart);
	tcase_add_test(tc, scanning_stops_at_recipient);
	tcase_add_test(tc, mutt_dsn);
	tcase_add_test(tc, modes);
	tcase_add_test(tc, delivery_and_ignored);
	tcase_add_test(tc, usage_errors);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
