#!/usr/bin/python3
"""postern test smarthost: a recording, fault-injecting SMTP server for tests.

What it does
    Runs an SMTP server (built on aiosmtpd) on one or more loopback
    endpoints so that integration tests can deliver mail to it and then
    inspect exactly what arrived, over which kind of connection, and how a
    client reacted to chosen failures.  Loopback only: any other listen
    address is refused.

Interface (command line)
    smarthost.py --dir DIR --listen MODE:HOST:PORT[,cert=KIND] [...] [options]

    --listen MODE:HOST:PORT[,cert=KIND]   (repeatable, in order)
        MODE is plain, starttls (STARTTLS offered) or tls (implicit TLS,
        as on port 465).  HOST is 127.0.0.1, ::1 (also written [::1]) or
        localhost (= 127.0.0.1).  PORT 0 picks a free port.  cert=KIND
        overrides --cert for this endpoint.
    --dir DIR              state directory (created if missing)
    --cert KIND            certificate presented: good (default), selfsigned,
                           wronghost, expired or notyetvalid; see testcerts.py
    --cert-dir DIR         where the test PKI lives (default: --dir); a
                           complete set there is reused, else one is made
    --key-type ec|rsa      key algorithm when generating the PKI (default ec)
    --tls-min V, --tls-max V   protocol bounds, V in 1.0 1.1 1.2 1.3
                           (default min 1.2, max: library maximum)
    --client-cert none|optional|require
                           request a client certificate verified against
                           the test CA (default none = not requested)
    --auth USER:PASS       (repeatable) enable AUTH PLAIN, LOGIN (challenges
                           "Username:", "Password:"), CRAM-MD5
    --oauth-token USER:TOKEN  (repeatable) enable AUTH XOAUTH2, OAUTHBEARER
    --auth-mechs LIST      comma list restricting the mechanisms offered
    --auth-require-tls     do not offer AUTH before TLS; AUTH then gets 538
    --auth-required        MAIL/RCPT/DATA get 530 until authenticated
    --require-starttls     commands other than EHLO/NOOP/STARTTLS/QUIT get
                           530 before STARTTLS (starttls endpoints)
    --size N               SIZE limit advertised and enforced (default
                           33554432; 0 = no SIZE)
    --hide EXT             (repeatable) EHLO keyword not to advertise
    --advertise EXT        (repeatable) extra EHLO line, e.g. DSN
    --hostname NAME        name in the greeting/EHLO (default smarthost.test)
    --timeout SECS         idle timeout per session (default 300)
    --faults FILE          fault file (default DIR/faults.json)
    --record-wire          write DIR/wire/SESSION.bin (bytes received before
                           TLS, i.e. what an eavesdropper sees) and
                           DIR/wire/SESSION.tls.bin (bytes received inside TLS)
    --verbose              debug logging

    Extensions advertised by default: SIZE, 8BITMIME, SMTPUTF8, PIPELINING,
    STARTTLS (starttls endpoints, before TLS), AUTH (when configured), HELP.
    MAIL/RCPT parameters are accepted only for extensions advertised in the
    session (SIZE, BODY, SMTPUTF8, AUTH; RET/ENVID/NOTIFY/ORCPT need DSN);
    anything else gets 555.

State directory
    pid          the server's pid (written first)
    ca.pem ...   the test PKI when --cert-dir is not given (testcerts.py)
    ports.json   [{"mode":..,"host":..,"port":..,"cert":..}, ...] in --listen
                 order, written atomically once every endpoint listens
    ready        written after ports.json (contains the pid); removed on exit
    smarthost.log   diagnostics
    sessions.log one line per finished connection, space-separated key=value
                 (values never contain spaces; "-" means none):
                 session port mode peer tls cipher starttls auth client_cert
                 helo messages rejected dropped auth_failures errors auths
                 end duration (auths: the AUTH commands received).
                 peer is 127.0.0.1:PORT or [::1]:PORT;
                 client_cert is the certificate's CN.  end is one of quit,
                 client_closed, timeout, tls_failed, dropped_at_CMD,
                 dropped_after_data, closed_421, server_shutdown,
                 connection_error.  A failed implicit-TLS handshake is
                 logged too (end=tls_failed, peer "-").
    mail/NNNN.eml  exact DATA bytes accepted (CRLF kept, dot-unstuffed)
    mail/NNNN.json envelope + connection facts (written after the .eml,
                 both atomically): id, session, mail_from, rcpt_tos,
                 mail_options, rcpt_options (one list per recipient), helo,
                 esmtp, listen_host, listen_port, mode, peer, tls,
                 tls_version, tls_cipher, starttls, auth_user,
                 auth_mechanism, client_cert_subject, client_cert_issuer,
                 size, index_in_session, received_at.
    wire/        see --record-wire

Fault file (JSON object, re-read at each new connection; missing = none)
    greeting: REPLY          instead of the 220 banner (421 closes; other
                             non-2xx answers 503 to all but QUIT)
    ehlo|helo|starttls|auth|mail|data|rset|noop|quit|vrfy|expn|help: REPLY
                             reply to that command instead of handling it
    mail: REPLY or {ADDR: REPLY, "*": REPLY}   per sender ("" = null sender)
    rcpt: REPLY or {ADDR: REPLY, "*": REPLY}   per recipient
    data_end: REPLY          reply after the final dot (non-2xx: not stored)
    drop_after_data: true    close after the final dot without replying
    drop_at: CMD or [CMD..]  close without replying when CMD arrives
                             (also "greeting" and "data_end")
    delay: {STAGE: SECONDS}  sleep before replying; STAGE is greeting,
                             data_end or a command name (ehlo, mail, ...),
                             or auth_failed: sleep before a 535, as Dovecot
                             and Postfix do after a failed login
    no_starttls: true        do not offer or accept STARTTLS
    size: N                  SIZE for this connection (0 = none)
    hide: [EXT..]            EHLO keywords not to advertise
    advertise: [LINE..]      extra EHLO lines (e.g. "DSN")
    auth_mechs: [MECH..]     mechanisms offered/accepted
    auth_hashed: true        passwords stored hashed, as Dovecot or Cyrus
                             with saslauthd do: CRAM-MD5 is still offered
                             but every CRAM-MD5 login fails with 535
    max_messages: N          after N accepted messages in a session, MAIL
                             gets 421 and the connection is closed
    max_rcpts: N             RCPT beyond N per message gets 452
    A REPLY is "CODE text" or a list of complete lines sent verbatim.
    Any reply whose (last) line starts with 421 closes the connection.
    Address keys are compared case-insensitively.

How it fails
    Bad arguments: usage message on stderr, exit status 2.  A listen
    failure: message on stderr and in smarthost.log, exit status 1.  In
    both cases no ready file appears.
    Odd client behaviour never stops the server: errors are logged to
    smarthost.log, counted in sessions.log (errors=N) and answered 451.
    An unreadable fault file is logged and treated as empty; entries with a
    value of the wrong type are logged and ignored.
    SIGTERM or SIGINT: closes all listeners and sessions, removes ready,
    exits 0.
"""

