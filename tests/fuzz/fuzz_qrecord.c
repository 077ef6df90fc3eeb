/*
 * fuzz_qrecord.c - libFuzzer target for the queue record and delivery
 * state decoders, the parsers the worker runs on files it must not trust.
 *
 * Beyond memory safety it checks that a record that decodes re-encodes
 * to the same bytes, and that a state file that decodes re-encodes to a
 * file that decodes to the same state. A broken property aborts. The
 * first input byte chooses the decoder (even: queue record, odd: state;
 * for the state, the second byte is the recipient count). Build with
 * "make fuzz"; run tests/fuzz/fuzz_qrecord -max_total_time=60.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qrecord.h"
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_record((const char *)data + 1, size - 1);
	else
		fuzz_state((const char *)data + 2, size - 2, data[1] % 8);
	return 0;
}
