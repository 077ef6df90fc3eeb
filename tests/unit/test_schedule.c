/*
 * test_schedule.c - the worker's schedule: due order, busy entries,
 * holds, flush, rescan sweeps and --once termination.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "worker.h"
#include "unit_main.h"

int64_t
worker_now(void)
{
	return 1000;
}

static void
qid(char *buf, unsigned n)
{
	snprintf(buf, QID_LEN + 1, "%017X", n);
}

START_TEST(due_order_and_busy)
{
	struct schedule *s = schedule_new(true);
	char a[18], b[18], c[18], got[18];
	size_t total, busy;

	qid(a, 3); qid(b, 1); qid(c, 2);
	schedule_put(s, a, 10, false);
	schedule_put(s, b, 500, false);
	schedule_put(s, c, 10, false);
	schedule_put(s, "00000000000000009", 2000, false);	/* not due */
	ck_assert(schedule_take_due(s, got));
	ck_assert_str_eq(got, c);		/* same time: older ID first */
	ck_assert(schedule_take_due(s, got));
	ck_assert_str_eq(got, a);
	schedule_put(s, a, 0, false);		/* busy: not changed */
	ck_assert(schedule_take_due(s, got));
	ck_assert_str_eq(got, b);
	ck_assert(!schedule_take_due(s, got));
	schedule_counts(s, &total, &busy);
	ck_assert_uint_eq(total, 4);
	ck_assert_uint_eq(busy, 3);
	schedule_done(s, a, true, 0, false);	/* delivered */
	schedule_done(s, b, false, 5000, false);	/* deferred */
	schedule_done(s, c, false, 0, true);	/* held */
	ck_assert(!schedule_take_due(s, got));
	schedule_counts(s, &total, &busy);
	ck_assert_uint_eq(total, 3);
	ck_assert_uint_eq(busy, 0);
	/* flush makes everything but the held entry due, oldest first */
	schedule_flush(s);
	ck_assert(schedule_take_due(s, got));
	ck_assert_str_eq(got, b);
	ck_assert(schedule_take_due(s, got));
	ck_assert_str_eq(got, "00000000000000009");
	ck_assert(!schedule_take_due(s, got));
	schedule_done(s, b, true, 0, false);
	schedule_done(s, "00000000000000009", true, 0, false);
	/* --once: nothing due and nobody busy means stop */
	ck_assert_int_eq(schedule_take(s, got, 0, 1), SCHEDULE_STOP);
	schedule_free(s);
}
END_TEST

START_TEST(rescan_sweep)
{
	struct schedule *s = schedule_new(true);
	char got[18];
	size_t total, busy;

	for (unsigned i = 1; i <= 100; i++) {
		char q[18];

		qid(q, i);
		schedule_put(s, q, (int64_t)(i % 7) * 100, false);
	}
	ck_assert(schedule_take_due(s, got));	/* busy survives the sweep */
	schedule_mark_all(s);
	schedule_put(s, "00000000000000032", 0, false);
	schedule_sweep(s);
	schedule_counts(s, &total, &busy);
	ck_assert_uint_eq(total, 2);
	ck_assert_uint_eq(busy, 1);
	schedule_stop(s);
	ck_assert_int_eq(schedule_take(s, got, 0, 1), SCHEDULE_STOP);
	schedule_free(s);
}
END_TEST

/* a backlog thread takes only while enough are due, counted in the heap */
START_TEST(backlog_threads_wait_for_a_backlog)
{
	struct schedule *s = schedule_new(true);
	char got[18], q[18];

	/* 40 entries, of which 31 are due (now is 1000) and 9 are not */
	for (unsigned i = 1; i <= 40; i++) {
		qid(q, i);
		schedule_put(s, q, i <= 31 ? (int64_t)i * 10 : 5000, false);
	}
	/* a busy entry keeps --once from stopping: the wait is timed by
	   idle_ms, and too few are due, so the backlog thread gets nothing */
	ck_assert(schedule_take_due(s, got));		/* 30 due left */
	ck_assert_int_eq(schedule_take(s, got, 1, 30), SCHEDULE_GOT);
	ck_assert_int_eq(schedule_take(s, got, 1, 30), SCHEDULE_IDLE);
	ck_assert_int_eq(schedule_take(s, got, 1, 1), SCHEDULE_GOT);
	/* a flush makes all 37 idle entries due: enough for 32 */
	schedule_flush(s);
	ck_assert_int_eq(schedule_take(s, got, 1, 32), SCHEDULE_GOT);
	ck_assert_int_eq(schedule_take(s, got, 1, 32), SCHEDULE_GOT);
	/* more than the count cap asks for the cap */
	ck_assert_int_eq(schedule_take(s, got, 1, 100000), SCHEDULE_IDLE);
	schedule_stop(s);
	schedule_free(s);
}
END_TEST

START_TEST(many_entries_come_out_in_order)
{
	struct schedule *s = schedule_new(true);
	char got[18], prev[18] = "";
	int64_t prev_t = -1;

	for (unsigned i = 0; i < 5000; i++) {
		char q[18];

		qid(q, (i * 7919) % 5000);
		schedule_put(s, q, (int64_t)((i * 31) % 900), false);
	}
	for (unsigned i = 0; i < 5000; i++) {
		int64_t t;
		unsigned n;

		ck_assert(schedule_take_due(s, got));
		sscanf(got, "%X", &n);
		/* recompute the time this ID was given */
		for (unsigned j = 0;; j++)
			if ((j * 7919) % 5000 == n) {
				t = (int64_t)((j * 31) % 900);
				break;
			}
		ck_assert(t > prev_t || (t == prev_t && strcmp(got, prev) > 0));
		prev_t = t;
		memcpy(prev, got, sizeof(prev));
	}
	ck_assert(!schedule_take_due(s, got));
	schedule_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, due_order_and_busy);
	tcase_add_test(tc, rescan_sweep);
	tcase_add_test(tc, backlog_threads_wait_for_a_backlog);
	tcase_add_test(tc, many_entries_come_out_in_order);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
