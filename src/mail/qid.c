/*
 * qid.c - make and check queue IDs (qid.h).
 */
#include "config.h"

#include <inttypes.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "qid.h"
#include "strutil.h"

void
qid_new(char id[QID_LEN + 1])
{
	struct timeval tv;
	uint16_t rnd = 0;

	gettimeofday(&tv, NULL);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint16_t)getpid();
	STR_TRUNCATION_OK(str_format(id, QID_LEN + 1, "%08" PRIX32 "%05lX%04X",
	    (uint32_t)tv.tv_sec, (unsigned long)tv.tv_usec, (unsigned)rnd));
}

bool
qid_valid(const char *name)
{
	size_t i;

	for (i = 0; i < QID_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'A' && name[i] <= 'F')))
			return false;
	return name[i] == '\0';
}
