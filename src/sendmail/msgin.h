/*
 * msgin.h - read a message from the sendmail caller and bring it into the
 * queue's normal form.
 *
 * Normal form: LF line endings (CRLF and lone-LF mixtures, as PHP writes
 * them, both become LF; a CR not followed by LF is kept), a leading mbox
 * "From " line dropped, and, unless -i/-oi was given, the Sendmail 8 dot
 * rules applied: a line holding only "." ends the input and a line
 * starting with ".." loses one dot. A final line without a newline stays
 * without one. Other bytes, 8-bit and UTF-8 included, pass unchanged.
 *
 * The whole input is read before anything is queued, so a caller killed
 * in the middle of writing queues nothing.
 */
#ifndef POSTERN_MSGIN_H
#define POSTERN_MSGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct msgin_options {
	bool ignore_dots;	/* -i / -oi */
	uint64_t max_size;	/* bytes of normal form; 0 = unlimited */
};

enum msgin_status {
	MSGIN_OK,
	MSGIN_TOO_BIG,		/* more than max_size bytes */
	MSGIN_READ_ERROR,	/* read(2) failed; errno is set */
};

/* msgin_read - read fd to end of input (or a lone dot) into out */
enum msgin_status msgin_read(int fd, const struct msgin_options *opts,
    struct strbuf *out);

/*
 * msgin_normalize - the same transformation on a buffer already in memory
 * (used by -bs, whose DATA arrives dot-unstuffed with CRLF endings).
 */
enum msgin_status msgin_normalize(const char *in, size_t len,
    const struct msgin_options *opts, struct strbuf *out);

#endif
