#!/usr/bin/python3
"""A hostile SMTP server for the reliability suite.

What it does
    Listens on 127.0.0.1 and misbehaves in one way, chosen by --mode, on
    every connection:

      huge-line     a greeting line of 8 MiB with no end
      endless       "220-" continuation lines, without end
      nul           NUL bytes inside the greeting and every reply
      inject        STARTTLS answered with "220" plus a forged reply in
                    the same segment, before the TLS handshake; then a
                    normal session that defers the message (451)
      garbage-tls   on a port the client takes for implicit TLS: 2 MiB of
                    random bytes instead of a ServerHello
      silent        accepts and never says anything
      close-in-data a correct session over STARTTLS that closes the
                    connection halfway through the message

Interface
    hostile_smarthost.py --dir DIR --mode MODE
      certificates from testcerts.py (in DIR); writes DIR/port once
      listening; serves until SIGTERM; one thread per connection.
"""

import argparse
import os
import socket
import ssl
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "smarthost"))
import testcerts  # noqa: E402

MIB = 1 << 20


def send(conn, data):
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


def readline(f):
    try:
        return f.readline(65536)
    except (OSError, ValueError):
        return b""


def session(conn, mode, ctx):
    """An SMTP session over conn; mode says where it goes wrong."""
    nul = mode == "nul"
    z = b"\x00" if nul else b""
    if not send(conn, b"220 hostile" + z + b" ESMTP\r\n"):
        return
    f = conn.makefile("rb")
    tls = False
    while True:
        line = readline(f)
        if not line:
            return
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            caps = b"250-hostile" + z + b"\r\n250-PIPELINING\r\n"
            if not tls:
                caps += b"250-STARTTLS\r\n"
            send(conn, caps + b"250 8BITMIME" + z + b"\r\n")
        elif verb == b"STAR":
            extra = b"250 X-INJECTED forged\r\n" if mode == "inject" else b""
            send(conn, b"220 go ahead\r\n" + extra)
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                return
            f = conn.makefile("rb")
            tls = True
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            send(conn, b"250 ok" + z + b"\r\n")
        elif verb == b"DATA":
            send(conn, b"354 go on\r\n")
            got = 0
            while True:
                line = readline(f)
                if not line:
                    return
                got += len(line)
                if mode == "close-in-data" and got > 20:
                    conn.close()
                    return
                if line in (b".\r\n", b".\n"):
                    break
            send(conn, b"451 4.3.0 hostile server defers" + z + b"\r\n")
        elif verb == b"QUIT":
            send(conn, b"221 bye\r\n")
            return
        else:
            send(conn, b"502 no" + z + b"\r\n")


def serve(conn, mode, ctx):
    try:
        if mode == "huge-line":
            send(conn, b"220 " + b"A" * (8 * MIB))
            conn.recv(4096)
        elif mode == "endless":
            while send(conn, b"220-and more, and more, and more\r\n" * 512):
                pass
        elif mode == "garbage-tls":
            send(conn, os.urandom(2 * MIB))
            conn.recv(4096)
        elif mode == "silent":
            while conn.recv(4096):
                pass
        else:
            session(conn, mode, ctx)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--mode", required=True, choices=(
        "huge-line", "endless", "nul", "inject", "garbage-tls", "silent",
        "close-in-data"))
    args = ap.parse_args()
    paths = testcerts.ensure_certs(args.dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*paths["server"]["good"])
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    tmp = os.path.join(args.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(tmp, os.path.join(args.dir, "port"))
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn, args.mode, ctx),
                         daemon=True).start()


if __name__ == "__main__":
    main()
