#!/bin/bash
# smtp-starttls-inject.sh - plaintext that a server pipelines after its
# "220" to STARTTLS (a forged EHLO reply) is discarded before the TLS
# handshake and never taken for a reply inside TLS.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/smtp-client.sh"

require_smarthost
make_tmpdir
D=$TEST_TMPDIR/inject
mkdir -p "$D"
spawn "$PYTHON3" "$SMARTHOST_DIR/starttls_inject.py" --dir "$D"
wait_for_file "$D/port"
PORT=$(cat "$D/port")
MSG=$TEST_TMPDIR/msg
printf 'Subject: inject\n\nbody\n' >"$MSG"

run_send --port "$PORT" --security starttls --ca "$D/ca.pem" --host localhost \
    --addr 127.0.0.1 --timeout-command 5000 --to a@example.com "$MSG"
expect_rc 0 "delivery"
# The real post-TLS capabilities, not the forged "SIZE 1234".
expect_out "ext=PIPELINING,SIZE size=5000000 "
expect_out "starttls=yes"
disc=$(printf '%s\n' "$OUT" | sed -n 's/.* discarded=\([0-9]*\) .*/\1/p')
[ "${disc:-0}" -gt 0 ] || fail "no plaintext reported as discarded: $OUT"
assert_contains "$(cat "$TEST_TMPDIR/send.err")" "discarded" "warning"
wait_for_file "$D/sessions.jsonl"
assert_eq '["EHLO localhost", "STARTTLS"]' "$(json_get "$D/sessions.jsonl" plain)" "plaintext commands"
assert_eq "EHLO localhost" "$(json_get "$D/sessions.jsonl" tls.0)" "first command inside TLS"
assert_eq 1 "$(json_get "$D/sessions.jsonl" messages)" "messages"
exit 0
