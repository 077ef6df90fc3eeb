#!/bin/bash
# smtp-basic.sh - the SMTP client against the test smarthost in plain,
# STARTTLS and implicit TLS mode: envelope, byte-exact dot-stuffed body,
# TLS facts, DSN/8BITMIME/SMTPUTF8/SIZE parameters, HELO fallback,
# pipelined groups, and several messages on one connection.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen plain:127.0.0.1:0 --listen starttls:127.0.0.1:0 \
    --listen tls:127.0.0.1:0 --advertise DSN
PLAIN=$(smarthost_port "$SH" 0)
STARTTLS=$(smarthost_port "$SH" 1)
TLS=$(smarthost_port "$SH" 2)
CA=$SH/ca.pem
MSG=$TEST_TMPDIR/msg

# Lines that need stuffing, mixed LF/CRLF, a lone CR, no final newline.
printf 'Subject: dots\n\n.\n..\n.leading\r\nmiddle . dot\n. space\nlone\rcr\n\n.\r\nlast' >"$MSG"
crlf_normalize "$MSG" "$TEST_TMPDIR/expected"

n=0
for mode in plain starttls tls; do
    case $mode in
        plain) args=(--port "$PLAIN" --security plain --tls none) ;;
        starttls) args=(--port "$STARTTLS" --security starttls --ca "$CA" --host localhost --addr 127.0.0.1) ;;
        tls) args=(--port "$TLS" --security tls --ca "$CA" --host localhost --addr 127.0.0.1) ;;
    esac
    run_send "${args[@]}" --from "s@example.org" --to a@example.com --to b@example.com "$MSG"
    expect_rc 0 "$mode"
    expect_out "message 1 result=ok" "$mode"
    expect_out "rcpt b@example.com status=sent code=250 reply=250 2.0.0" "$mode"
    n=$((n + 1))
    wait_for_count "$SH" "$n"
    J=$(printf '%s/mail/%04d.json' "$SH" "$n")
    assert_eq "s@example.org" "$(json_get "$J" mail_from)" "$mode sender"
    assert_eq '["a@example.com", "b@example.com"]' "$(json_get "$J" rcpt_tos)" "$mode rcpts"
    assert_eq "$mode" "$(json_get "$J" mode)" "$mode mode"
    cmp "$TEST_TMPDIR/expected" "${J%.json}.eml" || fail "$mode: recorded body differs from the CRLF-normalised input"
    if [ "$mode" = plain ]; then
        assert_eq false "$(json_get "$J" tls)" "plain tls"
        expect_out "tls none"
    else
        assert_eq true "$(json_get "$J" tls)" "$mode tls"
        v=$(json_get "$J" tls_version)
        expect_out "tls version=$v " "$mode"
        expect_out "verify=ok" "$mode"
        expect_out "subject=CN=localhost" "$mode"
    fi
done
assert_eq true "$(json_get "$SH/mail/0002.json" starttls)" "STARTTLS recorded"
assert_eq false "$(json_get "$SH/mail/0003.json" starttls)" "implicit TLS recorded"

# DSN parameters go out when DSN is offered.
run_send --port "$PLAIN" --security plain --tls none --to d@example.com \
    --notify SUCCESS,FAILURE --orcpt "rfc822;d@example.com" --ret hdrs --envid ID42 "$MSG"
