/*
 * test_addr.c - address lists, qualifying, and envelope address checks.
 *
 * List cases render each parsed address as "spec [display] U" (display and
 * the UTF-8 mark only when present) and join them with " ; ".
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "strbuf.h"
#include "unit_main.h"

struct list_case {
	const char *in;
	const char *want;
};

struct bad_case {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	enum addr_status st;
	const char *msg;	/* substring of the error message */
};

struct env_case {
	enum addr_role role;
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *want;	/* NULL: must fail */
	const char *msg;	/* substring of the error message when failing */
};

static const struct list_case list_cases[] = {
	{ "a@x", "a@x" },
	{ "Name <a@x>", "a@x [Name]" },
	{ "\"Last, First\" <a@x>", "a@x [Last, First]" },
	{ "=?UTF-8?B?SsO2cmc=?= <a@x>", "a@x [=?UTF-8?B?SsO2cmc=?=]" },
	{ "=?UTF-8?Q?J=C3=B6rg_M.?= <a@x>", "a@x [=?UTF-8?Q?J=C3=B6rg_M.?=]" },
	{ "\"john doe\"@x", "\"john doe\"@x" },
	{ "\"john\\\"q\\\\\"@x", "\"john\\\"q\\\\\"@x" },
	{ "\"john\"@x", "john@x" },
	{ "\"john\".\"doe\"@x", "john.doe@x" },
	{ "a@x (Full Name)", "a@x [Full Name]" },
	{ "(c (d)) a@x (e)", "a@x [e]" },
	{ "a(c (d \\) ))@(x)x", "a@x" },
	{ "Name <a@x> (work)", "a@x [Name]" },
	{ "team: a@x, b@y;", "a@x ; b@y" },
	{ "team: a@x, B <b@y>; , c@z", "a@x ; b@y [B] ; c@z" },
	{ "undisclosed-recipients:;", "" },
	{ "undisclosed-recipients: ;, a@x", "a@x" },
	{ "team: a@x", "a@x" },
	{ "team: root;", "root" },
	{ "a@[192.0.2.1]", "a@[192.0.2.1]" },
	{ "a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8::1]" },
	{ "a@x,,b@y,", "a@x ; b@y" },
	{ ", ,", "" },
	{ "", "" },
	{ "   ", "" },
	{ "root", "root" },
	{ "www-data", "www-data" },
	{ "root, www-data", "root ; www-data" },
	{ "root (Cron Daemon)", "root [Cron Daemon]" },
	{ "<root>", "root" },
	{ "a@x,b@y", "a@x ; b@y" },
	{ "\"Doe, John\" <j@x>", "j@x [Doe, John]" },
	{ "\"Doe, John\" <j@x>,k@y", "j@x [Doe, John] ; k@y" },
	{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "j\xc3\xb6rg@b\xc3\xbc" "cher.example U" },
	{ "J\xc3\xb6rg <j@x>", "j@x [J\xc3\xb6rg]" },
	{ "a@x,\r\n b@y", "a@x ; b@y" },
	{ "A <a@x>,\n\tB\n <b@y>", "a@x [A] ; b@y [B]" },
	{ "\"folded\r\n quote\"@x", "\"folded quote\"@x" },
	{ "a@x\n", "a@x" },
	{ "John Q. Public <jqp@x>", "jqp@x [John Q. Public]" },
	{ "<@r1.example,@r2.example:a@x>", "a@x" },
	{ "john . doe @ example . com", "john.doe@example.com" },
	{ "john..doe@x", "\"john..doe\"@x" },
	{ "\"\"@x", "\"\"@x" },
	{ "\"a b\" <c@d>", "c@d [a b]" },
	{ "first.last+tag@sub.example.org", "first.last+tag@sub.example.org" },
	{ "A B C <abc@x>, \"D\" <d@x>", "abc@x [A B C] ; d@x [D]" },
};

