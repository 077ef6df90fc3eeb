/*
 * test_qrecord.c - queue file encoding and strict decoding.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "qrecord.h"
#include "unit_main.h"

#define TRUSTED "postern-queue 1\nuid 1000\nlogin alice\narrival 1700000000\n"

static char *
encode_sample(size_t *len)
{
	struct qrecord rec;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *msg = "Subject: hi\n\nbody\n.\n..dots\nno newline";

	memset(&rec, 0, sizeof(rec));
	rec.sender = "alice@example.com";
	qrecord_add_rcpt(&rec, "bob@example.org", DSN_NOTIFY_SUCCESS |
	    DSN_NOTIFY_FAILURE, "rfc822;bob@example.org");
	qrecord_add_rcpt(&rec, "\"john doe\"@example.net", 0, NULL);
	rec.ret = DSN_RET_HDRS;
	rec.envid = "env1";
	rec.body = "8BITMIME";
	strbuf_puts(&out, TRUSTED);
	ck_assert(qrecord_encode_envelope(&rec, msg, strlen(msg), &out, &err));
	rec.sender = NULL;
	rec.envid = rec.body = NULL;
	qrecord_free(&rec);
	strbuf_free(&err);
	*len = out.len;
	return strbuf_export(&out);
}

START_TEST(round_trip)
{
	size_t len;
	char *buf = encode_sample(&len);
	struct qrecord rec;
	struct strbuf err = STRBUF_INIT;

	ck_assert_msg(qrecord_decode(buf, len, true, &rec, &err), "%s", strbuf_cstr(&err));
	ck_assert_int_eq(rec.uid, 1000);
	ck_assert_str_eq(rec.login, "alice");
	ck_assert_int_eq(rec.arrival, 1700000000);
	ck_assert_str_eq(rec.sender, "alice@example.com");
	ck_assert_uint_eq(rec.nrcpts, 2);
	ck_assert_str_eq(rec.rcpts[0].address, "bob@example.org");
	ck_assert_uint_eq(rec.rcpts[0].notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE);
	ck_assert_str_eq(rec.rcpts[0].orcpt, "rfc822;bob@example.org");
	ck_assert_str_eq(rec.rcpts[1].address, "\"john doe\"@example.net");
	ck_assert_uint_eq(rec.rcpts[1].notify, 0);
	ck_assert_int_eq(rec.ret, DSN_RET_HDRS);
	ck_assert_str_eq(rec.body, "8BITMIME");
	ck_assert_uint_eq(rec.message_len, strlen("Subject: hi\n\nbody\n.\n..dots\nno newline"));
	ck_assert_int_eq(memcmp(rec.message, "Subject: hi\n", 12), 0);
	qrecord_free(&rec);
	/* Without the trusted part, the same bytes minus it decode too. */
	ck_assert(qrecord_decode(buf + strlen(TRUSTED), len - strlen(TRUSTED), false, &rec, &err));
	ck_assert_int_eq(rec.uid, -1);
	qrecord_free(&rec);
	strbuf_free(&err);
	free(buf);
}
END_TEST

static void
reject(const char *text, bool trusted, const char *why)
{
	struct qrecord rec;
	struct strbuf err = STRBUF_INIT;

	ck_assert_msg(!qrecord_decode(text, strlen(text), trusted, &rec, &err),
	    "accepted: %s", text);
	ck_assert_msg(strstr(strbuf_cstr(&err), why) != NULL, "reason \"%s\" lacks \"%s\"",
	    strbuf_cstr(&err), why);
	strbuf_free(&err);
}

