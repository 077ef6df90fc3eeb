#!/bin/bash
# worker-crash.sh - SIGKILL the delivering worker again and again: 1,000
# messages are queued, posternd is killed at random moments at least 20
# times while it delivers and restarted each time, and every message
# must reach the smarthost. Prints lost (must be 0) and duplicates, and
# for each duplicate the SIGKILL that fell between the smarthost's 250
# and postern's record of it (crash_report.py).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/reliability/lib.sh"

MESSAGES=${RELIABILITY_MESSAGES:-1000}
KILLS=${RELIABILITY_KILLS:-20}
QUEUE_EXTRA='concurrency = 4' worker_test_setup
# a few milliseconds per message, so that kills land mid-delivery
write_faults "$SH" '{"delay": {"data_end": 0.02}}'
sed -i 's/idle_timeout = "0s"/idle_timeout = "5s"/' "$POSTERN_CONFIG"

# queue them 8 at a time (the sanitizer build starts slowly)
queue_one() {
    printf 'Subject: crash %d\n\nmessage %d of the crash run\n' "$1" "$1" |
        "$POSTERN_BIN/sendmail" -i "rcpt$(($1 % 7))@example.org" ||
        echo "sendmail $1 exited $?" >>"$TEST_TMPDIR/queue-failures"
}
pids=()
for ((i = 1; i <= MESSAGES; i++)); do
    queue_one "$i" &
    pids+=($!)
    if [ "${#pids[@]}" = 8 ]; then wait "${pids[@]}"; pids=(); fi
done
[ "${#pids[@]}" = 0 ] || wait "${pids[@]}"	# never a bare wait: the smarthost is a job too
[ ! -s "$TEST_TMPDIR/queue-failures" ] || fail "$(head -n 3 "$TEST_TMPDIR/queue-failures")"
figure queued "$MESSAGES" "messages in $(elapsed) s"

start_daemon() {
    "$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
    DPID=$!
    track_pid "$DPID"
}
: >"$TEST_TMPDIR/kills"
start_daemon
kills=0
while [ "$kills" -lt "$KILLS" ]; do
    sleep "0.$((RANDOM % 200 + 50))"
    received=$(mail_count "$SH")
    [ "$received" -ge "$MESSAGES" ] && break
    kill -KILL "$DPID" 2>/dev/null && date +%s.%N >>"$TEST_TMPDIR/kills"
    wait "$DPID" 2>/dev/null
    kills=$((kills + 1))
    start_daemon
done
[ "$kills" -ge "$KILLS" ] ||
    fail "delivery finished after $kills kills; slow it down to reach $KILLS"
# let the last worker finish the queue
for ((i = 0; i < 1200; i++)); do
    [ "$(queue_count)" = 0 ] && [ -z "$(ls -A "$SPOOL/incoming")" ] && break
    sleep 0.1
done
kill -TERM "$DPID"
wait "$DPID"
figure sigkills "$kills"
"$PYTHON3" "$TESTS_DIR/reliability/crash_report.py" "$SH" "$TEST_TMPDIR/kills" \
    "$MESSAGES" "$WLOG" >"$TEST_TMPDIR/report" || rc=$?
sed "s/^/$TEST_NAME: /" "$TEST_TMPDIR/report"
figure lost "$(sed -n 's/^lost = //p' "$TEST_TMPDIR/report")"
figure duplicates "$(sed -n 's/^duplicates = //p' "$TEST_TMPDIR/report")"
figure time "$(elapsed)" s
[ "${rc:-0}" = 0 ] || fail "messages lost, or a duplicate without a SIGKILL in its window"
[ "$(queue_count)" = 0 ] || fail "$(queue_count) entries left in the queue"
