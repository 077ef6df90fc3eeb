#!/bin/bash
# smtp-faults.sh - the SMTP client's reaction to failures at each stage:
# 421/554 greeting, 4xx/5xx to EHLO, MAIL, RCPT, DATA and the final dot,
# mixed recipient results, disconnects, and refused connections. Checks
# the failure class, phase, per-recipient status and that nothing was
# stored when the transaction failed.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen plain:127.0.0.1:0
PORT=$(smarthost_port "$SH" 0)
MSG=$TEST_TMPDIR/msg
printf 'Subject: faults\n\nbody\n' >"$MSG"

# case NAME FAULTS RC CLASS [MORE EXPECTED OUTPUT...]
case_() {
    local name=$1 faults=$2 rc=$3 class=$4 before e
    shift 4
    write_faults "$SH" "$faults"
    before=$(mail_count "$SH")
    run_send --port "$PORT" --security plain --tls none --timeout-command 3000 \
        --to a@example.com --to b@example.com "$MSG"
    expect_rc "$rc" "$name"
    [ "$class" = ok ] || expect_out "fail class=$class " "$name"
    for e in "$@"; do
        expect_out "$e" "$name"
    done
    if [ "$class" != ok ]; then
        assert_eq "$before" "$(mail_count "$SH")" "$name: messages stored"
    fi
}

case_ greeting421 '{"greeting": "421 4.3.2 try later"}' 4 temp \
    "phase=greeting code=421" "421 4.3.2 try later"
case_ greeting554 '{"greeting": "554 5.7.1 go away"}' 4 perm \
    "phase=greeting code=554"
case_ ehlo4xx '{"ehlo": "451 4.3.0 EHLO later"}' 4 temp "phase=EHLO code=451"
case_ ehlo5xx-helo5xx '{"ehlo": "554 5.7.1 no", "helo": "554 5.7.1 no"}' 4 perm "phase=EHLO"
case_ mail4xx '{"mail": "451 4.3.0 sender later"}' 3 temp "phase=MAIL code=451" \
    "rcpt a@example.com status=temp code=451 reply=451 4.3.0 sender later"
case_ mail5xx '{"mail": "553 5.7.1 sender refused"}' 2 perm "phase=MAIL code=553" \
    "rcpt b@example.com status=perm code=553 reply=553 5.7.1 sender refused"
case_ rcpt-all4xx '{"rcpt": "450 4.2.1 busy"}' 3 temp "phase=RCPT" \
    "rcpt a@example.com status=temp code=450 reply=450 4.2.1 busy"
case_ rcpt-all5xx '{"rcpt": "550 5.1.1 unknown"}' 2 perm "phase=RCPT" \
    "rcpt b@example.com status=perm code=550"
case_ rcpt-mixed '{"rcpt": {"a@example.com": "452 4.2.2 full"}}' 3 ok \
    "message 1 result=ok" "rcpt a@example.com status=temp code=452 reply=452 4.2.2 full" \
    "rcpt b@example.com status=sent code=250"
J=$(printf '%s/mail/%04d.json' "$SH" "$(mail_count "$SH")")
assert_eq '["b@example.com"]' "$(json_get "$J" rcpt_tos)" "mixed: only the accepted recipient"
case_ data4xx '{"data": "451 4.3.0 no DATA now"}' 3 temp "phase=DATA code=451" \
    "rcpt a@example.com status=temp code=451"
case_ data5xx '{"data": "554 5.5.0 no DATA"}' 2 perm "phase=DATA code=554"
case_ dot4xx '{"data_end": "452 4.3.1 out of space"}' 3 temp "phase=end of data code=452" \
    "rcpt b@example.com status=temp code=452 reply=452 4.3.1 out of space"
case_ dot5xx '{"data_end": "552 5.3.4 message too big"}' 2 perm "phase=end of data code=552" \
    "rcpt a@example.com status=perm code=552 reply=552 5.3.4 message too big"
case_ drop-after-data '{"drop_after_data": true}' 3 disconnect "phase=end of data" \
    "rcpt a@example.com status=temp code=0"
case_ drop-at-rcpt '{"drop_at": "rcpt"}' 3 disconnect "phase=RCPT"
case_ drop-at-greeting '{"drop_at": "greeting"}' 4 no-greeting "phase=greeting"
case_ multiline-5xx '{"mail": ["550-5.7.1 first line", "550 5.7.1 second line"]}' 2 perm \
    "reply=550 5.7.1 first line; second line"

# A session that failed a transaction stays usable after RSET.
write_faults "$SH" '{"rcpt": {"bad@example.com": "550 5.1.1 unknown"}}'
run_send --port "$PORT" --security plain --tls none --count 2 --to bad@example.com "$MSG"
expect_rc 2 "reuse after failure"
assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c 'result=perm')" "both transactions answered"
clear_faults "$SH"

# Nothing listens: refused, distinct from other failures.
stop_smarthost "$SH"
run_send --port "$PORT" --security plain --tls none --to a@example.com "$MSG"
expect_rc 4 "refused"
expect_out "fail class=refused phase=connect"
exit 0