static const struct bad_case bad_cases[] = {
	{ "\"unterminated@x", 0, ADDR_E_SYNTAX, "unterminated quoted string" },
	{ "<a@x", 0, ADDR_E_SYNTAX, "unterminated '<'" },
	{ "Name <a@x, b@y", 0, ADDR_E_SYNTAX, "unexpected" },
	{ "a@x (comment", 0, ADDR_E_SYNTAX, "unterminated comment" },
	{ "a@x (c (d)", 0, ADDR_E_SYNTAX, "unterminated comment" },
	{ "a@[1.2.3.4", 0, ADDR_E_SYNTAX, "unterminated domain literal" },
	{ "a@x\nb@y", 0, ADDR_E_UNSAFE, "line break" },
	{ "a@x\rb@y", 0, ADDR_E_UNSAFE, "line break" },
	{ "a@x\r", 0, ADDR_E_UNSAFE, "line break" },
	{ "a@x\n\nb@y", 0, ADDR_E_UNSAFE, "line break" },
	{ "\"a\nb\"@x", 0, ADDR_E_UNSAFE, "line break" },
	{ "a\x01@x", 0, ADDR_E_UNSAFE, "control character" },
	{ "a@x\x7f", 0, ADDR_E_UNSAFE, "control character" },
	{ "a@x\0b@y", 8, ADDR_E_UNSAFE, "NUL" },
	{ "\"a\\\0\"@x", 6, ADDR_E_UNSAFE, "NUL" },
	{ "John Smith", 0, ADDR_E_SYNTAX, "display name without" },
	{ "John Smith@x", 0, ADDR_E_SYNTAX, "not a local part" },
	{ "@x", 0, ADDR_E_SYNTAX, "missing local part" },
	{ "a@", 0, ADDR_E_SYNTAX, "missing domain" },
	{ "a@x.", 0, ADDR_E_SYNTAX, "empty label" },
	{ "a@x..y", 0, ADDR_E_SYNTAX, "empty label" },
	{ "a@ex!ample", 0, ADDR_E_SYNTAX, "invalid character in domain" },
	{ "<>", 0, ADDR_E_SYNTAX, "empty address" },
	{ "Name <>", 0, ADDR_E_SYNTAX, "empty address" },
	{ "a: b: c@x;;", 0, ADDR_E_SYNTAX, "group inside a group" },
	{ "a@x b@y", 0, ADDR_E_SYNTAX, "unexpected \"b\"" },
	{ "a@x)", 0, ADDR_E_SYNTAX, "unbalanced ')'" },
	{ "a@x]", 0, ADDR_E_SYNTAX, "unbalanced ']'" },
	{ "\"a\\", 0, ADDR_E_SYNTAX, "backslash at end" },
	{ "a\\b@x", 0, ADDR_E_SYNTAX, "backslash outside" },
	{ "\"a\tb\"@x", 0, ADDR_E_UNSAFE, "tab" },
	{ "j\xc3@x", 0, ADDR_E_SYNTAX, "UTF-8" },
	{ "\xed\xa0\x80@x", 0, ADDR_E_SYNTAX, "UTF-8" },
	{ "\xc0\xaf@x", 0, ADDR_E_SYNTAX, "UTF-8" },
	{ "\"quoted\"", 0, ADDR_E_SYNTAX, "invalid local name" },
	{ ".root", 0, ADDR_E_SYNTAX, "invalid local name" },
	{ "a@x;", 0, ADDR_E_SYNTAX, "unexpected \";\"" },
	{ "<a@x>>", 0, ADDR_E_SYNTAX, "unexpected \">\"" },
	{ "a@[1.2\\.3]", 0, ADDR_E_SYNTAX, "domain literal" },
	{ "a@[1.2[3]", 0, ADDR_E_SYNTAX, "domain literal" },
	{ "a@[1.2.\n <x>]", 0, ADDR_E_SYNTAX, "domain literal" },
	{ "a@[1.2.3.4 (c)]", 0, ADDR_E_SYNTAX, "domain literal" },
	{ "<@r1 a@x>", 0, ADDR_E_SYNTAX, "route" },
	{ "a@x, \"bad", 0, ADDR_E_SYNTAX, "unterminated" },
};

