/*
 * strutil.h - bounded copies and small string predicates.
 *
 * str_copy() and str_concat() never write past size bytes and always leave
 * a NUL-terminated result; they return false when the result was truncated,
 * and callers must treat that as an error (a path that does not fit is
 * refused, never shortened silently).
 */
#ifndef POSTERN_STRUTIL_H
#define POSTERN_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

bool str_copy(char *dst, size_t size, const char *src);
bool str_concat(char *dst, size_t size, const char *src);
/* str_format - snprintf that reports truncation as false */
bool str_format(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
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
