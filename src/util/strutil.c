/*
 * strutil.c - bounded string copies that report truncation.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "strutil.h"

bool
str_copy(char *dst, size_t size, const char *src)
{
	size_t len;

	if (size == 0)
		return false;
	len = strnlen(src, size);
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, len + 1);
	return true;
}

void
str_copy_words(char *dst, size_t size, const char *src)
{
	size_t cut;

	if (str_copy(dst, size, src) || size < 8)
		return;
	cut = size - 4;			/* room for "..." and the NUL */
	while (cut > size / 2 && dst[cut] != ' ')
		cut--;
	if (dst[cut] != ' ')
		cut = size - 4;
	while (cut > 0 && dst[cut - 1] == ' ')
		cut--;
	memcpy(dst + cut, "...", 4);
}

bool
str_concat(char *dst, size_t size, const char *src)
{
	size_t used = strnlen(dst, size);

	if (used == size)
		return false;
	return str_copy(dst + used, size - used, src);
}

bool
str_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size == 0)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

bool
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_equal_nocase(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

_Noreturn void
str_cut_panic(const char *file, int line)
{
	log_panic("%s:%d: a string that must fit was cut short", file, line);
}
