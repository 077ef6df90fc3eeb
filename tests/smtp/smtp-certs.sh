#!/bin/bash
# smtp-certs.sh - certificate verification by the SMTP client: each kind
# of bad certificate is refused with its own precise reason, pins work
# both ways, client certificates are presented, a plaintext server on an
# implicit-TLS port is recognised, and STARTTLS stripping is refused
# without any credentials on the wire.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --auth alice:s3cret-pw --record-wire \
    --listen starttls:127.0.0.1:0,cert=good \
    --listen starttls:127.0.0.1:0,cert=selfsigned \
    --listen starttls:127.0.0.1:0,cert=wronghost \
    --listen starttls:127.0.0.1:0,cert=expired \
    --listen starttls:127.0.0.1:0,cert=notyetvalid \
    --listen tls:127.0.0.1:0,cert=good \
    --listen plain:127.0.0.1:0
CA=$SH/ca.pem
MSG=$TEST_TMPDIR/msg
printf 'Subject: certs\n\nbody\n' >"$MSG"
V=(--security starttls --ca "$CA" --host localhost --addr 127.0.0.1)

# bad INDEX VERIFY TEXT...
bad() {
    local idx=$1 verify=$2 t
    shift 2
    run_send --port "$(smarthost_port "$SH" "$idx")" "${V[@]}" --to a@example.com "$MSG"
    expect_rc 4 "cert $verify"
    expect_out "fail class=tls-verify phase=TLS handshake code=0 verify=$verify " "cert $verify"
    for t in "$@"; do
        expect_out "$t" "cert $verify"
    done
}

run_send --port "$(smarthost_port "$SH" 0)" "${V[@]}" --to a@example.com "$MSG"
expect_rc 0 "good certificate"
expect_out "verify=ok"
CERT_PIN=$(printf '%s\n' "$OUT" | sed -n 's/.*cert-sha256=\([0-9a-f]*\) .*/\1/p')
[ ${#CERT_PIN} = 64 ] || fail "no certificate hash in: $OUT"

bad 1 untrusted "untrusted issuer" 'is issued by "CN=localhost'
bad 2 hostname "host name mismatch" 'certificate is for "wrong.example"' 'not "localhost"'
bad 3 expired "certificate expired" "was valid until"
bad 4 not-yet-valid "certificate not yet valid"
# The name checked is the configured one, not the connect address.
run_send --port "$(smarthost_port "$SH" 0)" "${V[@]}" --verify-name other.example \
    --to a@example.com "$MSG"
expect_out "verify=hostname" "verify-name"
expect_out 'not "other.example"' "verify-name"
assert_eq 1 "$(mail_count "$SH")" "messages stored after verification failures"

# Pins: the good certificate's own hash (colon-separated form) matches;
# a mismatch is refused even with a valid chain; a matching pin
# accepts a self-signed certificate under "tls = encrypt".
run_send --port "$(smarthost_port "$SH" 0)" "${V[@]}" \
    --pin "sha256:$(printf '%s' "$CERT_PIN" | sed 's/../&:/g; s/:$//')" --to a@example.com "$MSG"
expect_rc 0 "matching pin"
run_send --port "$(smarthost_port "$SH" 0)" "${V[@]}" \
    --pin sha256:0000000000000000000000000000000000000000000000000000000000000000 \
    --to a@example.com "$MSG"
expect_rc 4 "pin mismatch"
expect_out "fail class=tls-verify phase=TLS handshake code=0 verify=pin text=certificate verification failed for localhost: pin mismatch"
SS_PIN=$("$PYTHON3" -c '
import hashlib, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
spki = c.public_key().public_bytes(serialization.Encoding.DER,
    serialization.PublicFormat.SubjectPublicKeyInfo)
print("sha256:" + hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest(),
      "sha256:" + hashlib.sha256(spki).hexdigest())
' "$SH/server-selfsigned.pem")
read -r SS_CERT SS_SPKI <<<"$SS_PIN"
run_send --port "$(smarthost_port "$SH" 1)" --security starttls --tls encrypt \
    --host localhost --addr 127.0.0.1 --pin "$SS_CERT" --to a@example.com "$MSG"
expect_rc 0 "certificate pin"
expect_out "verify=ok"
run_send --port "$(smarthost_port "$SH" 1)" --security starttls --tls encrypt \
    --host localhost --addr 127.0.0.1 --spki-pin "$SS_SPKI" --to a@example.com "$MSG"
expect_rc 0 "public key pin"
run_send --port "$(smarthost_port "$SH" 1)" --security starttls --tls encrypt \
    --host localhost --addr 127.0.0.1 --spki-pin "$SS_CERT" --to a@example.com "$MSG"
expect_rc 4 "certificate hash given as a public key pin"
expect_out "verify=pin"

# Implicit TLS works; the same mode against a plaintext port is named.
run_send --port "$(smarthost_port "$SH" 5)" --security tls --ca "$CA" --host localhost \
    --addr 127.0.0.1 --tls-min TLSv1.3 --to a@example.com "$MSG"
expect_rc 0 "implicit TLS"
expect_out "tls version=TLSv1.3"
run_send --port "$(smarthost_port "$SH" 6)" --security tls --ca "$CA" --host localhost \
    --to a@example.com "$MSG"
expect_rc 4 "plaintext port"
expect_out "fail class=plaintext-port phase=TLS handshake"

# STARTTLS stripped: with credentials configured the client must stop
# before AUTH, and nothing secret may appear on the wire.
write_faults "$SH" '{"no_starttls": true}'
before=$(session_count "$SH")
printf 's3cret-pw\n' >"$TEST_TMPDIR/pw"
run_send --port "$(smarthost_port "$SH" 0)" "${V[@]}" --user alice \
    --password-file "$TEST_TMPDIR/pw" --to a@example.com "$MSG"
expect_rc 4 "stripped STARTTLS"
expect_out "fail class=no-starttls phase=STARTTLS"
clear_faults "$SH"
wait_for_sessions "$SH" $((before + 1))
sess=$(session_field "$SH" -1 session)
WIRE=$SH/wire/$sess.bin
[ -f "$WIRE" ] || fail "no wire capture $WIRE"
assert_file_contains "$WIRE" "EHLO" "wire capture"
assert_file_not_contains "$WIRE" "AUTH" "wire capture"
assert_file_not_contains "$WIRE" "MAIL" "wire capture"
for secret in "$(printf '\0alice\0s3cret-pw' | base64)" "$(printf 'alice' | base64)" s3cret-pw; do
    assert_file_not_contains "$WIRE" "$secret" "wire capture"
done

# Client certificate required by the server.
SH2=$TEST_TMPDIR/sh2
start_smarthost "$SH2" --cert-dir "$SH" --client-cert require --listen tls:127.0.0.1:0
P2=$(smarthost_port "$SH2" 0)
run_send --port "$P2" --security tls --ca "$CA" --host localhost --addr 127.0.0.1 \
    --cert "$SH/client.pem" --key "$SH/client.key" --to a@example.com "$MSG"
expect_rc 0 "client certificate"
wait_for_count "$SH2" 1
assert_contains "$(json_get "$SH2/mail/0001.json" client_cert_subject)" "postern-test-client" "client cert"
run_send --port "$P2" --security tls --ca "$CA" --host localhost --addr 127.0.0.1 \
    --to a@example.com "$MSG"
[ "$RC" = 4 ] || fail "no client certificate: expected failure, got $RC: $OUT"
exit 0
