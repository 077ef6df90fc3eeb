#!/usr/bin/python3
"""A small TCP proxy for postern's tests: the network paths a real
smarthost is reached through.

What it does
    Listens on 127.0.0.1 and relays every connection to an upstream
    host:port. On the way it can:
      --strip-starttls   act as an SMTP "inspection" middlebox does: remove
                         the STARTTLS line from the server's EHLO reply and
                         answer a STARTTLS command itself with 502, so the
                         client sees a server that offers no STARTTLS;
      --delay-ms N       hold every chunk N ms in each direction (a slow
                         path: 40 ms each way is an 80 ms round trip;
                         this kernel has no netem);
      --reply-delay-ms N hold every chunk from the server N ms more (a
                         slow server: every reply late);
      --capture FILE     append every byte the client sends, in order, so
                         a test can check that no secret crossed in clear.

Interface
    tcp_proxy.py --upstream HOST:PORT --dir DIR [options]
      writes DIR/port (atomically) once listening; one line per connection
      to DIR/connections.log ("accepted", then "closed"); runs until
      SIGTERM.

How it fails
    Exits non-zero on a listen problem; a failed upstream connect closes
    only that client's connection.
"""

import argparse
import asyncio
import os
import re
import signal


def close_quietly(writer):
    """Close one side; the peer may have gone already."""
    try:
        writer.close()
    except OSError:
        pass


class Proxy:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.log = os.path.join(args.dir, "connections.log")

    def note(self, text):
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(text + "\n")

    async def pause(self, extra_ms=0):
        ms = self.args.delay_ms + extra_ms
        if ms:
            await asyncio.sleep(ms / 1000.0)

    @staticmethod
    def strip(data):
        """The EHLO reply without its STARTTLS line, still well formed."""
        out = []
        for line in data.split(b"\n"):
            m = re.match(rb"^250([ -])STARTTLS\r?$", line, re.I)
            if m is None:
                out.append(line)
            elif m.group(1) == b" " and out and out[-1].startswith(b"250-"):
                out[-1] = b"250 " + out[-1][4:]    # it was the last line
        return b"\n".join(out)

    async def client_to_server(self, reader, writer, client_writer, n):
        capture = open(self.args.capture, "ab") if self.args.capture else None
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if capture:
                    capture.write(data)
                    capture.flush()
                if self.args.strip_starttls and re.match(
                        rb"^STARTTLS\r?\n", data, re.I):
                    client_writer.write(b"502 5.5.1 not implemented\r\n")
                    await client_writer.drain()
                    continue
                await self.pause()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if capture:
                capture.close()
            close_quietly(writer)

    async def server_to_client(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if self.args.strip_starttls:
                    data = self.strip(data)
                await self.pause(self.args.reply_delay_ms)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            close_quietly(writer)

    async def handle(self, creader, cwriter):
        self.count += 1
        n = self.count
        self.note("accepted %d" % n)
        host, _, port = self.args.upstream.rpartition(":")
        try:
            sreader, swriter = await asyncio.open_connection(host, int(port))
        except OSError as exc:
            self.note("upstream %d failed %s" % (n, exc))
            cwriter.close()
            return
        await asyncio.gather(
            self.client_to_server(creader, swriter, cwriter, n),
            self.server_to_client(sreader, cwriter))
        self.note("closed %d" % n)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--listen-port", type=int, default=0)
    ap.add_argument("--strip-starttls", action="store_true")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--reply-delay-ms", type=int, default=0)
    ap.add_argument("--capture")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1",
                                        args.listen_port)
    port = server.sockets[0].getsockname()[1]
    tmp = os.path.join(args.dir, "port.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % port)
    os.rename(tmp, os.path.join(args.dir, "port"))
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(
            sig, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
