#!/bin/bash
# disk-full.sh - a spool on a small tmpfs fills up while the worker runs
# and the smarthost defers everything: sendmail answers 75 with the
# reason and leaves nothing partial, the worker keeps every message it
# accepted, and once there is room and the smarthost takes mail again
# every accepted message is delivered exactly once, within seconds.
# Needs root (a private mount namespace for the tmpfs).
if [ -z "${POSTERN_MOUNT_NS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "disk-full: SKIP: needs root" >&2; exit 77; }
    unshare --mount --propagation private true 2>/dev/null ||
        { echo "disk-full: SKIP: cannot create a mount namespace" >&2; exit 77; }
    POSTERN_MOUNT_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/reliability/lib.sh"

worker_test_setup
mount -t tmpfs -o size=640k,mode=0755 tmpfs "$SPOOL" ||
    skip "cannot mount a tmpfs in the mount namespace"
trap 'rc=$?; umount "$SPOOL" 2>/dev/null; (exit $rc); _cleanup' EXIT
mkdir "$SPOOL/incoming" "$SPOOL/queue" "$SPOOL/public"
write_faults "$SH" '{"rcpt": "451 4.3.0 Try again later"}'
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"

# Fill: 12 KB messages until sendmail says the spool is full.
head -c 9000 /dev/urandom | base64 -w 76 >"$TEST_TMPDIR/body"
accepted=0 refused=0
for ((i = 1; i <= 200 && refused < 5; i++)); do
    rc=0
    { printf 'Subject: full %d\n\n' "$i"; cat "$TEST_TMPDIR/body"; } |
        "$POSTERN_BIN/sendmail" -i b@example.org 2>"$TEST_TMPDIR/err" || rc=$?
    case $rc in
    0) accepted=$((accepted + 1)); echo "full $i" >>"$TEST_TMPDIR/accepted" ;;
    75) refused=$((refused + 1))
        grep -q "No space left on device" "$TEST_TMPDIR/err" ||
            fail "exit 75 without the reason: $(cat "$TEST_TMPDIR/err")" ;;
    *) fail "sendmail exited $rc: $(cat "$TEST_TMPDIR/err")" ;;
    esac
done
[ "$refused" -gt 0 ] || fail "the spool never filled"
figure accepted "$accepted" "messages before the spool was full"
figure refused "$refused" "with exit 75 and \"No space left on device\""
left=$(find "$SPOOL" -name 't*' -o -name '*.tmp' | wc -l)
figure partial "$left" "temporary files left"
[ "$left" = 0 ] || fail "partial files: $(find "$SPOOL" -name 't*' -o -name '*.tmp')"
held=$(( $(queue_count) + $(ls "$SPOOL/incoming" | wc -l) ))
[ "$held" -ge "$accepted" ] || fail "the spool holds $held entries for $accepted accepted"

# Room again, and a smarthost that takes mail: recovery is timed.
mount -o remount,size=16m "$SPOOL" || fail "cannot grow the tmpfs"
clear_faults "$SH"
"$POSTERN_BIN/sendmail" -q 2>/dev/null
t0=$(date +%s.%N)
for ((i = 0; i < 600; i++)); do
    [ "$(mail_count "$SH")" -ge "$accepted" ] && break
    sleep 0.1
done
recovery=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
sleep 1
kill -TERM "$DPID"
wait "$DPID"
subject_counts "$SH" >"$TEST_TMPDIR/counts"
distinct=$(wc -l <"$TEST_TMPDIR/counts")
received=$(mail_count "$SH")
figure recovery "$recovery" "s until every accepted message was delivered"
figure lost $((accepted - distinct))
figure duplicates $((received - distinct))
figure time "$(elapsed)" s
[ "$distinct" = "$accepted" ] || fail "$((accepted - distinct)) accepted messages lost"
[ "$received" = "$distinct" ] || fail "$((received - distinct)) duplicates"
awk -v r="$recovery" 'BEGIN { exit !(r < 30) }' || fail "recovery took $recovery s"
