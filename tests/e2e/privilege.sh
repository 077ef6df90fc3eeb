#!/bin/bash
# privilege.sh - the privilege model with a truly set-gid spool writer and
# real unprivileged users (nobody, daemon): any user can queue mail, even
# with the worker stopped; no user can list or read another user's queued
# mail or the smarthost password, forge the submitting uid, or aim the
# writer at another spool; the worker accepts what the writer stored; any
# user can list the queue and ask for a flush through the running worker.
# Needs root (to make a binary set-gid and to switch users): skipped
# otherwise. Uses the fixed directory the test writer was compiled with.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/lib/setgid.sh"

setgid_install
printf 'smarthost-s3cret\n' >"$TOP/password"
chmod 0640 "$TOP/password"

# Any user can queue, with the worker stopped.
printf 'Subject: from nobody\n\nbody\n' | as nobody "$TOP/bin/sendmail" -i bob@example.org ||
    fail "nobody cannot queue mail"
printf 'Subject: from daemon\n\nprivate body\n' | as daemon "$TOP/bin/sendmail" -i carol@example.org ||
    fail "daemon cannot queue mail"
mapfile -t entries < <(ls "$SPOOL/incoming")
[ "${#entries[@]}" = 2 ] || fail "expected 2 entries in incoming, have ${#entries[@]}"
for e in "${entries[@]}"; do
    f=$SPOOL/incoming/$e
    owner=$(stat -c %u "$f")
    [ "$(stat -c %G "$f")" = "$DROPGROUP" ] || fail "$e not group $DROPGROUP"
    grep -qx "uid $owner" "$f" || fail "$e: record uid does not match its owner $owner"
    [ "$owner" = "$(id -u daemon)" ] && DAEMON_QID=$e
    [ "$owner" = "$(id -u nobody)" ] && grep -qx "login nobody" "$f" || true
done
[ -n "${DAEMON_QID:-}" ] || fail "no entry owned by daemon"

# No user can list incoming, read another user's entry, or read the password.
as nobody ls "$SPOOL/incoming" >/dev/null 2>&1 && fail "nobody can list incoming/"
as nobody cat "$SPOOL/incoming/$DAEMON_QID" >/dev/null 2>&1 && fail "nobody can read daemon's mail"
as nobody ls "$SPOOL/queue" >/dev/null 2>&1 && fail "nobody can list the queue"
as nobody cat "$TOP/password" >/dev/null 2>&1 && fail "nobody can read the password"
as nobody rm -f "$SPOOL/incoming/$DAEMON_QID" 2>/dev/null
[ -e "$SPOOL/incoming/$DAEMON_QID" ] || fail "nobody removed daemon's mail"

# The writer's own lines cannot be forged, and its spool cannot be moved.
printf 'uid 0\nsender <x@example.com>\nrcpt <y@example.org>\nmessage 0\nend\n' |
    as nobody "$TOP/bin/postern-drop" >/dev/null 2>&1
rc=$?
[ "$rc" = 65 ] || fail "a forged uid line was not rejected (exit $rc)"
install -d -m 0777 /tmp/postern-privilege-evil
printf 'Subject: evil\n\nbody\n' |
    as nobody env POSTERN_SPOOL_DIR=/tmp/postern-privilege-evil "$TOP/bin/sendmail" -i eve@example.org ||
    fail "queueing with an override failed"
[ -z "$(ls -A /tmp/postern-privilege-evil)" ] || fail "the set-gid writer obeyed POSTERN_SPOOL_DIR"
[ "$(ls "$SPOOL/incoming" | wc -l)" = 3 ] || fail "the third message is not in the real spool"

# Without a worker, an unprivileged mailq says why it cannot list.
as nobody "$TOP/bin/sendmail" -bp >/dev/null 2>"$TEST_TMPDIR/bp.err"
rc=$?
[ "$rc" = 69 ] || fail "mailq without a worker exited $rc, expected 69"
grep -q "posternd is not running" "$TEST_TMPDIR/bp.err" || fail "mailq: $(cat "$TEST_TMPDIR/bp.err")"

# The worker accepts the writer's entries (owner matches the record).
write_faults "$SH" '{"rcpt": {"carol@example.org": "451 4.3.0 Try later"}}'
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"
wait_for_log "to=<carol@example.org> .*status=deferred"
wait_for_count "$SH" 2
log_has "uid=$(id -u nobody) from=<nobody@example.com>"
log_has "uid=$(id -u daemon) from=<daemon@example.com>"
log_lacks "quarantine"

# With the worker running, any user can list the queue and ask for a flush.
as nobody "$TOP/bin/sendmail" -bp >"$TEST_TMPDIR/q" 2>&1 || fail "nobody's mailq: $(cat "$TEST_TMPDIR/q")"
grep -q "carol@example.org" "$TEST_TMPDIR/q" || fail "mailq lacks the deferred entry: $(cat "$TEST_TMPDIR/q")"
grep -q "451 4.3.0 Try later" "$TEST_TMPDIR/q" || fail "mailq lacks the reason"
! grep -q "private body" "$TEST_TMPDIR/q" || fail "mailq shows a message body"
clear_faults "$SH"
as nobody "$TOP/bin/sendmail" -q >/dev/null 2>&1 || fail "nobody's sendmail -q"
wait_for_count "$SH" 3
for cmd in "hold $DAEMON_QID" "release $DAEMON_QID" "retry $DAEMON_QID" "delete $DAEMON_QID" "show $DAEMON_QID"; do
    # shellcheck disable=SC2086
    as nobody "$TOP/bin/postern" $cmd >/dev/null 2>"$TEST_TMPDIR/perm.err"
    rc=$?
    [ "$rc" = 77 ] || fail "nobody's postern $cmd exited $rc, expected 77 (EX_NOPERM)"
    grep -q "only root and the postern user" "$TEST_TMPDIR/perm.err" ||
        fail "postern $cmd does not say who may: $(cat "$TEST_TMPDIR/perm.err")"
done
kill -TERM "$DPID"
wait "$DPID"
exit 0
