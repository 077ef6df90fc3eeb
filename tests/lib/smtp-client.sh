# shellcheck shell=bash
# smtp-client.sh - helpers for the SMTP client tests (tests/smtp/smtp-*.sh).
#
# Sourced after common.sh. Finds the tests/tools/smtp-send driver in the
# build tree (skips when it is not built) and wraps it:
#   run_send ARGS...          run smtp-send; sets OUT (stdout) and RC
#   out_line PREFIX           first line of OUT starting with PREFIX
#   expect_out TEXT [WHAT]    OUT must contain TEXT
#   expect_rc N [WHAT]        RC must be N
#   crlf_normalize IN OUT     LF -> CRLF (existing CRLF kept), final CRLF added
#   run_send writes the driver's stderr to $TEST_TMPDIR/send.err.

SMTP_SEND=${SMTP_SEND:-${top_builddir:-$TESTS_DIR/..}/tests/tools/smtp-send}
[ -x "$SMTP_SEND" ] || skip "test driver $SMTP_SEND is not built"

run_send() {
    OUT=$("$SMTP_SEND" "$@" 2>"$TEST_TMPDIR/send.err")
    RC=$?
}

out_line() {
    printf '%s\n' "$OUT" | grep -m1 -- "^$1" || true
}

expect_out() {
    case "$OUT" in
        *"$1"*) ;;
        *) fail "${2:-smtp-send output}: '$1' not found in:
$OUT
$(cat "$TEST_TMPDIR/send.err" 2>/dev/null)" ;;
    esac
}

expect_rc() {
    [ "$RC" = "$1" ] || fail "${2:-smtp-send}: exit status $RC, expected $1:
$OUT
$(cat "$TEST_TMPDIR/send.err" 2>/dev/null)"
}

crlf_normalize() {
    "$PYTHON3" -c '
import re, sys
d = open(sys.argv[1], "rb").read()
d = re.sub(rb"(?<!\r)\n", b"\r\n", d)
if d and not d.endswith(b"\r\n"):
    d += b"\r\n"
open(sys.argv[2], "wb").write(d)
' "$1" "$2" || fail "cannot normalise $1"
}