/* render - the " ; "-joined description of list[from..] */
static void
render(const struct addr_list *list, size_t from, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = from; i < list->count; i++) {
		const struct addr *a = &list->items[i];

		if (i > from)
			strbuf_puts(out, " ; ");
		strbuf_puts(out, a->spec);
		if (a->display)
			strbuf_printf(out, " [%s]", a->display);
		if (a->utf8)
			strbuf_puts(out, " U");
	}
}

START_TEST(list_forms)
{
	const struct list_case *c = &list_cases[_i];
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT, got = STRBUF_INIT;
	enum addr_status st;

	st = addr_list_parse(&list, c->in, strlen(c->in), &err);
	ck_assert_msg(st == ADDR_OK, "\"%s\": %s", c->in, strbuf_cstr(&err));
	render(&list, 0, &got);
	ck_assert_msg(strcmp(strbuf_cstr(&got), c->want) == 0,
	    "\"%s\": got \"%s\", want \"%s\"", c->in, strbuf_cstr(&got), c->want);
	addr_list_free(&list);
	strbuf_free(&err);
	strbuf_free(&got);
}
END_TEST

START_TEST(list_rejected)
{
	const struct bad_case *c = &bad_cases[_i];
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t len = c->len ? c->len : strlen(c->in);
	enum addr_status st;

	ck_assert_int_eq(addr_list_parse(&list, "keep@x", 6, NULL), ADDR_OK);
	st = addr_list_parse(&list, c->in, len, &err);
	ck_assert_msg(st == c->st, "\"%s\": status %d, want %d (%s)", c->in,
	    (int)st, (int)c->st, strbuf_cstr(&err));
	ck_assert_msg(strstr(strbuf_cstr(&err), c->msg) != NULL,
	    "\"%s\": message \"%s\" lacks \"%s\"", c->in, strbuf_cstr(&err), c->msg);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.items[0].spec, "keep@x");
	addr_list_free(&list);
	strbuf_free(&err);
}
END_TEST

START_TEST(list_parts)
{
	struct addr_list list = ADDR_LIST_INIT;
	const struct addr *a;
	const char *in = "\"john \\\"j\\\" doe\"@Example.ORG, root, N <x@[10.0.0.1]>";

	ck_assert_int_eq(addr_list_parse(&list, in, strlen(in), NULL), ADDR_OK);
	ck_assert_uint_eq(list.count, 3);
	a = &list.items[0];
	ck_assert_str_eq(a->local, "john \"j\" doe");
	ck_assert_str_eq(a->domain, "Example.ORG");
	ck_assert_str_eq(a->spec, "\"john \\\"j\\\" doe\"@Example.ORG");
	ck_assert_ptr_null(a->display);
	ck_assert(!a->utf8);
	a = &list.items[1];
	ck_assert_str_eq(a->local, "root");
	ck_assert_ptr_null(a->domain);
	ck_assert_str_eq(a->spec, "root");
	a = &list.items[2];
	ck_assert_str_eq(a->domain, "[10.0.0.1]");
	ck_assert_str_eq(a->display, "N");
	addr_list_free(&list);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_ptr_null(list.items);
}
END_TEST

START_TEST(list_appends)
{
	struct addr_list list = ADDR_LIST_INIT;

	ck_assert_int_eq(addr_list_parse(&list, "a@x", 3, NULL), ADDR_OK);
	ck_assert_int_eq(addr_list_parse(&list, "b@y, c@z", 8, NULL), ADDR_OK);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.items[2].spec, "c@z");
	addr_list_truncate(&list, 1);
	ck_assert_uint_eq(list.count, 1);
	addr_list_free(&list);
}
END_TEST

