#!/bin/bash
# smtp-timeouts.sh - a stalled server can never hang the SMTP client: a
# reply delayed past the configured (short) timeout at each stage ends
# the attempt with the right failure class within the timeout, and a
# listener that accepts but never speaks is reported as such.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen plain:127.0.0.1:0 --listen starttls:127.0.0.1:0
PORT=$(smarthost_port "$SH" 0)
STLS=$(smarthost_port "$SH" 1)
MSG=$TEST_TMPDIR/msg
printf 'Subject: slow\n\nbody\n' >"$MSG"
TIMEOUTS=(--timeout-greeting 800 --timeout-command 800 --timeout-data-init 800
    --timeout-data-block 800 --timeout-data-done 800)

now_ms() { date +%s%3N; }

# stall STAGE RC CLASS PHASE [PORT [ARGS...]]
stall() {
    local stage=$1 rc=$2 class=$3 phase=$4 port=${5:-$PORT} t0 t1
    shift 5 2>/dev/null || shift $#
    write_faults "$SH" "{\"delay\": {\"$stage\": 2.5}}"
    t0=$(now_ms)
    run_send --port "$port" "${TIMEOUTS[@]}" "$@" --to a@example.com "$MSG"
    t1=$(now_ms)
    expect_rc "$rc" "$stage"
    expect_out "fail class=$class phase=$phase" "$stage"
    [ $((t1 - t0)) -lt 2200 ] || fail "$stage: took $((t1 - t0)) ms with an 800 ms timeout"
}

stall greeting 4 no-greeting greeting "$PORT" --security plain --tls none
stall ehlo 4 timeout EHLO "$PORT" --security plain --tls none
stall mail 3 timeout MAIL "$PORT" --security plain --tls none
stall rcpt 3 timeout RCPT "$PORT" --security plain --tls none
stall data 3 timeout DATA "$PORT" --security plain --tls none
stall data_end 3 timeout "end of data" "$PORT" --security plain --tls none
stall starttls 4 timeout STARTTLS "$STLS" --security starttls --ca "$SH/ca.pem" --host localhost
clear_faults "$SH"

# A port that accepts connections but never says anything: no greeting in
# plaintext, a handshake timeout with implicit TLS.
SILENT_PORT_FILE=$TEST_TMPDIR/silent.port
spawn "$PYTHON3" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
' "$SILENT_PORT_FILE"
wait_for_file "$SILENT_PORT_FILE"
SILENT=$(cat "$SILENT_PORT_FILE")
t0=$(now_ms)
run_send --port "$SILENT" "${TIMEOUTS[@]}" --security plain --tls none --to a@example.com "$MSG"
expect_rc 4 "silent plain"
expect_out "fail class=no-greeting phase=greeting"
run_send --port "$SILENT" "${TIMEOUTS[@]}" --security tls --tls encrypt --to a@example.com "$MSG"
expect_rc 4 "silent tls"
expect_out "fail class=timeout phase=TLS handshake"
t1=$(now_ms)
[ $((t1 - t0)) -lt 4000 ] || fail "silent server: took $((t1 - t0)) ms"

# A server that accepts DATA and then stops reading: once the socket
# buffers fill, the body write waits, and the data-block timeout ends it.
STALL_PORT_FILE=$TEST_TMPDIR/stall.port
spawn "$PYTHON3" -c '
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
f = c.makefile("rb")
c.sendall(b"220 stall.test ESMTP\r\n")
for line in f:
    cmd = line[:4].upper()
    if cmd in (b"EHLO", b"HELO"):
        c.sendall(b"250 stall.test\r\n")
    elif cmd == b"DATA":
        c.sendall(b"354 go ahead\r\n")
        time.sleep(60)          # never read the body
    else:
        c.sendall(b"250 ok\r\n")
' "$STALL_PORT_FILE"
wait_for_file "$STALL_PORT_FILE"
STALL=$(cat "$STALL_PORT_FILE")
BIG=$TEST_TMPDIR/big
{ printf 'Subject: big\n\n'; head -c 12000000 /dev/zero | tr '\0' 'x' | fold -w 76; } >"$BIG"
t0=$(now_ms)
run_send --port "$STALL" "${TIMEOUTS[@]}" --security plain --tls none --to a@example.com "$BIG"
t1=$(now_ms)
expect_rc 3 "stalled body"
expect_out "fail class=timeout phase=end of data"
[ $((t1 - t0)) -lt 5000 ] || fail "stalled body: took $((t1 - t0)) ms with an 800 ms block timeout"
exit 0
