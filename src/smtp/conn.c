/*
 * conn.c - TCP client connections with deadlines and optional TLS.
 *
 * Contract: see conn.h. Sockets are non-blocking from creation; every
 * wait is a poll() bounded by a deadline on the monotonic clock, and EINTR
 * only shortens the remaining wait. Name resolution uses getaddrinfo(),
 * which has no timeout of its own; callers that must bound it pass a
 * numeric address.
 *
 * Input is kept in a fixed buffer (lines are limited); output grows in a
 * strbuf until conn_flush(). Buffers that may have carried credentials are
 * wiped with explicit_bzero() before they are released.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "clock_ms.h"
#include "conn.h"
#include "strbuf.h"
#include "strutil.h"
#include "xalloc.h"

#define CONN_INBUF	16384

struct conn {
	int fd;
	struct tls *tls;
	char peer[INET6_ADDRSTRLEN];
	unsigned port;
	char in[CONN_INBUF];
	size_t inpos, inlen;
	struct strbuf out;
};

static _Thread_local int conn_cancel_fd = -1;

void
conn_set_cancel_fd(int fd)
{
	conn_cancel_fd = fd;
}

/* conn_wait - poll fd for events until deadline (monotonic ms) */
static enum conn_status
conn_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd[2];
	uint64_t now;
	int n;

	for (;;) {
		now = clock_ms_now();
		if (now >= deadline)
			return CONN_ETIMEOUT;
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		pfd[1].fd = conn_cancel_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, conn_cancel_fd >= 0 ? 2 : 1,
		    (int)(deadline - now > 60000 ? 60000 : deadline - now));
		if (n > 0 && pfd[1].revents)
			return CONN_ECANCELLED;
		if (n > 0)
			return CONN_OK;
		if (n < 0 && errno != EINTR)
			return CONN_EIO;
	}
}

static enum conn_status
conn_errno_class(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return CONN_EREFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return CONN_EUNREACH;
	case ETIMEDOUT:
		return CONN_ECONNTIMEOUT;
	case ECANCELED:
		return CONN_ECANCELLED;
	default:
		return CONN_EIO;
	}
}

/* conn_try - connect one address before deadline; the fd or -1 */
static int
conn_try(const struct addrinfo *ai, uint64_t deadline, enum conn_status *st,
    int *err)
{
	int fd, one = 1;
	socklen_t len = sizeof(*err);

	*err = 0;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		*st = CONN_EIO;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		*err = errno;
	else if ((*st = conn_wait(fd, POLLOUT, deadline)) == CONN_ECANCELLED)
		*err = ECANCELED;
	else if (*st != CONN_OK)
		*err = *st == CONN_ETIMEOUT ? ETIMEDOUT : errno;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0)
		*err = errno;
	if (*err != 0) {
		*st = conn_errno_class(*err);
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*st = CONN_OK;
	return fd;
}

static struct conn *
conn_new(int fd, const struct addrinfo *ai, unsigned port)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	const void *a;

	c->fd = fd;
	c->port = port;
	strbuf_init(&c->out);
	if (ai->ai_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
	if (inet_ntop(ai->ai_family, a, c->peer, sizeof(c->peer)) == NULL)
		STR_TRUNCATION_OK(str_copy(c->peer, sizeof(c->peer), "?"));
	return c;
}

static enum conn_status
conn_resolve(const char *name, unsigned port, bool numeric,
    struct addrinfo **res, char *err, size_t errsize)
{
	struct addrinfo hints;
	char service[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG |
	    (numeric ? AI_NUMERICHOST : 0);
	STR_TRUNCATION_OK(str_format(service, sizeof(service), "%u", port));
	rc = getaddrinfo(name, service, &hints, res);
	if (rc != 0) {
		STR_TRUNCATION_OK(str_format(err, errsize, "cannot resolve %s: %s", name,
		    gai_strerror(rc)));
		return CONN_ERESOLVE;
	}
	return CONN_OK;
}

enum conn_status
conn_open(const char *host, const char *addr, unsigned port,
    uint64_t timeout_ms, struct conn **out, char *err, size_t errsize)
{
	struct addrinfo *res, *ai;
	enum conn_status st;
	uint64_t deadline = clock_ms_now() + timeout_ms;
	int fd = -1, e = 0;

	*out = NULL;
	st = conn_resolve(addr ? addr : host, port, addr != NULL, &res, err,
	    errsize);
	if (st != CONN_OK)
		return st;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = conn_try(ai, deadline, &st, &e);
		if (fd >= 0 || st == CONN_ECANCELLED)
			break;
	}
	if (fd < 0) {
		STR_TRUNCATION_OK(str_format(err, errsize, "connect to %s port %u: %s",
		    host, port, st == CONN_ECONNTIMEOUT ?
		    "timed out (filtered?)" : strerror(e)));
		freeaddrinfo(res);
		return st;
	}
	*out = conn_new(fd, ai, port);
	freeaddrinfo(res);
	return CONN_OK;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->tls != NULL) {
		tls_shutdown(c->tls);
		tls_free(c->tls);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->out.data != NULL)
		explicit_bzero(c->out.data, c->out.cap);
	strbuf_free(&c->out);
	explicit_bzero(c->in, sizeof(c->in));
	free(c);
}

