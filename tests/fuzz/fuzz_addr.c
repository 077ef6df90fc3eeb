/*
 * fuzz_addr.c - libFuzzer target for the address list and envelope parsers.
 *
 * The input is parsed as an address list and as an envelope sender and
 * recipient. Beyond memory safety it checks what callers rely on: every
 * spec is at most ADDR_SPEC_MAX bytes without control characters, every
 * list spec not starting with '-' passes the envelope check unchanged, an
 * envelope result parses to itself again, and qualifying keeps those
 * properties. A broken property aborts. Build with "make fuzz"; run
 * tests/fuzz/fuzz_addr tests/fuzz/corpus/addr -max_total_time=60.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_spec - a spec is bounded and holds no control character */
static void
check_spec(const char *spec)
{
	size_t n = strlen(spec);

	if (n > ADDR_SPEC_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)spec[i] < 0x20 || spec[i] == 0x7f)
			abort();
}

/* check_envelope - spec must come back from the envelope check unchanged */
static void
check_envelope(const char *spec)
{
	char *out;

	if (spec[0] == '-' || spec[0] == '\0')
		return;
	if (addr_envelope_parse(spec, strlen(spec), ADDR_RECIPIENT, &out,
	    NULL) != ADDR_OK || strcmp(out, spec) != 0)
		abort();
	free(out);
}

static void
fuzz_list(const char *text, size_t size)
{
	struct addr_list list = ADDR_LIST_INIT;
	struct strbuf err = STRBUF_INIT;

	if (addr_list_parse(&list, text, size, &err) == ADDR_OK) {
		for (size_t i = 0; i < list.count; i++) {
			struct addr *a = &list.items[i];

			check_spec(a->spec);
			check_envelope(a->spec);
			if (addr_qualify(a, "example.org", NULL) == ADDR_OK) {
				check_spec(a->spec);
				check_envelope(a->spec);
			}
		}
	} else if (list.count != 0 || err.len == 0) {
		abort();
	}
	addr_list_free(&list);
	strbuf_free(&err);
}

static void
fuzz_envelope(const char *text, size_t size, enum addr_role role)
{
	struct strbuf err = STRBUF_INIT;
	char *out;

	if (addr_envelope_parse(text, size, role, &out, &err) == ADDR_OK) {
		check_spec(out);
		if (out[0] == '-')
			abort();
		check_envelope(out);
		free(out);
	} else if (out != NULL || err.len == 0) {
		abort();
	}
	strbuf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_list(text, size);
	fuzz_envelope(text, size, ADDR_SENDER);
	fuzz_envelope(text, size, ADDR_RECIPIENT);
	return 0;
}
