#!/bin/bash
# mailq-race.sh - mailq as an unprivileged user asks the running worker
# for the listing through the public FIFO. The exchange must be race-free:
# 1,000 calls while both CPUs are busy and mail flows, zero failures (a
# missed answer used to cost 10 s and exit 69).
# Needs root (an unprivileged user who cannot read the queue); skipped
# otherwise. MAILQ_CALLS overrides the count.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run mailq as a user who cannot read the queue"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
getent passwd nobody >/dev/null || skip "no nobody user"
CALLS=${MAILQ_CALLS:-1000}

make_tmpdir
chmod 0755 "$TEST_TMPDIR"
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen starttls:127.0.0.1:0
setup_worker "$SH"
chmod 0755 "$SPOOL" "$SPOOL/public"
chmod 0700 "$SPOOL/queue"
chmod a+r "$POSTERN_CONFIG"
write_faults "$SH" '{"rcpt": {"slow@example.org": "451 4.3.0 Try later"}}'
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
track_pid $!
printf 'Subject: stays\n\nbody\n' | send_mail -i slow@example.org
wait_for_log "to=<slow@example.org> .*status=deferred"

# Both CPUs busy, and mail flowing, for the whole run.
for _ in 1 2; do
    spawn nice -n 19 sh -c 'while :; do :; done'
done
spawn bash -c 'for i in $(seq 100000); do printf "Subject: flow $i\n\nbody\n" |
    "$POSTERN_BIN/sendmail" -i flow@example.org || exit 1; sleep 0.02; done'

failures=0 start=$SECONDS
for ((i = 1; i <= CALLS; i++)); do
    if ! setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- \
        "$POSTERN_BIN/sendmail" -bp >"$TEST_TMPDIR/q" 2>"$TEST_TMPDIR/q.err"; then
        failures=$((failures + 1))
        note "call $i failed: $(cat "$TEST_TMPDIR/q.err")"
        break
    fi
    grep -q "slow@example.org" "$TEST_TMPDIR/q" || fail "call $i: listing lacks the deferred entry: $(cat "$TEST_TMPDIR/q")"
done
note "$((i - 1)) mailq calls as nobody in $((SECONDS - start)) s with both CPUs busy: $failures failed"
[ "$failures" = 0 ] || fail "a mailq call failed"
[ "$(mail_count "$SH")" -gt 0 ] || fail "no mail flowed during the run"
exit 0
