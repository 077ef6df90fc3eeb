#!/usr/bin/python3
"""Small scripted SMTP client for tests (Python's smtplib).

What it does
    Connects to an SMTP server (normally the test smarthost), optionally
    does STARTTLS or implicit TLS with certificate verification against a
    given CA, optionally authenticates, sends N messages over the one
    connection, and reports every step as one JSON object on stdout.  It is
    the reference client used to check the smarthost itself, and a handy
    probe in other tests.

Interface
    smtpclient.py --port PORT [options]
      --host H             address to connect to (default 127.0.0.1)
      --mode plain|starttls|tls   (default plain)
      --cafile F           CA to verify the server against (TLS modes)
      --insecure           no certificate or name verification
      --servername N       name to verify and send as SNI (default --host)
      --tls-min V, --tls-max V   1.0 1.1 1.2 1.3
      --client-cert F --client-key F   present a client certificate
      --ehlo NAME          EHLO name (default client.test)
      --helo               use HELO instead of EHLO
      --auth USER:PASS     authenticate (smtplib's choice of mechanism)
      --auth-mech M        force PLAIN, LOGIN, CRAM-MD5, XOAUTH2 or
                           OAUTHBEARER (for the OAuth ones PASS is the token)
      --force-auth         send AUTH even if it is not advertised
      --from ADDR          envelope sender (default sender@example.org;
                           "" is the null sender)
      --to ADDR            recipient, repeatable (default rcpt@example.org)
      --mail-option P, --rcpt-option P   ESMTP parameters, repeatable
      --message FILE       message to send (default: a small generated one)
      --count N            messages to send on this connection (default 1)
      --command LINE       send LINE as a raw command after EHLO/TLS/AUTH
                           and record the reply; repeatable
      --no-send            stop after EHLO/TLS/AUTH (and --command)
      --timeout S          socket timeout (default 10)

    Output (stdout, one JSON object):
      ok              true when every step succeeded and every message was
                      accepted for all recipients
      stage           last stage reached: connect, greeting, ehlo, starttls,
                      auth, command, mail, rcpt, data, data_end, quit, done
      code, reply     the last SMTP reply (int, text) or null
      error           "ExceptionClass: message" when an exception ended it
      verify_code, verify_message   certificate verification failure details
                      (OpenSSL X509_V_ERR_* number and text) or null
      greeting        [code, text] of the banner
      features        EHLO keywords -> parameters (after TLS if any)
      features_before_tls   EHLO keywords before STARTTLS
      tls, tls_version, tls_cipher
      auth            [code, text] of the final AUTH reply or null
      commands        [[LINE, code, text], ...] for --command
      sent            number of messages accepted
      results         per message: {"mail": [c,t], "rcpt": {addr: [c,t]},
                      "data": [c,t] (reply to DATA), "data_end": [c,t]}
    A message file is sent with bare LF turned into CRLF and dot-stuffed.

Exit status
    0 ok, 1 anything failed (details in the JSON), 2 bad usage.
"""

import argparse
import base64
import hmac
import json
import re
import smtplib
import socket
import ssl
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

TLS_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def text(b):
    if isinstance(b, bytes):
        return b.decode("utf-8", "replace")
    return b


class Result(dict):
    def reply(self, code, msg):
        self["code"] = code
        self["reply"] = text(msg)
        return [code, text(msg)]


class SNIMixin:
    """Verify/send SNI for a chosen name while connecting to an address."""
    servername = None

    def _tls_name(self):
        return self.servername or self._host


class SMTPClient(SNIMixin, smtplib.SMTP):
    def starttls_named(self, context):
        host = self._host
        self._host = self._tls_name()
        try:
            return self.starttls(context=context)
        finally:
            self._host = host


class SMTPSSLClient(SNIMixin, smtplib.SMTP_SSL):
    def _get_socket(self, host, port, timeout):
        sock = socket.create_connection((host, port), timeout,
                                        self.source_address)
        return self.context.wrap_socket(sock,
                                        server_hostname=self._tls_name())


def make_context(args):
    if args.insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=args.cafile)
    if args.tls_min:
        ctx.minimum_version = TLS_VERSIONS[args.tls_min]
        if TLS_VERSIONS[args.tls_min] < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if args.tls_max:
        ctx.maximum_version = TLS_VERSIONS[args.tls_max]
    if args.client_cert:
        ctx.load_cert_chain(args.client_cert, args.client_key)
    return ctx


def default_message(args, n):
    rcpts = ", ".join(args.to)
    return ("From: <{f}>\r\nTo: {t}\r\nSubject: smarthost test {n}\r\n"
            "Message-ID: <{stamp}.{n}@client.test>\r\n\r\n"
            "Test message {n}.\r\n.leading dot line\r\n"
            .format(f=args.sender, t=rcpts, n=n,
                    stamp=int(time.time() * 1000))).encode()