START_TEST(rejections)
{
	reject("sender <a@x>\nrcpt <b@y>\nmessage 3\nabcend\n", true, "not a postern queue");
	reject(TRUSTED "uid 0\nsender <a@x>\nrcpt <b@y>\nmessage 3\nabcend\n", true, "unknown key");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nmessage 4\nabcend\n", true, "length");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nmessage 3\nabcend\nmore", true, "length");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nmessage 3\nabc", true, "end marker");
	reject(TRUSTED "sender <a@x>\nsender <c@x>\nrcpt <b@y>\nmessage 0\nend\n", true, "duplicate");
	reject(TRUSTED "sender <a@x>\nmessage 0\nend\n", true, "followed by a recipient");
	reject(TRUSTED "sender a@x\nrcpt <b@y>\nmessage 0\nend\n", true, "angle");
	reject(TRUSTED "sender <a@x>\nnotify NEVER\nrcpt <b@y>\nmessage 0\nend\n", true, "before any rcpt");
	reject(TRUSTED "sender <a@x>\nrcpt <b\ty>\nmessage 0\nend\n", true, "control");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nbogus 1\nmessage 0\nend\n", true, "unknown key");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nmessage -1\nend\n", true, "plain decimal");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nmessage 99999999999999999999999\nend\n", true, "plain decimal");
	reject("postern-queue 1\nuid -5\nlogin a\narrival 1\n", true, "uid");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>", true, "truncated");
	/* one canonical form: order, no empty or unknown values, no leading 0 */
	reject(TRUSTED "rcpt <b@y>\nsender <a@x>\nmessage 0\nend\n", true, "start with the sender");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nenvid x\nrcpt <c@y>\nmessage 0\nend\n", true, "out of order");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nbody 8BITMIME\nret FULL\nmessage 0\nend\n", true, "out of order");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nenvid\nmessage 0\nend\n", true, "without a value");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nret SOME\nmessage 0\nend\n", true, "neither FULL nor HDRS");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nret FULL\nret HDRS\nmessage 0\nend\n", true, "duplicate");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nnotify SOMETIMES\nmessage 0\nend\n", true, "bad notify");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nnotify NEVER,DELAY\nmessage 0\nend\n", true, "bad notify");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\norcpt rfc822;b@y\nnotify NEVER\nmessage 0\nend\n", true, "after orcpt");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nenvid has space\nmessage 0\nend\n", true, "envid is not");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nbody 9BIT\nmessage 0\nend\n", true, "neither 7BIT");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nmessage 03\nabcend\n", true, "plain decimal");
	reject("postern-queue 1\nuid 0999\nlogin a\narrival 1\n", true, "uid");
	/* one strict path per address line, nothing after it */
	reject(TRUSTED "sender <a@example.com> AUTH=<ceo@example.com>\nrcpt <b@y>\n"
	    "message 0\nend\n", true, "domain holds");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y> NOTIFY=NEVER\nmessage 0\nend\n", true,
	    "angle brackets");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\nnotify NEVER\nnotify NEVER\nmessage 0\n"
	    "end\n", true, "notify twice");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\norcpt rfc822;b@y\norcpt rfc822;c@y\n"
	    "message 0\nend\n", true, "orcpt twice");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y>\norcpt rfc822;b@y NOTIFY=NEVER\n"
	    "message 0\nend\n", true, "xtext");
	reject(TRUSTED "sender <a@x>\nrcpt <bob>\nmessage 0\nend\n", true, "no domain");
	reject(TRUSTED "sender <a@x>\nrcpt <-oQ/tmp@y>\nmessage 0\nend\n", true, "'-'");
	reject(TRUSTED "sender <a@x>\nrcpt <a..b@y>\nmessage 0\nend\n", true, "empty atom");
	reject(TRUSTED "sender <a@x>\nrcpt <b@y..z>\nmessage 0\nend\n", true, "empty domain label");
	reject(TRUSTED "sender <a@x>\nrcpt <b@[1.2.3.4>\nmessage 0\nend\n", true, "literal");
	reject(TRUSTED "sender <a@x>\nrcpt <\"b@y>\nmessage 0\nend\n", true, "unterminated");
	reject(TRUSTED "sender <a@x>\nrcpt <b@\xff>\nmessage 0\nend\n", true, "UTF-8");
	reject(TRUSTED "sender <<>>\nrcpt <b@y>\nmessage 0\nend\n", true, "local part");
}
END_TEST

/* accept - text decodes */
static void
accept(const char *text)
{
	struct qrecord rec;
	struct strbuf err = STRBUF_INIT;

	ck_assert_msg(qrecord_decode(text, strlen(text), true, &rec, &err),
	    "refused (%s): %s", strbuf_cstr(&err), text);
	qrecord_free(&rec);
	strbuf_free(&err);
}

