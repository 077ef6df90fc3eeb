#!/bin/bash
# drain-syncs.sh - the worker's fsyncs while it drains a backlog, counted
# with strace (a count, not a timing): copying 300 submissions into the
# queue costs one fsync each plus one directory sync per batch, and
# removing the delivered entries is synced per group (queue_sync.h), not per
# message; the status and usage views are never fsynced. So the worker
# stays at or under 1.2 syncs per message; before grouping it made 2.0
# (the copy, a directory sync per removal, the status file). Then the
# same through the socket, end to end: at most 2.1 per message.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

command -v strace >/dev/null || skip "strace not installed"
strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"
N=300
worker_test_setup
for ((i = 1; i <= N; i++)); do
    printf 'Subject: drain %d\n\nbody\n' "$i" | send_mail -i "r$((i % 5))@example.org"
done
# (LeakSanitizer cannot run under ptrace: off for this run of a sanitizer build)
ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 \
    strace -f -qq -c -e trace=fsync,fdatasync,syncfs,sync_file_range -o "$TEST_TMPDIR/syncs" \
    "$POSTERN_BIN/posternd" --once --stderr >>"$WLOG" 2>&1 || fail "posternd --once exited $?"
wait_for_count "$SH" "$N"
[ "$(queue_count)" = 0 ] || fail "$(queue_count) entries left"
syncs=$(awk '$NF ~ /^(fsync|fdatasync|syncfs|sync_file_range)$/ { n += $4 } END { print n + 0 }' "$TEST_TMPDIR/syncs")
per=$(awk -v s="$syncs" -v n="$N" 'BEGIN { printf "%.2f", s / n }')
note "$syncs syncs for $N messages ($per per message) in the worker"
awk -v p="$per" 'BEGIN { exit !(p <= 1.2) }' || fail "$per syncs per message: $(cat "$TEST_TMPDIR/syncs")"

# Through the socket with the worker running, everything traced (each
# sendmail and the worker, until it has stopped and synced its last
# removals): the worker's data sync and its queue/ sync, which also
# covers the removals, so at most 2.1 per message end to end (the set-gid
# writer's path costs 3: its two, and the pickup copy).
ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 \
    strace -f -qq -c -e trace=fsync,fdatasync,syncfs,sync_file_range -o "$TEST_TMPDIR/e2e" \
    bash -c '
    "$1" --stderr >>"$2" 2>&1 &
    for ((i = 0; i < 100; i++)); do [ -S "$3/public/submit" ] && break; sleep 0.05; done
    for ((i = 1; i <= $4; i++)); do
        printf "Subject: socket %d\n\nbody\n" "$i" | "$5" -i "s$i@example.org" || exit 1
    done
    for ((i = 0; i < 600; i++)); do
        [ -z "$(ls "$3/queue" | grep -E "^[0-9A-F]{17}$")" ] && break; sleep 0.05; done
    kill -TERM %1; wait %1' _ "$POSTERN_BIN/posternd" "$WLOG" "$SPOOL" "$N" "$POSTERN_BIN/sendmail" ||
    fail "the traced socket run failed"
wait_for_count "$SH" $((2 * N))
[ -z "$(ls -A "$SPOOL/incoming")" ] || fail "the writer was used: $(ls "$SPOOL/incoming")"
syncs=$(awk '$NF ~ /^(fsync|fdatasync|syncfs|sync_file_range)$/ { n += $4 } END { print n + 0 }' "$TEST_TMPDIR/e2e")
per=$(awk -v s="$syncs" -v n="$N" 'BEGIN { printf "%.2f", s / n }')
note "$syncs syncs for $N messages ($per per message) end to end through the socket"
awk -v p="$per" 'BEGIN { exit !(p <= 2.1) }' || fail "$per syncs per message end to end: $(cat "$TEST_TMPDIR/e2e")"