START_TEST(list_maxima)
{
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf in = STRBUF_INIT, err = STRBUF_INIT;

	/* a spec of exactly 998 bytes passes, 999 does not */
	for (int i = 0; i < 996; i++)
		strbuf_putc(&in, 'l');
	strbuf_puts(&in, "@x");
	ck_assert_int_eq(addr_list_parse(&list, in.data, in.len, &err), ADDR_OK);
	strbuf_reset(&in);
	for (int i = 0; i < 997; i++)
		strbuf_putc(&in, 'l');
	strbuf_puts(&in, "@x");
	ck_assert_int_eq(addr_list_parse(&list, in.data, in.len, &err), ADDR_E_LIMIT);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "998"));
	addr_list_free(&list);

	/* 10000 addresses pass, 10001 do not */
	strbuf_reset(&in);
	for (int i = 0; i < ADDR_LIST_MAX; i++)
		strbuf_puts(&in, "a,");
	ck_assert_int_eq(addr_list_parse(&list, in.data, in.len, &err), ADDR_OK);
	ck_assert_uint_eq(list.count, ADDR_LIST_MAX);
	ck_assert_int_eq(addr_list_parse(&list, "b", 1, &err), ADDR_E_LIMIT);
	ck_assert_ptr_nonnull(strstr(strbuf_cstr(&err), "10000"));
	ck_assert_uint_eq(list.count, ADDR_LIST_MAX);
	addr_list_free(&list);

	/* the whole text is bounded too */
	strbuf_reset(&in);
	while (in.len <= ADDR_TEXT_MAX)
		strbuf_puts(&in, "                ");
	ck_assert_int_eq(addr_list_parse(&list, in.data, in.len, &err), ADDR_E_LIMIT);
	ck_assert_uint_eq(list.count, 0);

	/* deep comment nesting is just text */
	strbuf_reset(&in);
	strbuf_puts(&in, "a@x ");
	for (int i = 0; i < 5000; i++)
		strbuf_putc(&in, '(');
	for (int i = 0; i < 5000; i++)
		strbuf_putc(&in, ')');
	ck_assert_int_eq(addr_list_parse(&list, in.data, in.len, &err), ADDR_OK);
	addr_list_free(&list);
	strbuf_free(&in);
	strbuf_free(&err);
}
END_TEST

START_TEST(qualify)
{
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT, in = STRBUF_INIT;

	ck_assert_int_eq(addr_list_parse(&list, "root (Admin), a@y", 17, NULL), ADDR_OK);
	ck_assert_int_eq(addr_qualify(&list.items[0], "example.org", &err), ADDR_OK);
	ck_assert_str_eq(list.items[0].spec, "root@example.org");
	ck_assert_str_eq(list.items[0].domain, "example.org");
	ck_assert_str_eq(list.items[0].local, "root");
	ck_assert_str_eq(list.items[0].display, "Admin");
	ck_assert_int_eq(addr_qualify(&list.items[1], "example.org", &err), ADDR_OK);
	ck_assert_str_eq(list.items[1].spec, "a@y");
	addr_list_free(&list);

	ck_assert_int_eq(addr_list_parse(&list, "root", 4, NULL), ADDR_OK);
	ck_assert_int_eq(addr_qualify(&list.items[0], "bad domain", &err), ADDR_E_SYNTAX);
	ck_assert_int_eq(addr_qualify(&list.items[0], "a..b", &err), ADDR_E_SYNTAX);
	ck_assert_int_eq(addr_qualify(&list.items[0], "", &err), ADDR_E_SYNTAX);
	ck_assert_int_eq(addr_qualify(&list.items[0], "x.\n", &err), ADDR_E_SYNTAX);
	ck_assert_int_eq(addr_qualify(&list.items[0], "[1.2 .3]", &err), ADDR_E_SYNTAX);
	ck_assert_str_eq(list.items[0].spec, "root");
	ck_assert_int_eq(addr_qualify(&list.items[0], "b\xc3\xbc" "cher.de", &err), ADDR_OK);
	ck_assert(list.items[0].utf8);
	addr_list_free(&list);

	ck_assert_int_eq(addr_list_parse(&list, "root", 4, NULL), ADDR_OK);
	ck_assert_int_eq(addr_qualify(&list.items[0], "[192.0.2.1]", &err), ADDR_OK);
	ck_assert_str_eq(list.items[0].spec, "root@[192.0.2.1]");
	addr_list_free(&list);

	for (int i = 0; i < 990; i++)
		strbuf_putc(&in, 'r');
	ck_assert_int_eq(addr_list_parse(&list, in.data, in.len, NULL), ADDR_OK);
	ck_assert_int_eq(addr_qualify(&list.items[0], "example.org", &err), ADDR_E_LIMIT);
	ck_assert_uint_eq(strlen(list.items[0].spec), 990);
	addr_list_free(&list);
	strbuf_free(&in);
	strbuf_free(&err);
}
END_TEST

