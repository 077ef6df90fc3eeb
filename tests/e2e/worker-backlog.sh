#!/bin/bash
# worker-backlog.sh - a backlog drains over reused connections: 1,000
# messages queued while the worker is down go out over more sessions than
# `concurrency` (2) but never more than `backlog_concurrency` (8), counted
# at the smarthost, each exactly once; with backlog_concurrency = 0 over
# at most `concurrency`. The drain time is printed for information, never
# asserted.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

N=${BACKLOG_MESSAGES:-1000}
worker_test_setup
# queue FIRST LAST - messages FIRST..LAST with the worker stopped
queue() {
    local i
    for ((i = $1; i <= $2; i++)); do
        printf 'Subject: backlog %s\n\nmessage %s\n' "$i" "$i" |
            "$POSTERN_BIN/sendmail" -i "r$i@example.org" || fail "sendmail $i failed"
    done
    [ "$(ls "$SPOOL/incoming" | wc -l)" = $(($2 - $1 + 1)) ] || fail "not all queued"
}
queue 1 "$N"
t0=$(date +%s%N)
run_worker
t1=$(date +%s%N)
wait_for_count "$SH" "$N" 30
sessions=$(session_count "$SH")
note "$N messages in $(( (t1 - t0) / 1000000 )) ms over $sessions session(s)"
[ "$sessions" -le 8 ] || fail "$N messages took $sessions sessions; backlog_concurrency is 8"
[ "$sessions" -gt 2 ] || fail "$N messages took $sessions sessions: no backlog sessions opened"
[ "$(queue_count)" = 0 ] || fail "queue not empty: $(queue_count) left"

# backlog_concurrency = 0: never more than concurrency
sed -i 's/^queue {/queue {\n    backlog_concurrency = 0/' "$POSTERN_CONFIG"
queue $((N + 1)) $((N + 200))
run_worker
N=$((N + 200))
wait_for_count "$SH" "$N" 30
more=$(( $(session_count "$SH") - sessions ))
[ "$more" -le 2 ] || fail "200 messages took $more sessions with backlog_concurrency = 0"
cat "$SH"/mail/*.json | grep -o '"r[0-9]*@example.org"' | sort | uniq -d >"$TEST_TMPDIR/dups"
[ ! -s "$TEST_TMPDIR/dups" ] || fail "delivered twice: $(head -3 "$TEST_TMPDIR/dups")"
[ "$(cat "$SH"/mail/*.json | grep -o '"r[0-9]*@example.org"' | sort -u | wc -l)" = "$N" ] ||
    fail "not every recipient was delivered"
exit 0
