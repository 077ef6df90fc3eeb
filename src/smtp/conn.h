/*
 * conn.h - a client TCP connection with deadlines, buffered output and
 * optional TLS, for line-based protocols.
 *
 * Every operation that waits takes a timeout and uses poll() on a
 * non-blocking socket, so a silent or stalled peer can never hang the
 * caller. Output is collected in a buffer and written by conn_flush(), so
 * pipelined commands and the end of a message leave in as few segments as
 * possible; TCP_NODELAY is set because writes are already coalesced.
 *
 * Ownership: conn_open() returns a connection the caller ends with
 * conn_close(). Lines returned by conn_read_line() point into the input
 * buffer and stay valid until the next read. Errors come back as enum
 * conn_status plus a message in a caller buffer.
 */
#ifndef POSTERN_CONN_H
#define POSTERN_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"

struct conn;

enum conn_status {
	CONN_OK,
	CONN_ERESOLVE,		/* host name does not resolve */
	CONN_EREFUSED,		/* connection refused (RST) */
	CONN_ECONNTIMEOUT,	/* no answer to connect: filtered */
	CONN_EUNREACH,		/* network or host unreachable */
	CONN_ETIMEOUT,		/* peer silent past the deadline */
	CONN_EEOF,		/* peer closed the connection */
	CONN_EIO,		/* other socket error */
	CONN_ETOOLONG,		/* input line over the limit */
	CONN_ETLS,		/* TLS handshake or record failure */
	CONN_EPLAINTEXT,	/* TLS peer answered in plaintext SMTP */
	CONN_ECANCELLED,	/* the thread's cancel fd became readable */
};

/*
 * conn_set_cancel_fd - for the calling thread: every wait also watches fd
 * (-1 = none), and gives up with CONN_ECANCELLED once it is readable. Lets
 * the port race (relay.c) stop the losers at once.
 */
void conn_set_cancel_fd(int fd);

/*
 * conn_wait_input - wait up to timeout_ms for input to arrive (buffered
 * or on the socket); CONN_OK, CONN_ETIMEOUT or CONN_ECANCELLED.
 */

/*
 * conn_open - resolve host (or use addr, a numeric address, when not
 * NULL) and connect to port within timeout_ms, trying each address in
 * turn. On failure returns the class of the last failure.
 */
enum conn_status conn_open(const char *host, const char *addr, unsigned port,
    uint64_t timeout_ms, struct conn **out, char *err, size_t errsize);
enum conn_status conn_wait_input(struct conn *c, uint64_t timeout_ms);
/* conn_close - shut TLS down, close the socket, wipe and free buffers */
void conn_close(struct conn *c);

/* conn_peer - numeric peer address, e.g. "127.0.0.1" or "::1" */
const char *conn_peer(const struct conn *c);
unsigned conn_port(const struct conn *c);

/*
 * conn_read_line - next input line without its line ending (CRLF or LF).
 * A line longer than max bytes is CONN_ETOOLONG.
 */
enum conn_status conn_read_line(struct conn *c, uint64_t timeout_ms,
    size_t max, const char **line, size_t *len, char *err, size_t errsize);

/* conn_write - append bytes to the output buffer */
void conn_write(struct conn *c, const void *data, size_t len);
/* conn_buffered - bytes waiting in the output buffer */
size_t conn_buffered(const struct conn *c);
/*
 * conn_flush - write all buffered output; timeout_ms bounds each wait for
 * progress. With wipe, the buffer memory is zeroed afterwards (secrets).
 */
enum conn_status conn_flush(struct conn *c, uint64_t timeout_ms, bool wipe,
    char *err, size_t errsize);

/*
 * conn_discard_input - drop everything received but not yet read, both
 * buffered and waiting in the socket; returns the number of bytes dropped.
 */
size_t conn_discard_input(struct conn *c);

/*
 * conn_start_tls - run a TLS handshake within timeout_ms. On CONN_ETLS
 * err holds OpenSSL's reason; CONN_EPLAINTEXT means the peer sent a
 * plaintext SMTP reply instead of a handshake.
 */
enum conn_status conn_start_tls(struct conn *c, const struct tls_config *cfg,
    uint64_t timeout_ms, char *err, size_t errsize);
/* conn_tls - the TLS session, NULL before conn_start_tls() succeeded */
struct tls *conn_tls(struct conn *c);

/* conn_status_name - short text for a status */
const char *conn_status_name(enum conn_status st);

#endif
