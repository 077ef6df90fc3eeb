#!/bin/bash
# broken-config.sh - one typo in postern.conf must not stop local mail, and
# must be reported where administrators look:
#   - sendmail warns on stderr and still queues (exit 0), with the
#     built-in defaults; -bs too;
#   - posternd refuses to start (78) naming FILE:LINE, and a reload keeps
#     the previous configuration, logged at error priority;
#   - once the file is fixed, what was queued is delivered;
#   - under systemd (stderr is $JOURNAL_STREAM) every line carries its
#     sd-daemon priority prefix and no second program name.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup
cp "$POSTERN_CONFIG" "$TEST_TMPDIR/good.conf"
printf '# a comment\n' >>"$POSTERN_CONFIG"
printf 'colour = "blue"\n' >>"$POSTERN_CONFIG"
badline=$(wc -l <"$POSTERN_CONFIG")

printf 'Subject: despite the typo\n\nbody\n' |
    "$POSTERN_BIN/sendmail" -i bob@example.org 2>"$TEST_TMPDIR/err"
rc=$?
[ "$rc" = 0 ] || fail "sendmail with a broken postern.conf exited $rc: $(cat "$TEST_TMPDIR/err")"
grep -q "postern.conf:$badline: no such option 'colour'" "$TEST_TMPDIR/err" ||
    fail "sendmail does not name the error: $(cat "$TEST_TMPDIR/err")"
grep -q "built-in defaults" "$TEST_TMPDIR/err" || fail "no warning: $(cat "$TEST_TMPDIR/err")"
printf 'EHLO x\r\nMAIL FROM:<me@example.com>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nbody\r\n.\r\nQUIT\r\n' |
    "$POSTERN_BIN/sendmail" -bs >"$TEST_TMPDIR/bs" 2>/dev/null
grep -q "^250 .*queued" "$TEST_TMPDIR/bs" || fail "-bs did not queue: $(cat "$TEST_TMPDIR/bs")"
[ "$(ls "$SPOOL/incoming" | wc -l)" = 2 ] || fail "not queued: $(ls "$SPOOL/incoming")"

"$POSTERN_BIN/posternd" --once --stderr >>"$WLOG" 2>&1
rc=$?
[ "$rc" = 78 ] || fail "posternd with a broken postern.conf exited $rc, want 78"
log_has "postern.conf:$badline: no such option 'colour'"
"$POSTERN_BIN/postern" check-config -q -c "$POSTERN_CONFIG" 2>"$TEST_TMPDIR/cc"
[ $? = 78 ] || fail "check-config -c did not fail"
grep -q ":$badline: no such option" "$TEST_TMPDIR/cc" || fail "check-config -c: $(cat "$TEST_TMPDIR/cc")"
"$POSTERN_BIN/postern" check-config -q -c "$TEST_TMPDIR/good.conf" >"$TEST_TMPDIR/cc" 2>&1 ||
    fail "check-config -q -c on the good file: $(cat "$TEST_TMPDIR/cc")"
grep -v "which postern.service hides" "$TEST_TMPDIR/cc" | grep -q . &&
    fail "check-config -q printed: $(cat "$TEST_TMPDIR/cc")"

# The worker under systemd: stderr is the journal stream.
cp "$TEST_TMPDIR/good.conf" "$POSTERN_CONFIG"
JLOG=$TEST_TMPDIR/journal.log
: >"$JLOG"
(
    exec 2>>"$JLOG"
    JOURNAL_STREAM=$(stat -L -c '%d:%i' /proc/self/fd/2) exec "$POSTERN_BIN/posternd" --stderr
) &
DPID=$!
track_pid "$DPID"
wait_for_count "$SH" 2
printf 'colour = "blue"\n' >>"$POSTERN_CONFIG"
badline=$(wc -l <"$POSTERN_CONFIG")
kill -HUP "$DPID"
for _ in $(seq 100); do grep -q "reload of" "$JLOG" && break; sleep 0.05; done
kill -TERM "$DPID"; wait "$DPID"
grep -qE '^<6>[0-9A-F]{17}: to=<bob@example.org> .*status=sent' "$JLOG" ||
    fail "no <6> delivery line: $(cat "$JLOG")"
grep -qE "^<3>.*postern.conf:$badline: no such option 'colour'" "$JLOG" ||
    fail "the config error is not at priority 3: $(cat "$JLOG")"
grep -qE '^<3>reload of .* failed; keeping the previous configuration' "$JLOG" ||
    fail "the failed reload is not at priority 3: $(cat "$JLOG")"
grep -vqE '^<[0-7]>' "$JLOG" && fail "a line without a priority prefix: $(grep -vE '^<[0-7]>' "$JLOG")"
grep -qE '^<[0-7]>(posternd|[0-9-]{10}T)' "$JLOG" && fail "doubled name or timestamp: $(head -3 "$JLOG")"

# The shipped placeholder smarthost: "not configured", mail queued, never
# sent anywhere.
cp "$TEST_TMPDIR/good.conf" "$POSTERN_CONFIG"
sed -i 's/^smarthost "localhost"/smarthost "smtp.example.com"/' "$POSTERN_CONFIG"
"$POSTERN_BIN/postern" check-config >/dev/null 2>"$TEST_TMPDIR/cc" || fail "check-config on the placeholder exits $?"
grep -q 'warning: not configured: smarthost "smtp.example.com" is the placeholder' "$TEST_TMPDIR/cc" ||
    fail "check-config does not say not configured: $(cat "$TEST_TMPDIR/cc")"
printf 'Subject: early\n\nbody\n' | send_mail -i early@example.org
run_worker
log_has "to=<early@example.org> relay=none .*status=deferred \(postern is not configured: smarthost \"smtp.example.com\" is the placeholder"
"$POSTERN_BIN/postern" status >"$TEST_TMPDIR/st" 2>&1
grep -q "DEGRADED: not configured" "$TEST_TMPDIR/st" || fail "status: $(cat "$TEST_TMPDIR/st")"
# Configured: the waiting message goes out.
cp "$TEST_TMPDIR/good.conf" "$POSTERN_CONFIG"
n=$(mail_count "$SH")
run_worker --flush
wait_for_count "$SH" $((n + 1))
exit 0
