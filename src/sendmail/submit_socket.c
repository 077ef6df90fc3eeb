/*
 * submit_socket.c - the client side of public/submit (submit_socket.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "qid.h"
#include "spool_layout.h"
#include "strutil.h"
#include "submit_socket.h"

/*
 * submit_socket_connect - a connection to the worker, checked to be run
 * by the owner of public/ (or root); -1 if there is none
 */
static int
submit_socket_connect(const char *spool)
{
	char dir[4200];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = { .tv_sec = SUBMIT_SOCKET_TIMEOUT_S };
	struct stat sb;
	int dfd, fd;

	if (!str_format(dir, sizeof(dir), "%s/%s", spool, SPOOL_PUBLIC) ||
	    (dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(dfd, &sb) < 0 ||
	    (!str_format(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir,
	    SPOOL_SUBMIT_SOCKET) &&
	    !str_format(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
	    dfd, SPOOL_SUBMIT_SOCKET)) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		close(dfd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		close(dfd);
		return -1;
	}
	close(dfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != sb.st_uid && cred.uid != 0)) {
		log_warn("%s/%s is served by uid %ld, not by the spool's owner; "
		    "not used", dir, SPOOL_SUBMIT_SOCKET, (long)cred.uid);
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * submit_socket_answer - the worker's answer line, without its newline;
 * false if the connection ended without a whole line (errno ETIMEDOUT if
 * the wait ran out)
 */
static bool
submit_socket_answer(int fd, char line[SPOOL_SUBMIT_REPLY_MAX])
{
	size_t used = 0;
	ssize_t n;
	char *nl;

	while (used + 1 < SPOOL_SUBMIT_REPLY_MAX) {
		n = recv(fd, line + used, SPOOL_SUBMIT_REPLY_MAX - 1 - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			errno = ETIMEDOUT;
		if (n <= 0)
			return false;
		used += (size_t)n;
		line[used] = '\0';
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			return true;
		}
	}
	return false;
}

int
submit_socket_record(const char *spool, const struct strbuf *record, char *qid,
    size_t qidsize)
{
	char line[SPOOL_SUBMIT_REPLY_MAX], *end;
	int fd = submit_socket_connect(spool);
	bool sent;
	long status;

	if (fd < 0)
		return SUBMIT_SOCKET_UNAVAILABLE;
	/* a refusal may come before all is sent: read the answer either way */
	sent = fd_write_all(fd, record->data, record->len);
	(void)shutdown(fd, SHUT_WR);
	errno = 0;
	if (!submit_socket_answer(fd, line)) {
		if (sent && errno == ETIMEDOUT)
			log_warn("the worker did not answer within %d s; queueing "
			    "through the spool writer instead (the message may be "
			    "sent twice)", SUBMIT_SOCKET_TIMEOUT_S);
		close(fd);
		return SUBMIT_SOCKET_UNAVAILABLE;
	}
	close(fd);
	errno = 0;
	status = strtol(line, &end, 10);
	if (end == line || *end != ' ' || errno != 0 || status < 0 || status > 255)
		return SUBMIT_SOCKET_UNAVAILABLE;	/* not the protocol */
	end++;
	if (status == 0) {
		if (!qid_valid(end) || !str_copy(qid, qidsize, end))
			return SUBMIT_SOCKET_UNAVAILABLE;
		return 0;
	}
	for (char *p = end; *p; p++)		/* printable text only */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	errno = 0;
	log_warn("not queued: %s", end);
	return (int)status;
}
