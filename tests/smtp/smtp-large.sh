#!/bin/bash
# smtp-large.sh - a message over 10 MB, with many lines needing dot-
# stuffing, goes through implicit TLS byte for byte, and a message over
# the server's SIZE limit is refused before it is sent.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --size 20000000 --listen tls:127.0.0.1:0
PORT=$(smarthost_port "$SH" 0)
MSG=$TEST_TMPDIR/big
"$PYTHON3" -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: big\n\n")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"
    for i in range(150000):
        f.write(b"." + line if i % 7 == 0 else line)
        if i % 1000 == 0:
            f.write(b".\r\n..\n")
' "$MSG"
size=$(stat -c %s "$MSG")
[ "$size" -ge 10485760 ] || fail "test message only $size bytes"
crlf_normalize "$MSG" "$TEST_TMPDIR/expected"

run_send --port "$PORT" --security tls --ca "$SH/ca.pem" --host localhost --addr 127.0.0.1 \
    --timeout-data-block 20000 --timeout-data-done 20000 --to a@example.com "$MSG"
expect_rc 0 "large message"
wait_for_count "$SH" 1
cmp "$TEST_TMPDIR/expected" "$SH/mail/0001.eml" || fail "large message altered in transit"
# SIZE= announces the bytes on the wire: CRLF text plus one stuffed dot
# per line that starts with a dot.
wire=$(( $(stat -c %s "$TEST_TMPDIR/expected") + $(grep -c '^\.' "$TEST_TMPDIR/expected") ))
assert_contains "$(json_get "$SH/mail/0001.json" mail_options)" "SIZE=$wire" "SIZE parameter"

write_faults "$SH" '{"size": 10485760}'
run_send --port "$PORT" --security tls --ca "$SH/ca.pem" --host localhost --addr 127.0.0.1 \
    --to a@example.com "$MSG"
expect_rc 2 "over the SIZE limit"
expect_out "fail class=size phase=MAIL"
assert_eq 1 "$(mail_count "$SH")" "messages stored"
exit 0
