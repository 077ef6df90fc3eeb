/*
 * test_dsn.c - status codes from replies and the structure of the
 * delivery status notifications.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "unit_main.h"

START_TEST(status_codes)
{
	char buf[16];

	dsn_status("550 5.1.1 No such user", '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.1.1");
	dsn_status("451-4.7.1 greylisted", '4', buf, sizeof(buf));
	ck_assert_str_eq(buf, "4.7.1");
	dsn_status("250 2.0.0 Ok", '2', buf, sizeof(buf));
	ck_assert_str_eq(buf, "2.0.0");
	dsn_status("550 No enhanced code", '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.0.0");
	dsn_status("550 4.1.1 classes disagree", '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.0.0");
	dsn_status("connect to host: Connection refused", '4', buf, sizeof(buf));
	ck_assert_str_eq(buf, "4.0.0");
	dsn_status(NULL, '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.0.0");
	dsn_status("550 5.1.1000 too long", '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.0.0");
	/* postern's own refusals carry their code first */
	dsn_status("5.3.4 message size 9 exceeds the server's limit", '5', buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "5.3.4");
	dsn_status("5.6.7 an envelope address is not ASCII", '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.6.7");
	dsn_status("4.3.4 class disagrees", '5', buf, sizeof(buf));
	ck_assert_str_eq(buf, "5.0.0");
}
END_TEST

static const char original[] =
    "From: alice@example.com\nSubject: report\nMessage-ID: <m1@example.com>\n"
    "\nsecret body text\n";

static void
build(enum dsn_type type, bool full, struct strbuf *out)
{
	struct dsn_rcpt r[2] = {
		{ "bob@example.org", "rfc822;Bob@example.org",
		  "550 5.1.1 No such user", "smtp.example.net" },
		{ "carol@example.org", NULL, "delivery time expired", NULL },
	};
	struct dsn_report rep = {
		.type = type, .qid = "0123456789ABCDEF0", .hostname = "host.example.com",
		.to = "alice@example.com", .original_sender = "alice@example.com",
		.envid = "E1", .arrival = 1700000000, .retry_until = 1700432000,
		.message = original, .message_len = sizeof(original) - 1,
		.return_full = full,
	};

	dsn_build(&rep, r, 2, out);
}

START_TEST(failure_report)
{
	struct strbuf out = STRBUF_INIT;
	const char *b;
	char boundary[128];

	build(DSN_FAILED, false, &out);
	ck_assert(strncmp(out.data, "From: Mail Delivery System <MAILER-DAEMON@host.example.com>\n",
	    strlen("From: Mail Delivery System <MAILER-DAEMON@host.example.com>\n")) == 0);
	ck_assert_ptr_nonnull(strstr(out.data, "\nTo: <alice@example.com>\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nAuto-Submitted: auto-replied\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nSubject: Undelivered Mail Returned to Sender\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "report-type=delivery-status"));
	b = strstr(out.data, "boundary=\"");
	ck_assert_ptr_nonnull(b);
	b += 10;
	ck_assert(strchr(b, '"') - b < (long)sizeof(boundary) - 3);
	boundary[0] = boundary[1] = '-';
	memcpy(boundary + 2, b, (size_t)(strchr(b, '"') - b));
	boundary[2 + (strchr(b, '"') - b)] = '\0';
	/* three parts and the closing delimiter */
	{
		int parts = 0;

		for (const char *p = out.data; (p = strstr(p, boundary)); p++)
			parts++;
		ck_assert_int_eq(parts, 4);
	}
	ck_assert_ptr_nonnull(strstr(out.data, "\nReporting-MTA: dns; host.example.com\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nOriginal-Envelope-Id: E1\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nFinal-Recipient: rfc822; bob@example.org\n"
	    "Original-Recipient: rfc822;Bob@example.org\nAction: failed\nStatus: 5.1.1\n"
	    "Remote-MTA: dns; smtp.example.net\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 No such user\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nFinal-Recipient: rfc822; carol@example.org\n"
	    "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: x-postern; delivery time expired\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "Content-Type: text/rfc822-headers\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "Message-ID: <m1@example.com>\n"));
	ck_assert_ptr_null(strstr(out.data, "secret body text"));
	strbuf_free(&out);
}
END_TEST

START_TEST(full_return_and_delay)
{
	struct strbuf out = STRBUF_INIT;

	build(DSN_FAILED, true, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "Content-Type: message/rfc822\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "secret body text"));
	strbuf_reset(&out);
	build(DSN_DELAYED, true, &out);		/* RET=FULL only for failures */
	ck_assert_ptr_nonnull(strstr(out.data, "\nSubject: Delayed Mail (still being retried)\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nAction: delayed\nStatus: 4.0.0\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nWill-Retry-Until: "));
	ck_assert_ptr_null(strstr(out.data, "secret body text"));
	strbuf_reset(&out);
	build(DSN_POSTMASTER, false, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "\nSubject: Postmaster Copy: Undelivered Mail\n"));
	strbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, status_codes);
	tcase_add_test(tc, failure_report);
	tcase_add_test(tc, full_return_and_delay);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
