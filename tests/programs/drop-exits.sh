#!/bin/bash
# drop-exits.sh - the writer's exit status keeps the contract: 0 means the
# entry is queued and durable, 75 means nothing was queued. Every
# catchable signal that would end it mid-copy leaves no file behind (not
# even a temporary one) and exits 75; an entry already renamed into place
# is never reported as 75: a stdout the writer cannot report on (closed)
# is a warning, and the exit is 0.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
make_tmpdir
drop=${POSTERN_BIN:?}/postern-drop
spool=$TEST_TMPDIR/spool
mkdir -p "$spool/incoming"
export POSTERN_SPOOL_DIR=$spool
record='sender <a@example.com>\nrcpt <b@example.org>\nmessage 0\nend\n'

# Mid-copy: the envelope is sent, the rest never comes.
for sig in HUP INT QUIT USR1 USR2 ALRM TERM VTALRM PROF XCPU XFSZ IO PWR SYS TRAP; do
    mkfifo "$TEST_TMPDIR/in"
    "$drop" <"$TEST_TMPDIR/in" >/dev/null 2>&1 &
    pid=$!
    exec 7>"$TEST_TMPDIR/in"
    printf 'sender <a@example.com>\n' >&7
    for _ in $(seq 50); do [ -n "$(ls -A "$spool/incoming")" ] && break; sleep 0.02; done
    [ -n "$(ls -A "$spool/incoming")" ] || fail "SIG$sig: the writer made no temporary file"
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    exec 7>&-
    rm -f "$TEST_TMPDIR/in"
    [ -z "$(ls -A "$spool/incoming")" ] ||
        fail "SIG$sig left $(ls "$spool/incoming") behind (exit $rc)"
    [ "$rc" = 75 ] || fail "SIG$sig: exit $rc, want 75 (nothing queued)"
done

# Queued, but the ID cannot be reported: stdout closed (the writer reopens
# it on /dev/null), or a stdout that refuses writes (/dev/full): exit 0,
# the entry stays, and the refusal is a warning naming the queue ID.
printf "$record" | "$drop" >&- 2>"$TEST_TMPDIR/err"
rc=$?
[ "$rc" = 0 ] || fail "closed stdout: exit $rc, want 0 (the entry is queued): $(cat "$TEST_TMPDIR/err")"
[ "$(ls "$spool/incoming" | wc -l)" = 1 ] || fail "closed stdout: the entry is not there"
printf "$record" | "$drop" >/dev/full 2>"$TEST_TMPDIR/err"
rc=$?
[ "$rc" = 0 ] || fail "stdout /dev/full: exit $rc, want 0 (the entry is queued): $(cat "$TEST_TMPDIR/err")"
[ "$(ls "$spool/incoming" | wc -l)" = 2 ] || fail "stdout /dev/full: the entry is not there"
grep -q "queued as [0-9A-F]\{17\}" "$TEST_TMPDIR/err" || fail "stdout /dev/full: no word of the queue ID: $(cat "$TEST_TMPDIR/err")"
echo "drop-exits: 15 signals left nothing and exited 75; an unreportable ID exits 0"
