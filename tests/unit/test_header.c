/*
 * test_header.c - header block parsing, editing, re-emission and the
 * recipient choice of "sendmail -t".
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "strbuf.h"
#include "unit_main.h"

struct split_case {
	const char *msg;
	size_t fields;
	const char *body;	/* the bytes from body_offset on */
	const char *written;	/* header_write() output */
};

static const struct split_case split_cases[] = {
	{ "", 0, "", "\n" },
	{ "\n", 0, "", "\n" },
	{ "\nbody\n", 0, "body\n", "\n" },
	{ "From: a@x\nTo: b@y\n\nbody\n", 2, "body\n", "From: a@x\nTo: b@y\n\n" },
	{ "Subject: hello\n world\n\tagain\nX: y\n\nb", 2, "b",
	  "Subject: hello\n world\n\tagain\nX: y\n\n" },
	{ "A: b\n\n", 1, "", "A: b\n\n" },
	{ "A: b\n", 1, "", "A: b\n\n" },
	{ "A: b", 1, "", "A: b\n\n" },
	{ "A:\n", 1, "", "A:\n\n" },
	{ "A:b\nC :  d  \n\n\n", 2, "\n", "A:b\nC :  d  \n\n" },
	{ "A: b\nnot a header\nmore\n", 1, "not a header\nmore\n", "A: b\n\n" },
	{ "A: b\nno colon here\n\nX: y\n", 1, "no colon here\n\nX: y\n", "A: b\n\n" },
	{ "From someone Mon Jan 1\nA: b\n", 0, "From someone Mon Jan 1\nA: b\n", "\n" },
	{ " x: y\n", 0, " x: y\n", "\n" },
	{ ": novalue\n", 0, ": novalue\n", "\n" },
	{ "A b: c\n", 0, "A b: c\n", "\n" },
	{ "A: b\n\r\nbody", 1, "\r\nbody", "A: b\n\n" },
	{ "A: b\n \n\n", 1, "", "A: b\n \n\n" },
	{ "X-\x7f: y\n", 0, "X-\x7f: y\n", "\n" },
	{ "!#$%&'*+-./0123456789;<=>?@[\\]^_`{|}~: weird\n\n", 1, "",
	  "!#$%&'*+-./0123456789;<=>?@[\\]^_`{|}~: weird\n\n" },
};

START_TEST(split)
{
	const struct split_case *c = &split_cases[_i];
	struct header_block b;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	ck_assert_int_eq(header_parse(&b, c->msg, strlen(c->msg), &err), HEADER_OK);
	ck_assert_uint_eq(b.count, c->fields);
	ck_assert_str_eq(c->msg + b.body_offset, c->body);
	header_write(&b, &out);
	ck_assert_str_eq(strbuf_cstr(&out), c->written);
	header_free(&b);
	strbuf_free(&out);
	strbuf_free(&err);
}
END_TEST

/* a message with a blank separator line is re-emitted byte for byte */
START_TEST(roundtrip)
{
	static const char *const msgs[] = {
		"Received: from x\n\tby y; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"From: \"A, B\" <a@x>\nTo: b@y,\n  c@z\nSubject:   spaced   \n"
		"X-Empty:\n\nbody line 1\n\nbody line 3",
		"Subject : obsolete\nx:y\n\n",
		"H: \xc3\xa4\xc3\xb6\xc3\xbc 8bit\n\nb\n",
		"\n",
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct header_block b;
		struct strbuf out = STRBUF_INIT;

		ck_assert_int_eq(header_parse(&b, msgs[i], strlen(msgs[i]), NULL),
		    HEADER_OK);
		header_write(&b, &out);
		strbuf_puts(&out, msgs[i] + b.body_offset);
		ck_assert_str_eq(strbuf_cstr(&out), msgs[i]);
		header_free(&b);
		strbuf_free(&out);
	}
}
END_TEST

static void
value_of(const struct header_block *b, size_t i, struct strbuf *v)
{
	ck_assert_uint_lt(i, b->count);
	header_field_value(&b->fields[i], v);
}

