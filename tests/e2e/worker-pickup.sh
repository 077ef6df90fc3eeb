#!/bin/bash
# worker-pickup.sh - the worker trusts nothing in incoming/: symlinks,
# hard links, a wrong owner, truncated or malformed records and stray
# names are quarantined with a reason, never delivered, never a crash,
# while good mail next to them goes out. Leftovers of a crash (an entry
# already copied into the queue, an orphaned state file, a damaged queue
# file) are handled at the next start.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup
IN=$SPOOL/incoming
me=$(id -u)

record() {	# record UID RCPT: a complete queue file
    local body='Subject: planted

body
'
    printf 'postern-queue 1\nuid %s\nlogin x\narrival %s\nsender <x@example.com>\nrcpt <%s>\nmessage %s\n%send\n' \
        "$1" "$(date +%s)" "$2" "${#body}" "$body"
}
record "$me" garbage@example.org | head -c 60 >"$IN/00000001000000001"   # truncated
printf 'not a queue file\n' >"$IN/00000001000000002"
record "$me" symlink@example.org >"$TEST_TMPDIR/target"
ln -s "$TEST_TMPDIR/target" "$IN/00000001000000003"
record "$me" hardlink@example.org >"$IN/00000001000000004"
ln "$IN/00000001000000004" "$TEST_TMPDIR/second-link"
record 4242 wronguid@example.org >"$IN/00000001000000005"
record "$me" stray@example.org >"$IN/not-a-qid"
mkfifo "$IN/00000001000000006"
record "$me" dup@example.org >"$IN/00000001000000007"
cp "$IN/00000001000000007" "$SPOOL/queue/00000001000000007"   # copied before a crash
printf 'postern-state 1\nkind mail\n' >"$SPOOL/queue/00000001000000008.state"  # orphan
printf 'postern-queue 1\nuid 0\n' >"$SPOOL/queue/00000001000000009"            # damaged
printf 'Subject: good\n\nbody\n' | send_mail -i good@example.org

run_worker
wait_for_count "$SH" 2
for q in 1 2 3 4 5 6; do
    [ -e "$SPOOL/queue/quarantine/0000000100000000$q" ] || [ -L "$SPOOL/queue/quarantine/0000000100000000$q" ] ||
        fail "entry $q not quarantined: $(ls -la "$IN" "$SPOOL/queue/quarantine")"
done
[ -e "$SPOOL/queue/quarantine/not-a-qid" ] || fail "stray name not quarantined"
[ -e "$SPOOL/queue/quarantine/00000001000000009" ] || fail "damaged queue file not quarantined"
log_has "00000001000000001: rejected incoming entry moved to quarantine: .*"
log_has "00000001000000003: rejected incoming entry moved to quarantine: not a regular file"
log_has "00000001000000004: rejected incoming entry moved to quarantine: link count 2, expected 1"
log_has "00000001000000005: rejected incoming entry moved to quarantine: file owner uid $me does not match the record's uid 4242"
log_has "00000001000000006: rejected incoming entry moved to quarantine: not a regular file"
log_has "00000001000000009: damaged queue entry moved to quarantine"
log_has "00000001000000008: removed the state of an entry that is gone"
[ ! -e "$SPOOL/queue/00000001000000008.state" ] || fail "orphan state kept"
[ -z "$(ls "$IN")" ] || fail "incoming not emptied: $(ls "$IN")"
cat "$SH"/mail/*.json | grep -q '"good@example.org"' || fail "good mail not delivered"
cat "$SH"/mail/*.json | grep -q '"dup@example.org"' || fail "pre-crash copy not delivered"
for who in garbage symlink hardlink wronguid stray; do
    ! grep -q "\"$who@example.org\"" "$SH"/mail/*.json || fail "$who was delivered"
done
[ "$(grep -l '"dup@example.org"' "$SH"/mail/*.json | wc -l)" = 1 ] || fail "dup delivered twice"
[ "$(queue_count)" = 0 ] || fail "queue not empty"
exit 0
