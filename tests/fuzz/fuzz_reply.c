/*
 * fuzz_reply.c - libFuzzer target for the SMTP reply and EHLO parsers.
 *
 * The input is split into lines at LF (a CR before it is dropped, as the
 * connection layer does) and fed to smtp_reply_feed() with small limits;
 * every complete reply is formatted and parsed as EHLO capabilities.
 * Build with "make fuzz"; run tests/fuzz/fuzz_reply -max_total_time=30.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp_reply.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smtp_reply_limits lim = { 512, 2048, 16 };
	const char *p = (const char *)data, *end = p + size, *nl;
	struct smtp_reply r;
	struct smtp_caps caps;
	struct strbuf sb = STRBUF_INIT;
	enum smtp_reply_status st;
	size_t len;

	smtp_reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		st = smtp_reply_feed(&r, &lim, p, len);
		if (st == SMTP_REPLY_DONE) {
			strbuf_reset(&sb);
			smtp_reply_format(&r, &sb);
			smtp_reply_caps(&r, &caps);
		} else if (st != SMTP_REPLY_MORE) {
			smtp_reply_reset(&r);
		}
		p = nl ? nl + 1 : end;
	}
	strbuf_free(&sb);
	smtp_reply_free(&r);
	return 0;
}
