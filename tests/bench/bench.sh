#!/bin/bash
# bench.sh - "make bench": speed figures for the paths that block callers
# or drain a backlog, printed for people to compare, never asserted:
#   - one sendmail call (queue a 2 KB message), timed from spawn to exit
#     by tests/tools/spawn-timer over BENCH_CALLS runs, next to the floor
#     of spawning /bin/true the same way;
#   - draining BENCH_BACKLOG queued messages to the test smarthost over
#     STARTTLS (messages per second, and SMTP sessions used); the test
#     smarthost is Python, so this figure is a floor for postern's rate;
#   - listing that queue (mailq) while it is full;
#   - the worker's peak memory (max RSS) during the drain.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

CALLS=${BENCH_CALLS:-200}
BACKLOG=${BENCH_BACKLOG:-2000}
make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen starttls:127.0.0.1:0
setup_worker "$SH"
head -c 1500 /dev/urandom | base64 -w 76 | sed '1i Subject: bench\n' >"$TEST_TMPDIR/msg"

now_us() { date +%s%6N; }
timer=$top_builddir/tests/tools/spawn-timer
[ -x "$timer" ] || fail "build tests/tools/spawn-timer first (make bench does)"
figure=$("$timer" "$CALLS" "$TEST_TMPDIR/msg" "$POSTERN_BIN/sendmail" -i c@example.org) ||
    fail "sendmail failed"
printf 'sendmail call (2 KB, queued durably): %s\n' "$figure"
figure=$("$timer" "$CALLS" /dev/null /bin/true) || fail "/bin/true failed"
printf 'floor, fork+exec+wait of /bin/true: %s\n' "$figure"
rm -f "$SPOOL"/incoming/*

before=$(mail_count "$SH")
sessions_before=$(session_count "$SH")
for i in $(seq 1 "$BACKLOG"); do
    "$POSTERN_BIN/sendmail" -i "d$i@example.org" <"$TEST_TMPDIR/msg" || fail "sendmail failed"
done
t0=$(now_us)
"$POSTERN_BIN/postern" queue >/dev/null
t1=$(now_us)
printf 'listing %d queued messages (mailq, waiting for pickup): %d ms\n' "$BACKLOG" $(( (t1 - t0) / 1000 ))
t0=$(now_us)
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$TEST_TMPDIR/rss" "$POSTERN_BIN/posternd" --once --stderr \
        >/dev/null 2>&1 || fail "posternd failed"
else
    echo "n/a (install the time package)" >"$TEST_TMPDIR/rss"
    "$POSTERN_BIN/posternd" --once --stderr >/dev/null 2>&1 || fail "posternd failed"
fi
t1=$(now_us)
wait_for_count "$SH" $((before + BACKLOG)) 60
ms=$(( (t1 - t0) / 1000 ))
printf 'drain of %d messages over STARTTLS: %d ms, %d msg/s, %d SMTP session(s), worker max RSS %s KiB\n' \
    "$BACKLOG" "$ms" $(( BACKLOG * 1000 / (ms > 0 ? ms : 1) )) \
    $(( $(session_count "$SH") - sessions_before )) "$(cat "$TEST_TMPDIR/rss")"
exit 0
