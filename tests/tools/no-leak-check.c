/*
 * no-leak-check.c - linked into the set-gid test writer only. Under
 * AddressSanitizer, LeakSanitizer cannot inspect a set-gid process (it is
 * not dumpable) and aborts at exit; the leak check of the writer runs in
 * the other tests, where it is not set-gid. Without sanitizers this
 * function is never called.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
