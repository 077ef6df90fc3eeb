/*
 * postern-drop.c - the set-gid spool writer: the only privileged code a
 * local user reaches. Its one job is to write one new queue entry.
 *
 * It must never:
 *   - trust its environment: variables are discarded, fds 0-2 are made
 *     valid, and the spool path is compiled in whenever it runs set-id;
 *   - let the caller choose the uid, login or arrival time in the entry:
 *     it writes those lines itself, from its own credentials and clock;
 *   - make a partial entry visible: it writes a temporary name that the
 *     worker ignores, fsyncs, renames it to the queue ID without replacing
 *     anything, and fsyncs the directory before it reports success;
 *   - leave a temporary file behind on any failure or catchable signal
 *     (it holds an flock() on it while it lives, so that the worker can
 *     remove the file of a writer killed by SIGKILL within minutes);
 *   - let a user queue more than the published limits allow
 *     (drop_quota.h): max_message_size, user_max_messages and
 *     user_max_size.
 *
 * Input (stdin): the front-end part of a queue record, "sender" through
 * "end" (qrecord.h). Every envelope line is checked by the same grammar
 * the worker's decoder applies (qrecord_grammar.h): strict paths with
 * nothing after them, known keys in order, none of the writer's own
 * keys; then exactly N message bytes, "end\n" and the end of input. What
 * the writer stores, the worker accepts.
 * Output: the queue ID on stdout. Exit: 0 stored durably, 65 bad input,
 * 75 temporary failure (spool missing, permissions, disk full).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <sysexits.h>
#include <unistd.h>

#include "drop_quota.h"
#include "fdio.h"
#include "log.h"
#include "paths.h"
#include "qid.h"
#include "qrecord.h"
#include "qrecord_grammar.h"
#include "spool_layout.h"
#include "stdfds.h"
#include "strutil.h"

#define DROP_MAX_INPUT	((uint64_t)2 << 30)	/* hard cap on one entry */

static int drop_dirfd = -1;
static char drop_tmpname[QID_LEN + 2];	/* "t" + ID, set while it exists */

/* drop_on_signal - remove the temporary file and leave (signal-safe) */
static void
drop_on_signal(int sig)
{
	(void)sig;
	if (drop_tmpname[0] && drop_dirfd >= 0)
		unlinkat(drop_dirfd, drop_tmpname, 0);
	_exit(EX_TEMPFAIL);
}

/* drop_fail - remove the temporary file, report, exit with status */
static _Noreturn void
drop_fail(int status, const char *what)
{
	int saved = errno;

	if (drop_tmpname[0] && drop_dirfd >= 0)
		unlinkat(drop_dirfd, drop_tmpname, 0);
	errno = saved;
	if (status == EX_DATAERR)
		log_fatal(status, "rejected input: %s", what);
	if (saved == 0)		/* a refusal, not a system error */
		log_fatal(status, "not queued: %s", what);
	log_sysfatal(status, "%s", what);
}

/*
 * drop_sanitize - no environment, a known umask, and every catchable
 * signal that would end the process removes the temporary file first
 * (those that stop, continue or are ignored by default keep their
 * default; SIGPIPE is ignored: a write error is handled where it occurs)
 */
static void
drop_sanitize(void)
{
	struct sigaction sa;

	clearenv();
	umask(022);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = drop_on_signal;
	sigfillset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		switch (sig) {
		case SIGKILL: case SIGSTOP: case SIGTSTP: case SIGTTIN:
		case SIGTTOU: case SIGCHLD: case SIGCONT: case SIGURG:
		case SIGWINCH: case SIGPIPE:
			continue;
		default:
			(void)sigaction(sig, &sa, NULL);	/* EINVAL: reserved */
		}
	}
	signal(SIGPIPE, SIG_IGN);
}

/* drop_write - write all of buf or fail the whole drop */
static void
drop_write(int fd, const void *buf, size_t len)
{
	if (!fd_write_all(fd, buf, len))
		drop_fail(EX_TEMPFAIL, "cannot write queue file");
}

/* drop_trusted_header - the lines only the writer may write */
static void
drop_trusted_header(int fd)
{
	char buf[512];
	struct passwd *pw = getpwuid(getuid());
	char login[64];

	/* A name that is odd or too long for the line is given as "#uid". */
	if (!pw || !pw->pw_name[0] ||
	    strcspn(pw->pw_name, " \t\r\n") != strlen(pw->pw_name) ||
	    !str_copy(login, sizeof(login), pw->pw_name))
		STR_MUST_FIT(str_format(login, sizeof(login), "#%ld", (long)getuid()));
	if (!str_format(buf, sizeof(buf), QRECORD_MAGIC "\nuid %ld\nlogin %s\narrival %lld\n",
	    (long)getuid(), login, (long long)time(NULL)))
		drop_fail(EX_SOFTWARE, "header too long");
	drop_write(fd, buf, strlen(buf));
}

/*
 * The caller's input, read in blocks. Every block is written to the entry
 * as it is read, so what the worker gets is byte for byte what came in;
 * the phases below only check its framing.
 */
