#!/bin/bash
# dsn-params.sh - the DSN parameters (RFC 3461) are parsed once and mean
# the same however they arrive: "sendmail -bs" with RET=hdrs and
# NOTIFY=never (any case) and "sendmail -N never -R hdrs" reach the
# smarthost as RET=HDRS and NOTIFY=NEVER; a malformed value in -bs gets
# 501 at once instead of "250" followed by a quarantined message.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup --listen starttls:127.0.0.1:0 --advertise DSN

bs() {	# bs LINES...: one -bs session, the replies in $TEST_TMPDIR/bs
    printf '%s\r\n' "$@" | "$POSTERN_BIN/sendmail" -bs >"$TEST_TMPDIR/bs" 2>&1
}
bs "EHLO client.example" "MAIL FROM:<me@example.com> RET=hdrs ENVID=id-1" \
    "RCPT TO:<never@example.org> NOTIFY=never" "RCPT TO:<both@example.org> NOTIFY=failure,Delay" \
    DATA "Subject: bs dsn" "" "body" . QUIT
[ "$(grep -c '^250 ' "$TEST_TMPDIR/bs")" -ge 4 ] || fail "-bs did not accept: $(cat "$TEST_TMPDIR/bs")"
printf 'Subject: cmdline dsn\n\nbody\n' | send_mail -i -N Never -R HDRS -V id-2 cmd@example.org

# Malformed values are refused in the dialogue, never queued.
bs "EHLO client.example" "MAIL FROM:<me@example.com> RET=headers" QUIT
grep -q '^501 5\.5\.4 Bad RET' "$TEST_TMPDIR/bs" || fail "RET=headers: $(cat "$TEST_TMPDIR/bs")"
bs "EHLO client.example" "MAIL FROM:<me@example.com>" "RCPT TO:<x@example.org> NOTIFY=never,success" QUIT
grep -q '^501 5\.5\.4 Bad NOTIFY' "$TEST_TMPDIR/bs" || fail "NOTIFY=never,success: $(cat "$TEST_TMPDIR/bs")"
bs "EHLO client.example" "MAIL FROM:<me@example.com> ENVID=" QUIT
grep -q '^501 5\.5\.4 Bad ENVID' "$TEST_TMPDIR/bs" || fail "empty ENVID: $(cat "$TEST_TMPDIR/bs")"
[ "$(ls "$SPOOL/incoming" | wc -l)" = 2 ] || fail "expected 2 queued, have $(ls "$SPOOL/incoming" | wc -l)"

run_worker
wait_for_count "$SH" 2
log_lacks "quarantine"
B=$(grep -l '"never@example.org"' "$SH"/mail/*.json) || fail "the -bs message was not delivered"
grep -q '"RET=HDRS"' "$B" || fail "RET=HDRS not sent: $(cat "$B")"
grep -q '"ENVID=id-1"' "$B" || fail "ENVID not sent: $(cat "$B")"
grep -q '"NOTIFY=NEVER"' "$B" || fail "NOTIFY=NEVER not sent: $(cat "$B")"
grep -q '"NOTIFY=FAILURE,DELAY"' "$B" || fail "NOTIFY=FAILURE,DELAY not sent: $(cat "$B")"
C=$(grep -l '"cmd@example.org"' "$SH"/mail/*.json) || fail "the -N message was not delivered"
grep -q '"RET=HDRS"' "$C" && grep -q '"NOTIFY=NEVER"' "$C" && grep -q '"ENVID=id-2"' "$C" ||
    fail "command-line DSN not sent: $(cat "$C")"
[ "$(queue_count)" = 0 ] || fail "queue not empty"
exit 0
