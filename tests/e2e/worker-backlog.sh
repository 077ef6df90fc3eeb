#!/bin/bash
# worker-backlog.sh - a backlog drains over reused connections: 1,000
# messages queued while the worker is down go out over at most
# `concurrency` SMTP sessions (counted at the smarthost), each exactly
# once. The drain time is printed for information, never asserted.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

N=${BACKLOG_MESSAGES:-1000}
worker_test_setup
i=0
while [ "$i" -lt "$N" ]; do
    i=$((i + 1))
    printf 'Subject: backlog %s\n\nmessage %s\n' "$i" "$i" |
        "$POSTERN_BIN/sendmail" -i "r$i@example.org" || fail "sendmail $i failed"
done
[ "$(ls "$SPOOL/incoming" | wc -l)" = "$N" ] || fail "not all $N queued"
t0=$(date +%s%N)
run_worker
t1=$(date +%s%N)
wait_for_count "$SH" "$N" 30
sessions=$(session_count "$SH")
note "$N messages in $(( (t1 - t0) / 1000000 )) ms over $sessions session(s)"
[ "$sessions" -le 2 ] || fail "$N messages took $sessions sessions; concurrency is 2"
[ "$(queue_count)" = 0 ] || fail "queue not empty: $(queue_count) left"
cat "$SH"/mail/*.json | grep -o '"r[0-9]*@example.org"' | sort | uniq -d >"$TEST_TMPDIR/dups"
[ ! -s "$TEST_TMPDIR/dups" ] || fail "delivered twice: $(head -3 "$TEST_TMPDIR/dups")"
[ "$(cat "$SH"/mail/*.json | grep -o '"r[0-9]*@example.org"' | sort -u | wc -l)" = "$N" ] ||
    fail "not every recipient was delivered"
exit 0