struct drop_in {
	int entry;			/* the temporary entry being written */
	char buf[65536];
	size_t pos, len;		/* unread bytes: buf[pos..len) */
	uint64_t total;
};

/* drop_fill - the next block of input into in->buf; false at its end */
static bool
drop_fill(struct drop_in *in)
{
	ssize_t n;

	while ((n = read(0, in->buf, sizeof(in->buf))) < 0) {
		/* a closed stdin reaches a set-id program as a write-only fd
		   (the C library's doing): the caller's mistake, not the spool's */
		if (errno == EBADF || errno == EISDIR || errno == EINVAL)
			drop_fail(EX_DATAERR, "input is not readable (was stdin closed?)");
		if (errno != EINTR)
			drop_fail(EX_TEMPFAIL, "cannot read input");
	}
	if (n == 0)
		return false;
	if ((in->total += (uint64_t)n) > DROP_MAX_INPUT + QRECORD_LINE_MAX * 100000ULL)
		drop_fail(EX_DATAERR, "input too large");
	drop_write(in->entry, in->buf, (size_t)n);
	in->pos = 0;
	in->len = (size_t)n;
	return true;
}

/* drop_more - there is an unread byte, or the record ended early */
static void
drop_more(struct drop_in *in)
{
	if (in->pos == in->len && !drop_fill(in))
		drop_fail(EX_DATAERR, "input ended early (no complete record)");
}

/* drop_read_line - the next line, without its newline; bounded by size */
static size_t
drop_read_line(struct drop_in *in, char *line, size_t size)
{
	size_t len = 0;
	char c;

	for (drop_more(in); (c = in->buf[in->pos++]) != '\n'; drop_more(in)) {
		if (len >= size - 1)
			drop_fail(EX_DATAERR, "envelope line too long");
		line[len++] = c;
	}
	line[len] = '\0';
	return len;
}

/* drop_skip - exactly n bytes of message, whatever they are */
static void
drop_skip(struct drop_in *in, uint64_t n)
{
	while (n > 0) {
		size_t take;

		drop_more(in);
		take = in->len - in->pos;
		if (take > n)
			take = (size_t)n;
		in->pos += take;
		n -= take;
	}
}

/* drop_expect - exactly text next */
static void
drop_expect(struct drop_in *in, const char *text)
{
	for (; *text; text++) {
		drop_more(in);
		if (in->buf[in->pos++] != *text)
			drop_fail(EX_DATAERR, "bad end marker");
	}
}

/* drop_expect_eof - nothing after the record */
static void
drop_expect_eof(struct drop_in *in)
{
	if (in->pos < in->len || drop_fill(in))
		drop_fail(EX_DATAERR, "data after the end marker");
}

/*
 * drop_check_quota - before anything is written: the caller (root is
 * exempt) is within user_max_messages and user_max_size, else exit 75
 */
static void
drop_check_quota(const struct drop_limits *l, const struct drop_usage *u)
{
	static char why[256];

	if (getuid() == 0)
		return;
	if (l->user_max_messages && u->messages >= l->user_max_messages)
		STR_TRUNCATION_OK(str_format(why, sizeof(why), "you have %llu "
		    "messages queued, the most one user may (user_max_messages); "
		    "try again once some are delivered",
		    (unsigned long long)u->messages));
	else if (l->user_max_size && u->bytes >= l->user_max_size)
		STR_TRUNCATION_OK(str_format(why, sizeof(why), "you have %llu bytes "
		    "queued, the most one user may (user_max_size %llu); try again "
		    "once some are delivered", (unsigned long long)u->bytes,
		    (unsigned long long)l->user_max_size));
	else
		return;
	errno = 0;
	drop_fail(EX_TEMPFAIL, why);
}

/*
 * drop_check_size - once the message's size is known: within
 * max_message_size (else 65, as sendmail answers) and within what the
 * caller may still queue (else 75)
 */
static void
drop_check_size(uint64_t len, const struct drop_limits *l,
    const struct drop_usage *u)
{
	static char why[256];

	if (l->max_message_size && len > l->max_message_size) {
		STR_TRUNCATION_OK(str_format(why, sizeof(why), "the message (%llu "
		    "bytes) is larger than max_message_size (%llu bytes)",
		    (unsigned long long)len, (unsigned long long)l->max_message_size));
		drop_fail(EX_DATAERR, why);
	}
	if (getuid() != 0 && l->user_max_size && u->bytes + len > l->user_max_size) {
		STR_TRUNCATION_OK(str_format(why, sizeof(why), "with this message "
		    "(%llu bytes) you would have more than user_max_size (%llu "
		    "bytes) queued; try again once some are delivered",
		    (unsigned long long)len, (unsigned long long)l->user_max_size));
		errno = 0;
		drop_fail(EX_TEMPFAIL, why);
	}
}

/*
 * drop_copy - copy stdin to the entry fd, in the order the contract
 * gives: envelope lines up to "message N", then exactly N message bytes,
 * then "end\n", then the end of input
 */
