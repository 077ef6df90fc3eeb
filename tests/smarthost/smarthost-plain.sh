#!/bin/bash
# smarthost-plain.sh - the test smarthost on a plain (no TLS) endpoint.
#
# What it checks
#   A message sent over plain SMTP is stored byte for byte (CRLF kept,
#   dot-unstuffed) with its envelope, ESMTP options, AUTH user, EHLO name
#   and "no TLS" facts; the wire capture holds the cleartext dialogue;
#   sessions.log counts one line per connection and messages per session;
#   HELO sessions are recorded as non-ESMTP; SIGTERM stops the server.
#
# Interface
#   Run by the automake harness (or by hand) with srcdir=<tests dir> and
#   PYTHON3 set.  Exit 0 pass, 1 fail, 77 skip (no aiosmtpd).

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/lib/common.sh" || exit 99

make_tmpdir
SH="$TEST_TMPDIR/sh"
start_smarthost "$SH" --listen plain:127.0.0.1:0 --auth alice:secret \
    --record-wire
port=$(smarthost_port "$SH" 0)
assert_eq plain "$(json_get "$SH/ports.json" 0.mode)" "ports.json mode"
[ "$port" -gt 0 ] || fail "no port in ports.json"

# A message with a leading-dot line, CRLF line ends.
msg="$TEST_TMPDIR/msg.eml"
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: plain\r\n\r\nline one\r\n.dot line\r\n..two dots\r\nlast\r\n' >"$msg"

out="$TEST_TMPDIR/c1.json"
smtp_client --port "$port" --ehlo plain-client.test \
    --auth alice:secret --auth-mech PLAIN \
    --from alice@example.org --to bob@example.org --to carol@example.org \
    --mail-option BODY=8BITMIME --message "$msg" >"$out" ||
    fail "client failed: $(cat "$out")"
assert_json "$out" ok=true tls=false features.starttls='<missing>' auth.0=235

wait_for_count "$SH" 1
rec="$SH/mail/0001.json"
assert_json "$rec" mail_from=alice@example.org \
    rcpt_tos='["bob@example.org", "carol@example.org"]' \
    mail_options='["BODY=8BITMIME"]' rcpt_options='[[], []]' \
    tls=false tls_version=null tls_cipher=null starttls=false mode=plain \
    listen_port="$port" listen_host=127.0.0.1 auth_user=alice \
    auth_mechanism=PLAIN helo=plain-client.test esmtp=true \
    client_cert_subject=null index_in_session=1 \
    size="$(wc -c <"$msg" | tr -d ' ')"
cmp -s "$msg" "$SH/mail/0001.eml" || fail "stored message differs from the one sent"

# The wire capture of a plain session is the whole cleartext dialogue.
sid=$(json_get "$rec" session)
wire="$SH/wire/$sid.bin"
assert_file_contains "$wire" "ehlo plain-client.test" "wire capture"
assert_file_contains "$wire" "$(printf '\0alice\0secret' | base64)" "wire capture of AUTH"
assert_file_contains "$wire" "..dot line" "wire capture keeps dot-stuffing"
[ ! -s "$SH/wire/$sid.tls.bin" ] || fail "TLS capture not empty for a plain session"

wait_for_sessions "$SH" 1
assert_eq plain "$(session_field "$SH" 1 mode)" "session mode"
assert_eq - "$(session_field "$SH" 1 tls)" "session tls"
assert_eq alice "$(session_field "$SH" 1 auth)" "session auth"
assert_eq 1 "$(session_field "$SH" 1 messages)" "session messages"
assert_eq quit "$(session_field "$SH" 1 end)" "session end"

# Two messages over one connection: one more session, two more records.
out="$TEST_TMPDIR/c2.json"
smtp_client --port "$port" --count 2 --from "" --to x@example.org >"$out" ||
    fail "client (2 messages) failed: $(cat "$out")"
assert_json "$out" sent=2 ok=true
wait_for_count "$SH" 3
wait_for_sessions "$SH" 2
assert_eq 2 "$(session_field "$SH" 2 messages)" "messages in session 2"
assert_eq - "$(session_field "$SH" 2 auth)" "session 2 auth"
sid2=$(session_field "$SH" 2 session)
assert_json "$SH/mail/0002.json" session="$sid2" auth_user=null mail_from= \
    index_in_session=1
assert_json "$SH/mail/0003.json" session="$sid2" index_in_session=2

# HELO (not EHLO) is recorded as such; ESMTP parameters are refused there.
out="$TEST_TMPDIR/c3.json"
smtp_client --port "$port" --helo --ehlo old.test >"$out" ||
    fail "HELO client failed: $(cat "$out")"
wait_for_count "$SH" 4
assert_json "$SH/mail/0004.json" esmtp=false helo=old.test

# Wrong password: 535, nothing stored.
out="$TEST_TMPDIR/c4.json"
if smtp_client --port "$port" --auth alice:wrong --auth-mech LOGIN >"$out"; then
    fail "wrong password accepted: $(cat "$out")"
fi
assert_eq 535 "$(json_get "$out" auth.0)" "AUTH with a wrong password"
assert_eq 4 "$(mail_count "$SH")" "messages after failed AUTH"
wait_for_sessions "$SH" 4
assert_eq 1 "$(session_field "$SH" 4 auth_failures)" "auth_failures"
assert_eq quit "$(session_field "$SH" 4 end)" "client quits after failed AUTH"

# SIGTERM with a session open: clean exit, the session is logged as ended
# by the shutdown, ready is removed.
smtp_open "$port"
assert_eq 220 "$SMTP_CODE" "raw greeting"
smtp_cmd "EHLO idle.test" 250
assert_contains "$SMTP_REPLY" "250 HELP" "raw EHLO reply"
stop_smarthost "$SH"
smtp_close
[ ! -e "$SH/ready" ] || fail "ready file left after SIGTERM"
assert_eq 5 "$(session_count "$SH")" "sessions after shutdown"
assert_eq server_shutdown "$(session_field "$SH" 5 end)" "end of the open session"
assert_eq idle.test "$(session_field "$SH" 5 helo)" "helo of the open session"
exit 0
