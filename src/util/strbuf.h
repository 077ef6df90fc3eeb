/*
 * strbuf.h - a growing byte string for anything built from untrusted input.
 *
 * The buffer is always NUL-terminated (data[len] == 0) but may also hold NUL
 * bytes inside; len is authoritative. Growth checks for size_t overflow and
 * exits through xalloc on exhaustion. The owner frees with strbuf_free() or
 * takes the bytes with strbuf_export(), after which the strbuf is empty.
 */
#ifndef POSTERN_STRBUF_H
#define POSTERN_STRBUF_H

#include <stddef.h>

#include "log.h"

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* strbuf_reset - empty the string, keep the allocation */
void strbuf_reset(struct strbuf *sb);
/* strbuf_reserve - make room for extra more bytes plus the NUL */
void strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_append(struct strbuf *sb, const void *bytes, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) LOG_PRINTF(2, 3);
/* strbuf_cstr - the contents as a C string ("" when never written) */
const char *strbuf_cstr(const struct strbuf *sb);
/* strbuf_export - hand the heap string to the caller, who frees it */
char *strbuf_export(struct strbuf *sb);

#endif