static void
drop_copy(int fd, const struct drop_limits *limits, const struct drop_usage *usage)
{
	static struct drop_in in;	/* 64 KB: not on the stack */
	char line[QRECORD_LINE_MAX];
	struct qgrammar grammar = QGRAMMAR_INIT;
	uint64_t message_len = 0;
	enum qgrammar_key key;

	in.entry = fd;
	do {
		size_t len = drop_read_line(&in, line, sizeof(line)), vlen;
		const char *value, *why;

		key = qgrammar_line(&grammar, line, len, DROP_MAX_INPUT, &value,
		    &vlen, &message_len, &why);
		if (key == QG_BAD)
			drop_fail(EX_DATAERR, why);
	} while (key != QG_MESSAGE);
	drop_check_size(message_len, limits, usage);
	drop_skip(&in, message_len);
	drop_expect(&in, "end\n");
	drop_expect_eof(&in);
}

/*
 * drop_rename - give the temporary file the name id, never replacing an
 * entry: renameat2(RENAME_NOREPLACE), or where the file system lacks it,
 * link then unlink (link fails on an existing name too). 0 or an errno.
 */
static int
drop_rename(const char *id)
{
	if (renameat2(drop_dirfd, drop_tmpname, drop_dirfd, id,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno;
	if (linkat(drop_dirfd, drop_tmpname, drop_dirfd, id, 0) != 0)
		return errno;
	(void)unlinkat(drop_dirfd, drop_tmpname, 0);
	return 0;
}

/*
 * drop_commit - make the entry durable, then give it its queue ID name.
 * From the rename on, signals are held: the writer either finishes (the
 * entry is durable, exit 0) or takes the entry back out (exit 75); it
 * never exits 75 with an entry in place.
 */
static void
drop_commit(int fd, char id[QID_LEN + 1])
{
	sigset_t all;
	int rc;

	if (fsync(fd) < 0)
		drop_fail(EX_TEMPFAIL, "cannot fsync queue file");
	/* fd stays open, and its lock held, until the process ends */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (int tries = 0; (rc = drop_rename(id)) != 0; tries++) {
		errno = rc;
		if (rc != EEXIST || tries > 100)
			drop_fail(EX_TEMPFAIL, "cannot rename queue file");
		qid_new(id);
	}
	drop_tmpname[0] = '\0';
	if (fsync(drop_dirfd) < 0) {
		int saved = errno;

		(void)unlinkat(drop_dirfd, id, 0);
		errno = saved;
		log_sysfatal(EX_TEMPFAIL, "cannot fsync the queue directory; the "
		    "entry was taken back out, nothing is queued");
	}
}

/*
 * drop_create - the temporary file for a new entry; a clashing name (the
 * random part repeated within a microsecond) gets a new queue ID
 */
static int
drop_create(const char *incoming, char id[QID_LEN + 1])
{
	int fd;

	for (int tries = 0; ; tries++) {
		STR_MUST_FIT(str_format(drop_tmpname, sizeof(drop_tmpname), "t%s", id));
		fd = openat(drop_dirfd, drop_tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* held until exit: tells the worker this writer lives */
			(void)flock(fd, LOCK_EX);
			return fd;
		}
		if (errno != EEXIST || tries > 100)
			break;
		qid_new(id);
	}
	drop_tmpname[0] = '\0';
	log_sysfatal(EX_TEMPFAIL, "cannot create a file in %s", incoming);
}

int
main(int argc, char **argv)
{
	char spool[4096], incoming[4200], id[QID_LEN + 1];
	struct drop_limits limits;
	struct drop_usage usage = { 0, 0 };
	int fd, spool_fd;

	if (!stdfds_ensure())
		_exit(EX_OSERR);
	log_init("postern-drop", LOG_TO_STDERR);
	/* The override is honoured only when not set-id (paths.c). */
	if (!str_copy(spool, sizeof(spool), paths_spool_dir()) ||
	    !str_format(incoming, sizeof(incoming), "%s/" SPOOL_INCOMING, spool))
		log_fatal(EX_SOFTWARE, "spool path too long");
	drop_sanitize();
	if (argc != 1 || argv[0] == NULL)
		log_fatal(EX_USAGE, "usage: postern-drop < record (called by sendmail)");

	drop_dirfd = open(incoming, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (drop_dirfd < 0)
		log_sysfatal(EX_TEMPFAIL, "cannot open queue directory %s", incoming);
	spool_fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	drop_quota_limits(spool_fd, drop_dirfd, &limits);
	if (getuid() != 0 && (limits.user_max_messages || limits.user_max_size))
		drop_quota_usage(spool_fd, drop_dirfd, getuid(), &usage);
	drop_check_quota(&limits, &usage);
	qid_new(id);
	fd = drop_create(incoming, id);
	drop_trusted_header(fd);
	drop_copy(fd, &limits, &usage);
	drop_commit(fd, id);
	/* Queued and durable: a report that cannot be written is a warning. */
	if (printf("%s\n", id) < 0 || fflush(stdout) != 0)
		log_syswarn("queued as %s, but cannot report it on stdout", id);
	return EX_OK;
}
