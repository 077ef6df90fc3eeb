/*
 * log.c - bounded, one-line logging to stderr or syslog.
 *
 * Contract: each call emits exactly one line. Newlines and other control
 * characters inside a message are replaced by '?' so that a hostile string
 * (an address, a server reply) cannot forge a second log line. errno is
 * preserved across every call so that callers may log and then inspect it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static const char *log_name = "postern";
static enum log_target log_dest = LOG_TO_STDERR;
static bool log_debug_on;
static bool log_muted;

/* log_stderr_is_journal - whether fd 2 is the stream $JOURNAL_STREAM names */
static bool
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	return env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(2, &sb) == 0 && (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

/* log_init - remember name and destination; open syslog if asked */
void
log_init(const char *progname, enum log_target target)
{
	const char *slash = strrchr(progname, '/');

	log_name = slash ? slash + 1 : progname;
	if ((target == LOG_TO_STDERR || target == LOG_TO_STDERR_TIMED) &&
	    log_stderr_is_journal())
		target = LOG_TO_JOURNAL;
	log_dest = target;
	if (target == LOG_TO_SYSLOG)
		openlog(log_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_debug(bool on)
{
	log_debug_on = on;
}

bool
log_debug_enabled(void)
{
	return log_debug_on && !log_muted;
}

void
log_set_muted(bool on)
{
	log_muted = on;
}

const char *
log_progname(void)
{
	return log_name;
}

/* log_sanitize - replace control characters so one message stays one line */
static void
log_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* log_emit - format and write one line at the given syslog priority */
static void __attribute__((format(printf, 3, 0)))
log_emit(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;

	if (log_muted && prio > LOG_CRIT)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_sanitize(line);

	if (log_dest == LOG_TO_SYSLOG) {
		syslog(prio, "%s%s%s", line, suffix ? ": " : "",
		    suffix ? suffix : "");
	} else if (log_dest == LOG_TO_JOURNAL) {
		fprintf(stderr, "<%d>%s%s%s\n", prio, line, suffix ? ": " : "",
		    suffix ? suffix : "");
	} else if (log_dest == LOG_TO_STDERR_TIMED) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s %s[%ld]: %s%s%s\n", stamp, log_name,
		    (long)getpid(), line, suffix ? ": " : "", suffix ? suffix : "");
	} else {
		fprintf(stderr, "%s: %s%s%s\n", log_name, line,
		    suffix ? ": " : "", suffix ? suffix : "");
	}
	errno = saved_errno;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_syswarn(const char *fmt, ...)
{
	va_list ap;
	const char *why = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_WARNING, why, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

void
log_syserror(const char *fmt, ...)
{
	va_list ap;
	const char *why = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_ERR, why, fmt, ap);
	va_end(ap);
}

void
log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	log_muted = false;
	va_start(ap, fmt);
	log_emit(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_sysfatal(int status, const char *fmt, ...)
{
	va_list ap;
	const char *why = strerror(errno);

	log_muted = false;
	va_start(ap, fmt);
	log_emit(LOG_ERR, why, fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(EX_SOFTWARE);
}
