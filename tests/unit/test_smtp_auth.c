/*
 * test_smtp_auth.c - SASL messages for SMTP AUTH: encodings, the RFC 2195
 * CRAM-MD5 example, the OAuth formats and mechanism choice.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_auth.h"
#include "smtp_reply.h"
#include "strbuf.h"
#include "unit_main.h"

static const struct smtp_auth_creds pw = { "tim", "tanstaaftanstaaf", NULL,
    "mx.example", 587 };
static const struct smtp_auth_creds tok = { "u@example.com", NULL, "T0K",
    "mx.example", 465 };

/* decoded - base64-decode text into a fresh C string */
static char *
decoded(const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	ck_assert(smtp_auth_unbase64(text, strlen(text), &sb));
	strbuf_append(&sb, "", 0);	/* NUL-terminated even when empty */
	return strbuf_export(&sb);
}

START_TEST(base64_round_trip)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
	    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	char *d;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		strbuf_reset(&sb);
		smtp_auth_base64(in[i], strlen(in[i]), &sb);
		ck_assert_str_eq(strbuf_cstr(&sb), out[i]);
		d = decoded(out[i]);
		ck_assert_str_eq(d, in[i]);
		free(d);
	}
	strbuf_reset(&sb);
	ck_assert(!smtp_auth_unbase64("Zm9v!", 5, &sb));
	ck_assert(!smtp_auth_unbase64("Z", 1, &sb));
	ck_assert(!smtp_auth_unbase64("Zg==Zg", 6, &sb));
	strbuf_free(&sb);
}
END_TEST

START_TEST(plain_and_login)
{
	struct strbuf sb = STRBUF_INIT;
	char *d;

	smtp_auth_start(SMTP_AUTH_PLAIN, &pw, &sb);
	ck_assert(strncmp(strbuf_cstr(&sb), "AUTH PLAIN ", 11) == 0);
	d = decoded(strbuf_cstr(&sb) + 11);
	ck_assert_int_eq(memcmp(d, "\0tim\0tanstaaftanstaaf", 21), 0);
	free(d);
	strbuf_reset(&sb);
	smtp_auth_start(SMTP_AUTH_LOGIN, &pw, &sb);
	ck_assert_str_eq(strbuf_cstr(&sb), "AUTH LOGIN");
	strbuf_reset(&sb);
	ck_assert(smtp_auth_step(SMTP_AUTH_LOGIN, 0, "VXNlcm5hbWU6", 12, &pw, &sb));
	ck_assert_str_eq(strbuf_cstr(&sb), "dGlt");
	strbuf_reset(&sb);
	ck_assert(smtp_auth_step(SMTP_AUTH_LOGIN, 1, "UGFzc3dvcmQ6", 12, &pw, &sb));
	d = decoded(strbuf_cstr(&sb));
	ck_assert_str_eq(d, "tanstaaftanstaaf");
	free(d);
	ck_assert(!smtp_auth_step(SMTP_AUTH_LOGIN, 2, "", 0, &pw, &sb));
	strbuf_free(&sb);
}
END_TEST

START_TEST(cram_md5_rfc2195)
{
	static const char chal[] =
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
	struct strbuf sb = STRBUF_INIT;

	ck_assert(smtp_auth_step(SMTP_AUTH_CRAM_MD5, 0, chal, strlen(chal),
	    &pw, &sb));
	ck_assert_str_eq(strbuf_cstr(&sb),
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	strbuf_reset(&sb);
	ck_assert(!smtp_auth_step(SMTP_AUTH_CRAM_MD5, 0, "!!", 2, &pw, &sb));
	strbuf_free(&sb);
}
END_TEST

START_TEST(oauth_formats)
{
	struct strbuf sb = STRBUF_INIT;
	char *d;

	smtp_auth_start(SMTP_AUTH_XOAUTH2, &tok, &sb);
	d = decoded(strbuf_cstr(&sb) + strlen("AUTH XOAUTH2 "));
	ck_assert_str_eq(d, "user=u@example.com\001auth=Bearer T0K\001\001");
	free(d);
	strbuf_reset(&sb);
	smtp_auth_start(SMTP_AUTH_OAUTHBEARER, &tok, &sb);
	d = decoded(strbuf_cstr(&sb) + strlen("AUTH OAUTHBEARER "));
	ck_assert_str_eq(d, "n,a=u@example.com,\001host=mx.example\001port=465"
	    "\001auth=Bearer T0K\001\001");
	free(d);
	strbuf_reset(&sb);
	ck_assert(smtp_auth_step(SMTP_AUTH_OAUTHBEARER, 0, "e30=", 4, &tok, &sb));
	ck_assert_str_eq(strbuf_cstr(&sb), "AQ==");
	strbuf_free(&sb);
}
END_TEST

START_TEST(choose)
{
	static const char *const pins[] = { "SCRAM-SHA-1", "LOGIN", "PLAIN" };
	unsigned all = SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5 |
	    SMTP_AUTH_XOAUTH2 | SMTP_AUTH_OAUTHBEARER;
	const char *bad;

	/* CRAM-MD5 only when pinned: hashed password stores cannot check it */
	ck_assert_uint_eq(smtp_auth_choose(all, NULL, 0, &pw, &bad),
	    SMTP_AUTH_PLAIN);
	ck_assert_uint_eq(smtp_auth_choose(SMTP_AUTH_CRAM_MD5 | SMTP_AUTH_LOGIN,
	    NULL, 0, &pw, &bad), SMTP_AUTH_LOGIN);
	ck_assert_uint_eq(smtp_auth_choose(SMTP_AUTH_CRAM_MD5, NULL, 0, &pw,
	    &bad), 0);
	ck_assert_uint_eq(smtp_auth_choose(SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN,
	    NULL, 0, &pw, &bad), SMTP_AUTH_PLAIN);
	ck_assert_uint_eq(smtp_auth_choose(all, NULL, 0, &tok, &bad),
	    SMTP_AUTH_OAUTHBEARER);
	ck_assert_uint_eq(smtp_auth_choose(SMTP_AUTH_PLAIN, NULL, 0, &tok, &bad), 0);
	ck_assert_uint_eq(smtp_auth_choose(all, pins, 3, &pw, &bad),
	    SMTP_AUTH_LOGIN);
	ck_assert_str_eq(bad, "SCRAM-SHA-1");
	ck_assert_uint_eq(smtp_auth_choose(SMTP_AUTH_CRAM_MD5, pins, 3, &pw, &bad), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp_auth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, base64_round_trip);
	tcase_add_test(tc, plain_and_login);
	tcase_add_test(tc, cram_md5_rfc2195);
	tcase_add_test(tc, oauth_formats);
	tcase_add_test(tc, choose);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
