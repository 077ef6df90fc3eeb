#!/bin/bash
# worker-deliver.sh - the main job end to end: sendmail -t queues through
# the spool writer, posternd --once picks the entry up and delivers it to
# the smarthost over STARTTLS, logs Postfix-style lines, and leaves the
# queue empty. Several messages share one reused SMTP session.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup
PORT=$(smarthost_port "$SH" 0)

printf 'To: Bob <bob@example.org>\nCc: carol@example.net\nSubject: hello\n\nfirst line\n.dot line\n' |
    send_mail -t -i
[ "$(ls "$SPOOL/incoming" | wc -l)" = 1 ] || fail "nothing in incoming/"
run_worker
wait_for_count "$SH" 1
M=$SH/mail/0001
assert_json "$M.json" "mail_from=$(id -un)@example.com" tls=true starttls=true
grep -q '"bob@example.org"' "$M.json" || fail "bob missing from the envelope"
grep -q '"carol@example.net"' "$M.json" || fail "carol missing from the envelope"
grep -q $'^\\.dot line\r$' "$M.eml" || fail "dot line not delivered intact"
QID=$(grep -oE '^[^ ]+ posternd\[[0-9]+\]: [0-9A-F]{17}: uid=' "$WLOG" | grep -oE '[0-9A-F]{17}')
[ -n "$QID" ] || fail "no pickup line: $(cat "$WLOG")"
log_has "$QID: uid=$(id -u) from=<$(id -un)@example.com> size=[0-9]+ nrcpt=2\$"
log_has "$QID: to=<bob@example.org> relay=localhost\[127\.0\.0\.1\]:$PORT tls=TLSv1\.[23] delay=[0-9.]+ dsn=2\.0\.0 status=sent \(250 "
log_has "$QID: to=<carol@example.net> relay=localhost\[127\.0\.0\.1\]:$PORT .* status=sent \(250 "
log_has "$QID: removed\$"
log_has "connected to localhost\[127\.0\.0\.1\]:$PORT \(starttls\) tls=TLSv1\.[23] cipher=[A-Z0-9_-]+ peer=\".*CN ?= ?localhost.*\" verify=ok\$"
[ "$(queue_count)" = 0 ] || fail "queue not empty after delivery"
[ -z "$(ls "$SPOOL/incoming")" ] || fail "incoming/ not empty"
"$POSTERN_BIN/postern" queue >"$TEST_TMPDIR/q" || fail "postern queue failed"
grep -qx "Mail queue is empty" "$TEST_TMPDIR/q" || fail "listing: $(cat "$TEST_TMPDIR/q")"

# Ten messages queued while no worker runs go out over one session.
for i in $(seq 1 10); do
    printf 'Subject: batch %s\n\nbody %s\n' "$i" "$i" | send_mail -i "r$i@example.org"
done
"$POSTERN_BIN/sendmail" -bp >"$TEST_TMPDIR/q" || fail "sendmail -bp failed"
[ "$(grep -c 'waiting for pickup' "$TEST_TMPDIR/q")" = 10 ] ||
    fail "mailq does not list 10 waiting entries: $(cat "$TEST_TMPDIR/q")"
grep -qE -- "^-- [0-9]+ Kbytes in 10 Requests\.$" "$TEST_TMPDIR/q" || fail "mailq summary: $(tail -n 1 "$TEST_TMPDIR/q")"
before=$(session_count "$SH")
run_worker
wait_for_count "$SH" 11
wait_for_sessions "$SH" $((before + 1))
sessions=$(( $(session_count "$SH") - before ))
[ "$sessions" -le 2 ] || fail "10 messages took $sessions sessions (concurrency is 2)"
[ "$(queue_count)" = 0 ] || fail "queue not empty after the batch"
for i in $(seq 1 10); do
    grep -lq "\"r$i@example.org\"" "$SH"/mail/*.json || fail "r$i not delivered"
done

# -odi with no worker running: queued, and it says why it cannot wait.
printf 'Subject: odi\n\nbody\n' | send_mail -i -odi late@example.org
grep -q "queued; posternd is not running" "$TEST_TMPDIR/sendmail.err" ||
    fail "-odi without a worker: $(cat "$TEST_TMPDIR/sendmail.err")"
grep -qx "report yes" "$SPOOL"/incoming/* || fail "-odi entry lacks the report flag"
exit 0
