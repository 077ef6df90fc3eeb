/*
 * unit_main.h - what every Check unit test's main() ends with: run the
 * suite (each test in its own forked process) and turn the failure count
 * into the exit status the test harness reads.
 */
#ifndef POSTERN_UNIT_MAIN_H
#define POSTERN_UNIT_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
