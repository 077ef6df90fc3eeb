#!/bin/bash
# smarthost-certs.sh - the test PKI (testcerts.py) and the certificates the
# smarthost presents.
#
# What it checks
#   testcerts.py makes a CA, server certificates and a client certificate
#   that OpenSSL judges as intended (good verifies for localhost,
#   127.0.0.1 and ::1; selfsigned, wronghost, expired and notyetvalid fail
#   with their specific errors; the client certificate verifies for client
#   use) and reuses an existing set.  A smarthost presenting each kind
#   (one endpoint per kind, plus --cert for a whole server) makes a
#   verifying client fail in the expected way: X509 errors 18 (self-signed),
#   62 (host name mismatch), 64 (IP address mismatch), 10 (expired),
#   9 (not yet valid); no message is stored then, while a client that
#   does not verify still gets through.  OpenSSL's own s_client agrees for
#   STARTTLS and implicit TLS.
#
# Interface
#   Run by the automake harness (or by hand) with srcdir=<tests dir> and
#   PYTHON3 set.  Exit 0 pass, 1 fail, 77 skip (no aiosmtpd).

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/lib/common.sh" || exit 99

make_tmpdir
require_smarthost
PKI="$TEST_TMPDIR/pki"
"$PYTHON3" "$TESTCERTS_PY" "$PKI" >"$TEST_TMPDIR/paths.json" ||
    fail "testcerts.py failed"
assert_json "$TEST_TMPDIR/paths.json" ca="$PKI/ca.pem" \
    server.expired.0="$PKI/server-expired.pem" client_key="$PKI/client.key"
CA="$PKI/ca.pem"
ca_sum=$(cksum <"$CA")

have_openssl=no
command -v openssl >/dev/null 2>&1 && have_openssl=yes
if [ "$have_openssl" = yes ]; then
    verify() {  # verify CERT EXPECTED_ERROR(0=ok) ARGS...
        local cert=$1 want=$2 got
        shift 2
        if got=$(openssl verify -CAfile "$CA" "$@" "$cert" 2>&1); then
            [ "$want" = 0 ] || fail "openssl verify accepted $cert: $got"
        else
            [ "$want" != 0 ] || fail "openssl verify rejected $cert: $got"
            assert_contains "$got" "error $want at" "openssl verify $cert"
        fi
    }
    verify "$PKI/server-good.pem" 0 -verify_hostname localhost
    verify "$PKI/server-good.pem" 0 -verify_ip 127.0.0.1
    verify "$PKI/server-good.pem" 0 -verify_ip ::1 -purpose sslserver
    verify "$PKI/server-selfsigned.pem" 18 -verify_hostname localhost
    verify "$PKI/server-wronghost.pem" 62 -verify_hostname localhost
    verify "$PKI/server-wronghost.pem" 0 -verify_hostname wrong.example
    verify "$PKI/server-expired.pem" 10
    verify "$PKI/server-notyetvalid.pem" 9
    verify "$PKI/client.pem" 0 -purpose sslclient
    verify "$PKI/client-untrusted.pem" 18
    [ "$(stat -c %a "$PKI/server-good.key")" = 600 ] || fail "key file not mode 600"
else
    note "no openssl command: skipping the openssl checks"
fi

# One server, one endpoint per certificate kind, sharing the PKI above.
SH="$TEST_TMPDIR/sh"
start_smarthost "$SH" --cert-dir "$PKI" \
    --listen starttls:127.0.0.1:0,cert=good \
    --listen starttls:127.0.0.1:0,cert=selfsigned \
    --listen tls:127.0.0.1:0,cert=wronghost \
    --listen starttls:127.0.0.1:0,cert=expired \
    --listen tls:127.0.0.1:0,cert=notyetvalid
[ ! -e "$SH/ca.pem" ] || fail "--cert-dir ignored: a CA was written to the state dir"
assert_eq "$ca_sum" "$(cksum <"$CA")" "CA regenerated although a set existed"
assert_json "$SH/ports.json" 0.cert=good 1.cert=selfsigned 2.cert=wronghost \
    3.cert=expired 4.cert=notyetvalid 2.mode=tls

n=0
probe() {  # probe INDEX MODE EXPECTED_VERIFY_CODE(0=ok) CLIENT_ARGS...
    local index=$1 mode=$2 want=$3 port
    shift 3
    port=$(smarthost_port "$SH" "$index")
    n=$((n + 1))
    out="$TEST_TMPDIR/p$n.json"
    if smtp_client --port "$port" --mode "$mode" --cafile "$CA" "$@" >"$out"; then
        [ "$want" = 0 ] || fail "endpoint $index accepted (want error $want): $(cat "$out")"
    else
        [ "$want" != 0 ] || fail "endpoint $index rejected: $(cat "$out")"
        assert_json "$out" verify_code="$want" tls=false sent=0
    fi
}
probe 0 starttls 0 --servername localhost
probe 0 starttls 0                       # verified as 127.0.0.1
probe 1 starttls 18 --servername localhost
probe 2 tls 62 --servername localhost
probe 2 tls 64                           # IP address mismatch
probe 3 starttls 10 --servername localhost
probe 4 tls 9 --servername localhost
wait_for_count "$SH" 2
assert_eq 2 "$(mail_count "$SH")" "messages stored (only the good endpoint)"

# Without verification the bad certificates are still served and usable.
out="$TEST_TMPDIR/insecure.json"
smtp_client --port "$(smarthost_port "$SH" 3)" --mode starttls --insecure \
    >"$out" || fail "insecure client failed: $(cat "$out")"
wait_for_count "$SH" 3
assert_json "$SH/mail/0003.json" tls=true listen_port="$(smarthost_port "$SH" 3)"

# --cert applies to every TLS endpoint of a server.
SH2="$TEST_TMPDIR/sh2"
start_smarthost "$SH2" --cert-dir "$PKI" --cert expired \
    --listen tls:127.0.0.1:0 --listen starttls:127.0.0.1:0
out="$TEST_TMPDIR/sh2a.json"
smtp_client --port "$(smarthost_port "$SH2" 0)" --mode tls --cafile "$CA" >"$out" &&
    fail "expired certificate accepted: $(cat "$out")"
assert_json "$out" verify_code=10
out="$TEST_TMPDIR/sh2b.json"
smtp_client --port "$(smarthost_port "$SH2" 1)" --mode starttls --cafile "$CA" >"$out" &&
    fail "expired certificate accepted: $(cat "$out")"
assert_json "$out" verify_code=10 stage=starttls

# OpenSSL's client agrees (STARTTLS and implicit TLS).
if [ "$have_openssl" = yes ]; then
    s_client() {  # s_client INDEX EXTRA_ARGS...
        local port
        port=$(smarthost_port "$SH" "$1")
        shift
        timeout 10 openssl s_client -connect "127.0.0.1:$port" \
            -CAfile "$CA" -verify_hostname localhost -verify_return_error \
            -brief "$@" </dev/null >"$TEST_TMPDIR/s_client.out" 2>&1
    }
    s_client 0 -starttls smtp ||
        fail "openssl s_client rejected the good STARTTLS endpoint: $(cat "$TEST_TMPDIR/s_client.out")"
    s_client 3 -starttls smtp &&
        fail "openssl s_client accepted the expired certificate"
    assert_file_contains "$TEST_TMPDIR/s_client.out" "certificate has expired" "s_client (expired)"
    s_client 2 &&
        fail "openssl s_client accepted the wrong-host certificate"
    assert_file_contains "$TEST_TMPDIR/s_client.out" "hostname mismatch" "s_client (wronghost)"
fi
exit 0
