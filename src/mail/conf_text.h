/*
 * conf_text.h - prepare the text of postern.conf for libconfuse.
 *
 * libconfuse 3.3 (Debian 12) miscounts lines after a comment: each "#" or
 * "//" comment line adds three to its line counter and a C comment one
 * more than it spans, so every "FILE:LINE" it reports after the first
 * comment is wrong. conf_text_blank_comments() replaces every comment,
 * outside quoted strings, with spaces while keeping its newlines, using
 * the same rules as libconfuse's lexer: "#" and "//" run to the end of the
 * line anywhere outside a string ("/" followed by any other character is
 * part of an unquoted word), C comments run to the first star-slash, and
 * double- and single-quoted strings honour backslash escapes. The text
 * keeps its length and its line count, so libconfuse's counter is right.
 */
#ifndef POSTERN_CONF_TEXT_H
#define POSTERN_CONF_TEXT_H

#include <stddef.h>

/* conf_text_blank_comments - blank the comments of text[0..len) in place */
void conf_text_blank_comments(char *text, size_t len);

#endif
