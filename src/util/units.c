/*
 * units.c - duration and size parsing for the configuration and the CLI.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "strutil.h"
#include "units.h"

/* units_number - read decimal digits at *p; false on none or overflow */
static bool
units_number(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

/* units_duration_scale - milliseconds per unit at *p; advances past it */
static uint64_t
units_duration_scale(const char **p)
{
	static const struct { const char *name; uint64_t ms; } scale[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "w", 604800000 },
	};

	for (size_t i = 0; i < sizeof(scale) / sizeof(scale[0]); i++) {
		size_t n = strlen(scale[i].name);

		if (strncmp(*p, scale[i].name, n) == 0 &&
		    !isalpha((unsigned char)(*p)[n])) {
			*p += n;
			return scale[i].ms;
		}
	}
	return 0;
}

bool
units_parse_duration_ms(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t total = 0;
	bool first = true;

	if (*p == '\0')
		return false;
	while (*p) {
		uint64_t n, scale;

		if (!units_number(&p, &n))
			return false;
		if (*p == '\0' && first)
			scale = 1000;	/* a bare number means seconds */
		else if ((scale = units_duration_scale(&p)) == 0)
			return false;
		first = false;
		if (n > (UINT64_MAX - total) / scale)
			return false;
		total += n * scale;
	}
	*out = total;
	return true;
}

bool
units_parse_size(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t n, scale = 1;

	if (!units_number(&p, &n))
		return false;
	switch (tolower((unsigned char)*p)) {
	case '\0':
		break;
	case 'k': scale = 1024; p++; break;
	case 'm': scale = 1024 * 1024; p++; break;
	case 'g': scale = 1024 * 1024 * 1024; p++; break;
	default:
		return false;
	}
	if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p != '\0' || (scale > 1 && n > UINT64_MAX / scale))
		return false;
	*out = n * scale;
	return true;
}

bool
units_format_duration(uint64_t ms, char *buf, size_t size)
{
	static const struct { char unit; uint64_t ms; } parts[] = {
		{ 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 }, { 's', 1000 },
	};
	bool ok = str_copy(buf, size, "");
	char piece[32];

	if (ms < 1000 && ms > 0)
		return str_format(buf, size, "%llums", (unsigned long long)ms);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uint64_t n = ms / parts[i].ms;

		ms %= parts[i].ms;
		if (n == 0)
			continue;
		STR_MUST_FIT(str_format(piece, sizeof(piece), "%llu%c", (unsigned long long)n,
		    parts[i].unit));
		ok = ok && str_concat(buf, size, piece);
	}
	if (ok && buf[0] == '\0')
		ok = str_copy(buf, size, "0s");
	return ok;
}
