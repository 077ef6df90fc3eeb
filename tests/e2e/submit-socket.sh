#!/bin/bash
# submit-socket.sh - sendmail hands mail to the running worker over
# public/submit, with the real set-gid install and real users:
#   1. the socket is used while posternd runs (the writer made unusable,
#      mail still goes out), and the entry carries the caller's uid;
#   2. the uid cannot be forged: the worker takes it from the connection,
#      and a record that carries the writer's lines is refused (65);
#   3. a client killed mid-stream queues nothing;
#   4. limits hold on the socket as in the writer: max_message_size 65,
#      user_max_messages 75, with the reason on stderr;
#   5. slow and hostile clients (idle connections, a byte at a time) do
#      not delay another user, and a user over its connection share
#      falls back to the writer;
#   6. posternd killed right after its answer loses nothing;
#   7. posternd down (killed, or stopped) means the writer, not a failure;
#   8. a socket not served by the spool's owner is never fed a message.
# Needs root (set-gid writer, other users); skipped otherwise.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/lib/setgid.sh"

QUEUE_EXTRA='max_message_size = "100K"
    user_max_messages = 3' setgid_install
SOCK=$SPOOL/public/submit
NOBODY=$(id -u nobody) DAEMON=$(id -u daemon)

start_daemon() {
	"$POSTERN_BIN/posternd" --stderr >>"$WLOG" 2>&1 &
	DPID=$!
	track_pid "$DPID"
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	[ -S "$SOCK" ] || fail "posternd made no socket $SOCK"
}
# sm USER [ENV...] -- ARGS: sendmail as USER; stdout+stderr in $TEST_TMPDIR/sm
sm() {
	local user=$1
	shift
	as "$user" env "$@" >"$TEST_TMPDIR/sm" 2>&1
}
NOWRITER=POSTERN_DROP=/nonexistent/postern-drop
# client USER MODE [ARG] - a raw client of the socket (python), as USER
client() {
	local user=$1
	shift
	as "$user" "$PYTHON3" - "$SOCK" "$@" <<'PY'
import os, signal, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
body = b"Subject: raw\n\nraw body\n"
rec = (b"sender <raw@example.com>\nrcpt <raw@example.org>\nmessage %d\n" %
       len(body)) + body + b"end\n"
def talk(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    print(s.makefile("rb").readline().decode().rstrip("\n"))
if mode == "record":
    talk(rec)
elif mode == "big":
    big = b"x" * 120000
    talk(b"sender <raw@example.com>\nrcpt <raw@example.org>\nmessage %d\n" %
         len(big) + big + b"end\n")
elif mode == "forged":
    talk(b"postern-queue 1\nuid 0\nlogin root\narrival 1\n" + rec)
elif mode == "injected":
    talk(rec.replace(b"rcpt", b"uid 0\nrcpt", 1))
elif mode == "killed":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(rec[: len(rec) // 2])
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "hostile":
    # idle and trickling connections, held until killed
    held = []
    for i in range(int(sys.argv[3])):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        held.append(s)
    print("connected", len(held), "pid", os.getpid(), flush=True)
    while True:
        for s in held:
            try:
                s.send(b"s")
            except OSError:
                pass
        time.sleep(1)
PY
}

start_daemon
[ "$(stat -c %a "$SOCK")" = 666 ] || fail "socket mode $(stat -c %a "$SOCK"), want 666"

# 1. the socket path: with no usable writer, mail is still queued
printf 'Subject: via socket\n\nbody\n' | sm nobody "$NOWRITER" "$TOP/bin/sendmail" -i one@example.org ||
	fail "sendmail over the socket failed: $(cat "$TEST_TMPDIR/sm")"
wait_for_count "$SH" 1 10
log_has "^.*[0-9A-F]{17}: uid=$NOBODY from=<nobody@example.com> size=[0-9]+ nrcpt=1$"

# 2. the uid comes from the connection
out=$(client daemon record) || fail "raw client failed"
[[ $out =~ ^0\ ([0-9A-F]{17})$ ]] || fail "a raw record was answered '$out'"
log_has "${BASH_REMATCH[1]}: uid=$DAEMON from=<raw@example.com>"
for mode in forged injected; do
	out=$(client nobody "$mode") || fail "raw client ($mode) failed"
	[[ $out == "65 "* ]] || fail "a $mode record was answered '$out', want 65"
done
wait_for_count "$SH" 2 10
sleep 0.5
[ "$(mail_count "$SH")" = 2 ] || fail "a forged record was delivered"

# 3. a client killed mid-stream queues nothing
client nobody killed 2>/dev/null
wait_for_log "submission from uid=$NOBODY pid=[0-9]+ refused: "
sleep 0.5
[ "$(mail_count "$SH")" = 2 ] || fail "a half record was delivered"
[ "$(queue_count)" = 0 ] || fail "a half record was queued"

# 4. the limits of postern.conf, over the socket
head -c 120000 /dev/zero | tr '\0' x | sed 's/^/Subject: big\n\n/' >"$TEST_TMPDIR/big"
sm daemon "$NOWRITER" "$TOP/bin/sendmail" -i big@example.org <"$TEST_TMPDIR/big"
rc=$?
[ "$rc" = 65 ] || fail "an oversize message over the socket exited $rc: $(cat "$TEST_TMPDIR/sm")"
grep -q "max_message_size" "$TEST_TMPDIR/sm" || fail "reason: $(cat "$TEST_TMPDIR/sm")"
out=$(client daemon big) || fail "raw client (big) failed"
[[ $out == "65 the message (120000 bytes) is larger than max_message_size (102400 bytes)" ]] ||
	fail "an oversize raw record was answered '$out'"
write_faults "$SH" '{"rcpt": "451 4.3.0 Try again later"}'
for i in 1 2 3; do
	printf 'Subject: q%s\n\nbody\n' "$i" | sm daemon "$NOWRITER" "$TOP/bin/sendmail" -i q@example.org ||
		fail "message $i of 3 refused: $(cat "$TEST_TMPDIR/sm")"
done
printf 'Subject: q4\n\nbody\n' | sm daemon "$NOWRITER" "$TOP/bin/sendmail" -i q@example.org
rc=$?
[ "$rc" = 75 ] || fail "a 4th message against user_max_messages = 3 exited $rc"
grep -q "you have 3 messages queued.*user_max_messages" "$TEST_TMPDIR/sm" || fail "reason: $(cat "$TEST_TMPDIR/sm")"
printf 'Subject: root\n\nbody\n' | sm root "$NOWRITER" "$POSTERN_BIN/sendmail" -i q@example.org ||
	fail "root is limited: $(cat "$TEST_TMPDIR/sm")"
"$POSTERN_BIN/postern" delete --all >/dev/null || fail "delete --all"
clear_faults "$SH"

# 5. hostile clients delay nobody else
as nobody "$PYTHON3" -c 'import sys' || fail "python as nobody"
# (not holding the suite's lock, fd 9, should it outlive the test)
client nobody hostile 20 >"$TEST_TMPDIR/hostile" 2>&1 9>&- &
HPID=$!
for _ in $(seq 100); do grep -q connected "$TEST_TMPDIR/hostile" && break; sleep 0.05; done
grep -q "connected 20" "$TEST_TMPDIR/hostile" || fail "hostile client: $(cat "$TEST_TMPDIR/hostile")"
track_pid "$(sed -n 's/.* pid //p' "$TEST_TMPDIR/hostile")"
start=$(date +%s%N)
printf 'Subject: beside hostile\n\nbody\n' | sm daemon "$NOWRITER" "$TOP/bin/sendmail" -i calm@example.org ||
	fail "daemon's mail was refused beside hostile clients: $(cat "$TEST_TMPDIR/sm")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# a generous bound: the hostile connections hold for 60 s
[ "$ms" -lt 5000 ] || fail "daemon's submission took $ms ms beside hostile clients"
# nobody holds its share of connections: its mail goes through the writer
printf 'Subject: over share\n\nbody\n' | sm nobody "$NOWRITER" "$TOP/bin/sendmail" -i share@example.org
rc=$?
[ "$rc" = 75 ] || fail "nobody over its share did not fall back to the writer (exit $rc)"
printf 'Subject: over share\n\nbody\n' | sm nobody "$TOP/bin/sendmail" -i share@example.org ||
	fail "the writer fallback failed: $(cat "$TEST_TMPDIR/sm")"
kill "$(sed -n 's/.* pid //p' "$TEST_TMPDIR/hostile")"
wait "$HPID" 2>/dev/null
for _ in $(seq 100); do
	printf 'Subject: after\n\nbody\n' | sm nobody "$NOWRITER" "$TOP/bin/sendmail" -i after@example.org && break
	sleep 0.1
done
grep -q . "$TEST_TMPDIR/sm" && fail "nobody's slots were not freed: $(cat "$TEST_TMPDIR/sm")"
wait_for_count "$SH" 5 10

# 6. posternd killed right after its answer: the entry is durable
write_faults "$SH" '{"rcpt": "451 4.3.0 Try again later"}'
printf 'Subject: then killed\n\nbody\n' | sm nobody "$NOWRITER" "$TOP/bin/sendmail" -v -i killed@example.org ||
	fail "sendmail before the kill: $(cat "$TEST_TMPDIR/sm")"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
QID=$(sed -n 's/^sendmail: \([0-9A-F]\{17\}\): from=.*queued$/\1/p' "$TEST_TMPDIR/sm")
[ -n "$QID" ] || fail "no queue ID from sendmail -v: $(cat "$TEST_TMPDIR/sm")"
[ -f "$SPOOL/queue/$QID" ] || fail "$QID is not in the queue after SIGKILL"
tail -n 1 "$SPOOL/queue/$QID" | grep -qx end || fail "$QID is incomplete"

# 7. a dead worker's socket is left behind: sendmail uses the writer
[ -S "$SOCK" ] || fail "expected the killed worker's socket to remain"
printf 'Subject: worker dead\n\nbody\n' | sm nobody "$TOP/bin/sendmail" -i dead@example.org ||
	fail "sendmail with the worker killed: $(cat "$TEST_TMPDIR/sm")"
[ "$(ls "$SPOOL/incoming" | wc -l)" = 1 ] || fail "the writer did not queue it"
printf 'Subject: nothing\n\nbody\n' | sm nobody "$NOWRITER" "$TOP/bin/sendmail" -i none@example.org
[ $? = 75 ] || fail "no socket and no writer should be 75"
grep -q "nothing was queued" "$TEST_TMPDIR/sm" || fail "stderr: $(cat "$TEST_TMPDIR/sm")"
clear_faults "$SH"
start_daemon
wait_for_count "$SH" 7 15
wait_for_log "$QID: to=<killed@example.org>.* status=sent"
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null
[ -e "$SOCK" ] && fail "a stopped worker left its socket"
printf 'Subject: stopped\n\nbody\n' | sm daemon "$TOP/bin/sendmail" -i stopped@example.org ||
	fail "sendmail with the worker stopped: $(cat "$TEST_TMPDIR/sm")"

# 8. a socket served by another user is not used
"$PYTHON3" - "$SOCK" "$NOBODY" "$TEST_TMPDIR/fake" 9>&- <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
result = open(sys.argv[3] + ".out", "w")
ready = open(sys.argv[3] + ".ready", "w")
os.setuid(int(sys.argv[2]))
s.listen(1)
ready.close()
c, _ = s.accept()
data = c.recv(65536)
result.write("got %d bytes\n" % len(data))
PY
FPID=$!
track_pid "$FPID"
wait_for_file "$TEST_TMPDIR/fake.ready"
printf 'Subject: fake\n\nsecret\n' | sm daemon "$NOWRITER" "$TOP/bin/sendmail" -i fake@example.org
[ $? = 75 ] || fail "a foreign socket was trusted"
grep -q "served by uid $NOBODY, not by the spool's owner" "$TEST_TMPDIR/sm" || fail "stderr: $(cat "$TEST_TMPDIR/sm")"
wait "$FPID"
grep -qx "got 0 bytes" "$TEST_TMPDIR/fake.out" || fail "the foreign socket got: $(cat "$TEST_TMPDIR/fake.out")"
exit 0