START_TEST(paths_accepted)
{
	accept(TRUSTED "sender <>\nrcpt <b@y>\nmessage 0\nend\n");
	accept(TRUSTED "sender <a.b+tag@x-y.example>\nrcpt <\"john doe\"@y>\n"
	    "rcpt <\"a\\\"b\"@y>\nrcpt <c@[192.0.2.1]>\nrcpt <d@[IPv6:2001:db8::1]>\n"
	    "rcpt <host_name@my_host.example>\nmessage 0\nend\n");
	accept(TRUSTED "sender <j\xc3\xbc" "rgen@b\xc3\xbc" "cher.example>\nrcpt <b@y>\n"
	    "smtputf8 yes\nmessage 0\nend\n");
	accept(TRUSTED "sender <a@x>\nrcpt <b@y>\nnotify NEVER\norcpt rfc822;b+2Bx@y\n"
	    "rcpt <c@y>\norcpt rfc822;c@y\nmessage 0\nend\n");
}
END_TEST

START_TEST(encoder_refuses_what_decoder_refuses)
{
	struct qrecord rec;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	memset(&rec, 0, sizeof(rec));
	rec.sender = "a@example.com> AUTH=<ceo@example.com";
	qrecord_add_rcpt(&rec, "b@example.org", 0, NULL);
	ck_assert(!qrecord_encode_envelope(&rec, "x", 1, &out, &err));
	ck_assert_uint_eq(out.len, 0);
	ck_assert_msg(strstr(strbuf_cstr(&err), "cannot be queued") != NULL, "%s",
	    strbuf_cstr(&err));
	rec.sender = "a@example.com";
	strbuf_reset(&err);
	qrecord_add_rcpt(&rec, "unqualified", 0, NULL);
	ck_assert(!qrecord_encode_envelope(&rec, "x", 1, &out, &err));
	ck_assert(strstr(strbuf_cstr(&err), "no domain") != NULL);
	rec.sender = NULL;
	qrecord_free(&rec);
	strbuf_free(&out);
	strbuf_free(&err);
}
END_TEST

START_TEST(large_uids)
{
	/* uids are 32-bit unsigned: every one the kernel gives out is taken */
	const char big[] = "postern-queue 1\nuid 4294967294\nlogin #4294967294\n"
	    "arrival 1\nsender <a@x>\nrcpt <b@y>\nmessage 0\nend\n";
	const char mid[] = "postern-queue 1\nuid 3000000000\nlogin #3000000000\n"
	    "arrival 1\nsender <a@x>\nrcpt <b@y>\nmessage 0\nend\n";
	struct qrecord rec;
	struct strbuf err = STRBUF_INIT;

	ck_assert_msg(qrecord_decode(big, sizeof(big) - 1, true, &rec, &err), "%s",
	    strbuf_cstr(&err));
	ck_assert(rec.uid == 4294967294L);
	qrecord_free(&rec);
	ck_assert_msg(qrecord_decode(mid, sizeof(mid) - 1, true, &rec, &err), "%s",
	    strbuf_cstr(&err));
	ck_assert(rec.uid == 3000000000L);
	qrecord_free(&rec);
	strbuf_free(&err);
	/* (uid_t)-1 is no uid at all */
	reject("postern-queue 1\nuid 4294967295\nlogin a\narrival 1\n", true, "uid");
}
END_TEST

START_TEST(null_sender_and_nul_line)
{
	const char rec_text[] = TRUSTED "sender <>\nrcpt <b@y>\nmessage 2\na\0end\n";
	const char bad[] = TRUSTED "sender <a\0@x>\nrcpt <b@y>\nmessage 0\nend\n";
	struct qrecord rec;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	ck_assert(qrecord_decode(rec_text, sizeof(rec_text) - 1, true, &rec, &err));
	ck_assert_str_eq(rec.sender, "");
	ck_assert_uint_eq(rec.message_len, 2);
	qrecord_free(&rec);
	ck_assert(!qrecord_decode(bad, sizeof(bad) - 1, true, &rec, &err));
	/* The encoder refuses values a line cannot carry. */
	memset(&rec, 0, sizeof(rec));
	rec.sender = "a@x\r\nRCPT TO:<evil@x>";
	qrecord_add_rcpt(&rec, "b@y", 0, NULL);
	strbuf_reset(&err);
	ck_assert(!qrecord_encode_envelope(&rec, "", 0, &out, &err));
	rec.sender = NULL;
	qrecord_free(&rec);
	strbuf_free(&err);
	strbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("qrecord");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, rejections);
	tcase_add_test(tc, large_uids);
	tcase_add_test(tc, paths_accepted);
	tcase_add_test(tc, encoder_refuses_what_decoder_refuses);
	tcase_add_test(tc, null_sender_and_nul_line);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