static const struct env_case env_cases[] = {
	{ ADDR_SENDER, "a@x", 0, "a@x", NULL },
	{ ADDR_RECIPIENT, "<a@x>", 0, "a@x", NULL },
	{ ADDR_RECIPIENT, "root", 0, "root", NULL },
	{ ADDR_RECIPIENT, "<root>", 0, "root", NULL },
	{ ADDR_SENDER, "", 0, "", NULL },
	{ ADDR_SENDER, "<>", 0, "", NULL },
	{ ADDR_SENDER, "\"\"", 0, "", NULL },
	{ ADDR_RECIPIENT, "<>", 0, NULL, "empty recipient" },
	{ ADDR_RECIPIENT, "", 0, NULL, "empty recipient" },
	{ ADDR_RECIPIENT, "\"\"", 0, NULL, "empty recipient" },
	{ ADDR_RECIPIENT, "\"john doe\"@x", 0, "\"john doe\"@x", NULL },
	{ ADDR_RECIPIENT, "\"john\"@x", 0, "john@x", NULL },
	{ ADDR_RECIPIENT, "\"a\\\"b\"@x", 0, "\"a\\\"b\"@x", NULL },
	{ ADDR_RECIPIENT, "<@r.example:a@x>", 0, "a@x", NULL },
	{ ADDR_RECIPIENT, "@r.example:a@x", 0, NULL, "missing local part" },
	{ ADDR_RECIPIENT, "j\xc3\xb6rg@x", 0, "j\xc3\xb6rg@x", NULL },
	{ ADDR_RECIPIENT, "a@[192.0.2.1]", 0, "a@[192.0.2.1]", NULL },
	{ ADDR_RECIPIENT, "a@x\r\nRCPT TO:<evil@y>", 0, NULL, "line break" },
	{ ADDR_RECIPIENT, "a@x\n", 0, NULL, "line break" },
	{ ADDR_SENDER, "<a@x>\rDATA", 0, NULL, "line break" },
	{ ADDR_RECIPIENT, "a\0b@x", 5, NULL, "NUL" },
	{ ADDR_RECIPIENT, "a\tb@x", 0, NULL, "control character" },
	{ ADDR_RECIPIENT, "a@x\x7f", 0, NULL, "control character" },
	{ ADDR_RECIPIENT, "\"a\x1b\"@x", 0, NULL, "control character" },
	{ ADDR_RECIPIENT, "-oQ.spool@x", 0, NULL, "starts with '-'" },
	{ ADDR_RECIPIENT, "-bs", 0, NULL, "starts with '-'" },
	{ ADDR_RECIPIENT, "<-x@y>", 0, NULL, "starts with '-'" },
	{ ADDR_RECIPIENT, "<@r:-x@y>", 0, NULL, "starts with '-'" },
	{ ADDR_RECIPIENT, "<a@x", 0, NULL, "unbalanced" },
	{ ADDR_RECIPIENT, "a@x>", 0, NULL, "unbalanced" },
	{ ADDR_RECIPIENT, "<<a@x>>", 0, NULL, "unbalanced" },
	{ ADDR_RECIPIENT, "<", 0, NULL, "unbalanced" },
	{ ADDR_RECIPIENT, "Name<a@x>", 0, NULL, "unbalanced" },
	{ ADDR_RECIPIENT, "Name <a@x>", 0, NULL, "space outside quotes" },
	{ ADDR_RECIPIENT, "a b@x", 0, NULL, "space outside quotes" },
	{ ADDR_RECIPIENT, " a@x", 0, NULL, "space outside quotes" },
	{ ADDR_RECIPIENT, "a@x(c)", 0, NULL, "comments" },
	{ ADDR_RECIPIENT, "a@x,b@y", 0, NULL, "unexpected \",\"" },
	{ ADDR_RECIPIENT, "team:a@x;", 0, NULL, "unexpected \":\"" },
	{ ADDR_RECIPIENT, "\"a@x", 0, NULL, "unterminated" },
	{ ADDR_RECIPIENT, "a@x.", 0, NULL, "empty label" },
	{ ADDR_RECIPIENT, "a@", 0, NULL, "missing domain" },
	{ ADDR_RECIPIENT, "@x", 0, NULL, "missing local part" },
	{ ADDR_RECIPIENT, "a@b@c", 0, NULL, "unexpected" },
	{ ADDR_RECIPIENT, "j\xc3@x", 0, NULL, "UTF-8" },
	{ ADDR_RECIPIENT, "\"a b\"", 0, NULL, "invalid local name" },
};

