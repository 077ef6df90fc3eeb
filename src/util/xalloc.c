/*
 * xalloc.c - allocation wrappers that exit EX_OSERR instead of returning NULL.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "xalloc.h"

static _Noreturn void
xalloc_fail(size_t n, size_t size)
{
	log_fatal(EX_OSERR, "out of memory allocating %zu x %zu bytes", n, size);
}

_Noreturn void
xalloc_die(const char *what)
{
	log_fatal(EX_OSERR, "out of memory %s", what);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		xalloc_fail(1, size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		xalloc_fail(n, size);
	return p;
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	size_t total;
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		xalloc_fail(n, size);
	total = n * size;
	p = realloc(ptr, total != 0 ? total : 1);
	if (p == NULL)
		xalloc_fail(n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
xfree_secret(void *ptr, size_t size)
{
	if (ptr == NULL)
		return;
	explicit_bzero(ptr, size);
	free(ptr);
}
