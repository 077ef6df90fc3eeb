/*
 * test_strbuf.c - growing strings and bounded copies.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "strutil.h"
#include "unit_main.h"

START_TEST(append_and_grow)
{
	struct strbuf sb = STRBUF_INIT;

	ck_assert_str_eq(strbuf_cstr(&sb), "");
	for (int i = 0; i < 1000; i++)
		strbuf_puts(&sb, "ab");
	ck_assert_uint_eq(sb.len, 2000);
	ck_assert_uint_eq(strlen(sb.data), 2000);
	strbuf_reset(&sb);
	ck_assert_uint_eq(sb.len, 0);
	strbuf_printf(&sb, "%s=%d", "x", 42);
	strbuf_putc(&sb, '!');
	ck_assert_str_eq(strbuf_cstr(&sb), "x=42!");
	strbuf_free(&sb);
	ck_assert_ptr_null(sb.data);
}
END_TEST

START_TEST(embedded_nul_and_export)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	strbuf_append(&sb, "a\0b", 3);
	ck_assert_uint_eq(sb.len, 3);
	ck_assert_int_eq(memcmp(sb.data, "a\0b", 4), 0);
	s = strbuf_export(&sb);
	ck_assert_ptr_null(sb.data);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_int_eq(s[2], 'b');
	free(s);
	s = strbuf_export(&sb);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(bounded_copies)
{
	char buf[8];

	ck_assert(str_copy(buf, sizeof(buf), "1234567"));
	ck_assert_str_eq(buf, "1234567");
	ck_assert(!str_copy(buf, sizeof(buf), "12345678"));
	ck_assert_str_eq(buf, "1234567");
	ck_assert(str_copy(buf, sizeof(buf), "abc"));
	ck_assert(str_concat(buf, sizeof(buf), "defg"));
	ck_assert_str_eq(buf, "abcdefg");
	ck_assert(!str_concat(buf, sizeof(buf), "h"));
	ck_assert(str_format(buf, sizeof(buf), "%d", 1234567));
	ck_assert(!str_format(buf, sizeof(buf), "%d", 12345678));
	ck_assert(!str_copy(buf, 0, "x"));
	ck_assert(str_has_prefix("MAIL FROM:", "MAIL"));
	ck_assert(!str_has_prefix("MA", "MAIL"));
	ck_assert(str_equal_nocase("StartTLS", "STARTTLS"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, append_and_grow);
	tcase_add_test(tc, embedded_nul_and_export);
	tcase_add_test(tc, bounded_copies);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