START_TEST(fields_and_values)
{
	const char *msg = "Subject: hello\n world\n\tagain  \nTo:\n a@x\n"
	    "Name  :  v\nempty:\n\n";
	struct header_block b;
	struct strbuf v = STRBUF_INIT;

	ck_assert_int_eq(header_parse(&b, msg, strlen(msg), NULL), HEADER_OK);
	ck_assert_uint_eq(b.count, 4);
	ck_assert_str_eq(b.fields[0].name, "Subject");
	ck_assert_str_eq(b.fields[0].raw, "Subject: hello\n world\n\tagain  \n");
	value_of(&b, 0, &v);
	ck_assert_str_eq(v.data, "hello world\tagain");
	value_of(&b, 1, &v);
	ck_assert_str_eq(v.data, "a@x");
	ck_assert_str_eq(b.fields[2].name, "Name");
	value_of(&b, 2, &v);
	ck_assert_str_eq(v.data, "v");
	value_of(&b, 3, &v);
	ck_assert_str_eq(strbuf_cstr(&v), "");
	header_free(&b);
	strbuf_free(&v);
}
END_TEST

START_TEST(nul_bytes)
{
	static const struct { const char *msg; size_t len; } cases[] = {
		{ "A: b\0c\n\nbody", 12 },
		{ "A: b\n c\0\n\nbody", 13 },
		{ "A\0: b\n\n", 7 },
		{ "A: b\nxx\0\n", 9 },
		{ "\0", 1 },
	};
	struct strbuf err = STRBUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct header_block b;

		ck_assert_int_eq(header_parse(&b, cases[i].msg, cases[i].len, &err),
		    HEADER_E_NUL);
		ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "NUL"));
		ck_assert_uint_eq(b.count, 0);
		ck_assert_ptr_null(b.fields);
	}
	/* a NUL in the body is not the header's business */
	{
		struct header_block b;

		ck_assert_int_eq(header_parse(&b, "A: b\n\nbo\0dy", 11, &err),
		    HEADER_OK);
		ck_assert_uint_eq(b.body_offset, 6);
		header_free(&b);
	}
	strbuf_free(&err);
}
END_TEST

START_TEST(maxima)
{
	struct header_block b;
	struct strbuf msg = STRBUF_INIT, err = STRBUF_INIT;

	/* exactly HEADER_FIELD_MAX unfolded bytes, folded every 100 bytes */
	strbuf_puts(&msg, "X: ");
	while (msg.len < HEADER_FIELD_MAX) {
		strbuf_putc(&msg, (msg.len % 100) ? 'v' : '\n');
		if (msg.data[msg.len - 1] == '\n')
			strbuf_putc(&msg, ' ');
	}
	strbuf_puts(&msg, "\n\n");
	ck_assert_int_eq(header_parse(&b, msg.data, msg.len, &err), HEADER_OK);
	ck_assert_uint_eq(b.count, 1);
	header_free(&b);

	strbuf_reset(&msg);
	strbuf_puts(&msg, "X: ");
	while (msg.len <= HEADER_FIELD_MAX)
		strbuf_putc(&msg, 'v');
	strbuf_puts(&msg, "\n\n");
	ck_assert_int_eq(header_parse(&b, msg.data, msg.len, &err), HEADER_E_LIMIT);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "\"X\""));
	ck_assert_uint_eq(b.count, 0);

	strbuf_reset(&msg);
	for (int i = 0; i < HEADER_FIELDS_MAX; i++)
		strbuf_puts(&msg, "A: b\n");
	ck_assert_int_eq(header_parse(&b, msg.data, msg.len, &err), HEADER_OK);
	ck_assert_uint_eq(b.count, HEADER_FIELDS_MAX);
	ck_assert_int_eq(header_append(&b, "B", "c", &err), HEADER_E_LIMIT);
	header_free(&b);
	strbuf_puts(&msg, "A: b\n");
	ck_assert_int_eq(header_parse(&b, msg.data, msg.len, &err), HEADER_E_LIMIT);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "too many"));
	strbuf_free(&msg);
	strbuf_free(&err);
}
END_TEST

START_TEST(find_and_remove)
{
	const char *msg = "To: a@x\nBcc: s@x\ncc: c@x\nBCC: t@x,\n u@x\n"
	    "Resent-Bcc: r@x\nbcc:\nX: y\n\nbody";
	struct header_block b;
	struct strbuf out = STRBUF_INIT;
	size_t i;

	ck_assert_int_eq(header_parse(&b, msg, strlen(msg), NULL), HEADER_OK);
	i = header_first(&b, "bcc");
	ck_assert_uint_eq(i, 1);
	i = header_next(&b, "bcc", i);
	ck_assert_uint_eq(i, 3);
	i = header_next(&b, "Bcc", i);
	ck_assert_uint_eq(i, 5);
	ck_assert_uint_eq(header_next(&b, "bcc", i), HEADER_NONE);
	ck_assert_uint_eq(header_next(&b, "bcc", HEADER_NONE), HEADER_NONE);
	ck_assert_uint_eq(header_first(&b, "Nope"), HEADER_NONE);
	ck_assert_uint_eq(header_first(&b, "CC"), 2);

	ck_assert_uint_eq(header_remove(&b, "Bcc"), 3);
	ck_assert_uint_eq(header_remove(&b, "resent-bcc"), 1);
	ck_assert_uint_eq(header_remove(&b, "Bcc"), 0);
	header_write(&b, &out);
	ck_assert_str_eq(strbuf_cstr(&out), "To: a@x\ncc: c@x\nX: y\n\n");
	header_free(&b);
	strbuf_free(&out);
}
END_TEST

