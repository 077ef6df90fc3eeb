/*
 * replay.c - run a libFuzzer target over corpus files with any compiler,
 * so that "make check" replays every input a fuzzer ever kept or crashed
 * on. Usage: replay_TARGET PATH... (a directory means each file in it).
 * A broken property aborts, as under libFuzzer; with the sanitizer build
 * a memory error ends the run too. Prints how many inputs it replayed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX	(1 << 20)	/* libFuzzer's default -max_len is smaller */

static uint8_t replay_buf[REPLAY_MAX];

/* replay_file - feed one file to the target; false if it cannot be read */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 0;
	}
	n = fread(replay_buf, 1, sizeof(replay_buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(replay_buf, n);
	return 1;
}

/* replay_path - a file, or each regular file of a directory; -1 on error */
static long
replay_path(const char *path)
{
	struct dirent *de;
	struct stat st;
	char file[4096];
	long count = 0;
	DIR *d;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return replay_file(path) ? 1 : -1;
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", path,
		    de->d_name) >= sizeof(file) || !replay_file(file)) {
			closedir(d);
			return -1;
		}
		count++;
	}
	closedir(d);
	return count;
}

int
main(int argc, char **argv)
{
	long total = 0, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if ((n = replay_path(argv[i])) < 0)
			return 1;
		total += n;
	}
	printf("%s: replayed %ld inputs\n", argv[0], total);
	return total > 0 ? 0 : 1;
}
