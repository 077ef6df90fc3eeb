#!/bin/bash
# spool-full.sh - a full spool file system loses nothing. The spool is a
# small tmpfs, mounted in a private mount namespace (so it needs root):
#   - a message that does not fit: sendmail exits 75 (EX_TEMPFAIL), says
#     "No space left on device" and "nothing was queued", and leaves no
#     temporary file behind; a small one still queues;
#   - when the worker cannot copy an entry into queue/, the entry stays in
#     incoming/, no temporary file is left in queue/, nothing is sent;
#   - once there is room again, the next pass delivers every message
#     exactly once, and a running worker retries a failed copy within
#     seconds, not at the next rescan.
if [ -z "${POSTERN_MOUNT_NS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "spool-full: SKIP: needs root" >&2; exit 77; }
    unshare --mount --propagation private true 2>/dev/null ||
        { echo "spool-full: SKIP: cannot create a mount namespace" >&2; exit 77; }
    POSTERN_MOUNT_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup
mount -t tmpfs -o size=128k,mode=0755 tmpfs "$SPOOL" ||
    skip "cannot mount a tmpfs in the mount namespace"
trap 'rc=$?; umount "$SPOOL" 2>/dev/null; (exit $rc); _cleanup' EXIT
mkdir "$SPOOL/incoming" "$SPOOL/queue" "$SPOOL/public"

# 1. Too big for the spool: a clear temporary failure, nothing left over.
head -c 200000 /dev/urandom | base64 -w 76 | sed '1i Subject: too big\n' >"$TEST_TMPDIR/big"
rc=0
"$POSTERN_BIN/sendmail" -i big@example.org <"$TEST_TMPDIR/big" 2>"$TEST_TMPDIR/err" || rc=$?
[ "$rc" = 75 ] || fail "sendmail exited $rc on a full spool, expected 75"
grep -q "No space left on device" "$TEST_TMPDIR/err" || fail "no ENOSPC reason: $(cat "$TEST_TMPDIR/err")"
grep -q "nothing was queued" "$TEST_TMPDIR/err" || fail "does not say nothing was queued"
[ -z "$(ls -A "$SPOOL/incoming")" ] || fail "left in incoming: $(ls -A "$SPOOL/incoming")"

# 2. Two that fit (the first takes about a third of the spool).
head -c 30000 /dev/urandom | base64 -w 76 | sed '1i Subject: medium\n' >"$TEST_TMPDIR/medium"
send_mail -i medium@example.org <"$TEST_TMPDIR/medium"
printf 'Subject: small\n\nsmall one\n' | send_mail -i small@example.org
[ "$(ls "$SPOOL/incoming" | wc -l)" = 2 ] || fail "expected 2 entries in incoming"

# 3. Fill the rest: the worker cannot copy them into queue/, and keeps them.
dd if=/dev/zero of="$SPOOL/filler" bs=4k 2>/dev/null
run_worker
log_has "cannot copy into the queue: No space left on device"
[ "$(ls "$SPOOL/incoming" | wc -l)" = 2 ] || fail "incoming lost entries: $(ls -A "$SPOOL/incoming")"
[ -z "$(ls "$SPOOL/queue" | grep '\.tmp$')" ] || fail "temporary files left in queue/"
[ "$(mail_count "$SH")" = 0 ] || fail "something was sent without being queued"

# 4. Room again: the next pass delivers both, once each.
rm -f "$SPOOL/filler"
run_worker
wait_for_count "$SH" 2
[ -z "$(ls -A "$SPOOL/incoming")" ] || fail "incoming not empty: $(ls -A "$SPOOL/incoming")"
[ "$(queue_count)" = 0 ] || fail "queue not empty"
grep -l '"medium@example.org"' "$SH"/mail/*.json >/dev/null || fail "medium message not delivered"
grep -l '"small@example.org"' "$SH"/mail/*.json >/dev/null || fail "small message not delivered"
sleep 1
[ "$(mail_count "$SH")" = 2 ] || fail "expected exactly 2 deliveries, got $(mail_count "$SH")"

# 5. The running worker retries a failed copy within seconds once there
#    is room, without a new message or the rescan (minutes) to wake it.
printf 'Subject: later\n\nlater one\n' | send_mail -i later@example.org
dd if=/dev/zero of="$SPOOL/filler" bs=4k 2>/dev/null
failed_before=$(grep -c 'cannot copy into the queue' "$WLOG")
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
WORKER_PID=$!
track_pid "$WORKER_PID"
for _ in $(seq 100); do
    [ "$(grep -c 'cannot copy into the queue' "$WLOG")" -gt "$failed_before" ] && break
    sleep 0.1
done
[ "$(grep -c 'cannot copy into the queue' "$WLOG")" -gt "$failed_before" ] ||
    fail "the running worker did not meet the full spool"
rm -f "$SPOOL/filler"
t0=$SECONDS
wait_for_count "$SH" 3 15
note "a copy that failed on a full spool was retried $((SECONDS - t0)) s after room returned"
kill -TERM "$WORKER_PID"
exit 0
