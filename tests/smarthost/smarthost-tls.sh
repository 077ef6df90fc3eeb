#!/bin/bash
# smarthost-tls.sh - the test smarthost on implicit-TLS endpoints (port 465
# style).
#
# What it checks
#   A message over implicit TLS is recorded with tls=true, starttls=false
#   and the TLS version; STARTTLS is neither offered nor accepted inside
#   TLS; --auth-require-tls still offers AUTH (TLS is already on); OAuth
#   tokens work with XOAUTH2 and OAUTHBEARER and a wrong token gets 535;
#   several endpoints in one server (IPv6 loopback too, when the machine
#   has it) are listed in order in ports.json; with --client-cert require,
#   a CA-signed client certificate is recorded and a missing or untrusted
#   one is refused without any message being stored.
#
# Interface
#   Run by the automake harness (or by hand) with srcdir=<tests dir> and
#   PYTHON3 set.  Exit 0 pass, 1 fail, 77 skip (no aiosmtpd).

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/lib/common.sh" || exit 99

make_tmpdir
require_smarthost
SH="$TEST_TMPDIR/sh"

listen=(--listen tls:127.0.0.1:0 --listen plain:127.0.0.1:0)
have_v6=no
if "$PYTHON3" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
    have_v6=yes
    listen+=(--listen 'tls:[::1]:0')
fi
start_smarthost "$SH" "${listen[@]}" --auth alice:pw --auth-require-tls \
    --oauth-token carol:tok-123 --record-wire
CA="$SH/ca.pem"
assert_json "$SH/ports.json" 0.mode=tls 0.host=127.0.0.1 1.mode=plain
port=$(smarthost_port "$SH" 0)

# Plain message over implicit TLS, with OAuth (XOAUTH2).
out="$TEST_TMPDIR/c1.json"
smtp_client --port "$port" --mode tls --cafile "$CA" --servername localhost \
    --auth carol:tok-123 --auth-mech XOAUTH2 --command STARTTLS >"$out" ||
    fail "TLS client failed: $(cat "$out")"
assert_json "$out" ok=true tls=true features.starttls='<missing>' \
    auth.0=235 commands.0.1=503
assert_contains "$(json_get "$out" features.auth)" XOAUTH2 "AUTH offered in implicit TLS"
wait_for_count "$SH" 1
rec="$SH/mail/0001.json"
assert_json "$rec" tls=true starttls=false mode=tls listen_port="$port" \
    auth_user=carol auth_mechanism=XOAUTH2 \
    tls_version="$(json_get "$out" tls_version)"
sid=$(json_get "$rec" session)
[ ! -s "$SH/wire/$sid.bin" ] || fail "cleartext capture not empty for implicit TLS"
assert_file_contains "$SH/wire/$sid.tls.bin" "AUTH XOAUTH2" "TLS capture"

# OAUTHBEARER with the right and a wrong token.
out="$TEST_TMPDIR/c2.json"
smtp_client --port "$port" --mode tls --cafile "$CA" \
    --auth carol:tok-123 --auth-mech OAUTHBEARER >"$out" ||
    fail "OAUTHBEARER failed: $(cat "$out")"
wait_for_count "$SH" 2
assert_json "$SH/mail/0002.json" auth_user=carol auth_mechanism=OAUTHBEARER
out="$TEST_TMPDIR/c3.json"
if smtp_client --port "$port" --mode tls --cafile "$CA" \
    --auth carol:wrong --auth-mech OAUTHBEARER >"$out"; then
    fail "wrong OAuth token accepted: $(cat "$out")"
fi
assert_json "$out" auth.0=535 stage=auth

# The plain endpoint of the same server withholds AUTH (--auth-require-tls).
out="$TEST_TMPDIR/c4.json"
smtp_client --port "$(smarthost_port "$SH" 1)" --no-send >"$out" ||
    fail "plain endpoint: $(cat "$out")"
assert_json "$out" features.auth='<missing>'

if [ "$have_v6" = yes ]; then
    assert_json "$SH/ports.json" 2.mode=tls 2.host=::1
    out="$TEST_TMPDIR/c5.json"
    smtp_client --host ::1 --port "$(smarthost_port "$SH" 2)" --mode tls \
        --cafile "$CA" --auth alice:pw >"$out" ||
        fail "IPv6 TLS client failed: $(cat "$out")"
    wait_for_count "$SH" 3
    assert_json "$SH/mail/0003.json" listen_host=::1 peer.0=::1 tls=true \
        auth_user=alice
else
    note "no IPv6 loopback here; IPv6 endpoint not tested"
fi

# Client certificates: required, verified against the test CA, recorded.
SH2="$TEST_TMPDIR/sh2"
start_smarthost "$SH2" --listen tls:127.0.0.1:0 --listen starttls:127.0.0.1:0 \
    --cert-dir "$SH" --client-cert require
out="$TEST_TMPDIR/c6.json"
smtp_client --port "$(smarthost_port "$SH2" 0)" --mode tls --cafile "$CA" \
    --client-cert "$SH/client.pem" --client-key "$SH/client.key" >"$out" ||
    fail "client certificate rejected: $(cat "$out")"
wait_for_count "$SH2" 1
assert_json "$SH2/mail/0001.json" \
    client_cert_subject="O=postern test PKI,CN=postern-test-client" \
    client_cert_issuer="O=postern test PKI,CN=postern test CA"
wait_for_sessions "$SH2" 1
assert_eq postern-test-client "$(session_field "$SH2" 1 client_cert)" "session client_cert"

out="$TEST_TMPDIR/c7.json"
if smtp_client --port "$(smarthost_port "$SH2" 0)" --mode tls --cafile "$CA" \
    --timeout 5 >"$out"; then
    fail "implicit TLS without a client certificate accepted: $(cat "$out")"
fi
wait_for_sessions "$SH2" 2
assert_eq tls_failed "$(session_field "$SH2" 2 end)" "implicit TLS session without client cert"
assert_eq tls "$(session_field "$SH2" 2 mode)" "mode of the failed session"
out="$TEST_TMPDIR/c8.json"
if smtp_client --port "$(smarthost_port "$SH2" 1)" --mode starttls \
    --cafile "$CA" --client-cert "$SH/client-untrusted.pem" \
    --client-key "$SH/client-untrusted.key" --timeout 5 >"$out"; then
    fail "untrusted client certificate accepted: $(cat "$out")"
fi
wait_for_sessions "$SH2" 3
assert_eq tls_failed "$(session_field "$SH2" 3 end)" "STARTTLS session with untrusted client cert"
assert_eq starttls "$(session_field "$SH2" 3 mode)" "mode of the failed STARTTLS session"
assert_eq 1 "$(mail_count "$SH2")" "messages stored by client-cert server"
exit 0
