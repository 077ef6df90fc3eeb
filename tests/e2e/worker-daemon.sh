#!/bin/bash
# worker-daemon.sh - posternd as a daemon: one instance per spool, new
# mail noticed at once (inotify), flush/hold/release/show/delete from the
# admin CLI, the mailq listing published through the FIFO, SIGHUP
# reloading the smarthost for mail already queued, and SIGTERM ending it
# promptly without losing the queue.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup --listen starttls:127.0.0.1:0 --listen starttls:127.0.0.1:0
sed -i 's/min_backoff = "1s"/min_backoff = "1h"/; s/max_backoff = "2s"/max_backoff = "2h"/' "$POSTERN_CONFIG"
P1=$(smarthost_port "$SH" 0)
P2=$(smarthost_port "$SH" 1)
pm=$POSTERN_BIN/postern

"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"
wait_for_log "started on"
log_has "started on $SPOOL with 2 delivery threads \(8 while a backlog is due\)\$"

"$POSTERN_BIN/posternd" --stderr >"$TEST_TMPDIR/second" 2>&1
rc=$?
[ "$rc" = 75 ] || fail "second instance exited $rc, expected 75"
grep -q "another posternd (pid $DPID) is running" "$TEST_TMPDIR/second" ||
    fail "second instance: $(cat "$TEST_TMPDIR/second")"

# New mail goes out at once: inotify, not the 5-minute rescan.
printf 'Subject: now\n\nbody\n' | send_mail -i fast@example.org
wait_for_count "$SH" 1 5

# postern status: healthy, with the last delivery; Prometheus metrics.
for _ in $(seq 100); do	# the worker publishes its status about once a second
    grep -q "fast@example.org" "$SPOOL/public/status" 2>/dev/null && break
    sleep 0.1
done
"$pm" status >"$TEST_TMPDIR/st" || fail "status not healthy: $(cat "$TEST_TMPDIR/st")"
grep -q "^worker: *running (pid $DPID)" "$TEST_TMPDIR/st" || fail "status: $(cat "$TEST_TMPDIR/st")"
grep -q "^last sent: .*to=<fast@example.org>" "$TEST_TMPDIR/st" || fail "status lacks the last delivery"
grep -q "^status: *healthy" "$TEST_TMPDIR/st" || fail "status: $(cat "$TEST_TMPDIR/st")"
"$pm" status --prometheus >"$TEST_TMPDIR/prom" || fail "status --prometheus"
grep -qx "postern_up 1" "$TEST_TMPDIR/prom" || fail "metrics: $(cat "$TEST_TMPDIR/prom")"
grep -qx "postern_queue_messages 0" "$TEST_TMPDIR/prom" || fail "metrics lack the queue size"
grep -qx 'postern_recipients_total{status="sent"} 1' "$TEST_TMPDIR/prom" || fail "metrics lack the sent count"
grep -q "^# TYPE postern_healthy gauge" "$TEST_TMPDIR/prom" || fail "metrics lack TYPE lines"

# sendmail -odi waits for the first attempt and reports it.
printf 'Subject: odi\n\nbody\n' | send_mail -i -odi odi@example.org
grep -qE "sendmail: [0-9A-F]{17}: to=<odi@example.org> status=sent \(250 " "$TEST_TMPDIR/sendmail.err" ||
    fail "-odi did not report the delivery: $(cat "$TEST_TMPDIR/sendmail.err")"
wait_for_count "$SH" 2 5
write_faults "$SH" '{"rcpt": "451 4.3.0 Try later"}'
printf 'Subject: odi2\n\nbody\n' | send_mail -i -odi odi2@example.org
grep -qE "to=<odi2@example.org> status=deferred \(451 4\.3\.0 Try later\)" "$TEST_TMPDIR/sendmail.err" ||
    fail "-odi did not report the deferral: $(cat "$TEST_TMPDIR/sendmail.err")"
"$pm" delete --all >/dev/null || fail "delete --all"
[ "$(queue_count)" = 0 ] || fail "delete --all left entries"
clear_faults "$SH"

