/*
 * test_units.c - duration and size parsing and formatting.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "units.h"
#include "unit_main.h"

static uint64_t
duration(const char *text)
{
	uint64_t ms = 12345;

	ck_assert_msg(units_parse_duration_ms(text, &ms), "rejected \"%s\"", text);
	return ms;
}

static void
duration_bad(const char *text)
{
	uint64_t ms = 777;

	ck_assert_msg(!units_parse_duration_ms(text, &ms), "accepted \"%s\"", text);
	ck_assert_uint_eq(ms, 777);
}

START_TEST(durations)
{
	ck_assert_uint_eq(duration("0"), 0);
	ck_assert_uint_eq(duration("90"), 90000);
	ck_assert_uint_eq(duration("90s"), 90000);
	ck_assert_uint_eq(duration("250ms"), 250);
	ck_assert_uint_eq(duration("5m"), 300000);
	ck_assert_uint_eq(duration("1h30m"), 5400000);
	ck_assert_uint_eq(duration("5d"), 432000000);
	ck_assert_uint_eq(duration("2w"), 1209600000);
}
END_TEST

START_TEST(durations_rejected)
{
	duration_bad("");
	duration_bad("m");
	duration_bad("-5s");
	duration_bad("5x");
	duration_bad("5 m");
	duration_bad("1h30");
	duration_bad("5mss");
	duration_bad("99999999999999999999d");
	duration_bad("9999999999999999w");
}
END_TEST

START_TEST(sizes)
{
	uint64_t n = 0;

	ck_assert(units_parse_size("0", &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(units_parse_size("1000", &n));
	ck_assert_uint_eq(n, 1000);
	ck_assert(units_parse_size("10k", &n));
	ck_assert_uint_eq(n, 10240);
	ck_assert(units_parse_size("35M", &n));
	ck_assert_uint_eq(n, 35u * 1024 * 1024);
	ck_assert(units_parse_size("1GB", &n));
	ck_assert_uint_eq(n, 1024u * 1024 * 1024);
	n = 5;
	ck_assert(!units_parse_size("", &n));
	ck_assert(!units_parse_size("12q", &n));
	ck_assert(!units_parse_size("1MBx", &n));
	ck_assert(!units_parse_size("-1", &n));
	ck_assert(!units_parse_size("99999999999999999999G", &n));
	ck_assert_uint_eq(n, 5);
}
END_TEST

START_TEST(formatting)
{
	char buf[32];

	ck_assert(units_format_duration(0, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "0s");
	ck_assert(units_format_duration(250, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "250ms");
	ck_assert(units_format_duration(5400000, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "1h30m");
	ck_assert(units_format_duration(90061000, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "1d1h1m1s");
	ck_assert(!units_format_duration(90061000, buf, 4));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, durations);
	tcase_add_test(tc, durations_rejected);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, formatting);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