expect_rc 0 "dsn"
n=$((n + 1)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
opts=$(json_get "$J" mail_options)
assert_contains "$opts" "RET=HDRS" "MAIL options"
assert_contains "$opts" "ENVID=ID42" "MAIL options"
assert_contains "$opts" "SIZE=" "MAIL options"
ropts=$(json_get "$J" rcpt_options.0)
assert_contains "$ropts" "NOTIFY=SUCCESS,FAILURE" "RCPT options"
assert_contains "$ropts" "ORCPT=rfc822;d@example.com" "RCPT options"

# Without DSN in EHLO the parameters are left out, the mail still goes.
write_faults "$SH" '{"hide": ["DSN"]}'
run_send --port "$PLAIN" --security plain --tls none --to d@example.com --notify NEVER --ret full "$MSG"
expect_rc 0 "no dsn"
n=$((n + 1)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
assert_not_contains "$(json_get "$J" mail_options)" "RET=" "MAIL options without DSN"
assert_eq "[]" "$(json_get "$J" rcpt_options.0)" "RCPT options without DSN"
clear_faults "$SH"

# 8-bit body: BODY=8BITMIME when offered, sent unchanged when not.
printf 'Subject: 8bit\n\nGr\xc3\xbc\xc3\x9fe\n' >"$TEST_TMPDIR/8bit"
run_send --port "$PLAIN" --security plain --tls none --to e@example.com "$TEST_TMPDIR/8bit"
expect_rc 0 "8bit"
n=$((n + 1)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
assert_contains "$(json_get "$J" mail_options)" "BODY=8BITMIME" "8-bit MAIL options"
write_faults "$SH" '{"hide": ["8BITMIME"]}'
run_send --port "$PLAIN" --security plain --tls none --to e@example.com "$TEST_TMPDIR/8bit"
expect_rc 0 "8bit without 8BITMIME"
n=$((n + 1)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
assert_not_contains "$(json_get "$J" mail_options)" "BODY=" "MAIL options without 8BITMIME"
crlf_normalize "$TEST_TMPDIR/8bit" "$TEST_TMPDIR/8bit.crlf"
cmp "$TEST_TMPDIR/8bit.crlf" "${J%.json}.eml" || fail "8-bit body altered"
clear_faults "$SH"

# UTF-8 addresses need SMTPUTF8; refused clearly when it is missing.
run_send --port "$PLAIN" --security plain --tls none --to "jörg@example.com" "$MSG"
expect_rc 0 "smtputf8"
n=$((n + 1)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
assert_contains "$(json_get "$J" mail_options)" "SMTPUTF8" "SMTPUTF8 parameter"
write_faults "$SH" '{"hide": ["SMTPUTF8"]}'
run_send --port "$PLAIN" --security plain --tls none --to "jörg@example.com" "$MSG"
expect_rc 2 "no smtputf8"
expect_out "fail class=smtputf8"
expect_out "status=perm"

# SIZE: too large for the server fails permanently before MAIL.
write_faults "$SH" '{"size": 20}'
run_send --port "$PLAIN" --security plain --tls none --to f@example.com "$MSG"
expect_rc 2 "size"
expect_out "fail class=size phase=MAIL"
expect_out "exceeds the server's limit of 20 bytes"

# HELO fallback when EHLO is not understood.
write_faults "$SH" '{"ehlo": "502 5.5.1 EHLO not implemented"}'
run_send --port "$PLAIN" --security plain --tls none --to g@example.com "$MSG"
expect_rc 0 "HELO fallback"
expect_out "esmtp=no"
n=$((n + 1)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
assert_eq false "$(json_get "$J" esmtp)" "HELO session"
clear_faults "$SH"

# Pipelined groups of 2 for 5 recipients, one refused; three messages on
# one connection with RSET in between.
write_faults "$SH" '{"rcpt": {"r3@example.com": "550 5.1.1 no such user"}}'
run_send --port "$PLAIN" --security plain --tls none --max-pipeline 2 --count 3 \
    --to r1@example.com --to r2@example.com --to r3@example.com \
    --to r4@example.com --to r5@example.com "$MSG"
expect_rc 2 "groups"
expect_out "rcpt r3@example.com status=perm code=550 reply=550 5.1.1 no such user"
expect_out "rcpt r5@example.com status=sent"
assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c 'result=ok')" "messages on one session"
n=$((n + 3)); wait_for_count "$SH" "$n"
J=$(printf '%s/mail/%04d.json' "$SH" "$n")
assert_eq '["r1@example.com", "r2@example.com", "r4@example.com", "r5@example.com"]' \
    "$(json_get "$J" rcpt_tos)" "accepted recipients"
assert_eq 3 "$(json_get "$J" index_in_session)" "third message of the session"
wait_for_sessions "$SH" 1
assert_eq quit "$(session_field "$SH" -1 end)" "session end"
exit 0
