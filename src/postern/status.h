/*
 * status.h - "postern status": is the worker running, what is in the
 * queue, and what happened last, for people and for monitoring.
 *
 * Sources: the worker's lock (is it running), public/status (written by
 * posternd: last success, last error, counters), and the queue itself
 * (root or the postern user; otherwise only what is public is shown).
 *
 * Health: degraded when posternd is not running, when a deferred message
 * is older than STATUS_STALE_SECONDS, or when deferred mail is waiting and
 * the last event was an error rather than a delivery. Plain output exits
 * 0 when healthy and 1 when degraded; --prometheus prints metrics in the
 * Prometheus text format (for node_exporter's textfile collector) and
 * exits 0 whenever it could report, health being the postern_healthy
 * metric.
 */
#ifndef POSTERN_STATUS_H
#define POSTERN_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#define STATUS_STALE_SECONDS	3600

int status_report(bool prometheus, const char *config_problem, FILE *out);

#endif
