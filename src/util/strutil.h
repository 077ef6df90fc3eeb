/*
 * strutil.h - bounded copies and small string predicates.
 *
 * str_copy() and str_concat() never write past size bytes and always leave
 * a NUL-terminated result; they return false when the result was truncated,
 * and callers must treat that as an error (a path that does not fit is
 * refused, never shortened silently). The compiler warns when a result is
 * ignored: a caller checks it, or wraps the call in STR_TRUNCATION_OK()
 * where a shortened result is what it wants (text for a log line or a
 * reply; a plain (void) cast does not silence gcc), or in STR_MUST_FIT()
 * where the buffer is sized for every result.
 */
#ifndef POSTERN_STRUTIL_H
#define POSTERN_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* STR_TRUNCATION_OK - call a bounded helper whose result may be cut short */
#define STR_TRUNCATION_OK(call)	((void)!(call))
/*
 * STR_MUST_FIT - call a bounded helper whose buffer is sized for every
 * result (a queue file name, a numeric address); a cut is a bug, and the
 * program stops (log_panic) rather than act on a shortened name
 */
#define STR_MUST_FIT(call)	((call) ? (void)0 : str_cut_panic(__FILE__, __LINE__))
_Noreturn void str_cut_panic(const char *file, int line);

bool str_copy(char *dst, size_t size, const char *src)
    __attribute__((warn_unused_result));
bool str_concat(char *dst, size_t size, const char *src)
    __attribute__((warn_unused_result));
/* str_format - snprintf that reports truncation as false */
bool str_format(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), warn_unused_result));
/*
 * str_copy_words - copy text for people: when src does not fit, cut it at
 * the last space that leaves room for "..." and end it with "...", so no
 * word is cut in half (a single over-long word is cut). Size >= 8.
 */
void str_copy_words(char *dst, size_t size, const char *src);
bool str_has_prefix(const char *s, const char *prefix);
/* str_equal_nocase - ASCII case-insensitive equality */
bool str_equal_nocase(const char *a, const char *b);

#endif
