/*
 * fuzz_conf.c - libFuzzer target for the configuration loader: postern.conf
 * is root's file, but a mistake in it must give a clear error, never a
 * crash, and whatever loads must print (conf_print) as a file that loads
 * again and prints the same. The input is written to a memory file and
 * loaded through /proc/self/fd. Build with "make fuzz"; run
 * tests/fuzz/fuzz_conf tests/fuzz/corpus/conf -max_total_time=60.
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_conf_text - conf's printout, via a memory file */
static char *
fuzz_conf_text(const struct conf *conf, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		abort();
	conf_print(conf, f);
	fclose(f);
	return text;
}

/* fuzz_conf_load - load bytes as postern.conf; NULL if refused */
static struct conf *
fuzz_conf_load(const void *data, size_t size)
{
	struct conf *conf = NULL;
	char path[64];
	int fd = memfd_create("postern.conf", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (conf_load(path, &conf) != CONF_OK)
		conf = NULL;
	close(fd);
	return conf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *conf, *again;
	char *text, *text2;
	size_t len, len2;

	log_init("fuzz_conf", LOG_TO_STDERR);
	log_set_muted(true);
	if (size > 65536 || (conf = fuzz_conf_load(data, size)) == NULL)
		return 0;
	text = fuzz_conf_text(conf, &len);
	if ((again = fuzz_conf_load(text, len)) == NULL) {
		fprintf(stderr, "loaded, printed, then refused:\n%s\n", text);
		abort();
	}
	text2 = fuzz_conf_text(again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	conf_free(conf);
	conf_free(again);
	return 0;
}