enum conn_status
conn_wait_input(struct conn *c, uint64_t timeout_ms)
{
	if (c->inpos < c->inlen || (c->tls != NULL && tls_pending(c->tls)))
		return CONN_OK;
	return conn_wait(c->fd, POLLIN, clock_ms_now() + timeout_ms);
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

unsigned
conn_port(const struct conn *c)
{
	return c->port;
}

/* conn_tls_wait - poll for what OpenSSL asked for */
static enum conn_status
conn_tls_wait(struct conn *c, enum tls_io io, uint64_t deadline, char *err,
    size_t errsize)
{
	switch (io) {
	case TLS_IO_WANT_READ:
		return conn_wait(c->fd, POLLIN, deadline);
	case TLS_IO_WANT_WRITE:
		return conn_wait(c->fd, POLLOUT, deadline);
	case TLS_IO_EOF:
		return CONN_EEOF;
	case TLS_IO_PLAINTEXT:
		return CONN_EPLAINTEXT;
	default:
		STR_TRUNCATION_OK(str_copy(err, errsize, tls_error(c->tls)));
		return CONN_ETLS;
	}
}

/* conn_recv - read some bytes into buf before deadline */
static enum conn_status
conn_recv(struct conn *c, char *buf, size_t n, size_t *got, uint64_t deadline,
    char *err, size_t errsize)
{
	enum conn_status st;
	enum tls_io io;
	ssize_t r;

	for (;;) {
		if (c->tls != NULL) {
			io = tls_read(c->tls, buf, n, got);
			if (io == TLS_IO_OK)
				return CONN_OK;
			st = conn_tls_wait(c, io, deadline, err, errsize);
		} else {
			r = recv(c->fd, buf, n, 0);
			if (r > 0) {
				*got = (size_t)r;
				return CONN_OK;
			}
			if (r == 0)
				return CONN_EEOF;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				STR_TRUNCATION_OK(str_format(err, errsize, "read: %s",
				    strerror(errno)));
				return CONN_EIO;
			}
			st = conn_wait(c->fd, POLLIN, deadline);
		}
		if (st != CONN_OK)
			return st;
	}
}

/* conn_fill - compact the input buffer and read more into it */
static enum conn_status
conn_fill(struct conn *c, uint64_t deadline, char *err, size_t errsize)
{
	size_t got = 0;
	enum conn_status st;

	if (c->inpos > 0) {
		memmove(c->in, c->in + c->inpos, c->inlen - c->inpos);
		c->inlen -= c->inpos;
		c->inpos = 0;
	}
	if (c->inlen == sizeof(c->in))
		return CONN_ETOOLONG;
	st = conn_recv(c, c->in + c->inlen, sizeof(c->in) - c->inlen, &got,
	    deadline, err, errsize);
	if (st == CONN_OK)
		c->inlen += got;
	return st;
}

enum conn_status
conn_read_line(struct conn *c, uint64_t timeout_ms, size_t max,
    const char **line, size_t *len, char *err, size_t errsize)
{
	uint64_t deadline = clock_ms_now() + timeout_ms;
	enum conn_status st;
	char *start, *nl;
	size_t avail;

	if (max > sizeof(c->in) - 2)
		max = sizeof(c->in) - 2;
	for (;;) {
		start = c->in + c->inpos;
		avail = c->inlen - c->inpos;
		nl = memchr(start, '\n', avail);
		if (nl != NULL) {
			*len = (size_t)(nl - start);
			if (*len > 0 && start[*len - 1] == '\r')
				(*len)--;
			c->inpos += (size_t)(nl - start) + 1;
			*line = start;
			return *len > max ? CONN_ETOOLONG : CONN_OK;
		}
		if (avail > max + 1)
			return CONN_ETOOLONG;
		st = conn_fill(c, deadline, err, errsize);
		if (st != CONN_OK)
			return st;
	}
}

