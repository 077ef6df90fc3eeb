#!/bin/bash
# worker-retry.sh - per-recipient outcomes and what follows from them:
# a 250 is never sent again, a 4xx is retried with backoff, a 5xx bounces
# that recipient only with an RFC 3464 DSN to the sender, a message past
# its lifetime bounces, and null-sender mail is never bounced (its
# failure goes to the postmaster alias, whose own failure is kept as a
# dead letter).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

CONF_EXTRA='alias postmaster { to = {"pm@example.org"} }' worker_test_setup
sed -i 's/min_backoff = "1s"/min_backoff = "1m"/; s/max_backoff = "2s"/max_backoff = "1h"/' "$POSTERN_CONFIG"
write_faults "$SH" '{"rcpt": {"temp@example.org": "451 4.2.0 Mailbox busy",
                             "gone@example.org": "550 5.1.1 No such user"}}'

printf 'Subject: mixed\nMessage-ID: <mixed@example.com>\n\nbody\n' |
    send_mail -i -f sender@example.com ok@example.org temp@example.org gone@example.org
run_worker
wait_for_count "$SH" 2
QID=$(ls "$SPOOL/queue" | grep -E '^[0-9A-F]{17}$')
[ "$(echo "$QID" | wc -w)" = 1 ] || fail "expected one entry left, have: $QID"
log_has "$QID: to=<ok@example.org> .* dsn=2\.0\.0 status=sent \(250 "
log_has "$QID: to=<temp@example.org> .* dsn=4\.2\.0 status=deferred \(451 4\.2\.0 Mailbox busy\)"
log_has "$QID: to=<gone@example.org> .* dsn=5\.1\.1 status=bounced \(550 5\.1\.1 No such user\)"
log_has "$QID: sender notification: [0-9A-F]{17}\$"
ST=$SPOOL/queue/$QID.state
grep -qx "rcpt 0 sent 250 .*" "$ST" || fail "ok not recorded as sent: $(cat "$ST")"
grep -qx "rcpt 1 pending 451 4.2.0 Mailbox busy" "$ST" || fail "temp not pending: $(cat "$ST")"
grep -qx "rcpt 2 bounced 550 5.1.1 No such user" "$ST" || fail "gone not bounced: $(cat "$ST")"
grep -qx "attempts 1" "$ST" || fail "attempts not counted"