/* check_folded - every line fits, continuation lines start with whitespace */
static void
check_folded(const struct header_field *f, const char *value, size_t maxline)
{
	struct strbuf v = STRBUF_INIT;
	size_t start = 0;

	ck_assert(f->raw_len > 0 && f->raw[f->raw_len - 1] == '\n');
	for (size_t i = 0; i < f->raw_len; i++) {
		if (f->raw[i] != '\n')
			continue;
		ck_assert_msg(i - start <= maxline, "line of %zu bytes", i - start);
		if (i + 1 < f->raw_len)
			ck_assert(f->raw[i + 1] == ' ' || f->raw[i + 1] == '\t');
		start = i + 1;
	}
	header_field_value(f, &v);
	ck_assert_str_eq(strbuf_cstr(&v), value);
	strbuf_free(&v);
}

START_TEST(append_and_fold)
{
	struct header_block b;
	struct strbuf value = STRBUF_INIT, out = STRBUF_INIT;
	const struct header_field *f;

	ck_assert_int_eq(header_parse(&b, "A: b\n\nbody", 10, NULL), HEADER_OK);
	ck_assert_int_eq(header_append(&b, "X-Short", "  value  ", NULL), HEADER_OK);
	ck_assert_str_eq(b.fields[1].raw, "X-Short: value\n");
	ck_assert_int_eq(header_append(&b, "X-Empty", "", NULL), HEADER_OK);
	ck_assert_str_eq(b.fields[2].raw, "X-Empty:\n");
	ck_assert_int_eq(header_prepend(&b, "Received", "from local", NULL), HEADER_OK);
	ck_assert_str_eq(b.fields[0].name, "Received");
	header_write(&b, &out);
	ck_assert_str_eq(strbuf_cstr(&out),
	    "Received: from local\nA: b\nX-Short: value\nX-Empty:\n\n");

	/* an address list folds after commas, one address per break */
	for (int i = 0; i < 12; i++)
		strbuf_printf(&value, "%sPerson Number %d <person%d@example.com>",
		    i ? ", " : "", i, i);
	ck_assert_int_eq(header_append(&b, "To", value.data, NULL), HEADER_OK);
	f = &b.fields[b.count - 1];
	check_folded(f, value.data, HEADER_FOLD_COLUMN);
	for (size_t i = 0; i + 2 < f->raw_len; i++)
		if (f->raw[i + 1] == '\n')
			ck_assert(f->raw[i] == ',');

	/* plain text folds between words */
	strbuf_reset(&value);
	for (int i = 0; i < 40; i++)
		strbuf_puts(&value, "word\tand  ");
	strbuf_puts(&value, "end");
	ck_assert_int_eq(header_append(&b, "Subject", value.data, NULL), HEADER_OK);
	check_folded(&b.fields[b.count - 1], value.data, HEADER_FOLD_COLUMN);

	/* a long unbreakable word gets a line of its own */
	strbuf_reset(&value);
	strbuf_puts(&value, "short ");
	for (int i = 0; i < 200; i++)
		strbuf_putc(&value, 'z');
	strbuf_puts(&value, " tail");
	ck_assert_int_eq(header_append(&b, "X-Long", value.data, NULL), HEADER_OK);
	check_folded(&b.fields[b.count - 1], value.data, 201);
	header_free(&b);
	strbuf_free(&value);
	strbuf_free(&out);
}
END_TEST

