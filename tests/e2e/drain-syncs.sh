#!/bin/bash
# drain-syncs.sh - the worker's fsyncs while it drains a backlog, counted
# with strace (a count, not a timing): copying 300 submissions into the
# queue costs one fsync each plus one directory sync per batch, and
# removing the delivered entries is synced per group (queue_sync.h), not per
# message; the status and usage views are never fsynced. So the worker
# stays at or under 1.2 syncs per message; before grouping it made 2.0
# (the copy, a directory sync per removal, the status file).
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
