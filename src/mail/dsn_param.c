/*
 * dsn_param.c - parse and format the DSN parameters; see dsn_param.h.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "dsn_param.h"
#include "strutil.h"

static const struct {
	unsigned bit;
	const char *name;
} dsn_notify_words[] = {
	{ DSN_NOTIFY_SUCCESS, "SUCCESS" },
	{ DSN_NOTIFY_FAILURE, "FAILURE" },
	{ DSN_NOTIFY_DELAY, "DELAY" },
};

bool
dsn_notify_parse(const char *text, unsigned *bits)
{
	const char *p = text;

	*bits = 0;
	if (strcasecmp(text, "NEVER") == 0) {
		*bits = DSN_NOTIFY_NEVER;
		return true;
	}
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < sizeof(dsn_notify_words) / sizeof(dsn_notify_words[0]); i++)
			if (n == strlen(dsn_notify_words[i].name) &&
			    strncasecmp(p, dsn_notify_words[i].name, n) == 0)
				break;
		if (i == sizeof(dsn_notify_words) / sizeof(dsn_notify_words[0]) ||
		    (*bits & dsn_notify_words[i].bit))
			return *bits = 0, false;
		*bits |= dsn_notify_words[i].bit;
		p += n;
		if (*p == ',' && *++p == '\0')
			return *bits = 0, false;
	}
	return *bits != 0;
}

void
dsn_notify_format(unsigned bits, char *buf, size_t size)
{
	if (size == 0)
		return;
	buf[0] = '\0';
	if (bits & DSN_NOTIFY_NEVER) {
		STR_TRUNCATION_OK(str_copy(buf, size, "NEVER"));
		return;
	}
	for (size_t i = 0; i < sizeof(dsn_notify_words) / sizeof(dsn_notify_words[0]); i++)
		if (bits & dsn_notify_words[i].bit) {
			if (buf[0])
				STR_TRUNCATION_OK(str_concat(buf, size, ","));
			STR_TRUNCATION_OK(str_concat(buf, size, dsn_notify_words[i].name));
		}
}

bool
dsn_notify_wants(unsigned bits, unsigned kind)
{
	if (bits == 0)
		return kind != DSN_NOTIFY_SUCCESS;
	if (bits & DSN_NOTIFY_NEVER)
		return false;
	return (bits & kind) != 0;
}

bool
dsn_ret_parse(const char *text, enum dsn_ret *ret)
{
	if (strcasecmp(text, "FULL") == 0)
		*ret = DSN_RET_FULL;
	else if (strcasecmp(text, "HDRS") == 0)
		*ret = DSN_RET_HDRS;
	else
		return false;
	return true;
}

const char *
dsn_ret_name(enum dsn_ret ret)
{
	return ret == DSN_RET_FULL ? "FULL" : ret == DSN_RET_HDRS ? "HDRS" : NULL;
}

bool
dsn_envid_valid(const char *text)
{
	size_t n = 0;

	for (; *text; text++, n++)
		if ((unsigned char)*text < 33 || (unsigned char)*text > 126)
			return false;
	return n > 0 && n <= 100;
}