START_TEST(envelope)
{
	const struct env_case *c = &env_cases[_i];
	struct strbuf err = STRBUF_INIT;
	size_t len = c->len ? c->len : strlen(c->in);
	char *out = (char *)"unset";
	enum addr_status st;

	st = addr_envelope_parse(c->in, len, c->role, &out, &err);
	if (c->want) {
		ck_assert_msg(st == ADDR_OK, "\"%s\": %s", c->in, strbuf_cstr(&err));
		ck_assert_str_eq(out, c->want);
	} else {
		ck_assert_msg(st != ADDR_OK, "\"%s\" accepted as \"%s\"", c->in, out);
		ck_assert_ptr_null(out);
		ck_assert_msg(strstr(strbuf_cstr(&err), c->msg) != NULL,
		    "\"%s\": message \"%s\" lacks \"%s\"", c->in,
		    strbuf_cstr(&err), c->msg);
	}
	free(out);
	strbuf_free(&err);
}
END_TEST

START_TEST(envelope_length)
{
	struct strbuf in = STRBUF_INIT;
	char *out;

	for (int i = 0; i < 996; i++)
		strbuf_putc(&in, 'l');
	strbuf_puts(&in, "@x");
	ck_assert_int_eq(addr_envelope_parse(in.data, in.len, ADDR_RECIPIENT,
	    &out, NULL), ADDR_OK);
	free(out);
	strbuf_putc(&in, 'y');
	ck_assert_int_eq(addr_envelope_parse(in.data, in.len, ADDR_RECIPIENT,
	    &out, NULL), ADDR_E_LIMIT);
	for (int i = 0; i < 5000; i++)
		strbuf_putc(&in, 'y');
	ck_assert_int_eq(addr_envelope_parse(in.data, in.len, ADDR_RECIPIENT,
	    &out, NULL), ADDR_E_LIMIT);
	ck_assert_ptr_null(out);
	strbuf_free(&in);
}
END_TEST

/* every spec of a parsed list passes the envelope check unchanged */
START_TEST(list_specs_are_envelope_safe)
{
	const char *in = "\"Doe, John\" <j@x>, \"a b\"@y, root, k@[1.2.3.4], "
	    "\"q\\\"x\"@z, =?UTF-8?B?SsO2cmc=?= <j\xc3\xb6rg@x>";
	struct addr_list list = ADDR_LIST_INIT;
	char *out;

	ck_assert_int_eq(addr_list_parse(&list, in, strlen(in), NULL), ADDR_OK);
	ck_assert_uint_eq(list.count, 6);
	for (size_t i = 0; i < list.count; i++) {
		const char *spec = list.items[i].spec;

		ck_assert_int_eq(addr_envelope_parse(spec, strlen(spec),
		    ADDR_RECIPIENT, &out, NULL), ADDR_OK);
		ck_assert_str_eq(out, spec);
		free(out);
	}
	addr_list_free(&list);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

int
main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, list_forms, 0, NCASES(list_cases));
	tcase_add_loop_test(tc, list_rejected, 0, NCASES(bad_cases));
	tcase_add_test(tc, list_parts);
	tcase_add_test(tc, list_appends);
	tcase_add_test(tc, list_maxima);
	tcase_add_test(tc, qualify);
	tcase_add_loop_test(tc, envelope, 0, NCASES(env_cases));
	tcase_add_test(tc, envelope_length);
	tcase_add_test(tc, list_specs_are_envelope_safe);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
