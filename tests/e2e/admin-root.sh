#!/bin/bash
# admin-root.sh - the administrator's commands run as root against a
# worker that runs as the spool's owner (as the package runs it): hold,
# release, retry, show, flush, delete and requeue must leave every queue
# file owned by that user, so the worker can still read it; a queue entry
# the worker cannot read (EACCES) is a local fault, logged at error level
# and retried, never quarantined; "postern requeue" brings quarantined
# entries back (root-owned ones included) and they are delivered; mailq
# and postern status count the quarantine.
# Needs root (to run the worker as another user); skipped otherwise.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run the worker as another user"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
OWNER=daemon
getent passwd "$OWNER" >/dev/null || skip "no $OWNER user"

make_tmpdir
chmod 0755 "$TEST_TMPDIR"
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen starttls:127.0.0.1:0
setup_worker "$SH"
chmod -R a+rX "$SH" "$TEST_TMPDIR/postern.conf"
chown -R "$OWNER:$(id -gn "$OWNER")" "$SPOOL/queue" "$SPOOL/public" "$SPOOL/incoming"
chmod 0700 "$SPOOL/queue"
chown "$OWNER" "$WLOG"
P=$POSTERN_BIN/postern
# The build tree may sit where the owner cannot go (/root): the programs it
# runs as that user are copied beside the spool.
install -d -m 0755 "$TEST_TMPDIR/bin"
install -m 0755 "$POSTERN_BIN/sendmail" "$POSTERN_BIN/postern" "$POSTERN_BIN/postern-drop" "$TEST_TMPDIR/bin/"
export POSTERN_DROP=$TEST_TMPDIR/bin/postern-drop

as_owner() { setpriv --reuid="$OWNER" --regid="$(id -g "$OWNER")" --clear-groups -- "$@"; }

# owned_right: every file under queue/ belongs to the spool's owner
owned_right() {
    local bad
    bad=$(find "$SPOOL/queue" -mindepth 1 ! -user "$OWNER" -printf '%p %u %m\n')
    [ -z "$bad" ] || fail "$1: files not owned by $OWNER: $bad"
}

write_faults "$SH" '{"rcpt": {"carol@example.org": "451 4.3.0 Try later"}}'
printf 'Subject: one\n\nbody\n' | as_owner "$TEST_TMPDIR/bin/sendmail" -i carol@example.org ||
    fail "sendmail as $OWNER"
printf 'Subject: two\n\nbody\n' | as_owner "$TEST_TMPDIR/bin/sendmail" -i dave@example.org ||
    fail "sendmail as $OWNER"

# A CA file the worker's user cannot read is an error naming the file at
# start, not a deferral of every message.
chmod 0600 "$SH/ca.pem"
"$POSTERN_BIN/posternd" --once --stderr >"$TEST_TMPDIR/start.log" 2>&1
rc=$?
[ "$rc" = 78 ] || fail "posternd with an unreadable CA file exited $rc, want 78: $(cat "$TEST_TMPDIR/start.log")"
grep -q "smarthost \"localhost\": cannot read tls_ca_file $SH/ca.pem: Permission denied" "$TEST_TMPDIR/start.log" ||
    fail "the error does not name the file: $(cat "$TEST_TMPDIR/start.log")"
"$P" check-config -q >"$TEST_TMPDIR/cc" 2>&1
[ $? = 78 ] || fail "check-config does not see that $OWNER cannot read the CA: $(cat "$TEST_TMPDIR/cc")"
grep -q "error: tls_ca_file $SH/ca.pem cannot be read by $OWNER" "$TEST_TMPDIR/cc" || fail "check-config: $(cat "$TEST_TMPDIR/cc")"
chmod 0644 "$SH/ca.pem"

# The worker is started as root, as systemd would without User=; it
# switches to the owner of queue/.
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"
wait_for_log "to=<carol@example.org> .*status=deferred"
wait_for_count "$SH" 1
[ "$(ps -o user= -p "$DPID")" = "$OWNER" ] || fail "posternd runs as $(ps -o user= -p "$DPID")"
QID=$(grep -oE '[0-9A-F]{17}: to=<carol@example.org>' "$WLOG" | head -n 1 | cut -d: -f1)
[ -n "$QID" ] || fail "no queue ID for carol"

# A reload that cannot read the CA keeps the configuration that works.
chmod 0600 "$SH/ca.pem"
kill -HUP "$DPID"
wait_for_log "reload of .* failed; keeping the previous configuration"
log_has "cannot read tls_ca_file $SH/ca.pem: Permission denied"
chmod 0644 "$SH/ca.pem"

# Every verb, as root.
for verb in hold release retry show; do
    "$P" "$verb" "$QID" >"$TEST_TMPDIR/out" 2>&1 || fail "postern $verb: $(cat "$TEST_TMPDIR/out")"
    owned_right "postern $verb"
