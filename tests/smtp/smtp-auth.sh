#!/bin/bash
# smtp-auth.sh - SMTP AUTH by the client: every mechanism the test
# smarthost supports (PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER), the
# default choice of the strongest, a pinned list, 535 reported as an
# authentication failure, and no credentials over plaintext unless
# explicitly allowed.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --auth alice:pa55word --oauth-token alice:tok-123 --record-wire \
    --listen starttls:127.0.0.1:0 --listen plain:127.0.0.1:0
STLS=$(smarthost_port "$SH" 0)
PLAIN=$(smarthost_port "$SH" 1)
MSG=$TEST_TMPDIR/msg
printf 'Subject: auth\n\nbody\n' >"$MSG"
printf 'pa55word\n' >"$TEST_TMPDIR/pw"
printf 'wrong\n' >"$TEST_TMPDIR/badpw"
printf 'tok-123\n' >"$TEST_TMPDIR/token"
printf 'tok-bad\n' >"$TEST_TMPDIR/badtoken"
V=(--port "$STLS" --security starttls --ca "$SH/ca.pem" --host localhost --addr 127.0.0.1 --user alice)

n=0
for mech in PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER; do
    case $mech in
        *OAUTH*) good=(--token-file "$TEST_TMPDIR/token"); bad=(--token-file "$TEST_TMPDIR/badtoken") ;;
        *) good=(--password-file "$TEST_TMPDIR/pw"); bad=(--password-file "$TEST_TMPDIR/badpw") ;;
    esac
    run_send "${V[@]}" "${good[@]}" --mech "$mech" --to a@example.com "$MSG"
    expect_rc 0 "$mech"
    expect_out "auth mechanism=$mech" "$mech"
    n=$((n + 1))
    wait_for_count "$SH" "$n"
    J=$(printf '%s/mail/%04d.json' "$SH" "$n")
    assert_eq "$mech" "$(json_get "$J" auth_mechanism)" "$mech recorded"
    assert_eq alice "$(json_get "$J" auth_user)" "$mech user"
    run_send "${V[@]}" "${bad[@]}" --mech "$mech" --to a@example.com "$MSG"
    expect_rc 4 "$mech with bad credentials"
    expect_out "fail class=auth phase=AUTH code=535" "$mech with bad credentials"
    expect_out "authentication failed ($mech): 535" "$mech with bad credentials"
done
assert_eq "$n" "$(mail_count "$SH")" "nothing stored after failed AUTH"

# Without pins: OAUTHBEARER with a token, PLAIN with a password (never
# CRAM-MD5, which a server with hashed passwords cannot check); a pinned
# list is followed in order, skipping what the server lacks.
run_send "${V[@]}" --password-file "$TEST_TMPDIR/pw" --to a@example.com "$MSG"
expect_out "auth mechanism=PLAIN" "default with a password"
run_send "${V[@]}" --token-file "$TEST_TMPDIR/token" --to a@example.com "$MSG"
expect_out "auth mechanism=OAUTHBEARER" "default with a token"
write_faults "$SH" '{"auth_mechs": ["LOGIN", "PLAIN"]}'
run_send "${V[@]}" --password-file "$TEST_TMPDIR/pw" --mech CRAM-MD5 --mech PLAIN \
    --mech LOGIN --to a@example.com "$MSG"
expect_out "auth mechanism=PLAIN" "pinned list"
run_send "${V[@]}" --password-file "$TEST_TMPDIR/pw" --mech CRAM-MD5 --to a@example.com "$MSG"
expect_rc 4 "pinned mechanism not offered"
expect_out "fail class=auth-unavailable phase=AUTH"
clear_faults "$SH"

# Plaintext connection: refused unless allowed, and nothing on the wire.
before=$(session_count "$SH")
run_send --port "$PLAIN" --security plain --tls none --user alice \
    --password-file "$TEST_TMPDIR/pw" --to a@example.com "$MSG"
expect_rc 4 "AUTH without TLS"
expect_out "fail class=auth-unavailable phase=AUTH"
expect_out "without TLS"
wait_for_sessions "$SH" $((before + 1))
WIRE=$SH/wire/$(session_field "$SH" -1 session).bin
assert_file_not_contains "$WIRE" "AUTH" "plaintext wire"
assert_file_not_contains "$WIRE" "pa55word" "plaintext wire"
run_send --port "$PLAIN" --security plain --tls none --user alice --allow-plaintext-auth \
    --password-file "$TEST_TMPDIR/pw" --mech PLAIN --to a@example.com "$MSG"
expect_rc 0 "AUTH allowed without TLS"
expect_out "auth mechanism=PLAIN"
exit 0
