/*
 * test_smtp_reply.c - SMTP reply parser and EHLO capability parser.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"
#include "strbuf.h"
#include "unit_main.h"

/* feed - push NUL-separated lines; returns the status of the last one */
static enum smtp_reply_status
feed(struct smtp_reply *r, const struct smtp_reply_limits *lim,
    const char *const *lines)
{
	enum smtp_reply_status st = SMTP_REPLY_MORE;

	for (; *lines; lines++) {
		st = smtp_reply_feed(r, lim, *lines, strlen(*lines));
		if (st != SMTP_REPLY_MORE)
			break;
	}
	return st;
}

static void
assert_format(const struct smtp_reply *r, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	smtp_reply_format(r, &sb);
	ck_assert_str_eq(strbuf_cstr(&sb), want);
	strbuf_free(&sb);
}

START_TEST(single_line)
{
	static const char *const l[] = { "250 2.1.0 Ok", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, l), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 250);
	ck_assert_str_eq(r.enh, "2.1.0");
	ck_assert_uint_eq(r.nlines, 1);
	ck_assert(r.complete);
	assert_format(&r, "250 2.1.0 Ok");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(multi_line)
{
	static const char *const l[] = { "550-5.7.1 rejected", "550-5.7.1 see",
	    "550 5.7.1 https://x.example/", NULL };
	struct smtp_reply r;
	size_t len;
	const char *s;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, l), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 550);
	ck_assert_uint_eq(r.nlines, 3);
	s = smtp_reply_line(&r, 1, &len);
	ck_assert_int_eq(len, 9);
	ck_assert_int_eq(memcmp(s, "5.7.1 see", 9), 0);
	ck_assert_ptr_null(smtp_reply_line(&r, 3, &len));
	assert_format(&r, "550 5.7.1 rejected; see; https://x.example/");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(bare_code_and_no_enhanced)
{
	static const char *const l1[] = { "354", NULL };
	static const char *const l2[] = { "220 mx.example ESMTP ready", NULL };
	static const char *const l3[] = { "250 2.0", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, l1), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 354);
	ck_assert_str_eq(r.enh, "");
	assert_format(&r, "354 ");
	ck_assert_int_eq(feed(&r, NULL, l2), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 220);
	ck_assert_str_eq(r.enh, "");
	ck_assert_int_eq(feed(&r, NULL, l3), SMTP_REPLY_DONE);
	ck_assert_str_eq(r.enh, "");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(enhanced_class_must_match)
{
	static const char *const l[] = { "450 5.1.1 odd", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, l), SMTP_REPLY_DONE);
	ck_assert_str_eq(r.enh, "");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(syntax_errors)
{
	static const char *const bad[] = { "", "25", "2500 x", "abc ok",
	    "650 nope", "150 nope", "25x ok", "250x", "299" "\t", NULL };
	struct smtp_reply r;
	size_t i;

	smtp_reply_init(&r);
	for (i = 0; bad[i]; i++) {
		smtp_reply_reset(&r);
		ck_assert_msg(smtp_reply_feed(&r, NULL, bad[i], strlen(bad[i])) ==
		    SMTP_REPLY_ESYNTAX, "accepted \"%s\"", bad[i]);
	}
	smtp_reply_free(&r);
}
END_TEST

START_TEST(code_mismatch)
{
	static const char *const l[] = { "250-first", "251 second", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, l), SMTP_REPLY_EMISMATCH);
	ck_assert(!r.complete);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(limits)
{
	struct smtp_reply_limits lim = { 12, 20, 3 };
	static const char *const longline[] = { "250 0123456789", NULL };
	static const char *const many[] = { "250-a", "250-b", "250-c", "250 d",
	    NULL };
	static const char *const text[] = { "250-1234567", "250-1234567",
	    "250 1234567", NULL };
	static const char *const ok[] = { "250-12345", "250 12345", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, &lim, longline), SMTP_REPLY_ETOOLONG);
	smtp_reply_reset(&r);
	ck_assert_int_eq(feed(&r, &lim, many), SMTP_REPLY_ETOOLONG);
	smtp_reply_reset(&r);
	ck_assert_int_eq(feed(&r, &lim, text), SMTP_REPLY_ETOOLONG);
	smtp_reply_reset(&r);
	ck_assert_int_eq(feed(&r, &lim, ok), SMTP_REPLY_DONE);
	smtp_reply_free(&r);
}
END_TEST