def wire_data(msg):
    """MSG with CRLF line ends, dot-stuffed, ending in CRLF.CRLF."""
    msg = re.sub(rb"(?<!\r)\n", b"\r\n", msg)
    msg = re.sub(rb"(?m)^\.", b"..", msg)
    if not msg.endswith(b"\r\n"):
        msg += b"\r\n"
    return msg + b".\r\n"


def do_auth(smtp, args, res):
    user, _, secret = args.auth.partition(":")
    mech = (args.auth_mech or "").upper()
    if args.force_auth and mech in ("", "PLAIN"):
        blob = base64.b64encode(b"\0" + user.encode() + b"\0" +
                                secret.encode()).decode()
        code, msg = smtp.docmd("AUTH", "PLAIN " + blob)
        res["auth"] = res.reply(code, msg)
        return code == 235
    if not mech:
        try:
            code, msg = smtp.login(user, secret)
        except smtplib.SMTPAuthenticationError as exc:
            code, msg = exc.smtp_code, exc.smtp_error
        res["auth"] = res.reply(code, msg)
        return code == 235
    if mech == "XOAUTH2":
        raw = "user=%s\x01auth=Bearer %s\x01\x01" % (user, secret)

        def obj(challenge=None):
            return raw if challenge is None else ""
    elif mech == "OAUTHBEARER":
        raw = "n,a=%s,\x01auth=Bearer %s\x01\x01" % (
            user.replace("=", "=3D").replace(",", "=2C"), secret)

        def obj(challenge=None):
            return raw if challenge is None else "\x01"
    elif mech == "CRAM-MD5":
        def obj(challenge=None):
            if challenge is None:
                return None
            return user + " " + hmac.HMAC(secret.encode(), challenge,
                                          "md5").hexdigest()
    elif mech == "PLAIN":
        def obj(challenge=None):
            return "\0%s\0%s" % (user, secret)
    elif mech == "LOGIN":
        smtp.user, smtp.password = user, secret
        obj = smtp.auth_login
    else:
        raise SystemExit("unknown --auth-mech %s" % mech)
    smtp.user, smtp.password = user, secret
    if not args.force_auth:
        smtp.ehlo_or_helo_if_needed()
    try:
        code, msg = smtp.auth(mech, obj,
                              initial_response_ok=mech not in ("CRAM-MD5",
                                                               "LOGIN"))
    except smtplib.SMTPAuthenticationError as exc:
        code, msg = exc.smtp_code, exc.smtp_error
    res["auth"] = res.reply(code, msg)
    return code == 235


def features(smtp):
    return {k: v.strip() for k, v in smtp.esmtp_features.items()}


def note_tls(smtp, res):
    sock = smtp.sock
    if isinstance(sock, ssl.SSLSocket):
        res["tls"] = True
        res["tls_version"] = sock.version()
        c = sock.cipher()
        res["tls_cipher"] = c[0] if c else None


