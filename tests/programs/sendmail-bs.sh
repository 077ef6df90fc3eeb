#!/bin/bash
# sendmail-bs.sh - "sendmail -bs" driven by Python's smtplib over a socket
# pair, as Symfony Mailer drives it: HELO, several messages per session,
# dot-stuffed data, RSET, bad sequences; then the queue files are checked.
set -u
# shellcheck source=../lib/common.sh
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
bin=${POSTERN_BIN:?}
py=$PYTHON3
make_tmpdir
work=$TEST_TMPDIR
mkdir -p "$work/spool/incoming"
cat >"$work/postern.conf" <<CONF
hostname = "host.example.com"
domain = "example.com"
smarthost "smtp.example.net" { }
CONF
export POSTERN_CONFIG="$work/postern.conf" POSTERN_SPOOL_DIR="$work/spool"
export POSTERN_DROP="$bin/postern-drop"

"$py" - "$bin/sendmail" "$work/spool/incoming" <<'PY'
import os, smtplib, socket, subprocess, sys, glob

sendmail, incoming = sys.argv[1], sys.argv[2]
ours, theirs = socket.socketpair()
proc = subprocess.Popen([sendmail, "-bs"], stdin=theirs, stdout=theirs)
theirs.close()

class PipeSMTP(smtplib.SMTP):
    def _get_socket(self, host, port, timeout):
        return ours

s = PipeSMTP()
code, banner = s.connect("sendmail-bs")
assert code == 220, (code, banner)
assert s.helo("[127.0.0.1]")[0] == 250
# Out of order: RCPT before MAIL.
assert s.rcpt("a@example.org")[0] == 503
# A message with three recipients and a line that needs dot-stuffing.
body = "Subject: one\r\nBcc: hidden@example.org\r\n\r\n.leading dot\r\nline\r\n"
refused = s.sendmail("app@example.com", ["to@example.org", "cc@example.org", "bcc@example.org"], body)
assert refused == {}, refused
# A bad recipient is refused with 553; the session goes on.
assert s.mail("app@example.com")[0] == 250
code, msg = s.rcpt("-x@example.org")
assert code == 553, (code, msg)
assert s.rset()[0] == 250
assert s.noop()[0] == 250
# A second message in the same session, with EHLO this time.
code, caps = s.ehlo("client.example")
assert code == 250 and b"8BITMIME" in caps, caps
s.sendmail("<>", ["two@example.org"], "Subject: two\r\n\r\nsecond\r\n")
s.quit()
assert proc.wait(5) == 0
files = sorted(glob.glob(incoming + "/*"))
assert len(files) == 2, files
one = open(files[0], "rb").read().decode()
two = open(files[1], "rb").read().decode()
for want in ("sender <app@example.com>", "rcpt <to@example.org>", "rcpt <cc@example.org>",
             "rcpt <bcc@example.org>", "\n.leading dot\nline\n", "Subject: one\n"):
    assert want in one, (want, one)
assert "Bcc:" not in one and "\r" not in one, one
assert "sender <>" in two and "rcpt <two@example.org>" in two, two
print("sendmail -bs: ok")
PY
