/*
 * clock_ms.h - milliseconds on the monotonic clock, for timeouts and
 * elapsed times (never the wall clock, which can jump).
 */
#ifndef POSTERN_CLOCK_MS_H
#define POSTERN_CLOCK_MS_H

#include <stdint.h>

/* clock_ms_now - milliseconds since an arbitrary fixed point */
uint64_t clock_ms_now(void);

#endif
