#!/bin/bash
# large-uid.sh - a submitter whose uid is above 2^31-1 (uids are 32-bit
# unsigned; container and LDAP ranges use them) is queued and delivered,
# not queued and then quarantined: sendmail and the writer run as uid
# 3000000000, and the worker takes the entry. Needs root to switch to
# such a uid.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run as uid 3000000000"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
worker_test_setup
BIG=3000000000
chmod 0755 "$TEST_TMPDIR" "$SPOOL"
chmod 1777 "$SPOOL/incoming"
# The build tree may sit where that uid cannot go (/root): copies it can run.
install -d -m 0755 "$TEST_TMPDIR/bin"
install -m 0755 "$POSTERN_BIN/sendmail" "$POSTERN_BIN/postern-drop" "$TEST_TMPDIR/bin/"
printf 'Subject: big uid\n\nbody\n' |
    setpriv --reuid="$BIG" --regid="$BIG" --clear-groups -- \
    env POSTERN_CONFIG="$POSTERN_CONFIG" POSTERN_SPOOL_DIR="$SPOOL" \
    POSTERN_DROP="$TEST_TMPDIR/bin/postern-drop" "$TEST_TMPDIR/bin/sendmail" -i big@example.org ||
    fail "sendmail as uid $BIG exited $?"
run_worker
wait_for_count "$SH" 1
log_has "uid=$BIG from=<"
[ -z "$(ls -A "$SPOOL/queue/quarantine" 2>/dev/null)" ] ||
    fail "quarantined: $(ls "$SPOOL/queue/quarantine")"