import argparse
import asyncio
import base64
import binascii
import collections
import datetime
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import signal
import ssl
import sys
import time
import warnings

warnings.filterwarnings("ignore", module="aiosmtpd")
warnings.filterwarnings("ignore", message=".*AUTH.*")

try:
    from aiosmtpd.smtp import (  # noqa: E402
        MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session,
        TLSSetupException, syntax)
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("smarthost: aiosmtpd is not importable with %s: %s\n"
                     % (sys.executable, exc))
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testcerts  # noqa: E402

log = logging.getLogger("smarthost")

MODES = ("plain", "starttls", "tls")
TLS_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
DEFAULT_SIZE = 33554432
COMMAND_FAULT_KEYS = ("ehlo", "helo", "starttls", "auth", "mail", "rcpt",
                      "data", "rset", "noop", "quit", "vrfy", "expn", "help")
FAULT_KEYS = set(COMMAND_FAULT_KEYS) | {
    "greeting", "data_end", "drop_after_data", "drop_at", "delay",
    "no_starttls", "size", "hide", "advertise", "auth_mechs",
    "auth_hashed", "max_messages", "max_rcpts"}
# MAIL/RCPT parameter -> EHLO keyword that must have been advertised.
MAIL_PARAMS = {"SIZE": "SIZE", "BODY": None, "SMTPUTF8": "SMTPUTF8",
               "RET": "DSN", "ENVID": "DSN", "AUTH": "AUTH"}
RCPT_PARAMS = {"NOTIFY": "DSN", "ORCPT": "DSN"}
ALL_MECHS = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER")
CERT_FIELDS = {"commonName": "CN", "organizationName": "O",
               "organizationalUnitName": "OU", "countryName": "C",
               "localityName": "L", "stateOrProvinceName": "ST",
               "emailAddress": "emailAddress"}


# --------------------------------------------------------------------------
# helpers

