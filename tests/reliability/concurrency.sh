#!/bin/bash
# concurrency.sh - 50 submitters at once, as two unprivileged users
# (nobody and daemon) through the real set-gid writer, 2,000 messages
# while the worker delivers: every sendmail exits 0 and every message
# reaches the smarthost exactly once. Needs root (set-gid install).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/lib/setgid.sh"
. "$TESTS_DIR/reliability/lib.sh"

SUBMITTERS=${RELIABILITY_SUBMITTERS:-50}
EACH=${RELIABILITY_EACH:-40}
setgid_install
sed -i 's/idle_timeout = "0s"/idle_timeout = "5s"/' "$POSTERN_CONFIG"
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"

# submitter N USER - EACH messages, one after another; failures to a file
submitter() {
    local n=$1 user=$2 i rc
    for ((i = 1; i <= EACH; i++)); do
        rc=0
        printf 'Subject: conc %d-%d\n\nfrom %s\n' "$n" "$i" "$user" |
            as "$user" "$TOP/bin/sendmail" -i "s$n@example.org" 2>>"$TEST_TMPDIR/err.$n" || rc=$?
        [ "$rc" = 0 ] || echo "submitter $n message $i: exit $rc" >>"$TEST_TMPDIR/failures"
    done
}
start=$(date +%s.%N)
pids=()
for ((n = 1; n <= SUBMITTERS; n++)); do
    if ((n % 2)); then submitter "$n" nobody & else submitter "$n" daemon & fi
    pids+=($!)
done
wait "${pids[@]}"
submitted=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
total=$((SUBMITTERS * EACH))
[ ! -s "$TEST_TMPDIR/failures" ] ||
    fail "$(wc -l <"$TEST_TMPDIR/failures") sendmail calls failed: $(head -n 5 "$TEST_TMPDIR/failures"; cat "$TEST_TMPDIR"/err.* | head -n 5)"
figure submitted "$total" "messages by $SUBMITTERS submitters in $submitted s, every sendmail exit 0"
for ((i = 0; i < 1200; i++)); do
    [ "$(mail_count "$SH")" -ge "$total" ] && break
    sleep 0.1
done
sleep 1
kill -TERM "$DPID"
wait "$DPID"
subject_counts "$SH" >"$TEST_TMPDIR/counts"
distinct=$(wc -l <"$TEST_TMPDIR/counts")
received=$(mail_count "$SH")
figure lost $((total - distinct))
figure duplicates $((received - distinct))
figure time "$(elapsed)" s
[ "$distinct" = "$total" ] || fail "$((total - distinct)) messages lost"
[ "$received" = "$total" ] || fail "$((received - total)) duplicates"
[ -z "$(ls -A "$SPOOL/queue/quarantine" 2>/dev/null)" ] || fail "quarantined: $(ls "$SPOOL/queue/quarantine")"
grep -q "uid=$(id -u nobody) " "$WLOG" && grep -q "uid=$(id -u daemon) " "$WLOG" ||
    fail "the log does not show both users"
