/*
 * clock_ms.c - the monotonic clock in milliseconds (clock_ms.h).
 */
#include "config.h"

#include <time.h>

#include "clock_ms.h"

uint64_t
clock_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
