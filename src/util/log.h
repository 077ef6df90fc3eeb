/*
 * log.h - one-line event and diagnostic logging for every postern program.
 *
 * Programs call log_init() once with their name and a target. Command-line
 * tools log to stderr as "name: message"; the worker logs to syslog (facility
 * mail) or to stderr with a timestamp. Four verbs: info, warn (optionally with
 * errno text), fatal with a sysexits status, and panic for "cannot happen"
 * (exits EX_SOFTWARE). Messages are formatted with vsnprintf into a bounded
 * buffer; an over-long message is truncated, never overflowed. Callers never
 * log secrets.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_target {
	LOG_TO_STDERR,		/* "name: message" on fd 2 */
	LOG_TO_STDERR_TIMED,	/* "2026-01-02T03:04:05Z name[pid]: message" */
	LOG_TO_SYSLOG,		/* syslog(3), facility mail */
	LOG_TO_JOURNAL,		/* "<4>message" on fd 2, read by journald */
};

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * log_init - set the program name shown in messages and where they go.
 * Either stderr target becomes LOG_TO_JOURNAL when fd 2 is the stream
 * systemd named in $JOURNAL_STREAM: journald then files each line at its
 * own priority (sd-daemon(3) "<N>" prefixes) under the unit's identifier
 * and SyslogFacility=, without a second name or timestamp.
 */
void log_init(const char *progname, enum log_target target);
/* log_set_debug - enable or disable log_debug() output */
void log_set_debug(bool on);
/* log_debug_enabled - whether log_debug() writes anything */
bool log_debug_enabled(void);
/* log_set_muted - drop every message but fatal ones while on */
void log_set_muted(bool on);
/* log_progname - the name given to log_init() */
const char *log_progname(void);

void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
/* log_syswarn - warning followed by ": " and strerror(errno) */
void log_syswarn(const char *fmt, ...) LOG_PRINTF(1, 2);
/* log_error - an error that needs the administrator; the program goes on */
void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
/* log_syserror - log_error with ": " and strerror(errno) appended */
void log_syserror(const char *fmt, ...) LOG_PRINTF(1, 2);
/* log_fatal - log an error and exit with the given sysexits status */
_Noreturn void log_fatal(int status, const char *fmt, ...) LOG_PRINTF(2, 3);
/* log_sysfatal - log_fatal with ": " and strerror(errno) appended */
_Noreturn void log_sysfatal(int status, const char *fmt, ...) LOG_PRINTF(2, 3);
/* log_panic - report a broken invariant and exit EX_SOFTWARE */
_Noreturn void log_panic(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