void
conn_write(struct conn *c, const void *data, size_t len)
{
	strbuf_append(&c->out, data, len);
}

size_t
conn_buffered(const struct conn *c)
{
	return c->out.len;
}

/* conn_send - write some of buf before deadline */
static enum conn_status
conn_send(struct conn *c, const char *buf, size_t n, size_t *put,
    uint64_t deadline, char *err, size_t errsize)
{
	enum conn_status st;
	enum tls_io io;
	ssize_t r;

	for (;;) {
		if (c->tls != NULL) {
			io = tls_write(c->tls, buf, n, put);
			if (io == TLS_IO_OK)
				return CONN_OK;
			st = conn_tls_wait(c, io, deadline, err, errsize);
		} else {
			r = send(c->fd, buf, n, MSG_NOSIGNAL);
			if (r >= 0) {
				*put = (size_t)r;
				return CONN_OK;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				STR_TRUNCATION_OK(str_format(err, errsize, "write: %s",
				    strerror(errno)));
				return errno == EPIPE || errno == ECONNRESET ?
				    CONN_EEOF : CONN_EIO;
			}
			st = conn_wait(c->fd, POLLOUT, deadline);
		}
		if (st != CONN_OK)
			return st;
	}
}

enum conn_status
conn_flush(struct conn *c, uint64_t timeout_ms, bool wipe, char *err,
    size_t errsize)
{
	enum conn_status st = CONN_OK;
	size_t off = 0, put;

	while (off < c->out.len) {
		st = conn_send(c, c->out.data + off, c->out.len - off, &put,
		    clock_ms_now() + timeout_ms, err, errsize);
		if (st != CONN_OK)
			break;
		off += put;
	}
	if (wipe && c->out.data != NULL)
		explicit_bzero(c->out.data, c->out.cap);
	strbuf_reset(&c->out);
	return st;
}

size_t
conn_discard_input(struct conn *c)
{
	size_t dropped = c->inlen - c->inpos;
	char junk[4096];
	ssize_t r;

	c->inpos = c->inlen = 0;
	if (c->tls != NULL)
		return dropped;
	while ((r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		dropped += (size_t)r;
	return dropped;
}

enum conn_status
conn_start_tls(struct conn *c, const struct tls_config *cfg,
    uint64_t timeout_ms, char *err, size_t errsize)
{
	uint64_t deadline = clock_ms_now() + timeout_ms;
	enum conn_status st;
	enum tls_io io;

	c->tls = tls_new(cfg, c->fd, err, errsize);
	if (c->tls == NULL)
		return CONN_ETLS;
	while ((io = tls_handshake(c->tls)) != TLS_IO_OK) {
		st = conn_tls_wait(c, io, deadline, err, errsize);
		if (st == CONN_EEOF)
			STR_TRUNCATION_OK(str_copy(err, errsize, "connection closed during "
			    "the TLS handshake"));
		if (st != CONN_OK)
			return st;
	}
	return CONN_OK;
}

struct tls *
conn_tls(struct conn *c)
{
	return c->tls;
}

const char *
conn_status_name(enum conn_status st)
{
	static const char *const names[] = {
		[CONN_OK] = "ok",
		[CONN_ERESOLVE] = "host not found",
		[CONN_EREFUSED] = "connection refused",
		[CONN_ECONNTIMEOUT] = "connect timed out",
		[CONN_EUNREACH] = "network unreachable",
		[CONN_ETIMEOUT] = "timed out",
		[CONN_EEOF] = "connection closed by peer",
		[CONN_EIO] = "I/O error",
		[CONN_ETOOLONG] = "line too long",
		[CONN_ETLS] = "TLS failure",
		[CONN_EPLAINTEXT] = "peer speaks plaintext",
		[CONN_ECANCELLED] = "cancelled",
	};

	if ((size_t)st < sizeof(names) / sizeof(names[0]) && names[st])
		return names[st];
	return "unknown";
}
