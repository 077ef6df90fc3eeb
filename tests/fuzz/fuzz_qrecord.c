/*
 * fuzz_qrecord.c - libFuzzer target for the queue record and delivery
 * state decoders, the parsers the worker runs on files it must not trust.
 *
 * Beyond memory safety it checks that a record that decodes re-encodes
 * to the same bytes, and that a state file that decodes re-encodes to a
 * file that decodes to the same state, and that whatever the encoder
 * writes the decoder accepts (what sendmail queues, the worker takes), and
 * that whatever the set-gid writer would store the decoder accepts. A
 * broken property aborts. The first input byte chooses: 'W' check a
 * submission as the writer does; otherwise 0 mod 3 decode a queue
 * record, 1 a state (the second byte is the recipient count), 2 build a
 * record from the input's lines and encode it. Build with
 * "make fuzz"; run tests/fuzz/fuzz_qrecord -max_total_time=60.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrecord.h"
#include "qrecord_grammar.h"
#include "qstate.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_record - a decoded record must encode back to the same bytes */
static void
fuzz_record(const char *buf, size_t len)
{
	struct qrecord rec;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	if (!qrecord_decode(buf, len, true, &rec, &err)) {
		if (err.len == 0)
			abort();		/* every refusal says why */
		strbuf_free(&err);
		return;
	}
	strbuf_printf(&out, "%s\nuid %ld\nlogin %s\narrival %lld\n", QRECORD_MAGIC,
	    rec.uid, rec.login, (long long)rec.arrival);
	if (!qrecord_encode_envelope(&rec, rec.message, rec.message_len, &out, &err))
		abort();
	if (out.len != len || memcmp(out.data, buf, len) != 0)
		abort();
	qrecord_free(&rec);
	strbuf_free(&out);
	strbuf_free(&err);
}

/* fuzz_state - decode, encode, decode again: the same state */
static void
fuzz_state(const char *buf, size_t len, size_t nrcpts)
{
	struct qstate st, again;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	if (!qstate_decode(buf, len, nrcpts, &st, &err)) {
		strbuf_free(&err);
		return;
	}
	qstate_encode(&st, &out);
	if (!qstate_decode(out.data, out.len, nrcpts, &again, &err))
		abort();
	if (again.kind != st.kind || again.attempts != st.attempts ||
	    again.next_attempt != st.next_attempt || again.hold != st.hold ||
	    qstate_pending(&again) != qstate_pending(&st))
		abort();
	qstate_free(&st);
	qstate_free(&again);
	strbuf_free(&out);
	strbuf_free(&err);
}

/*
 * fuzz_encode - a record built from the input's NUL-separated fields
 * (sender, then per recipient a NOTIFY byte, an address and an ORCPT,
 * with RET and ENVID from the first bytes) that the encoder accepts must
 * decode, to the same envelope
 */
static void
fuzz_encode(const char *buf, size_t len)
{
	struct qrecord rec, back;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *end = buf + len, *p;
	char *fields[64];
	size_t n = 0;

	if (len < 3)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.ret = (enum dsn_ret)((unsigned char)buf[0] % 3);
	rec.smtputf8 = buf[1] & 1;
	rec.report = buf[1] & 2;
	for (p = buf + 2; p < end && n < 64; n++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t fl = z ? (size_t)(z - p) : (size_t)(end - p);

		fields[n] = strndup(p, fl);
		p += fl + 1;
	}
	if (n == 0)
		return;
	rec.sender = fields[0];
	rec.envid = n % 2 == 0 && fields[n - 1][0] ? fields[n - 1] : NULL;
	for (size_t i = 1; i + 1 < n; i += 2)
		qrecord_add_rcpt(&rec, fields[i + 1], (unsigned)(fields[i][0] & 0xf),
		    fields[i][0] && fields[i][1] ? fields[i] + 1 : NULL);
	strbuf_printf(&out, "%s\nuid 1000\nlogin fuzz\narrival 1700000000\n",
	    QRECORD_MAGIC);
	if (qrecord_encode_envelope(&rec, "x\n", 2, &out, &err)) {
		if (!qrecord_decode(out.data, out.len, true, &back, &err)) {
			fprintf(stderr, "encoded, then refused: %s\n", err.data);
			abort();
		}
		if (back.nrcpts != rec.nrcpts || back.ret != rec.ret ||
		    strcmp(back.sender, rec.sender) != 0)
			abort();
		qrecord_free(&back);
	}
	rec.sender = rec.envid = NULL;
	qrecord_free(&rec);
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	strbuf_free(&out);
	strbuf_free(&err);
}

/*
 * fuzz_writer - the set-gid writer's view of a submission: envelope lines
 * through the shared grammar up to "message N", N bytes, "end\n" and
 * nothing more. Whatever the writer would store, with its own lines in
 * front, the worker's decoder must accept, and re-encode to the same
 * bytes.
 */
static void
fuzz_writer(const char *buf, size_t len)
{
	struct qgrammar g = QGRAMMAR_INIT;
	const char *p = buf, *end = buf + len, *nl, *v, *why;
	enum qgrammar_key key = QG_BAD;
	uint64_t n = 0;
	size_t vlen;
	struct qrecord rec;
	struct strbuf file = STRBUF_INIT, err = STRBUF_INIT;

	for (; p < end && key != QG_MESSAGE; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (size_t)(nl - p) >= QRECORD_LINE_MAX)
			return;
		key = qgrammar_line(&g, p, (size_t)(nl - p), UINT64_MAX, &v, &vlen,
		    &n, &why);
		if (key == QG_BAD)
			return;
	}
	if (key != QG_MESSAGE || (size_t)(end - p) != n + 4 ||
	    memcmp(p + n, "end\n", 4) != 0)
		return;			/* the writer refuses the framing */
	strbuf_printf(&file, "%s\nuid 4294967294\nlogin fuzz\narrival 1700000000\n",
	    QRECORD_MAGIC);
	strbuf_append(&file, buf, len);
	if (!qrecord_decode(file.data, file.len, true, &rec, &err)) {
		fprintf(stderr, "the writer stores it, the worker refuses: %s\n",
		    err.data);
		abort();
	}
	qrecord_free(&rec);
	fuzz_record(file.data, file.len);	/* and one canonical form */
	strbuf_free(&file);
	strbuf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] == 'W')
		fuzz_writer((const char *)data + 1, size - 1);
	else if (data[0] % 3 == 0)
		fuzz_record((const char *)data + 1, size - 1);
	else if (data[0] % 3 == 1)
		fuzz_state((const char *)data + 2, size - 2, data[1] % 8);
	else
		fuzz_encode((const char *)data + 1, size - 1);
	return 0;
}