def write_atomic(path, data):
    """Write bytes to PATH via a temporary file and rename."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def reply_lines(reply):
    """A fault REPLY (string or list of lines) as a list of lines."""
    if isinstance(reply, (list, tuple)):
        return [str(x) for x in reply]
    return [str(reply)]


def reply_code(reply):
    lines = reply_lines(reply)
    return lines[-1][:3] if lines else ""


def kv_value(value):
    """A value for sessions.log: no whitespace, "-" for empty."""
    if value is None or value == "" or value is False:
        return "-"
    if value is True:
        return "yes"
    return re.sub(r"\s+", "_", str(value))


def format_dn(rdns):
    parts = []
    for rdn in rdns or ():
        for key, value in rdn:
            parts.append("%s=%s" % (CERT_FIELDS.get(key, key), value))
    return ",".join(parts)


def _is_reply(v):
    return isinstance(v, str) or (isinstance(v, list) and v and
                                  all(isinstance(x, str) for x in v))


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0


FAULT_CHECKS = {
    "greeting": _is_reply, "data_end": _is_reply,
    "mail": lambda v: _is_reply(v) or (isinstance(v, dict) and all(
        _is_reply(x) for x in v.values())),
    "rcpt": lambda v: _is_reply(v) or (isinstance(v, dict) and all(
        _is_reply(x) for x in v.values())),
    "drop_after_data": lambda v: isinstance(v, bool),
    "no_starttls": lambda v: isinstance(v, bool),
    "drop_at": lambda v: isinstance(v, str) or (isinstance(v, list) and all(
        isinstance(x, str) for x in v)),
    "delay": lambda v: isinstance(v, dict) and all(
        _is_number(x) for x in v.values()),
    "size": lambda v: isinstance(v, int) and not isinstance(v, bool)
    and v >= 0,
    "max_messages": lambda v: isinstance(v, int) and v >= 0,
    "max_rcpts": lambda v: isinstance(v, int) and v >= 0,
    "hide": lambda v: isinstance(v, list) and all(
        isinstance(x, str) for x in v),
    "advertise": lambda v: isinstance(v, list) and all(
        isinstance(x, str) for x in v),
    "auth_mechs": lambda v: isinstance(v, list) and all(
        isinstance(x, str) for x in v),
    "auth_hashed": lambda v: isinstance(v, bool),
}


def check_faults(faults):
    """Drop (and log) fault entries whose value has the wrong type."""
    good = {}
    for key, value in faults.items():
        check = FAULT_CHECKS.get(key, _is_reply if key in COMMAND_FAULT_KEYS
                                 else None)
        if check is None or check(value):
            good[key] = value
        else:
            log.error("faults file: bad value for %r ignored: %r", key, value)
    return good


def session_fields(sid, endpoint, **kw):
    """The sessions.log fields, in their fixed order."""
    fields = [("session", sid), ("port", endpoint["port"]),
              ("mode", endpoint["mode"])]
    for key in ("peer", "tls", "cipher", "starttls", "auth", "client_cert",
                "helo"):
        fields.append((key, kw.get(key)))
    for key in ("messages", "rejected", "dropped", "auth_failures",
                "errors", "auths"):
        fields.append((key, kw.get(key, 0)))
    fields.append(("end", kw.get("end")))
    fields.append(("duration", kw.get("duration", "0.000")))
    return fields


def lookup_addr(table, address):
    """REPLY for ADDRESS in a fault map (case-insensitive, "*" default)."""
    if not isinstance(table, dict):
        return table
    want = (address or "").lower()
    for key, value in table.items():
        if key.lower() == want:
            return value
    return table.get("*")


def parse_listen(spec):
    """MODE:HOST:PORT[,cert=KIND] -> dict."""
    opts = {}
    main, _, extra = spec.partition(",")
    for item in filter(None, extra.split(",")):
        key, eq, value = item.partition("=")
        if not eq or key != "cert":
            raise ValueError("unknown endpoint option %r" % item)
        if value not in testcerts.SERVER_KINDS:
            raise ValueError("unknown certificate kind %r" % value)
        opts[key] = value
    mode, sep, rest = main.partition(":")
    if not sep or mode not in MODES:
        raise ValueError("endpoint must be MODE:HOST:PORT with MODE one of "
                         "%s: %r" % ("/".join(MODES), spec))
    host, sep, port = rest.rpartition(":")
    if not sep:
        raise ValueError("endpoint lacks a port: %r" % spec)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        host = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError("endpoint host must be a loopback address: %r"
                         % host) from None
    if not ip.is_loopback:
        raise ValueError("refusing non-loopback listen address %s" % host)
    try:
        port = int(port)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        raise ValueError("bad port in %r" % spec) from None
    return {"mode": mode, "host": host, "port": port,
            "cert": opts.get("cert")}


# --------------------------------------------------------------------------
# shared state

class State:
    def __init__(self, cfg):
        self.cfg = cfg
        self.dir = cfg.dir
        self.mail_dir = os.path.join(cfg.dir, "mail")
        self.wire_dir = os.path.join(cfg.dir, "wire")
        os.makedirs(self.mail_dir, exist_ok=True)
        if cfg.record_wire:
            os.makedirs(self.wire_dir, exist_ok=True)
        self.sessions_log = os.path.join(cfg.dir, "sessions.log")
        self.faults_path = os.path.abspath(
            cfg.faults or os.path.join(cfg.dir, "faults.json"))
        self.active = set()
        self.session_seq = 0
        self.msg_seq = 0
        for name in os.listdir(self.mail_dir):
            stem = name.split(".", 1)[0]
            if stem.isdigit():
                self.msg_seq = max(self.msg_seq, int(stem))
        self.users = {}
        for item in cfg.auth or ():
            user, _, password = item.partition(":")
            self.users[user] = password
        self.tokens = {}
        for item in cfg.oauth_token or ():
            user, _, token = item.partition(":")
            self.tokens[user] = token
        if cfg.auth_mechs:
            self.mechs = [m.strip().upper() for m in cfg.auth_mechs.split(",")
                          if m.strip()]
        else:
            self.mechs = []
            if self.users:
                self.mechs += ["PLAIN", "LOGIN", "CRAM-MD5"]
            if self.tokens:
                self.mechs += ["XOAUTH2", "OAUTHBEARER"]

    def next_session_id(self):
        self.session_seq += 1
        return "%d-%04d" % (os.getpid(), self.session_seq)

    def next_message_number(self):
        self.msg_seq += 1
        return self.msg_seq

    def load_faults(self):
        try:
            with open(self.faults_path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.error("cannot read %s: %s", self.faults_path, exc)
            return {}
        if not raw.strip():
            return {}
        try:
            faults = json.loads(raw)
        except ValueError as exc:
            log.error("faults file %s is not valid JSON (%s); ignoring it",
                      self.faults_path, exc)
            return {}
        if not isinstance(faults, dict):
            log.error("faults file %s is not a JSON object; ignoring it",
                      self.faults_path)
            return {}
        unknown = sorted(set(faults) - FAULT_KEYS)
        if unknown:
            log.warning("faults file: unknown keys ignored: %s",
                        ", ".join(unknown))
        return check_faults(faults)

    def log_tls_failure(self, endpoint, exc):
        """An implicit-TLS handshake failed before any SMTP session began."""
        sid = self.next_session_id()
        log.warning("session %s: TLS handshake failed on %s:%d: %r", sid,
                    endpoint["host"], endpoint["port"], exc)
        self.log_session(session_fields(
            sid, endpoint, end="tls_failed"))

    def log_session(self, fields):
        line = " ".join("%s=%s" % (k, kv_value(v)) for k, v in fields) + "\n"
        with open(self.sessions_log, "a", encoding="utf-8") as f:
            f.write(line)


class QuietSession(Session):
    """aiosmtpd's Session without the deprecation warning on login_data."""

    @property
    def login_data(self):
        return self._login_data

    @login_data.setter
    def login_data(self, value):
        self._login_data = value


class Handler:
    """aiosmtpd hooks; everything is delegated to the protocol instance."""

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        return server.on_ehlo(hostname, responses)

    async def handle_DATA(self, server, session, envelope):
        return await server.on_data(envelope)


# --------------------------------------------------------------------------
# the SMTP protocol

