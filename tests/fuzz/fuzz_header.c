/*
 * fuzz_header.c - libFuzzer target for the header block parser.
 *
 * Beyond memory safety it checks that a block ended by an empty line is
 * re-emitted byte for byte, that every field value can be appended again
 * and reads back the same after a fresh parse, and that collecting -t
 * recipients and removing Bcc never break the block. A broken property
 * aborts. Build with "make fuzz"; run
 * tests/fuzz/fuzz_header tests/fuzz/corpus/header -max_total_time=60.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_roundtrip - with its empty line consumed, write + body == input */
static void
check_roundtrip(const struct header_block *b, const char *msg, size_t size)
{
	struct strbuf out = STRBUF_INIT;
	size_t bo = b->body_offset;

	if (bo > 0 && msg[bo - 1] == '\n' && (bo == 1 || msg[bo - 2] == '\n')) {
		header_write(b, &out);
		strbuf_append(&out, msg + bo, size - bo);
		if (out.len != size || memcmp(out.data, msg, size) != 0)
			abort();
	}
	strbuf_free(&out);
}

/* check_reappend - a value appended as a new field reads back unchanged */
static void
check_reappend(const struct header_field *f)
{
	struct header_block nb = HEADER_BLOCK_INIT, again;
	struct strbuf value = STRBUF_INIT, back = STRBUF_INIT, out = STRBUF_INIT;

	header_field_value(f, &value);
	if (header_append(&nb, f->name, strbuf_cstr(&value), NULL) == HEADER_OK) {
		header_write(&nb, &out);
		if (header_parse(&again, out.data, out.len, NULL) != HEADER_OK ||
		    again.count != 1)
			abort();
		header_field_value(&again.fields[0], &back);
		if (strcmp(strbuf_cstr(&back), strbuf_cstr(&value)) != 0)
			abort();
		header_free(&again);
	}
	header_free(&nb);
	strbuf_free(&value);
	strbuf_free(&back);
	strbuf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct header_block b;
	struct addr_list rcpts = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT;

	if (header_parse(&b, msg, size, &err) != HEADER_OK) {
		if (b.count != 0 || err.len == 0)
			abort();
		strbuf_free(&err);
		return 0;
	}
	if (b.body_offset > size)
		abort();
	check_roundtrip(&b, msg, size);
	for (size_t i = 0; i < b.count && i < 8; i++)
		check_reappend(&b.fields[i]);
	if (header_collect_recipients(&b, &rcpts, &err) != HEADER_OK &&
	    rcpts.count != 0)
		abort();
	header_remove(&b, "Bcc");
	if (header_first(&b, "bcc") != HEADER_NONE)
		abort();
	addr_list_free(&rcpts);
	header_free(&b);
	strbuf_free(&err);
	return 0;
}
