#!/bin/bash
# smarthost-starttls.sh - the test smarthost on a STARTTLS endpoint.
#
# What it checks
#   STARTTLS is offered before TLS and not after; with --auth-require-tls,
#   AUTH is neither offered nor accepted (538) before TLS and works after
#   it; the stored record says tls=true, starttls=true, the TLS version and
#   the AUTH user; the cleartext wire capture has STARTTLS but no
#   credentials, which only appear inside TLS; --tls-max on either side is
#   reflected in the recorded version; a client below the server's
#   minimum version fails the handshake (end=tls_failed); --auth-required
#   answers MAIL with 530 until AUTH.
#
# Interface
#   Run by the automake harness (or by hand) with srcdir=<tests dir> and
#   PYTHON3 set.  Exit 0 pass, 1 fail, 77 skip (no aiosmtpd).

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/lib/common.sh" || exit 99

make_tmpdir
SH="$TEST_TMPDIR/sh"
start_smarthost "$SH" --listen starttls:127.0.0.1:0 --auth alice:s3cret \
    --auth-require-tls --record-wire
port=$(smarthost_port "$SH" 0)
CA="$SH/ca.pem"
[ -s "$CA" ] || fail "no CA written to $CA"

# Before TLS: STARTTLS offered, AUTH not offered and refused when forced.
out="$TEST_TMPDIR/c1.json"
if smtp_client --port "$port" --auth alice:s3cret --force-auth >"$out"; then
    fail "AUTH accepted before TLS: $(cat "$out")"
fi
assert_json "$out" features.starttls= features.auth='<missing>' auth.0=538 \
    tls=false
assert_eq 0 "$(mail_count "$SH")" "messages after refused AUTH"

# With STARTTLS: AUTH offered and accepted, message recorded as TLS.
out="$TEST_TMPDIR/c2.json"
smtp_client --port "$port" --mode starttls --cafile "$CA" \
    --servername localhost --auth alice:s3cret --auth-mech LOGIN \
    --to bob@example.org >"$out" || fail "STARTTLS client failed: $(cat "$out")"
assert_json "$out" tls=true features_before_tls.starttls= \
    features_before_tls.auth='<missing>' features.starttls='<missing>' \
    features.auth='PLAIN LOGIN CRAM-MD5'
version=$(json_get "$out" tls_version)
case "$version" in
    TLSv1.2|TLSv1.3) ;;
    *) fail "unexpected TLS version '$version'" ;;
esac
cipher=$(json_get "$out" tls_cipher)
wait_for_count "$SH" 1
rec="$SH/mail/0001.json"
assert_json "$rec" tls=true starttls=true mode=starttls auth_user=alice \
    auth_mechanism=LOGIN tls_version="$version" tls_cipher="$cipher"

# Cleartext capture: STARTTLS but no credentials; they are inside TLS.
sid=$(json_get "$rec" session)
clear="$SH/wire/$sid.bin"
assert_file_contains "$clear" STARTTLS "cleartext capture"
assert_file_not_contains "$clear" AUTH "cleartext capture"
assert_file_not_contains "$clear" "$(printf alice | base64)" "cleartext capture"
assert_file_not_contains "$clear" "$(printf s3cret | base64)" "cleartext capture"
assert_file_contains "$SH/wire/$sid.tls.bin" "AUTH LOGIN" "TLS capture"
assert_file_contains "$SH/wire/$sid.tls.bin" "$(printf s3cret | base64)" "TLS capture"

wait_for_sessions "$SH" 2
assert_eq yes "$(session_field "$SH" 2 starttls)" "session starttls"
assert_eq "$version" "$(session_field "$SH" 2 tls)" "session tls"
assert_eq alice "$(session_field "$SH" 2 auth)" "session auth"

# Client capped at TLS 1.2: the record shows TLSv1.2.
out="$TEST_TMPDIR/c3.json"
smtp_client --port "$port" --mode starttls --cafile "$CA" --tls-max 1.2 \
    >"$out" || fail "TLS 1.2 client failed: $(cat "$out")"
wait_for_count "$SH" 2
assert_json "$SH/mail/0002.json" tls_version=TLSv1.2 auth_user=null tls=true

# Client offering only TLS 1.1 is refused by the server's 1.2 minimum.
out="$TEST_TMPDIR/c4.json"
if smtp_client --port "$port" --mode starttls --cafile "$CA" \
    --tls-min 1.0 --tls-max 1.1 >"$out"; then
    fail "TLS 1.1 handshake succeeded: $(cat "$out")"
fi
assert_eq starttls "$(json_get "$out" stage)" "stage of TLS 1.1 failure"
wait_for_sessions "$SH" 4
assert_eq tls_failed "$(session_field "$SH" 4 end)" "session end after failed handshake"
assert_eq 2 "$(mail_count "$SH")" "messages after failed handshake"

# Server capped at TLS 1.2 and requiring AUTH.
SH2="$TEST_TMPDIR/sh2"
start_smarthost "$SH2" --listen starttls:127.0.0.1:0 --cert-dir "$SH" \
    --tls-max 1.2 --auth alice:s3cret --auth-required
port2=$(smarthost_port "$SH2" 0)
out="$TEST_TMPDIR/c5.json"
if smtp_client --port "$port2" --mode starttls --cafile "$CA" >"$out"; then
    fail "MAIL without AUTH accepted with --auth-required: $(cat "$out")"
fi
assert_json "$out" results.0.mail.0=530 tls_version=TLSv1.2
out="$TEST_TMPDIR/c6.json"
smtp_client --port "$port2" --mode starttls --cafile "$CA" \
    --auth alice:s3cret >"$out" || fail "authenticated client failed: $(cat "$out")"
wait_for_count "$SH2" 1
assert_json "$SH2/mail/0001.json" tls_version=TLSv1.2 auth_user=alice
exit 0