class RecordingSMTP(SMTP):
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(self, state, endpoint, starttls_ctx):
        cfg = state.cfg
        self.state = state
        self.endpoint = endpoint
        self.sid = None
        self.faults = {}
        self.implicit_tls = endpoint["mode"] == "tls"
        self.greeted = False
        self.greeting_rejected = False
        self.dropping = False
        self.close_after_push = False
        self.end_reason = None
        self.quit_seen = False
        self.logged = False
        self.messages = 0
        self.rejected = 0
        self.dropped = 0
        self.n_auth_failures = 0
        self.n_auth_commands = 0
        self.errors = 0
        self.authed_user = None
        self.authed_mech = None
        self.helo_name = None
        self.esmtp = False
        self.starttls_used = False
        self.tls = None
        self.advertised = set()
        self.peer = None
        self.started = time.monotonic()
        self.wire_clear = None
        self.wire_tls = None
        super().__init__(
            Handler(),
            data_size_limit=cfg.size or None,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=cfg.hostname,
            ident="ESMTP postern test smarthost",
            tls_context=starttls_ctx,
            require_starttls=cfg.require_starttls,
            timeout=cfg.timeout,
            auth_required=cfg.auth_required,
            auth_require_tls=False,   # enforced here, also for implicit TLS
            authenticator=self._check_password,
        )
        # Long AUTH lines (RFC 4954 allows 12288 octets).  DATA lines are
        # still limited to 1000 octets by aiosmtpd's own check.
        self.command_size_limits = _size_limits()
        reader = getattr(self, "_strong_reader", None) or \
            getattr(self, "_stream_reader", None)
        if reader is not None and hasattr(reader, "_limit"):
            reader._limit = 16384
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._wrap(name, method)

    # ---- connection life cycle -----------------------------------------

    def connection_made(self, transport):
        first = self._original_transport is None and self.sid is None
        if not first:
            # STARTTLS resets the SMTP session (RFC 3207 4.2).
            self.authed_user = None
            self.authed_mech = None
            self.helo_name = None
            self.esmtp = False
            self.advertised = set()
        if first:
            self.sid = self.state.next_session_id()
            self.faults = self.state.load_faults()
            size = self.faults.get("size", self.state.cfg.size)
            self.data_size_limit = int(size) if size else None
            self.peer = transport.get_extra_info("peername")
            self.state.active.add(self)
            if self.state.cfg.record_wire:
                stem = os.path.join(self.state.wire_dir, self.sid)
                self.wire_clear = open(stem + ".bin", "wb", buffering=0)
                self.wire_tls = open(stem + ".tls.bin", "wb", buffering=0)
            log.info("session %s: connection from %r on %s:%d (%s)",
                     self.sid, self.peer, self.endpoint["host"],
                     self.endpoint["port"], self.endpoint["mode"])
        super().connection_made(transport)
        if self.implicit_tls or not first:
            self._note_tls(transport)

    def _note_tls(self, transport):
        sslobj = transport.get_extra_info("ssl_object")
        if sslobj is None:
            return
        cipher = sslobj.cipher()
        peer_cert = None
        try:
            peer_cert = sslobj.getpeercert()
        except (ValueError, ssl.SSLError):
            pass
        self.tls = {
            "version": sslobj.version(),
            "cipher": cipher[0] if cipher else None,
            "client_cert_subject": format_dn(peer_cert.get("subject"))
            if peer_cert else None,
            "client_cert_issuer": format_dn(peer_cert.get("issuer"))
            if peer_cert else None,
        }
        log.info("session %s: TLS %s %s client cert %s", self.sid,
                 self.tls["version"], self.tls["cipher"],
                 self.tls["client_cert_subject"])

    def data_received(self, data):
        try:
            cleartext = self._tls_protocol is None and not self.implicit_tls
            f = self.wire_clear if cleartext else self.wire_tls
            if f is not None:
                f.write(data)
        except (OSError, ValueError) as exc:
            log.error("session %s: wire recording failed: %s", self.sid, exc)
        super().data_received(data)

    def connection_lost(self, error):
        if not self.logged and self.sid is not None:
            self.logged = True
            self.state.active.discard(self)
            if self.end_reason:
                end = self.end_reason
            elif self.quit_seen:
                end = "quit"
            elif error is None:
                end = "client_closed"
            else:
                end = "connection_error"
            tls = self.tls or {}
            cn = None
            subject = tls.get("client_cert_subject")
            if subject:
                m = re.search(r"CN=([^,]*)", subject)
                cn = m.group(1) if m else subject
            peer = None
            if self.peer:
                host, port = self.peer[:2]
                peer = ("[%s]:%s" if ":" in host else "%s:%s") % (host, port)
            try:
                self.state.log_session(session_fields(
                    self.sid, self.endpoint, peer=peer,
                    tls=tls.get("version"), cipher=tls.get("cipher"),
                    starttls=self.starttls_used, auth=self.authed_user,
                    client_cert=cn, helo=self.helo_name,
                    messages=self.messages, rejected=self.rejected,
                    dropped=self.dropped,
                    auth_failures=self.n_auth_failures, errors=self.errors,
                    auths=self.n_auth_commands, end=end,
                    duration="%.3f" % (time.monotonic() - self.started)))
            except OSError as exc:
                log.error("cannot write sessions.log: %s", exc)
            log.info("session %s: ended (%s), %d message(s)", self.sid, end,
                     self.messages)
            for f in (self.wire_clear, self.wire_tls):
                if f is not None:
                    f.close()
        try:
            super().connection_lost(error)
        except Exception:  # already torn down
            log.debug("connection_lost cleanup", exc_info=True)

    def _timeout_cb(self):
        self.end_reason = self.end_reason or "timeout"
        super()._timeout_cb()

    def shutdown(self):
        self.end_reason = self.end_reason or "server_shutdown"
        if self.transport is not None:
            self.transport.close()

    def drop(self, reason):
        """Close the connection without any further reply."""
        log.info("session %s: dropping connection (%s)", self.sid, reason)
        self.dropping = True
        self.end_reason = self.end_reason or reason
        if self.transport is not None:
            self.transport.close()

    @property
    def tls_active(self):
        if self.transport is None:
            return self.tls is not None
        return self.transport.get_extra_info("ssl_object") is not None

    # ---- output ----------------------------------------------------------

    async def push(self, status):
        if self.dropping:
            return
        if not self.greeted:
            self.greeted = True
            if await self._greeting():
                return
        if (status if isinstance(status, str) else "").startswith("535"):
            await self._delay("auth_failed")
            if self.dropping:
                return
        await super().push(status)
        if self.close_after_push:
            self.close_after_push = False
            self.end_reason = self.end_reason or "closed_421"
            if self.transport is not None:
                self.transport.close()

    async def _greeting(self):
        """Apply greeting faults; True if the normal banner is replaced."""
        await self._delay("greeting")
        if "greeting" in self._drop_at():
            self.drop("dropped_at_greeting")
            return True
        reply = self.faults.get("greeting")
        if not reply:
            return False
        code = reply_code(reply)
        if not code.startswith("2"):
            self.greeting_rejected = True
        await self.send_reply(reply)
        return True

    async def send_reply(self, reply):
        """Send a fault REPLY verbatim; a 421 closes the connection."""
        if reply_code(reply) == "421":
            self.close_after_push = True
        await super().push("\r\n".join(reply_lines(reply)))
        if self.close_after_push:
            self.close_after_push = False
            self.end_reason = self.end_reason or "closed_421"
            if self.transport is not None:
                self.transport.close()

    def _drop_at(self):
        value = self.faults.get("drop_at") or []
        if isinstance(value, str):
            value = [value]
        return {str(v).lower() for v in value}

    async def _delay(self, stage):
        delays = self.faults.get("delay") or {}
        seconds = delays.get(stage) if isinstance(delays, dict) else None
        if seconds:
            log.info("session %s: delaying %s by %ss", self.sid, stage,
                     seconds)
            await asyncio.sleep(float(seconds))

    # ---- command dispatch with faults -----------------------------------

    def _wrap(self, name, method):
        key = name.lower()

        async def dispatch(arg):
            if self.dropping:
                return
            if self.greeting_rejected and name != "QUIT":
                await self.push("503 5.5.1 Bad sequence of commands")
                return
            if name == "QUIT":
                self.quit_seen = True
            if key in self._drop_at():
                self.drop("dropped_at_" + key)
                return
            await self._delay(key)
            if self.dropping:
                return
            reply = self.faults.get(key)
            if reply and key not in ("mail", "rcpt"):
                log.info("session %s: fault reply to %s: %r", self.sid, name,
                         reply)
                await self.send_reply(reply)
                if name == "QUIT" and self.transport is not None:
                    self.transport.close()
                return
            await method(arg)

        # keep HELP's view of the command
        for attr in ("__smtp_syntax__", "__smtp_syntax_extended__",
                     "__smtp_syntax_when__"):
            if hasattr(method, attr):
                setattr(dispatch, attr, getattr(method, attr))
        return dispatch

    async def handle_exception(self, error):
        if isinstance(error, TLSSetupException):
            cause = error.__cause__ or error
            self.end_reason = "tls_failed"
            log.warning("session %s: TLS handshake failed: %r", self.sid,
                        cause)
            return "554 5.7.0 TLS handshake failed"
        self.errors += 1
        log.error("session %s: internal error", self.sid,
                  exc_info=(type(error), error, error.__traceback__))
        return "451 4.3.0 Internal server error"

    # ---- EHLO --------------------------------------------------------------

    def _mechs(self):
        mechs = self.faults.get("auth_mechs")
        if mechs is None:
            mechs = self.state.mechs
        return [m.upper() for m in mechs if m.upper() in ALL_MECHS]

    def _auth_offered(self):
        if not self._mechs():
            return False
        return self.tls_active or not self.state.cfg.auth_require_tls

    def on_ehlo(self, hostname, responses):
        self.session.host_name = hostname
        self.helo_name = hostname
        self.esmtp = True
        lines = [r[4:] for r in responses]
        greeting, exts = lines[0], lines[1:]
        out = []
        for ext in exts:
            word = ext.split(" ", 1)[0].upper()
            if word in ("AUTH", "HELP"):
                continue
            if word == "STARTTLS" and self.faults.get("no_starttls"):
                continue
            out.append(ext)
        out.append("PIPELINING")
        if self._auth_offered():
            out.append("AUTH " + " ".join(self._mechs()))
        out += list(self.state.cfg.advertise or [])
        out += [str(x) for x in self.faults.get("advertise") or []]
        out.append("HELP")
        hide = {h.upper() for h in self.state.cfg.hide or []}
        hide |= {str(h).upper() for h in self.faults.get("hide") or []}
        out = [e for e in out if e.split(" ", 1)[0].upper() not in hide]
        self.advertised = {e.split(" ", 1)[0].upper() for e in out}
        lines = [greeting] + out
        return ["250-" + x for x in lines[:-1]] + ["250 " + lines[-1]]

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname):
        await super().smtp_HELO(hostname)
        if self.session.host_name:
            self.helo_name = self.session.host_name
            self.esmtp = False
            self.advertised = set()

    # ---- STARTTLS ----------------------------------------------------------

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg):
        if self.tls_active:
            await self.push("503 5.5.1 TLS already active")
            return
        if not self.tls_context or self.faults.get("no_starttls"):
            await self.push("502 5.5.1 Error: command not implemented")
            return
        self.starttls_used = True
        await super().smtp_STARTTLS(arg)

    # ---- AUTH --------------------------------------------------------------

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg):
        self.n_auth_commands += 1
        if not self._mechs():
            await self.push("502 5.5.1 AUTH not available")
            return
        if self.state.cfg.auth_require_tls and not self.tls_active:
            await self.push("538 5.7.11 Encryption required for requested "
                            "authentication mechanism")
            return
        if arg:
            parts = arg.split(None, 1)
            parts[0] = parts[0].upper()
            if (parts[0] not in self._mechs()
                    and self.session.extended_smtp
                    and not self.session.authenticated):
                await self.push("504 5.5.4 Unrecognized authentication type")
                return
            arg = " ".join(parts)
        await super().smtp_AUTH(arg)

    def _auth_ok(self, user, mech):
        self.authed_user = user
        self.authed_mech = mech
        log.info("session %s: authenticated as %r via %s", self.sid, user,
                 mech)

    def _auth_bad(self, user, mech):
        self.n_auth_failures += 1
        log.info("session %s: authentication failed for %r via %s",
                 self.sid, user, mech)

    def _check_password(self, server, session, envelope, mechanism, data):
        user = data.login.decode("utf-8", "replace")
        password = data.password.decode("utf-8", "replace")
        if user in self.state.users and hmac.compare_digest(
                self.state.users[user].encode(), password.encode()):
            self._auth_ok(user, mechanism)
            return AuthResult(success=True, auth_data=data)
        self._auth_bad(user, mechanism)
        return AuthResult(success=False, handled=False)

    async def _initial_or_challenge(self, args, challenge=""):
        """Decoded initial response, or the answer to CHALLENGE.

        Returns None after having replied with an error."""
        if len(args) > 1:
            if args[1] == "=":
                return b""
            try:
                return base64.b64decode(args[1].encode(), validate=True)
            except (binascii.Error, ValueError):
                await self.push("501 5.5.2 Can't decode base64")
                return None
        blob = await self.challenge_auth(challenge)
        if blob is MISSING:    # already answered ("*" or bad base64)
            return None
        return blob

    async def auth_PLAIN(self, _, args):
        blob = await self._initial_or_challenge(args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        parts = blob.split(b"\x00")
        if len(parts) != 3:
            await self.push("501 5.5.2 Can't split auth value")
            return AuthResult(success=False, handled=True)
        return self._authenticate("PLAIN", LoginPassword(parts[1], parts[2]))

    async def auth_LOGIN(self, _, args):
        login = await self._initial_or_challenge(
            args, self.AuthLoginUsernameChallenge)
        if login is None:
            return AuthResult(success=False, handled=True)
        password = await self.challenge_auth(self.AuthLoginPasswordChallenge)
        if password is MISSING:
            return AuthResult(success=False, handled=True)
        return self._authenticate("LOGIN", LoginPassword(login, password))

    async def auth_CRAM__MD5(self, _, args):
        if len(args) > 1:
            await self.push("501 5.5.2 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = "<%s.%d@%s>" % (secrets.token_hex(8), int(time.time()),
                                    self.hostname)
        blob = await self.challenge_auth(challenge)
        if blob is MISSING:
            return AuthResult(success=False, handled=True)
        user, _, digest = blob.decode("utf-8", "replace").rpartition(" ")
        password = self.state.users.get(user)
        if password is not None and not self.faults.get("auth_hashed"):
            want = hmac.new(password.encode(), challenge.encode(),
                            "md5").hexdigest()
            if hmac.compare_digest(want, digest.lower()):
                self._auth_ok(user, "CRAM-MD5")
                return AuthResult(success=True, auth_data=user)
        self._auth_bad(user, "CRAM-MD5")
        return AuthResult(success=False, handled=False)

    def _token_ok(self, user, auth):
        scheme, _, token = (auth or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        if user:
            good = self.state.tokens.get(user)
            return user if good is not None and hmac.compare_digest(
                good.encode(), token.encode()) else None
        for name, good in self.state.tokens.items():
            if hmac.compare_digest(good.encode(), token.encode()):
                return name
        return None

    async def auth_XOAUTH2(self, _, args):
        blob = await self._initial_or_challenge(args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        fields = {}
        for part in blob.decode("utf-8", "replace").split("\x01"):
            key, eq, value = part.partition("=")
            if eq:
                fields[key] = value
        user = fields.get("user")
        if user and self._token_ok(user, fields.get("auth")):
            self._auth_ok(user, "XOAUTH2")
            return AuthResult(success=True, auth_data=user)
        self._auth_bad(user, "XOAUTH2")
        error = json.dumps({"status": "401", "schemes": "bearer",
                            "scope": "https://mail.example/"})
        # The client answers the error challenge with an empty line.
        if await self.challenge_auth(error) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not "
                                  "accepted")

    async def auth_OAUTHBEARER(self, _, args):
        blob = await self._initial_or_challenge(args)
        if blob is None:
            return AuthResult(success=False, handled=True)
        text = blob.decode("utf-8", "replace")
        parts = text.split("\x01")
        gs2 = parts[0].split(",")
        user = None
        for item in gs2[1:]:
            if item.startswith("a="):
                user = item[2:].replace("=2C", ",").replace("=3D", "=")
        fields = {}
        for part in parts[1:]:
            key, eq, value = part.partition("=")
            if eq:
                fields[key] = value
        if gs2 and gs2[0] in ("n", "y"):
            who = self._token_ok(user, fields.get("auth"))
            if who:
                self._auth_ok(who, "OAUTHBEARER")
                return AuthResult(success=True, auth_data=who)
        self._auth_bad(user, "OAUTHBEARER")
        error = json.dumps({"status": "invalid_token", "schemes": "bearer",
                            "scope": ""})
        # The client answers the error challenge with "\x01".
        if await self.challenge_auth(error) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Authentication credentials "
                                  "invalid")

    # ---- MAIL / RCPT --------------------------------------------------------

    def _create_session(self):
        return QuietSession(self.loop)

    def _create_envelope(self):
        env = Envelope()
        env.rcpt_options = []
        return env

    def _parse_path(self, keyword, arg):
        """(address, params) or (None, error reply)."""
        syntaxerr = "501 5.5.4 Syntax: %s <address>" % (
            "MAIL FROM:" if keyword == "FROM:" else "RCPT TO:")
        if arg is None:
            return None, syntaxerr
        arg = self._strip_command_keyword(keyword, arg)
        if arg is None:
            return None, syntaxerr
        if arg.startswith("<>") and keyword == "FROM:":
            return "", arg[2:].split()
        address, rest = self._getaddr(arg)
        if address is None:
            return None, "553 5.1.3 Error: malformed address"
        if not address:
            return None, syntaxerr
        params = (rest or "").split()
        if params and not self.session.extended_smtp:
            return None, syntaxerr
        return address, params

    def _check_params(self, params, table):
        """None if PARAMS are acceptable, else an error reply."""
        seen = set()
        for param in params:
            key, eq, value = param.partition("=")
            key = key.upper()
            if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", key) or \
                    (eq and not value) or key in seen:
                return "501 5.5.4 Syntax error in parameters"
            seen.add(key)
            if key not in table:
                return "555 5.5.4 %s parameter not recognized" % key
            need = table[key]
            if key == "BODY":
                v = value.upper()
                if v not in ("7BIT", "8BITMIME"):
                    return "555 5.5.4 BODY=%s not supported" % value
                need = "8BITMIME" if v == "8BITMIME" else None
            if need and need not in self.advertised:
                return ("555 5.5.4 %s parameter given but %s not advertised"
                        % (key, need))
            if key == "SMTPUTF8" and eq:
                return "501 5.5.4 SMTPUTF8 takes no value"
            if key == "SIZE":
                if not value.isdigit():
                    return "501 5.5.4 Bad SIZE value"
                if self.data_size_limit and int(value) > self.data_size_limit:
                    return ("552 5.3.4 Message size exceeds fixed maximum "
                            "message size")
            if key == "RET" and value.upper() not in ("FULL", "HDRS"):
                return "501 5.5.4 Bad RET value"
            if key == "NOTIFY":
                words = value.upper().split(",")
                if not set(words) <= {"NEVER", "SUCCESS", "FAILURE", "DELAY"} \
                        or ("NEVER" in words and len(words) > 1):
                    return "501 5.5.4 Bad NOTIFY value"
        return None

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg):
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("MAIL"):
            return
        if self.envelope.mail_from is not None:
            await self.push("503 5.5.1 Error: nested MAIL command")
            return
        limit = self.faults.get("max_messages")
        if limit is not None and self.messages >= int(limit):
            await self.send_reply("421 4.7.0 Too many messages in this "
                                  "session, closing")
            return
        address, params = self._parse_path("FROM:", arg)
        if address is None:
            await self.push(params)
            return
        error = self._check_params(params, MAIL_PARAMS)
        if not error and not address.isascii() and \
                not any(p.upper() == "SMTPUTF8" for p in params):
            error = "553 5.6.7 Non-ASCII address requires SMTPUTF8"
        if error:
            await self.push(error)
            return
        reply = lookup_addr(self.faults.get("mail"), address)
        if reply:
            log.info("session %s: fault reply to MAIL %r: %r", self.sid,
                     address, reply)
            await self.send_reply(reply)
            return
        self.envelope.mail_from = address
        self.envelope.mail_options = params
        self.envelope.smtp_utf8 = any(
            p.upper() == "SMTPUTF8" for p in params)
        await self.push("250 2.1.0 OK")

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg):
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("RCPT"):
            return
        if self.envelope.mail_from is None:
            await self.push("503 5.5.1 Error: need MAIL command")
            return
        address, params = self._parse_path("TO:", arg)
        if address is None:
            await self.push(params)
            return
        error = self._check_params(params, RCPT_PARAMS)
        if not error and not address.isascii() and \
                not self.envelope.smtp_utf8:
            error = "553 5.6.7 Non-ASCII address requires SMTPUTF8"
        if error:
            await self.push(error)
            return
        reply = lookup_addr(self.faults.get("rcpt"), address)
        if reply:
            log.info("session %s: fault reply to RCPT %r: %r", self.sid,
                     address, reply)
            await self.send_reply(reply)
            return
        limit = self.faults.get("max_rcpts")
        if limit is not None and len(self.envelope.rcpt_tos) >= int(limit):
            await self.push("452 4.5.3 Too many recipients")
            return
        self.envelope.rcpt_tos.append(address)
        self.envelope.rcpt_options.append(params)
        await self.push("250 2.1.5 OK")

    @syntax("QUIT")
    async def smtp_QUIT(self, arg):
        self.quit_seen = True
        await super().smtp_QUIT(arg)

    # ---- end of DATA --------------------------------------------------------

    async def on_data(self, envelope):
        await self._delay("data_end")
        if self.faults.get("drop_after_data") or \
                "data_end" in self._drop_at():
            self.dropped += 1
            self.drop("dropped_after_data")
            return "250 dropped"    # never sent: push() is muted
        reply = self.faults.get("data_end")
        if reply and not reply_code(reply).startswith("2"):
            self.rejected += 1
            log.info("session %s: fault reply after DATA: %r", self.sid,
                     reply)
            if reply_code(reply) == "421":
                self.close_after_push = True
            return "\r\n".join(reply_lines(reply))
        number = self.state.next_message_number()
        self._record(number, envelope)
        self.messages += 1
        if reply:
            return "\r\n".join(reply_lines(reply))
        return "250 2.0.0 OK queued as %04d" % number

    def _record(self, number, envelope):
        tls = self.tls if self.tls_active else None
        content = envelope.original_content or b""
        meta = {
            "id": "%04d" % number,
            "session": self.sid,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "rcpt_options": [list(o) for o in envelope.rcpt_options],
            "helo": self.helo_name,
            "esmtp": self.esmtp,
            "listen_host": self.endpoint["host"],
            "listen_port": self.endpoint["port"],
            "mode": self.endpoint["mode"],
            "peer": list(self.peer[:2]) if self.peer else None,
            "tls": tls is not None,
            "tls_version": tls["version"] if tls else None,
            "tls_cipher": tls["cipher"] if tls else None,
            "starttls": self.starttls_used,
            "auth_user": self.authed_user,
            "auth_mechanism": self.authed_mech,
            "client_cert_subject": tls["client_cert_subject"] if tls else None,
            "client_cert_issuer": tls["client_cert_issuer"] if tls else None,
            "size": len(content),
            "index_in_session": self.messages + 1,
            "received_at": datetime.datetime.now(
                datetime.timezone.utc).isoformat(timespec="milliseconds"),
        }
        stem = os.path.join(self.state.mail_dir, "%04d" % number)
        write_atomic(stem + ".eml", content)
        write_atomic(stem + ".json",
                     json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        log.info("session %s: stored message %04d from %r to %r (%d bytes)",
                 self.sid, number, envelope.mail_from, envelope.rcpt_tos,
                 len(content))


def _size_limits():
    limits = collections.defaultdict(lambda: SMTP.command_size_limit)
    limits["AUTH"] = 12288
    return limits


# --------------------------------------------------------------------------
# TLS

def make_tls_context(cfg, cert_dir, kind):
    cert, key = testcerts.server_paths(cert_dir, kind)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    low = TLS_VERSIONS[cfg.tls_min]
    ctx.minimum_version = low
    if cfg.tls_max:
        ctx.maximum_version = TLS_VERSIONS[cfg.tls_max]
    if low < ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if cfg.client_cert != "none":
        ctx.load_verify_locations(os.path.join(cert_dir, "ca.pem"))
        ctx.verify_mode = (ssl.CERT_REQUIRED if cfg.client_cert == "require"
                           else ssl.CERT_OPTIONAL)
    return ctx


def failure_logging_sslobject(state, endpoint):
    class FailureLoggingSSLObject(ssl.SSLObject):
        def do_handshake(self):
            try:
                return super().do_handshake()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                raise
            except (ssl.SSLError, OSError) as exc:
                try:
                    state.log_tls_failure(endpoint, exc)
                except Exception:
                    log.exception("cannot log TLS failure")
                raise
    return FailureLoggingSSLObject


# --------------------------------------------------------------------------
# main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Recording, fault-injecting SMTP server for tests "
                    "(loopback only).")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--listen", action="append", required=True,
                    metavar="MODE:HOST:PORT[,cert=KIND]")
    ap.add_argument("--cert", default="good", choices=testcerts.SERVER_KINDS)
    ap.add_argument("--cert-dir")
    ap.add_argument("--key-type", default="ec", choices=("ec", "rsa"))
    ap.add_argument("--tls-min", default="1.2", choices=sorted(TLS_VERSIONS))
    ap.add_argument("--tls-max", choices=sorted(TLS_VERSIONS))
    ap.add_argument("--client-cert", default="none",
                    choices=("none", "optional", "require"))
    ap.add_argument("--auth", action="append", metavar="USER:PASS")
    ap.add_argument("--oauth-token", action="append", metavar="USER:TOKEN")
    ap.add_argument("--auth-mechs", metavar="LIST")
    ap.add_argument("--auth-require-tls", action="store_true")
    ap.add_argument("--auth-required", action="store_true")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--size", type=int, default=DEFAULT_SIZE)
    ap.add_argument("--hide", action="append", metavar="EXT")
    ap.add_argument("--advertise", action="append", metavar="EXT")
    ap.add_argument("--hostname", default="smarthost.test")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--faults", metavar="FILE")
    ap.add_argument("--record-wire", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    cfg = ap.parse_args(argv)
    try:
        cfg.endpoints = [parse_listen(s) for s in cfg.listen]
    except ValueError as exc:
        ap.error(str(exc))
    for item in (cfg.auth or []) + (cfg.oauth_token or []):
        if ":" not in item:
            ap.error("expected USER:SECRET, got %r" % item)
    if cfg.auth_mechs:
        bad = [m for m in cfg.auth_mechs.upper().split(",")
               if m and m not in ALL_MECHS]
        if bad:
            ap.error("unknown AUTH mechanism(s): %s" % ", ".join(bad))
    if cfg.tls_max and TLS_VERSIONS[cfg.tls_max] < TLS_VERSIONS[cfg.tls_min]:
        ap.error("--tls-max is below --tls-min")
    cfg.dir = os.path.abspath(cfg.dir)
    cfg.cert_dir = os.path.abspath(cfg.cert_dir or cfg.dir)
    return cfg


def setup_logging(cfg):
    handler = logging.FileHandler(os.path.join(cfg.dir, "smarthost.log"))
    handler.setFormatter(logging.Formatter(
        "%(asctime)s.%(msecs)03d %(levelname)s %(name)s: %(message)s",
        "%H:%M:%S"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if cfg.verbose else logging.INFO)
    logging.captureWarnings(True)


async def serve(cfg):
    loop = asyncio.get_running_loop()

    def on_loop_error(loop, context):
        exc = context.get("exception")
        log.error("event loop: %s%s", context.get("message"),
                  " (%r)" % exc if exc else "")
    loop.set_exception_handler(on_loop_error)

    state = State(cfg)
    testcerts.ensure_certs(cfg.cert_dir, cfg.key_type)

    servers = []
    for ep in cfg.endpoints:
        ctx = None
        if ep["mode"] == "plain":
            ep["cert"] = None
        else:
            ep["cert"] = ep["cert"] or cfg.cert
            ctx = make_tls_context(cfg, cfg.cert_dir, ep["cert"])
        starttls_ctx = ctx if ep["mode"] == "starttls" else None
        if ep["mode"] == "tls":
            # Failed implicit-TLS handshakes never reach the SMTP protocol;
            # note them in sessions.log from the TLS object itself.
            ctx.sslobject_class = failure_logging_sslobject(state, ep)

        def factory(ep=ep, ctx=starttls_ctx):
            return RecordingSMTP(state, ep, ctx)

        server = await loop.create_server(
            factory, host=ep["host"], port=ep["port"],
            ssl=ctx if ep["mode"] == "tls" else None,
            ssl_handshake_timeout=10 if ep["mode"] == "tls" else None,
            reuse_address=True)
        ep["port"] = server.sockets[0].getsockname()[1]
        servers.append(server)
        log.info("listening: %s on %s port %d (cert %s)", ep["mode"],
                 ep["host"], ep["port"], ep["cert"])

    ports = [{"mode": ep["mode"], "host": ep["host"], "port": ep["port"],
              "cert": ep["cert"]} for ep in cfg.endpoints]
    write_atomic(os.path.join(cfg.dir, "ports.json"),
                 json.dumps(ports, indent=1) + "\n")
    write_atomic(os.path.join(cfg.dir, "ready"), "%d\n" % os.getpid())
    log.info("ready")

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    log.info("shutting down")
    for server in servers:
        server.close()
    for proto in list(state.active):
        proto.shutdown()
    deadline = loop.time() + 2
    while state.active and loop.time() < deadline:
        await asyncio.sleep(0.02)
    for proto in list(state.active):   # still not gone: log them anyway
        proto.connection_lost(None)


def main(argv=None):
    cfg = parse_args(argv)
    os.makedirs(cfg.dir, exist_ok=True)
    for name in ("ready", "ports.json"):
        try:
            os.unlink(os.path.join(cfg.dir, name))
        except FileNotFoundError:
            pass
    write_atomic(os.path.join(cfg.dir, "pid"), "%d\n" % os.getpid())
    setup_logging(cfg)
    log.info("starting: %s", " ".join(sys.argv[1:] if argv is None
                                      else argv))
    try:
        asyncio.run(serve(cfg))
        log.info("stopped")
    except OSError as exc:
        log.error("cannot listen: %s", exc)
        sys.stderr.write("smarthost: cannot listen: %s\n" % exc)
        return 1
    except Exception:
        log.exception("fatal error")
        sys.stderr.write("smarthost: fatal error, see smarthost.log\n")
        return 1
    finally:
        for name in ("ready", "pid"):
            try:
                os.unlink(os.path.join(cfg.dir, name))
            except OSError:
                pass
        logging.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
