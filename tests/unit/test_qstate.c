/*
 * test_qstate.c - the delivery state codec and the retry backoff.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qstate.h"
#include "unit_main.h"

START_TEST(round_trip)
{
	struct qstate st, back;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	qstate_init(&st, 3);
	st.kind = QSTATE_BOUNCE;
	st.attempts = 4;
	st.last_attempt = 1700000000;
	st.next_attempt = 1700000600;
	st.hold = true;
	qstate_set_text(&st.relay, "smtp.example.com[192.0.2.1]:587 starttls");
	qstate_set_text(&st.reason, "451 4.3.0 busy\r\nsecond line");
	st.rcpts[0].status = QSTATE_SENT;
	qstate_set_text(&st.rcpts[0].text, "250 2.0.0 Ok");
	st.rcpts[2].status = QSTATE_BOUNCED;
	qstate_set_text(&st.rcpts[2].text, "550 5.1.1 no");
	qstate_encode(&st, &out);
	ck_assert_ptr_null(strstr(out.data, "\r"));
	ck_assert(qstate_decode(out.data, out.len, 3, &back, &err));
	ck_assert_int_eq(back.kind, QSTATE_BOUNCE);
	ck_assert_uint_eq(back.attempts, 4);
	ck_assert(back.last_attempt == 1700000000 && back.next_attempt == 1700000600);
	ck_assert(back.hold && !back.warned);
	ck_assert_str_eq(back.relay, "smtp.example.com[192.0.2.1]:587 starttls");
	ck_assert_str_eq(back.reason, "451 4.3.0 busy  second line");
	ck_assert_int_eq(back.rcpts[0].status, QSTATE_SENT);
	ck_assert_str_eq(back.rcpts[0].text, "250 2.0.0 Ok");
	ck_assert_int_eq(back.rcpts[1].status, QSTATE_PENDING);
	ck_assert_ptr_null(back.rcpts[1].text);
	ck_assert_int_eq(back.rcpts[2].status, QSTATE_BOUNCED);
	ck_assert_uint_eq(qstate_pending(&back), 1);
	qstate_free(&back);
	qstate_free(&st);
	strbuf_free(&out);
	strbuf_free(&err);
}
END_TEST

/* decode_fails - text must be refused for nrcpts recipients */
static void
decode_fails(const char *text, size_t nrcpts)
{
	struct qstate st;
	struct strbuf err = STRBUF_INIT;

	ck_assert_msg(!qstate_decode(text, strlen(text), nrcpts, &st, &err),
	    "accepted: %s", text);
	ck_assert(err.len > 0);
	strbuf_free(&err);
}

START_TEST(rejections)
{
	decode_fails("", 0);
	decode_fails("postern-state 2\n", 0);
	decode_fails("postern-state 1\nkind mail", 0);		/* truncated */
	decode_fails("postern-state 1\nkind spam\n", 0);
	decode_fails("postern-state 1\nattempts -1\n", 0);
	decode_fails("postern-state 1\nattempts 99999999999\n", 0);
	decode_fails("postern-state 1\nhold maybe\n", 0);
	decode_fails("postern-state 1\nfrobnicate 1\n", 0);
	decode_fails("postern-state 1\nrcpt 0 sent\n", 2);	/* one missing */
	decode_fails("postern-state 1\nrcpt 1 sent\nrcpt 0 sent\n", 2);
	decode_fails("postern-state 1\nrcpt 0 sent\nrcpt 0 sent\n", 1);
	decode_fails("postern-state 1\nrcpt 0 lost\n", 1);
	decode_fails("postern-state 1\nrcpt 0 sent\n", 0);
	decode_fails("postern-state 1\nrelay a\0b\n", 0);
}
END_TEST

START_TEST(backoff_grows_and_is_bounded)
{
	const uint64_t min = 60000, max = 3600000;
	uint64_t prev_mid = 0;

	for (unsigned a = 1; a <= 12; a++) {
		uint64_t lo = qstate_backoff_ms(a, min, max, 0);
		uint64_t mid = qstate_backoff_ms(a, min, max, UINT32_MAX / 2);
		uint64_t hi = qstate_backoff_ms(a, min, max, UINT32_MAX);

		ck_assert(lo >= min && hi <= max);
		ck_assert(lo <= mid && mid <= hi);
		ck_assert(mid >= prev_mid);
		prev_mid = mid;
	}
	/* doubling: 1, 2, 4 minutes around the middle of the jitter */
	ck_assert(llabs((long long)qstate_backoff_ms(1, min, max, UINT32_MAX / 2) - 60000) <= 1);
	ck_assert(llabs((long long)qstate_backoff_ms(2, min, max, UINT32_MAX / 2) - 120000) <= 1);
	ck_assert(llabs((long long)qstate_backoff_ms(3, min, max, UINT32_MAX / 2) - 240000) <= 1);
	/* jitter spreads a backlog: +-25 % */
	ck_assert_uint_eq(qstate_backoff_ms(3, min, max, 0), 180000);
	ck_assert(qstate_backoff_ms(3, min, max, UINT32_MAX) > 299000);
	/* capped, and a huge attempt count does not overflow */
	ck_assert_uint_eq(qstate_backoff_ms(40, min, max, UINT32_MAX), max);
	ck_assert(qstate_backoff_ms(UINT32_MAX, min, max, 0) >= max - max / 4);
	/* min above max: min wins */
	ck_assert_uint_eq(qstate_backoff_ms(1, 5000, 1000, 0), 5000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("qstate");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, rejections);
	tcase_add_test(tc, backoff_grows_and_is_bounded);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