START_TEST(format_cleans_controls)
{
	static const char *const l[] = { "421 bye\001\177now", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, l), SMTP_REPLY_DONE);
	assert_format(&r, "421 bye??now");
	smtp_reply_free(&r);
}
END_TEST

START_TEST(reuse_after_complete)
{
	static const char *const a[] = { "250-x", "250 y", NULL };
	static const char *const b[] = { "354 go", NULL };
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, a), SMTP_REPLY_DONE);
	ck_assert_int_eq(feed(&r, NULL, b), SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 354);
	ck_assert_uint_eq(r.nlines, 1);
	smtp_reply_free(&r);
}
END_TEST

static void
caps_of(const char *const *lines, struct smtp_caps *caps)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	ck_assert_int_eq(feed(&r, NULL, lines), SMTP_REPLY_DONE);
	smtp_reply_caps(&r, caps);
	smtp_reply_free(&r);
}

START_TEST(ehlo_caps)
{
	static const char *const l[] = { "250-mx.example hello",
	    "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME",
	    "250-smtputf8", "250-DSN", "250-STARTTLS",
	    "250-AUTH PLAIN login CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256",
	    "250-ENHANCEDSTATUSCODES", "250-X-UNKNOWN foo", "250 CHUNKING", NULL };
	struct smtp_caps c;

	caps_of(l, &c);
	ck_assert_uint_eq(c.flags, SMTP_CAP_PIPELINING | SMTP_CAP_SIZE |
	    SMTP_CAP_8BITMIME | SMTP_CAP_SMTPUTF8 | SMTP_CAP_DSN |
	    SMTP_CAP_STARTTLS | SMTP_CAP_AUTH | SMTP_CAP_ENHANCED |
	    SMTP_CAP_CHUNKING);
	ck_assert_uint_eq(c.size_limit, 10240000);
	ck_assert_uint_eq(c.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN |
	    SMTP_AUTH_CRAM_MD5 | SMTP_AUTH_XOAUTH2 | SMTP_AUTH_OAUTHBEARER);
}
END_TEST

START_TEST(ehlo_caps_edge_cases)
{
	static const char *const old[] = { "250-mx", "250-AUTH=LOGIN PLAIN",
	    "250 SIZE", NULL };
	static const char *const badsize[] = { "250-mx", "250 SIZE 12x", NULL };
	static const char *const first[] = { "250 STARTTLS", NULL };
	static const char *const prefix[] = { "250-mx", "250-STARTTLSX",
	    "250 PIPELINING-NOT", NULL };
	struct smtp_caps c;

	caps_of(old, &c);
	ck_assert_uint_eq(c.flags, SMTP_CAP_AUTH | SMTP_CAP_SIZE);
	ck_assert_uint_eq(c.auth, SMTP_AUTH_LOGIN | SMTP_AUTH_PLAIN);
	ck_assert_uint_eq(c.size_limit, 0);
	caps_of(badsize, &c);
	ck_assert_uint_eq(c.size_limit, 0);
	/* the first line is the server's name, never a keyword */
	caps_of(first, &c);
	ck_assert_uint_eq(c.flags, 0);
	caps_of(prefix, &c);
	ck_assert_uint_eq(c.flags, 0);
}
END_TEST

START_TEST(auth_names)
{
	ck_assert_str_eq(smtp_reply_auth_name(SMTP_AUTH_CRAM_MD5), "CRAM-MD5");
	ck_assert_uint_eq(smtp_reply_auth_bit("xoauth2", 7), SMTP_AUTH_XOAUTH2);
	ck_assert_uint_eq(smtp_reply_auth_bit("PLAINX", 6), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp_reply");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, single_line);
	tcase_add_test(tc, multi_line);
	tcase_add_test(tc, bare_code_and_no_enhanced);
	tcase_add_test(tc, enhanced_class_must_match);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, code_mismatch);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, format_cleans_controls);
	tcase_add_test(tc, reuse_after_complete);
	tcase_add_test(tc, ehlo_caps);
	tcase_add_test(tc, ehlo_caps_edge_cases);
	tcase_add_test(tc, auth_names);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
