#!/bin/bash
# worker-stop.sh - SIGTERM while a transaction is in flight: posternd
# exits within its grace period, and nothing is lost: the message is
# either recorded as delivered or still queued, and a later run delivers
# what is left. A connection dropped after DATA is retried, not lost.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup

# The final dot is answered after 3 s; SIGTERM arrives meanwhile.
write_faults "$SH" '{"delay": {"data_end": 3}}'
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"
printf 'Subject: in flight\n\nbody\n' | send_mail -i inflight@example.org
wait_for_log "connected to"
sleep 0.5
t0=$(date +%s)
kill -TERM "$DPID"
wait "$DPID"
rc=$?
t1=$(date +%s)
[ "$rc" = 0 ] || fail "posternd exited $rc on SIGTERM"
[ $((t1 - t0)) -le 12 ] || fail "posternd took $((t1 - t0)) s to stop"
clear_faults "$SH"
run_worker
[ "$(queue_count)" = 0 ] || fail "the message is still queued after a clean run"
wait_for_count "$SH" 1
grep -q '"inflight@example.org"' "$SH"/mail/0001.json || fail "in-flight message lost"
log_has "to=<inflight@example.org> .*status=sent"

# The server drops the connection after the final dot: deferred, then sent.
write_faults "$SH" '{"drop_after_data": true}'
printf 'Subject: dropped\n\nbody\n' | send_mail -i dropped@example.org
run_worker
log_has "to=<dropped@example.org> .*status=deferred"
[ "$(queue_count)" = 1 ] || fail "the dropped message is not queued"
clear_faults "$SH"
run_worker --flush
log_has "to=<dropped@example.org> .*status=sent"
[ "$(queue_count)" = 0 ] || fail "the dropped message was not delivered on retry"
exit 0