START_TEST(append_rejected)
{
	struct header_block b = HEADER_BLOCK_INIT;
	struct strbuf value = STRBUF_INIT, err = STRBUF_INIT;

	ck_assert_int_eq(header_append(&b, "Bad Name", "v", &err), HEADER_E_SYNTAX);
	ck_assert_int_eq(header_append(&b, "A:b", "v", &err), HEADER_E_SYNTAX);
	ck_assert_int_eq(header_append(&b, "", "v", &err), HEADER_E_SYNTAX);
	ck_assert_int_eq(header_append(&b, "N\xc3\xa4", "v", &err), HEADER_E_SYNTAX);
	ck_assert_int_eq(header_append(&b, "X", "a\nBcc: evil@x", &err),
	    HEADER_E_SYNTAX);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "line break"));
	ck_assert_int_eq(header_prepend(&b, "X", "a\rb", &err), HEADER_E_SYNTAX);
	ck_assert_int_eq(header_append(&b, "X", "a\x01", &err), HEADER_E_SYNTAX);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "control"));
	for (int i = 0; i < 999; i++)
		strbuf_putc(&value, 'z');
	ck_assert_int_eq(header_append(&b, "X", value.data, &err), HEADER_E_LIMIT);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "998"));
	strbuf_reset(&value);
	while (value.len <= HEADER_FIELD_MAX)
		strbuf_puts(&value, "ab ");
	ck_assert_int_eq(header_append(&b, "X", value.data, &err), HEADER_E_LIMIT);
	ck_assert_uint_eq(b.count, 0);
	header_free(&b);
	strbuf_free(&value);
	strbuf_free(&err);
}
END_TEST

struct rcpt_case {
	const char *msg;
	const char *want;	/* specs joined by " " */
};

static const struct rcpt_case rcpt_cases[] = {
	{ "To: a@x\nCc: b@y, c@z\nBcc: d@w\nFrom: f@x\n\n", "a@x b@y c@z d@w" },
	{ "to: A <a@x>\nTO: b@y\nsubject: x\n\n", "a@x b@y" },
	{ "From: f@x\nSubject: none\n\n", "" },
	{ "To: undisclosed-recipients:;\n\n", "" },
	{ "To: root, team: a@x, b@x;\n\n", "root a@x b@x" },
	{ "Resent-From: r@x\nResent-To: new@x\nResent-Cc: cc@x\n"
	  "Resent-Bcc: bcc@x\nReceived: by y\nResent-To: old@x\nTo: orig@x\n\n",
	  "new@x cc@x bcc@x" },
	{ "Received: by z\nResent-Date: now\nResent-To: new@x\n"
	  "Received: by y\nResent-To: old@x\nTo: orig@x\n\n", "new@x" },
	{ "Resent-From: r@x\nReceived: by y\nResent-To: old@x\nTo: t@x\n\n", "" },
	{ "Resent-From: r@x\nResent-Date: now\nTo: t@x\n\n", "t@x" },
	{ "To: t@x\nResent-Cc: late@x\n\n", "late@x" },
	{ "To: t@x\nnot a header\nCc: body@x\n\n", "t@x" },
};

START_TEST(recipients)
{
	const struct rcpt_case *c = &rcpt_cases[_i];
	struct header_block b;
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf got = STRBUF_INIT, err = STRBUF_INIT;

	ck_assert_int_eq(header_parse(&b, c->msg, strlen(c->msg), NULL), HEADER_OK);
	ck_assert_msg(header_collect_recipients(&b, &list, &err) == HEADER_OK,
	    "%s", strbuf_cstr(&err));
	for (size_t i = 0; i < list.count; i++)
		strbuf_printf(&got, "%s%s", i ? " " : "", list.items[i].spec);
	ck_assert_str_eq(strbuf_cstr(&got), c->want);
	addr_list_free(&list);
	header_free(&b);
	strbuf_free(&got);
	strbuf_free(&err);
}
END_TEST

START_TEST(recipients_rejected)
{
	const char *msg = "To: a@x\nCc: ok@x,\n \"bad\n\n";
	struct header_block b;
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT;

	ck_assert_int_eq(addr_list_parse(&list, "keep@x", 6, NULL), ADDR_OK);
	ck_assert_int_eq(header_parse(&b, msg, strlen(msg), NULL), HEADER_OK);
	ck_assert_int_eq(header_collect_recipients(&b, &list, &err), HEADER_E_ADDR);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "\"Cc\""));
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "unterminated"));
	ck_assert_uint_eq(list.count, 1);
	header_free(&b);
	addr_list_free(&list);
	strbuf_free(&err);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

int
main(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, split, 0, NCASES(split_cases));
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, fields_and_values);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, maxima);
	tcase_add_test(tc, find_and_remove);
	tcase_add_test(tc, append_and_fold);
	tcase_add_test(tc, append_rejected);
	tcase_add_loop_test(tc, recipients, 0, NCASES(rcpt_cases));
	tcase_add_test(tc, recipients_rejected);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