done
"$P" flush >/dev/null 2>&1 || fail "postern flush"
"$P" queue >"$TEST_TMPDIR/q" 2>&1 || fail "postern queue"
grep -q carol@example.org "$TEST_TMPDIR/q" || fail "mailq lacks carol: $(cat "$TEST_TMPDIR/q")"
sleep 1
owned_right "postern flush"
log_lacks "quarantine"

# A queue entry the worker cannot read is kept and retried, at error level.
chown root:root "$SPOOL/queue/$QID"; chmod 0600 "$SPOOL/queue/$QID"
"$P" flush >/dev/null 2>&1 || fail "flush"
wait_for_log "$QID: cannot read the queue entry: .*Permission denied.*tried again"
sleep 0.5
log_lacks "quarantine"
[ -f "$SPOOL/queue/$QID" ] || fail "the unreadable entry left the queue"
as_owner "$TEST_TMPDIR/bin/postern" queue >"$TEST_TMPDIR/q" 2>&1
grep -q "$QID .*cannot read" "$TEST_TMPDIR/q" || fail "mailq hides the unreadable entry: $(cat "$TEST_TMPDIR/q")"

grep -qE "<3>.*$QID: cannot read|$QID: cannot read" "$WLOG" || fail "no error line"
# As root, a verb gives such an entry back to the spool's owner.
"$P" retry "$QID" >"$TEST_TMPDIR/out" 2>&1 || fail "postern retry (root-owned entry): $(cat "$TEST_TMPDIR/out")"
owned_right "postern retry of a root-owned entry"
"$P" delete "$QID" >/dev/null 2>&1 || fail "postern delete"

# What an older release left behind: a root-owned entry in quarantine.
printf 'Subject: three\n\nbody\n' | as_owner "$TEST_TMPDIR/bin/sendmail" -i erin@example.org
wait_for_log "to=<erin@example.org> .*status=deferred|to=<erin@example.org> .*status=sent"
QID3=$(grep -oE '[0-9A-F]{17}: to=<erin@example.org>' "$WLOG" | head -n 1 | cut -d: -f1)
kill -TERM "$DPID"; wait "$DPID"
write_faults "$SH" '{"rcpt": {"erin@example.org": "451 4.3.0 Try later"}}'
if [ -f "$SPOOL/queue/$QID3" ]; then
    mv "$SPOOL/queue/$QID3" "$SPOOL/queue/$QID3.state" "$SPOOL/queue/quarantine/" 2>/dev/null
else
    printf 'Subject: three\n\nbody\n' | as_owner "$TEST_TMPDIR/bin/sendmail" -i erin@example.org
    QID3=$(ls "$SPOOL/incoming" | head -n 1)
    mv "$SPOOL/incoming/$QID3" "$SPOOL/queue/quarantine/"
fi
chown root:root "$SPOOL/queue/quarantine/$QID3"*
"$P" queue >"$TEST_TMPDIR/q" 2>&1
grep -q "1 message in quarantine" "$TEST_TMPDIR/q" || fail "mailq does not count the quarantine: $(cat "$TEST_TMPDIR/q")"
"$P" status >"$TEST_TMPDIR/st" 2>&1
grep -q "1 quarantined" "$TEST_TMPDIR/st" || fail "status does not count it: $(cat "$TEST_TMPDIR/st")"
grep -q "1 message in quarantine" "$TEST_TMPDIR/st" || fail "status does not say why: $(cat "$TEST_TMPDIR/st")"
clear_faults "$SH"
"$P" requeue --all >"$TEST_TMPDIR/rq" 2>&1 || fail "postern requeue: $(cat "$TEST_TMPDIR/rq")"
grep -q "$QID3: requeued" "$TEST_TMPDIR/rq" || fail "requeue says: $(cat "$TEST_TMPDIR/rq")"
[ -z "$(ls -A "$SPOOL/queue/quarantine")" ] || fail "quarantine not empty: $(ls -A "$SPOOL/queue/quarantine")"
owned_right "postern requeue"
before=$(mail_count "$SH")
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"
"$P" flush >/dev/null 2>&1
wait_for_count "$SH" $((before + 1))
grep -q "Subject: three" "$SH"/mail/* || fail "the requeued message did not arrive"
"$P" requeue --all >"$TEST_TMPDIR/rq" 2>&1 || fail "requeue of an empty quarantine exits $?"
"$P" requeue 0123456789ABCDEF0 >/dev/null 2>&1; rc=$?
[ "$rc" = 66 ] || fail "requeue of an unknown ID exits $rc, want 66"
owned_right "the end"
kill -TERM "$DPID"; wait "$DPID"
exit 0
