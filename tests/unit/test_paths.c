/*
 * test_paths.c - compiled-in paths and the environment overrides.
 *
 * The set-id case is exercised for real in the privilege tests, where a
 * set-gid copy of a program runs as another user; here the process is not
 * set-id, so overrides must apply and empty values must not.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "paths.h"
#include "unit_main.h"

START_TEST(defaults_without_environment)
{
	unsetenv("POSTERN_CONFIG");
	unsetenv("POSTERN_SPOOL_DIR");
	ck_assert(!paths_is_setid());
	ck_assert_str_eq(paths_config_file(), POSTERN_CONFIG_FILE);
	ck_assert_str_eq(paths_spool_dir(), POSTERN_SPOOL_DIR);
	ck_assert_str_eq(paths_drop_program(), POSTERN_DROP_PROGRAM);
}
END_TEST

START_TEST(overrides_when_not_setid)
{
	setenv("POSTERN_CONFIG", "/tmp/x/postern.conf", 1);
	setenv("POSTERN_SPOOL_DIR", "/tmp/x/spool", 1);
	setenv("POSTERN_DROP", "", 1);
	ck_assert_str_eq(paths_config_file(), "/tmp/x/postern.conf");
	ck_assert_str_eq(paths_spool_dir(), "/tmp/x/spool");
	ck_assert_str_eq(paths_drop_program(), POSTERN_DROP_PROGRAM);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("paths");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults_without_environment);
	tcase_add_test(tc, overrides_when_not_setid);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
