/*
 * test_msgin.c - line-ending normal form, dot rules, mbox From_ lines and
 * the size limit, both from a buffer and from a pipe in small chunks.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msgin.h"
#include "unit_main.h"

static char *
norm(const char *in, size_t len, bool ignore_dots, uint64_t max, enum msgin_status *st)
{
	struct msgin_options o = { ignore_dots, max };
	struct strbuf out = STRBUF_INIT;

	*st = msgin_normalize(in, len, &o, &out);
	return strbuf_export(&out);
}

static void
expect(const char *in, bool ignore_dots, const char *want)
{
	enum msgin_status st;
	char *got = norm(in, strlen(in), ignore_dots, 0, &st);

	ck_assert_int_eq(st, MSGIN_OK);
	ck_assert_msg(strcmp(got, want) == 0, "in=[%s] got=[%s] want=[%s]", in, got, want);
	free(got);
}

START_TEST(line_endings)
{
	expect("To: a\r\nSubject: b\r\n\r\nbody\nmore\r\n", true,
	    "To: a\nSubject: b\n\nbody\nmore\n");
	expect("a\rb\n", true, "a\rb\n");		/* a bare CR is kept */
	expect("last line", true, "last line");		/* no newline added */
	expect("x\r", true, "x\r");
	expect("", true, "");
	expect("\n\n", true, "\n\n");
	expect("caf\xc3\xa9 \xff\n", true, "caf\xc3\xa9 \xff\n");
}
END_TEST

START_TEST(dot_rules)
{
	expect("a\n.\nafter\n", false, "a\n");
	expect("a\r\n.\r\nafter\n", false, "a\n");
	expect("a\n..x\n...\n.y\n", false, "a\n.x\n..\n.y\n");
	expect("a\n.\nafter\n", true, "a\n.\nafter\n");
	expect("a\n..x\n", true, "a\n..x\n");
	expect("a\n.", false, "a\n");		/* a final lone dot ends it too */
}
END_TEST

START_TEST(mbox_from_line)
{
	expect("From alice@x Mon Jan  1 00:00:00 2024\nSubject: s\n\nb\n", true,
	    "Subject: s\n\nb\n");
	expect("Subject: s\n\nFrom here on\n", true, "Subject: s\n\nFrom here on\n");
	expect("From: a@x\n\nb\n", true, "From: a@x\n\nb\n");
}
END_TEST

START_TEST(size_limit)
{
	enum msgin_status st;
	char *got;

	got = norm("12345\n", 6, true, 6, &st);
	ck_assert_int_eq(st, MSGIN_OK);
	free(got);
	got = norm("12345\r\n", 7, true, 6, &st);	/* counted in normal form */
	ck_assert_int_eq(st, MSGIN_OK);
	free(got);
	got = norm("123456\n", 7, true, 6, &st);
	ck_assert_int_eq(st, MSGIN_TOO_BIG);
	free(got);
	got = norm("1234567890", 10, true, 6, &st);	/* one long line */
	ck_assert_int_eq(st, MSGIN_TOO_BIG);
	free(got);
}
END_TEST

START_TEST(from_pipe_in_chunks)
{
	const char *in = "A: b\r\n\r\nx\r\n..y\r\n.\r\nignored\r\n";
	struct msgin_options o = { false, 0 };
	struct strbuf out = STRBUF_INIT;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	if (fork() == 0) {
		/* Split CR from LF across writes to exercise the pending CR. */
		for (size_t i = 0; in[i]; i++) {
			ck_assert_int_eq(write(fds[1], in + i, 1), 1);
			usleep(100);
		}
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(msgin_read(fds[0], &o, &out), MSGIN_OK);
	ck_assert_str_eq(strbuf_cstr(&out), "A: b\n\nx\n.y\n");
	close(fds[0]);
	strbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("msgin");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, line_endings);
	tcase_add_test(tc, dot_rules);
	tcase_add_test(tc, mbox_from_line);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, from_pipe_in_chunks);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
