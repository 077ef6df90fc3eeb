#!/bin/bash
# smarthost-faults.sh - fault injection of the test smarthost (faults.json).
#
# What it checks
#   Each fault produces the configured reply and nothing else: a 421
#   greeting (connection closed), a 554 greeting (503 to later commands),
#   per-recipient RCPT replies (one 550 while another recipient is
#   accepted and stored), MAIL and DATA replies, a non-2xx reply after the
#   final dot (nothing stored), dropping the connection after the final
#   dot (nothing stored, end=dropped_after_data), dropping at a command,
#   delays (a client with a shorter timeout gives up), hidden and added
#   EHLO extensions with strict parameter checks, a per-connection SIZE,
#   max_messages and max_rcpts; the fault file is re-read at each new
#   connection (change it, and the next connection behaves differently);
#   an invalid fault file is ignored and logged.
#
# Interface
#   Run by the automake harness (or by hand) with srcdir=<tests dir> and
#   PYTHON3 set.  Exit 0 pass, 1 fail, 77 skip (no aiosmtpd).

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/lib/common.sh" || exit 99

make_tmpdir
SH="$TEST_TMPDIR/sh"
start_smarthost "$SH" --listen plain:127.0.0.1:0 --listen starttls:127.0.0.1:0
port=$(smarthost_port "$SH" 0)
n=0       # client runs so far (result files c$n.json)
ns=0      # SMTP connections so far (= lines expected in sessions.log)
client() {  # client EXPECT_OK ARGS... ; result in $out
    local expect=$1
    shift
    n=$((n + 1))
    ns=$((ns + 1))
    out="$TEST_TMPDIR/c$n.json"
    if smtp_client --port "$port" "$@" >"$out"; then
        [ "$expect" = ok ] || fail "client $n unexpectedly succeeded: $(cat "$out")"
    else
        [ "$expect" = fail ] || fail "client $n failed: $(cat "$out")"
    fi
}

last_session() {  # last_session KEY: KEY of the latest session, once logged
    wait_for_sessions "$SH" "$ns"
    session_field "$SH" "$ns" "$1"
}

# 421 greeting: the client sees it, the server closes.
write_faults "$SH" '{"greeting": "421 4.3.2 go away"}'
client fail
assert_json "$out" greeting='[421, "4.3.2 go away"]' sent=0
assert_eq closed_421 "$(last_session end)" "end after 421 greeting"

# 554 greeting: every command but QUIT gets 503.
write_faults "$SH" '{"greeting": ["554-5.3.2 not here", "554 5.3.2 really not"]}'
client fail --no-send --command NOOP
assert_json "$out" greeting.0=554
client fail --helo --no-send --command NOOP
assert_json "$out" code=503 stage=ehlo

# Fault file changes are picked up by the next connection: none now.
clear_faults "$SH"
client ok
wait_for_count "$SH" 1

# An open connection keeps the faults it started with; a new one sees the
# change.
smtp_open "$port"
ns=$((ns + 1))
smtp_cmd "EHLO raw.test" 250
write_faults "$SH" '{"rcpt": "550 5.7.1 changed"}'
client fail
assert_json "$out" 'results.0.rcpt[rcpt@example.org].0=550'
smtp_cmd "MAIL FROM:<raw@example.org>" 250
smtp_cmd "RCPT TO:<raw@example.org>" 250
smtp_cmd "QUIT" 221
smtp_close

# Per-recipient replies: one refused, the other accepted and stored alone.
write_faults "$SH" '{"rcpt": {"Bad@Example.org": "550 5.1.1 no such user"}}'
client fail --to good@example.org --to bad@example.org
assert_json "$out" results.0.data_end.0=250 \
    'results.0.rcpt[bad@example.org]=[550, "5.1.1 no such user"]' \
    'results.0.rcpt[good@example.org]=[250, "2.1.5 OK"]'
wait_for_count "$SH" 2
assert_json "$SH/mail/0002.json" rcpt_tos='["good@example.org"]'

# A fault set while the server runs changes the very next connection.
write_faults "$SH" '{"rcpt": "451 4.3.0 try later"}'
client fail
assert_json "$out" 'results.0.rcpt[rcpt@example.org].0=451'