# A deferred message can be held, flushed (stays held), shown, released.
write_faults "$SH" '{"rcpt": "451 4.3.0 Try later"}'
printf 'Subject: held one\nX-Tag: t1\n\nsecret body\n' | send_mail -i slow@example.org
wait_for_log "to=<slow@example.org> .*status=deferred"
log_has "to=<slow@example.org> .* status=deferred \(451 4\.3\.0 Try later\)"
QID=$(ls "$SPOOL/queue" | grep -E '^[0-9A-F]{17}$')
"$pm" hold "$QID" | grep -qx "$QID: held" || fail "hold"
"$pm" queue >"$TEST_TMPDIR/q"
grep -q "^$QID! " "$TEST_TMPDIR/q" || fail "held mark missing: $(cat "$TEST_TMPDIR/q")"
grep -q "451 4.3.0 Try later" "$TEST_TMPDIR/q" || fail "reason missing from the listing"
grep -q "slow@example.org" "$TEST_TMPDIR/q" || fail "recipient missing from the listing"
! grep -q "secret body" "$TEST_TMPDIR/q" || fail "listing shows the body"
"$pm" show "$QID" >"$TEST_TMPDIR/show" || fail "show"
grep -q "^X-Tag: t1" "$TEST_TMPDIR/show" || fail "show lacks headers"
grep -q "^recipient: <slow@example.org> pending: 451" "$TEST_TMPDIR/show" || fail "show lacks state"
! grep -q "secret body" "$TEST_TMPDIR/show" || fail "show prints the body"
clear_faults "$SH"
"$POSTERN_BIN/sendmail" -q >/dev/null || fail "sendmail -q"
sleep 1
[ "$(mail_count "$SH")" = 2 ] || fail "a held message was delivered"
"$pm" release "$QID" | grep -qx "$QID: released" || fail "release"
wait_for_count "$SH" 3 5

# The published listing (what an unprivileged mailq reads).
printf L >"$SPOOL/public/flush"
wait_for_file "$SPOOL/public/listing"
[ "$(stat -c %a "$SPOOL/public/listing")" = 644 ] || fail "listing mode"
[ "$(stat -c %a "$SPOOL/public/flush")" = 622 ] || fail "FIFO mode"

# SIGHUP: queued mail uses the new smarthost port.
write_faults "$SH" '{"rcpt": "451 4.3.0 Try later"}'
printf 'Subject: moved\n\nbody\n' | send_mail -i moved@example.org
wait_for_log "to=<moved@example.org> .*status=deferred"
clear_faults "$SH"
sed -i "s|\"$P1/starttls\"|\"$P2/starttls\"|" "$POSTERN_CONFIG"
kill -HUP "$DPID"
wait_for_log "reloaded"
"$pm" flush >/dev/null || fail "postern flush"
wait_for_count "$SH" 4 5
last=$(ls "$SH"/mail/*.json | tail -n 1)
grep -q '"moved@example.org"' "$last" || fail "moved not delivered last"
assert_json "$last" "listen_port=$P2"

# delete
write_faults "$SH" '{"rcpt": "451 4.3.0 Try later"}'
printf 'Subject: doomed\n\nbody\n' | send_mail -i doomed@example.org
wait_for_log "to=<doomed@example.org> .*status=deferred"
QID=$(ls "$SPOOL/queue" | grep -E '^[0-9A-F]{17}$')
"$pm" delete "$QID" | grep -qx "$QID: deleted" || fail "delete"
[ "$(queue_count)" = 0 ] || fail "deleted entry still there"
"$pm" show "$QID" 2>/dev/null; [ $? = 66 ] || fail "show of a deleted entry should exit 66"

# SIGTERM: prompt exit, queue intact.
printf 'Subject: stays\n\nbody\n' | send_mail -i stays@example.org
wait_for_log "to=<stays@example.org> .*status=deferred"
kill -TERM "$DPID"
for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$DPID" 2>/dev/null || fail "posternd still running 10 s after SIGTERM"
wait "$DPID"; rc=$?
[ "$rc" = 0 ] || fail "posternd exited $rc after SIGTERM"
log_has "stopped\$"
"$pm" status >"$TEST_TMPDIR/st"
rc=$?
[ "$rc" = 1 ] || fail "status with the worker stopped exited $rc, expected 1"
grep -q "^worker: *NOT running" "$TEST_TMPDIR/st" || fail "status: $(cat "$TEST_TMPDIR/st")"
grep -q "^queue: *1 message, 1 deferred" "$TEST_TMPDIR/st" || fail "status: $(cat "$TEST_TMPDIR/st")"
[ "$(queue_count)" = 1 ] || fail "the deferred entry was lost at shutdown"
exit 0