# The bounce went to the sender with the null sender, as a DSN.
B=$(grep -l '"mail_from": ""' "$SH"/mail/*.json) || fail "no null-sender bounce delivered"
grep -q '"sender@example.com"' "$B" || fail "bounce not addressed to the sender"
E=${B%.json}.eml
grep -q '^Content-Type: multipart/report; report-type=delivery-status;' "$E" || fail "not a DSN"
grep -q '^Auto-Submitted: auto-replied' "$E" || fail "no Auto-Submitted"
grep -q '^Final-Recipient: rfc822; gone@example.org' "$E" || fail "no Final-Recipient"
grep -q '^Action: failed' "$E" || fail "no Action: failed"
grep -q '^Status: 5\.1\.1' "$E" || fail "no Status 5.1.1"
grep -q '^Diagnostic-Code: smtp; 550 5\.1\.1 No such user' "$E" || fail "no Diagnostic-Code"
grep -q '^Message-ID: <mixed@example.com>' "$E" || fail "original headers not attached"
! grep -q 'ok@example.org\|temp@example.org' "$E" || fail "the DSN names recipients that did not fail"

# Not due yet (backoff of a minute): a pass now sends nothing. "postern
# retry" makes it due; only the deferred recipient is tried, and succeeds.
clear_faults "$SH"
run_worker
[ "$(mail_count "$SH")" = 2 ] || fail "an entry was retried before its backoff"
next=$(sed -n 's/^next //p' "$ST")
[ "$next" -ge $(( $(date +%s) + 40 )) ] || fail "next attempt $next is not about a minute away"
"$POSTERN_BIN/postern" retry "$QID" >/dev/null || fail "postern retry failed"
run_worker
wait_for_count "$SH" 3
last=$(ls "$SH"/mail/*.json | tail -n 1)
tr -d ' \n' <"$last" | grep -q '"rcpt_tos":\["temp@example.org"\]' || fail "retry did not carry only the deferred recipient: $(cat "$last")"
[ "$(grep -l '"ok@example.org"' "$SH"/mail/*.json | wc -l)" = 1 ] || fail "ok@example.org was sent twice"
[ "$(queue_count)" = 0 ] || fail "entry not removed after the retry"

# Lifetime: always 451, lifetime 3s; the flush after it bounces.
write_faults "$SH" '{"rcpt": "451 4.3.0 Try later"}'
n=$(mail_count "$SH")
sed -i 's/^queue {/queue {\n    lifetime = "3s"/' "$POSTERN_CONFIG"
printf 'Subject: slow\n\nbody\n' | send_mail -i -f sender@example.com late@example.org
run_worker
[ "$(queue_count)" = 1 ] || fail "deferred entry missing"
clear_faults "$SH"
write_faults "$SH" '{"rcpt": {"late@example.org": "451 4.3.0 Try later"}}'
sleep 3.2
run_worker --flush
log_has "to=<late@example.org> .* status=bounced \(delivery time expired after 2 attempts; last error: 451 4\.3\.0 Try later\)"
wait_for_count "$SH" $((n + 1))
grep -l '"mail_from": ""' "$SH"/mail/*.json | xargs grep -l '"sender@example.com"' | wc -l |
    grep -qx 2 || fail "no bounce for the expired message"
[ "$(queue_count)" = 0 ] || fail "expired entry still queued"
sed -i '/lifetime = "3s"/d' "$POSTERN_CONFIG"

# Null sender: never bounced; the postmaster gets a copy.
write_faults "$SH" '{"rcpt": {"gone@example.org": "550 5.1.1 No such user"}}'
n=$(mail_count "$SH")
printf 'Subject: from nobody\n\nbody\n' | send_mail -i -f '<>' gone@example.org
run_worker
wait_for_count "$SH" $((n + 1))
last=$(ls "$SH"/mail/*.json | tail -n 1)
grep -q '"pm@example.org"' "$last" || fail "postmaster copy not sent: $(cat "$last")"
grep -q '^Subject: Postmaster Copy: Undelivered Mail' "${last%.json}.eml" || fail "not a postmaster copy"
log_has "postmaster notification: [0-9A-F]{17}\$"

# A postmaster copy that fails is kept as a dead letter: no loop.
write_faults "$SH" '{"rcpt": {"gone@example.org": "550 5.1.1 No such user", "pm@example.org": "550 5.1.1 No postmaster"}}'
n=$(mail_count "$SH")
printf 'Subject: loop\n\nbody\n' | send_mail -i -f '<>' gone@example.org
run_worker
run_worker --flush
log_has "kept as a dead letter in queue/deadletter: undeliverable notification to the postmaster"
[ "$(mail_count "$SH")" = "$n" ] || fail "something was delivered in the loop case"
[ "$(queue_count)" = 0 ] || fail "loop case left entries: $(ls "$SPOOL/queue")"

# A local sender's bounce follows the aliases; a delay warning goes out
# once when delay_warning is set.
sed -i 's/^queue {/queue {\n    delay_warning = "1s"/' "$POSTERN_CONFIG"
printf 'alias www-data { to = {"webmaster@example.org"} }\n' >>"$POSTERN_CONFIG"
write_faults "$SH" '{"rcpt": {"slow@example.org": "451 4.3.0 Try later", "gone@example.org": "550 5.1.1 No such user"}}'
n=$(mail_count "$SH")
printf 'Subject: web\n\nbody\n' | send_mail -i -f www-data slow@example.org gone@example.org
run_worker
wait_for_count "$SH" $((n + 1))
sleep 1.2
run_worker --flush
wait_for_count "$SH" $((n + 2))
grep -l '"webmaster@example.org"' "$SH"/mail/*.json >"$TEST_TMPDIR/to-webmaster" || fail "no notice reached the alias"
[ "$(wc -l <"$TEST_TMPDIR/to-webmaster")" = 2 ] || fail "expected a bounce and a delay warning for webmaster"
cat $(sed 's/\.json$/.eml/' "$TEST_TMPDIR/to-webmaster") >"$TEST_TMPDIR/notices"
grep -q '^Subject: Undelivered Mail Returned to Sender' "$TEST_TMPDIR/notices" || fail "no bounce"
grep -q '^Subject: Delayed Mail (still being retried)' "$TEST_TMPDIR/notices" || fail "no delay warning"
grep -q '^Action: delayed' "$TEST_TMPDIR/notices" || fail "warning lacks Action: delayed"
grep -q '^Final-Recipient: rfc822; slow@example.org' "$TEST_TMPDIR/notices" || fail "warning names the wrong recipient"
run_worker --flush
[ "$(grep -l 'Delayed Mail' "$SH"/mail/*.eml | wc -l)" = 1 ] || fail "the delay warning was sent twice"
exit 0
