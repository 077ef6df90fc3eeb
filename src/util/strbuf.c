/*
 * strbuf.c - growing byte strings with overflow-checked growth.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "strbuf.h"
#include "xalloc.h"

void
strbuf_init(struct strbuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void
strbuf_free(struct strbuf *sb)
{
	free(sb->data);
	strbuf_init(sb);
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

void
strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;

	if (extra > SIZE_MAX - sb->len - 1)
		log_fatal(EX_SOFTWARE, "string length overflow");
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	sb->data = xreallocarray(sb->data, cap, 1);
	sb->cap = cap;
}

void
strbuf_append(struct strbuf *sb, const void *bytes, size_t n)
{
	strbuf_reserve(sb, n);
	if (n)
		memcpy(sb->data + sb->len, bytes, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void
strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_append(sb, &c, 1);
}

void
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("strbuf_printf: bad format \"%s\"", fmt);
	strbuf_reserve(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

const char *
strbuf_cstr(const struct strbuf *sb)
{
	return sb->data ? sb->data : "";
}

char *
strbuf_export(struct strbuf *sb)
{
	char *s = sb->data ? sb->data : xstrdup("");

	strbuf_init(sb);
	return s;
}