def run(args, res, held):
    res["stage"] = "connect"
    ctx = make_context(args) if args.mode != "plain" else None
    if args.mode == "tls":
        smtp = SMTPSSLClient(context=ctx, timeout=args.timeout)
    else:
        smtp = SMTPClient(timeout=args.timeout)
    smtp._host = args.host            # smtplib only sets it in __init__
    smtp.servername = args.servername or args.host
    held["smtp"] = smtp
    try:
        code, msg = smtp.connect(args.host, args.port)
    except smtplib.SMTPConnectError as exc:
        res["stage"] = "greeting"
        res["greeting"] = res.reply(exc.smtp_code, exc.smtp_error)
        return False
    res["stage"] = "greeting"
    res["greeting"] = res.reply(code, msg)
    note_tls(smtp, res)

    res["stage"] = "ehlo"
    code, msg = smtp.helo(args.ehlo) if args.helo else smtp.ehlo(args.ehlo)
    res.reply(code, msg)
    if code != 250:
        return False
    res["features"] = features(smtp)

    if args.mode == "starttls":
        res["stage"] = "starttls"
        res["features_before_tls"] = features(smtp)
        try:
            code, msg = smtp.starttls_named(ctx)
        except smtplib.SMTPNotSupportedError as exc:
            res["error"] = "SMTPNotSupportedError: %s" % exc
            return False
        except smtplib.SMTPResponseException as exc:
            res.reply(exc.smtp_code, exc.smtp_error)
            return False
        res.reply(code, msg)
        note_tls(smtp, res)
        res["stage"] = "ehlo"
        code, msg = smtp.ehlo(args.ehlo)
        res.reply(code, msg)
        if code != 250:
            return False
        res["features"] = features(smtp)

    if args.auth:
        res["stage"] = "auth"
        if not do_auth(smtp, args, res):
            return False

    for line in args.command:
        res["stage"] = "command"
        code, msg = smtp.docmd(line)
        res["commands"].append([line] + res.reply(code, msg))

    ok = True
    if not args.no_send:
        body = None
        if args.message:
            with open(args.message, "rb") as f:
                body = f.read()
        for n in range(1, args.count + 1):
            one = {}
            res["results"].append(one)
            res["stage"] = "mail"
            code, msg = smtp.mail(args.sender, args.mail_option)
            one["mail"] = res.reply(code, msg)
            if code != 250:
                ok = False
                smtp.rset()
                continue
            res["stage"] = "rcpt"
            one["rcpt"] = {}
            accepted = 0
            for rcpt in args.to:
                code, msg = smtp.rcpt(rcpt, args.rcpt_option)
                one["rcpt"][rcpt] = res.reply(code, msg)
                if code in (250, 251):
                    accepted += 1
                else:
                    ok = False
            if not accepted:
                smtp.rset()
                continue
            res["stage"] = "data"
            code, msg = smtp.docmd("DATA")
            one["data"] = res.reply(code, msg)
            if code != 354:
                ok = False
                smtp.rset()
                continue
            res["stage"] = "data_end"
            smtp.send(wire_data(body or default_message(args, n)))
            code, msg = smtp.getreply()
            one["data_end"] = res.reply(code, msg)
            if code == 250:
                res["sent"] += 1
            else:
                ok = False
    res["stage"] = "quit"
    held["smtp"] = None
    code, msg = smtp.quit()
    res.reply(code, msg)
    res["stage"] = "done"
    return ok


def quietly_quit(smtp):
    """QUIT after a failure, ignoring whatever goes wrong."""
    try:
        if smtp.sock is not None:
            smtp.quit()
    except (smtplib.SMTPException, OSError, EOFError, ValueError):
        pass
    finally:
        smtp.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Scripted SMTP test client.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=("plain", "starttls", "tls"),
                    default="plain")
    ap.add_argument("--cafile")
    ap.add_argument("--insecure", action="store_true")
    ap.add_argument("--servername")
    ap.add_argument("--tls-min", choices=sorted(TLS_VERSIONS))
    ap.add_argument("--tls-max", choices=sorted(TLS_VERSIONS))
    ap.add_argument("--client-cert")
    ap.add_argument("--client-key")
    ap.add_argument("--ehlo", default="client.test")
    ap.add_argument("--helo", action="store_true")
    ap.add_argument("--auth", metavar="USER:PASS")
    ap.add_argument("--auth-mech")
    ap.add_argument("--force-auth", action="store_true")
    ap.add_argument("--from", dest="sender", default="sender@example.org")
    ap.add_argument("--to", action="append")
    ap.add_argument("--mail-option", action="append", default=[])
    ap.add_argument("--rcpt-option", action="append", default=[])
    ap.add_argument("--message")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--command", action="append", default=[])
    ap.add_argument("--no-send", action="store_true")
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args(argv)
    args.to = args.to or ["rcpt@example.org"]
    if args.mode != "plain" and not (args.cafile or args.insecure):
        ap.error("TLS modes need --cafile or --insecure")
    if bool(args.client_cert) != bool(args.client_key):
        ap.error("--client-cert and --client-key go together")

    res = Result(ok=False, stage=None, code=None, reply=None, error=None,
                 verify_code=None, verify_message=None, greeting=None,
                 features=None, features_before_tls=None, tls=False,
                 tls_version=None, tls_cipher=None, auth=None, commands=[],
                 sent=0, results=[])
    held = {"smtp": None}
    try:
        res["ok"] = run(args, res, held)
    except ssl.SSLCertVerificationError as exc:
        res["error"] = "SSLCertVerificationError: %s" % exc
        res["verify_code"] = exc.verify_code
        res["verify_message"] = exc.verify_message
    except smtplib.SMTPResponseException as exc:
        res.reply(exc.smtp_code, exc.smtp_error)
        res["error"] = "%s: %s" % (type(exc).__name__, exc)
    except (smtplib.SMTPException, OSError, EOFError) as exc:
        res["error"] = "%s: %s" % (type(exc).__name__, exc)
    except Exception as exc:   # report, do not crash: the JSON is the result
        res["error"] = "%s: %s" % (type(exc).__name__, exc)
    if held["smtp"] is not None:
        quietly_quit(held["smtp"])
    json.dump(res, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