# MAIL per sender, and the reply to DATA itself.
write_faults "$SH" '{"mail": {"": "550 5.7.1 no bounces", "*": "452 4.3.1 full"}}'
client fail --from ""
assert_json "$out" results.0.mail.0=550
client fail --from someone@example.org
assert_json "$out" results.0.mail.0=452
write_faults "$SH" '{"data": "554 5.5.1 no valid recipients"}'
client fail
assert_json "$out" results.0.data.0=554 sent=0

# Reply after the final dot: non-2xx, nothing stored.
write_faults "$SH" '{"data_end": "452 4.3.1 out of storage"}'
client fail
assert_json "$out" results.0.data_end='[452, "4.3.1 out of storage"]'
assert_eq 1 "$(last_session rejected)" "rejected count"
assert_eq 2 "$(mail_count "$SH")" "stored after data_end 452"

# Drop after the final dot: no reply, nothing stored.
write_faults "$SH" '{"drop_after_data": true}'
client fail
assert_json "$out" stage=data_end sent=0 \
    error='SMTPServerDisconnected: Connection unexpectedly closed'
assert_eq dropped_after_data "$(last_session end)" "end after drop"
assert_eq 1 "$(last_session dropped)" "dropped count"
assert_eq 2 "$(mail_count "$SH")" "stored after drop"

# Drop when RCPT arrives.
write_faults "$SH" '{"drop_at": "rcpt"}'
client fail
assert_json "$out" stage=rcpt
assert_eq dropped_at_rcpt "$(last_session end)" "end after drop_at rcpt"

# Delay longer than the client's timeout: the client gives up at EHLO.
write_faults "$SH" '{"delay": {"ehlo": 1.5}}'
client fail --timeout 0.4
assert_json "$out" stage=ehlo
assert_contains "$(json_get "$out" error)" "timed out" "client error on delay"
# A delay within the timeout only slows things down.
write_faults "$SH" '{"delay": {"greeting": 0.3, "data_end": 0.3}}'
start=$(date +%s%N)
client ok
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -ge 600 ] || fail "delays not applied (${elapsed} ms)"
wait_for_count "$SH" 3

# EHLO shaping: hidden and added extensions, SIZE, strict parameters.
write_faults "$SH" '{"hide": ["PIPELINING", "8BITMIME", "SMTPUTF8"], "advertise": ["DSN"], "size": 1000, "no_starttls": true}'
port_starttls=$(smarthost_port "$SH" 1)
n=$((n + 1))
ns=$((ns + 1))
out="$TEST_TMPDIR/c$n.json"
smtp_client --port "$port_starttls" --no-send --command STARTTLS >"$out" ||
    fail "EHLO shaping client failed: $(cat "$out")"
assert_json "$out" features.pipelining='<missing>' features.8bitmime='<missing>' \
    features.smtputf8='<missing>' features.starttls='<missing>' \
    features.dsn= features.size=1000 commands.0.1=502
client fail --mail-option BODY=8BITMIME
assert_json "$out" results.0.mail.0=555
client fail --mail-option SIZE=5000
assert_json "$out" results.0.mail.0=552
client ok --mail-option RET=HDRS --mail-option ENVID=Q1 \
    --rcpt-option NOTIFY=SUCCESS,FAILURE --rcpt-option 'ORCPT=rfc822;Rcpt@Example.org'
wait_for_count "$SH" 4
assert_json "$SH/mail/0004.json" mail_options='["RET=HDRS", "ENVID=Q1"]' \
    rcpt_options='[["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Rcpt@Example.org"]]'
# Without DSN advertised, DSN parameters are refused.
clear_faults "$SH"
client fail --mail-option RET=FULL
assert_json "$out" results.0.mail.0=555

# max_messages closes the session with 421; max_rcpts gives 452.
write_faults "$SH" '{"max_messages": 1, "max_rcpts": 1}'
client fail --count 2 --to a@example.org --to b@example.org
assert_json "$out" sent=1 results.1.mail.0=421 \
    'results.0.rcpt[b@example.org]=[452, "4.5.3 Too many recipients"]'
wait_for_count "$SH" 5
assert_json "$SH/mail/0005.json" rcpt_tos='["a@example.org"]'

# An invalid fault file is ignored (and logged).
write_faults "$SH" '{"greeting": "421 broken'
client ok
assert_file_contains "$SH/smarthost.log" "not valid JSON" "log of a bad fault file"
wait_for_count "$SH" 6
assert_eq "$ns" "$(session_count "$SH")" "one sessions.log line per connection"
exit 0
