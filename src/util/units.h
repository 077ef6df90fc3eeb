/*
 * units.h - parse and format durations ("90s", "5m", "1h30m", "5d",
 * "250ms") and sizes ("35M", "10k", "1G", plain bytes).
 *
 * Parsers accept a non-negative decimal number followed by an optional unit
 * and may chain duration terms ("1h30m"). They return false on any syntax
 * error or overflow and leave *out untouched. Unit letters are
 * case-sensitive for durations (m = minute, ms = millisecond) and
 * case-insensitive for sizes (binary multiples: k = 1024).
 */
#ifndef POSTERN_UNITS_H
#define POSTERN_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* units_parse_duration_ms - a duration in milliseconds; bare number = seconds */
bool units_parse_duration_ms(const char *text, uint64_t *out);
/* units_parse_size - a byte count */
bool units_parse_size(const char *text, uint64_t *out);
/* units_format_duration - "1d2h3m4s" style, "0s" for zero; false if truncated */
bool units_format_duration(uint64_t ms, char *buf, size_t size);

#endif
