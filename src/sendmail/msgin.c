/*
 * msgin.c - streaming line normalization of an incoming message.
 *
 * Input is processed line by line through a small state record so that it
 * works the same whether bytes arrive from read(2) in arbitrary chunks or
 * from a buffer: a pending CR waits for the next byte, and the start of
 * each line is inspected for the dot rules and the mbox "From " line.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "msgin.h"

struct msgin_state {
	const struct msgin_options *opts;
	struct strbuf *out;
	struct strbuf line;	/* the current line, without its ending */
	bool pending_cr;	/* a CR seen, not yet known to precede LF */
	bool first_line;
	bool done;		/* a lone dot ended the input */
	bool too_big;
};

/* msgin_emit - append bytes, enforcing the size limit */
static void
msgin_emit(struct msgin_state *st, const char *bytes, size_t n)
{
	if (st->opts->max_size && st->out->len + n > st->opts->max_size) {
		st->too_big = true;
		return;
	}
	strbuf_append(st->out, bytes, n);
}

/* msgin_end_line - apply the line rules; newline says if LF ended it */
static void
msgin_end_line(struct msgin_state *st, bool newline)
{
	const char *p = st->line.data ? st->line.data : "";
	size_t n = st->line.len;

	if (st->first_line && n >= 5 && memcmp(p, "From ", 5) == 0 && newline) {
		st->first_line = false;
		strbuf_reset(&st->line);
		return;		/* an mbox separator, not a header */
	}
	st->first_line = false;
	if (!st->opts->ignore_dots && n >= 1 && p[0] == '.') {
		if (n == 1) {
			st->done = true;
			return;
		}
		if (p[1] == '.') {
			p++;
			n--;
		}
	}
	msgin_emit(st, p, n);
	if (newline)
		msgin_emit(st, "\n", 1);
	strbuf_reset(&st->line);
}

/* msgin_feed - process one chunk of input */
static void
msgin_feed(struct msgin_state *st, const char *buf, size_t len)
{
	for (size_t i = 0; i < len && !st->done && !st->too_big; i++) {
		char c = buf[i];

		if (st->pending_cr) {
			st->pending_cr = false;
			if (c == '\n') {
				msgin_end_line(st, true);
				continue;
			}
			strbuf_putc(&st->line, '\r');	/* a bare CR stays */
		}
		if (c == '\r')
			st->pending_cr = true;
		else if (c == '\n')
			msgin_end_line(st, true);
		else
			strbuf_putc(&st->line, c);
		if (st->opts->max_size && st->line.len > st->opts->max_size)
			st->too_big = true;
	}
}

/* msgin_finish - flush a last line without newline; free the state */
static enum msgin_status
msgin_finish(struct msgin_state *st)
{
	if (!st->done && !st->too_big) {
		if (st->pending_cr)
			strbuf_putc(&st->line, '\r');
		if (st->line.len > 0)
			msgin_end_line(st, false);
	}
	strbuf_free(&st->line);
	return st->too_big ? MSGIN_TOO_BIG : MSGIN_OK;
}

static void
msgin_start(struct msgin_state *st, const struct msgin_options *opts,
    struct strbuf *out)
{
	memset(st, 0, sizeof(*st));
	st->opts = opts;
	st->out = out;
	st->first_line = true;
	strbuf_init(&st->line);
}

enum msgin_status
msgin_read(int fd, const struct msgin_options *opts, struct strbuf *out)
{
	struct msgin_state st;
	char buf[65536];
	ssize_t n;

	msgin_start(&st, opts, out);
	while (!st.done && !st.too_big && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			strbuf_free(&st.line);
			errno = saved;
			return MSGIN_READ_ERROR;
		}
		msgin_feed(&st, buf, (size_t)n);
	}
	return msgin_finish(&st);
}

enum msgin_status
msgin_normalize(const char *in, size_t len, const struct msgin_options *opts,
    struct strbuf *out)
{
	struct msgin_state st;

	msgin_start(&st, opts, out);
	msgin_feed(&st, in, len);
	return msgin_finish(&st);
}
