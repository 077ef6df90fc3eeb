#!/bin/bash
# hostile-users.sh - local users attack the real set-gid writer, as
# nobody: envelope injections, forged writer lines, oversize and
# over-quota entries, signals at every stage, closed descriptors,
# environment overrides, symlinks and hard links, and reading another
# user's mail through the writer's process; then the same records on the
# worker's socket. Each attack is refused or
# harmless, no temporary file is left, and nothing of daemon's mail is
# readable. Needs root (set-gid install).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/lib/setgid.sh"
. "$TESTS_DIR/reliability/lib.sh"

setgid_install
sed -i 's/^queue {/queue {\n    max_message_size = "64K"\n    user_max_messages = 20/' "$POSTERN_CONFIG"
IN=$SPOOL/incoming
DROP=$TOP/bin/postern-drop
"$POSTERN_BIN/posternd" --once --stderr >>"$WLOG" 2>&1 || fail "posternd --once"
printf 'Subject: secret\n\nprivate body of daemon\n' | as daemon "$TOP/bin/sendmail" -i carol@example.org ||
    fail "daemon cannot queue"
DAEMON_QID=$(ls "$IN")
attacks=0 refused=0

# attack NAME WANT CMD... - CMD (as nobody, stdin from the caller) must
# exit WANT and leave incoming/ as it was
attack() {
    local name=$1 want=$2 rc=0 before
    shift 2
    before=$(ls "$IN" | sort | tr '\n' ' ')
    as nobody "$@" >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err" || rc=$?
    attacks=$((attacks + 1))
    [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want ($(cat "$TEST_TMPDIR/err"))"
    [ "$(ls "$IN" | sort | tr '\n' ' ')" = "$before" ] || fail "$name: incoming/ changed: $(ls "$IN")"
    refused=$((refused + 1))
}
rec() { printf '%b\nmessage %d\n%send\n' "$1" "${#2}" "$2"; }

# Envelope and record injections: 65.
attack "ESMTP parameter after the sender" 65 "$DROP" < <(rec 'sender <a@example.com> AUTH=<ceo@example.com>\nrcpt <b@example.org>' hi)
attack "ESMTP parameter after a recipient" 65 "$DROP" < <(rec 'sender <a@example.com>\nrcpt <b@example.org> NOTIFY=NEVER' hi)
attack "a line break inside a path" 65 "$DROP" < <(rec 'sender <a@example.com\r>\nrcpt <b@example.org>' hi)
attack "a forged uid line" 65 "$DROP" < <(rec 'uid 0\nsender <a@example.com>\nrcpt <b@example.org>' hi)
attack "a forged login line" 65 "$DROP" < <(rec 'login root\nsender <a@example.com>\nrcpt <b@example.org>' hi)
attack "an unknown key" 65 "$DROP" < <(rec 'sender <a@example.com>\nrcpt <b@example.org>\nauth ceo' hi)
attack "a second record after the first" 65 "$DROP" < <(rec 'sender <a@example.com>\nrcpt <b@example.org>' hi; rec 'sender <a@example.com>\nrcpt <c@example.org>' hi)
attack "more than 10000 recipients" 65 "$DROP" < <(printf 'sender <a@example.com>\n'; for ((i = 0; i <= 10000; i++)); do printf 'rcpt <r%d@example.org>\n' "$i"; done; printf 'message 0\nend\n')
big=$(head -c 70000 /dev/zero | tr '\0' x)
attack "a message over max_message_size" 65 "$DROP" < <(rec 'sender <a@example.com>\nrcpt <b@example.org>' "$big")
attack "a length of 2^64" 65 "$DROP" < <(printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage 18446744073709551616\n')

# Quota: 20 messages, then 75.
for ((i = 0; i < 20; i++)); do
    rec 'sender <nobody@example.com>\nrcpt <b@example.org>' "q$i" | as nobody "$DROP" >/dev/null ||
        fail "quota fill $i refused"
done
attack "a 21st message over user_max_messages" 75 "$DROP" < <(rec 'sender <a@example.com>\nrcpt <b@example.org>' hi)
grep -q "user_max_messages" "$TEST_TMPDIR/err" || fail "quota: no reason"
find "$IN" -user nobody -delete

# Signals at every stage: no temporary file, never exit 0 without input.
for sig in TERM INT HUP QUIT USR1 USR2 ALRM XCPU XFSZ VTALRM PROF; do
    fifo=$TEST_TMPDIR/fifo.$sig
    mkfifo "$fifo"
    chmod 0666 "$fifo"
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- \
        "$DROP" <"$fifo" >/dev/null 2>&1 &
    pid=$!		# the writer itself (setpriv execs it), not a shell
    exec 8>"$fifo"
    printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage 5\nab' >&8
    for ((i = 0; i < 100; i++)); do
        [ -n "$(find "$IN" -name 't*' -user nobody)" ] && break
        sleep 0.02
    done
    as nobody kill -"$sig" "$pid" 2>/dev/null || fail "SIG$sig: nobody cannot signal its own writer"
    wait "$pid" && fail "SIG$sig: the writer exited 0"
    exec 8>&-
    attacks=$((attacks + 1))
    [ -z "$(find "$IN" -user nobody)" ] || fail "SIG$sig left $(find "$IN" -user nobody)"
    refused=$((refused + 1))
done

# Closed descriptors: nothing is written where it should not be.
attack "stdin closed" 65 sh -c 'exec "$0" <&-' "$DROP"
attack "stdin write-only" 65 sh -c 'exec "$0" 0>/dev/null' "$DROP"
rc=0
rec 'sender <nobody@example.com>\nrcpt <b@example.org>' hi | as nobody "$DROP" >&- 2>"$TEST_TMPDIR/err" || rc=$?
attacks=$((attacks + 1))
[ "$rc" = 0 ] || fail "stdout closed: exit $rc (the entry is queued; only the report fails)"
[ "$(find "$IN" -user nobody | wc -l)" = 1 ] || fail "stdout closed: expected the one entry"
head -n 2 "$(find "$IN" -user nobody)" | grep -qx "uid $(id -u nobody)" || fail "stdout closed: damaged entry"
find "$IN" -user nobody -delete
refused=$((refused + 1))

# Environment: overrides are ignored by the set-gid writer.
install -d -m 0777 /tmp/postern-privilege-evil/incoming
rc=0
rec 'sender <nobody@example.com>\nrcpt <b@example.org>' hi |
    as nobody env POSTERN_SPOOL_DIR=/tmp/postern-privilege-evil LD_PRELOAD=/nonexistent.so \
    MALLOC_CHECK_=3 "$DROP" >/dev/null 2>&1 || rc=$?
attacks=$((attacks + 1))
[ "$rc" = 0 ] && [ -z "$(ls -A /tmp/postern-privilege-evil/incoming)" ] &&
    [ "$(find "$IN" -user nobody | wc -l)" = 1 ] || fail "environment overrides were obeyed (exit $rc)"
find "$IN" -user nobody -delete
refused=$((refused + 1))

# Symlinks and hard links: a user cannot plant them in the spool.
for how in "ln -s /etc/shadow" "ln /etc/passwd" "cp /etc/hostname"; do
    attacks=$((attacks + 1))
    # shellcheck disable=SC2086
    as nobody $how "$IN/00000000000000001" 2>/dev/null && fail "nobody could $how into incoming/"
    refused=$((refused + 1))
done

# Another user's mail: not through the spool, not through the writer.
attacks=$((attacks + 1))
as nobody cat "$IN/$DAEMON_QID" >/dev/null 2>&1 && fail "nobody read daemon's entry"
as nobody ls "$IN" >/dev/null 2>&1 && fail "nobody listed incoming/"
as nobody cat "$SPOOL/queue/$DAEMON_QID" >/dev/null 2>&1 && fail "nobody read the queue"
mkfifo "$TEST_TMPDIR/hold"
chmod 0666 "$TEST_TMPDIR/hold"
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- \
    "$DROP" <"$TEST_TMPDIR/hold" >/dev/null 2>&1 &
pid=$!
exec 8>"$TEST_TMPDIR/hold"
sleep 0.2
as nobody ls "/proc/$pid/fd/" >/dev/null 2>&1 && fail "nobody can see the set-gid writer's descriptors"
as nobody cat "/proc/$pid/mem" >/dev/null 2>&1 && fail "nobody can read the set-gid writer's memory"
for fd in 3 4 5 6; do
    as nobody cat "/proc/$pid/fd/$fd" 2>/dev/null | grep -q "private body" &&
        fail "nobody read daemon's mail through the writer's fd $fd"
done
exec 8>&-
wait "$pid"
refused=$((refused + 1))
grep -q "private body of daemon" "$IN/$DAEMON_QID" || fail "daemon's entry was changed"

# The same records on the running worker's socket, as nobody: each one
# answered 65, and nothing queued (daemon's entry is all the queue holds).
"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
track_pid $!
for _ in $(seq 100); do [ -S "$SPOOL/public/submit" ] && break; sleep 0.05; done
[ -S "$SPOOL/public/submit" ] || fail "posternd made no socket"
# sock_attack NAME - the record on stdin, over the socket, must get 65
sock_attack() {
    local out
    attacks=$((attacks + 1))
    out=$(as nobody "$PYTHON3" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
try:
    s.sendall(sys.stdin.buffer.read())
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass		# refused before the end: the answer says why
print(s.makefile("rb").readline().decode(errors="replace").rstrip("\n"))
' "$SPOOL/public/submit") || fail "$1 (socket): the client failed"
    [[ $out == "65 "* ]] || fail "$1 (socket): answered '$out', want 65"
    refused=$((refused + 1))
}
sock_attack "ESMTP parameter after the sender" < <(rec 'sender <a@example.com> AUTH=<ceo@example.com>\nrcpt <b@example.org>' hi)
sock_attack "a line break inside a path" < <(rec 'sender <a@example.com\r>\nrcpt <b@example.org>' hi)
sock_attack "a forged uid line" < <(rec 'uid 0\nsender <a@example.com>\nrcpt <b@example.org>' hi)
sock_attack "the writer's own header" < <(printf 'postern-queue 1\nuid 0\nlogin root\narrival 1\n'; rec 'sender <a@example.com>\nrcpt <b@example.org>' hi)
sock_attack "a second record after the first" < <(rec 'sender <a@example.com>\nrcpt <b@example.org>' hi; rec 'sender <a@example.com>\nrcpt <c@example.org>' hi)
sock_attack "a message over max_message_size" < <(rec 'sender <a@example.com>\nrcpt <b@example.org>' "$big")
sock_attack "a length of 2^64" < <(printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage 18446744073709551616\n')
sock_attack "NUL bytes in the envelope" < <(printf 'sender <a@exa\0mple.com>\nrcpt <b@example.org>\nmessage 2\nhiend\n')
sock_attack "a record without its end" < <(printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage 2\nhi')
sock_attack "64 MiB of garbage" < <(head -c $((64 << 20)) /dev/zero | tr '\0' x)
sleep 0.3
[ "$(ls "$SPOOL/queue" | grep -cE '^[0-9A-F]{17}$')" -le 1 ] || fail "a socket attack was queued: $(ls "$SPOOL/queue")"
log_lacks "uid=$(id -u nobody) from="

figure attacks "$attacks"
figure refused "$refused" "(each refused or harmless)"
figure lost 0
figure time "$(elapsed)" s
