/*
 * conf_text.c - blank the comments of postern.conf; see conf_text.h.
 *
 * A small state machine over the bytes: code, a double- or single-quoted
 * string, a line comment, a C comment. Only comment bytes change, and a
 * newline is never changed.
 */
#include "config.h"

#include "conf_text.h"

enum conf_text_state {
	TEXT_CODE, TEXT_DQUOTE, TEXT_SQUOTE, TEXT_LINE_COMMENT, TEXT_C_COMMENT,
};

/* conf_text_blank - overwrite one comment byte, keeping line breaks */
static void
conf_text_blank(char *c)
{
	if (*c != '\n')
		*c = ' ';
}

void
conf_text_blank_comments(char *text, size_t len)
{
	enum conf_text_state state = TEXT_CODE;

	for (size_t i = 0; i < len; i++) {
		char c = text[i], next = i + 1 < len ? text[i + 1] : '\0';

		switch (state) {
		case TEXT_CODE:
			if (c == '"')
				state = TEXT_DQUOTE;
			else if (c == '\'')
				state = TEXT_SQUOTE;
			else if (c == '#' || (c == '/' && next == '/'))
				state = TEXT_LINE_COMMENT;
			else if (c == '/' && next == '*') {
				state = TEXT_C_COMMENT;
				conf_text_blank(&text[i++]);
			}
			if (state == TEXT_LINE_COMMENT || state == TEXT_C_COMMENT)
				conf_text_blank(&text[i]);
			break;
		case TEXT_DQUOTE:
		case TEXT_SQUOTE:
			if (c == '\\' && i + 1 < len)
				i++;		/* an escaped quote or backslash */
			else if (c == (state == TEXT_DQUOTE ? '"' : '\''))
				state = TEXT_CODE;
			break;
		case TEXT_LINE_COMMENT:
			if (c == '\n')
				state = TEXT_CODE;
			else
				conf_text_blank(&text[i]);
			break;
		case TEXT_C_COMMENT:
			if (c == '*' && next == '/') {
				conf_text_blank(&text[i++]);
				state = TEXT_CODE;
			}
			conf_text_blank(&text[i]);
			break;
		}
	}
}
