#!/usr/bin/python3
"""STARTTLS command-injection test server for postern.

What it does
    A deliberately hostile, minimal SMTP server on loopback.  It offers
    STARTTLS and, in the same TCP segment as its "220" answer to STARTTLS,
    sends extra plaintext: a forged EHLO reply ("250 SIZE 1234" and an
    X-INJECTED keyword).  A client that keeps those bytes after the TLS
    handshake would take them for the answer to its post-TLS EHLO.  A
    correct client discards them, so the capabilities it reports are the
    real post-TLS ones (SIZE 5000000, PIPELINING).  After the handshake the
    server speaks just enough SMTP to accept one or more messages.

Interface
    starttls_inject.py --dir DIR [--cert-dir DIR]
      writes DIR/pid, then DIR/port (atomically) once listening on
      127.0.0.1; serves connections one at a time until SIGTERM.
      For each connection it appends one JSON line to DIR/sessions.jsonl:
        {"plain": [commands before TLS], "tls": [commands after TLS],
         "messages": N, "error": null or text}
      The test PKI comes from testcerts.py (server-good, in --cert-dir or
      DIR).

How it fails
    Exits non-zero with a traceback on a listen or certificate problem.
    A misbehaving client only ends its own connection (error recorded).
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testcerts  # noqa: E402

INJECTED = b"250-forged.example\r\n250-X-INJECTED\r\n250 SIZE 1234\r\n"
POST_TLS_EHLO = (b"250-inject.test\r\n250-PIPELINING\r\n"
                 b"250 SIZE 5000000\r\n")


class Lines:
    """Line reader over a socket-like object with a recv() method."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def plain_phase(conn, record):
    """Greeting and EHLO in plaintext; True once STARTTLS was answered."""
    rd = Lines(conn)
    conn.sendall(b"220 inject.test ESMTP\r\n")
    while True:
        line = rd.line()
        if line is None:
            return False
        record["plain"].append(line.decode("latin-1"))
        verb = line.split(b" ", 1)[0].upper()
        if verb in (b"EHLO", b"HELO"):
            conn.sendall(b"250-inject.test\r\n250-PIPELINING\r\n"
                         b"250 STARTTLS\r\n")
        elif verb == b"STARTTLS":
            # The hostile part: plaintext pipelined after the 220.
            conn.sendall(b"220 2.0.0 go ahead\r\n" + INJECTED)
            return True
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return False
        else:
            conn.sendall(b"530 5.7.0 STARTTLS first\r\n")


def read_data(rd):
    while True:
        line = rd.line()
        if line is None or line == b".":
            return line is not None


def tls_phase(tconn, record):
    rd = Lines(tconn)
    while True:
        line = rd.line()
        if line is None:
            return
        record["tls"].append(line.decode("latin-1"))
        verb = line.split(b" ", 1)[0].upper()
        if verb == b"EHLO":
            tconn.sendall(POST_TLS_EHLO)
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            tconn.sendall(b"250 2.0.0 ok\r\n")
        elif verb == b"DATA":
            tconn.sendall(b"354 go\r\n")
            if not read_data(rd):
                return
            record["messages"] += 1
            tconn.sendall(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            tconn.sendall(b"221 2.0.0 bye\r\n")
            return
        else:
            tconn.sendall(b"502 5.5.1 unknown\r\n")


def serve_one(conn, ctx, state_dir):
    record = {"plain": [], "tls": [], "messages": 0, "error": None}
    try:
        conn.settimeout(20)
        if plain_phase(conn, record):
            tconn = ctx.wrap_socket(conn, server_side=True)
            tls_phase(tconn, record)
    except (OSError, ssl.SSLError) as exc:
        record["error"] = str(exc)
    finally:
        conn.close()
        with open(os.path.join(state_dir, "sessions.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert-dir")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    write_atomic(os.path.join(args.dir, "pid"), "%d\n" % os.getpid())
    paths = testcerts.ensure_certs(args.cert_dir or args.dir)
    cert, key = paths["server"]["good"]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    write_atomic(os.path.join(args.dir, "port"),
                 "%d\n" % srv.getsockname()[1])
    while True:
        conn, _ = srv.accept()
        serve_one(conn, ctx, args.dir)


if __name__ == "__main__":
    main()
