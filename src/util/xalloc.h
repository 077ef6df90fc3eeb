/*
 * xalloc.h - allocation wrappers that never return NULL.
 *
 * On exhaustion they log and exit EX_OSERR: a mail program that cannot
 * allocate cannot do anything useful, and a half-done step must not pretend
 * success. Sizes are checked for multiplication overflow.
 */
#ifndef POSTERN_XALLOC_H
#define POSTERN_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xalloc_die - report that memory ran out while doing what, and exit */
_Noreturn void xalloc_die(const char *what);
/* xfree_secret - zero size bytes at ptr, then free it (NULL is allowed) */
void xfree_secret(void *ptr, size_t size);

#endif
