# shellcheck shell=bash
# common.sh - shared helpers for postern's shell tests.
#
# What it does
#   Sourced by every test script (bash).  Gives each test a private temp
#   directory, kills every background process the test started when it
#   exits, starts/stops the test smarthost (tests/smarthost/smarthost.py)
#   and offers small assertion helpers.
#
# Variables it reads
#   srcdir     the tests/ source directory (absolute); the test harness sets
#              it.  Unset: derived from this file's location.
#   PYTHON3    Python interpreter that has aiosmtpd and cryptography
#              (default /usr/bin/python3).
#   TMPDIR     parent of the per-test temp directory (default /tmp).
#   KEEP_TMP   set to 1 to keep the temp directory after the test.
#   SMARTHOST_START_TIMEOUT   seconds to wait for the smarthost (default 10).
#   WAIT_TIMEOUT              default timeout of the wait_* helpers (10).
#
# Variables it sets
#   TESTS_DIR      = srcdir; SMARTHOST_DIR = "$TESTS_DIR/smarthost"
#   SMARTHOST_PY, SMTPCLIENT_PY, TESTCERTS_PY   the Python tools
#   TEST_NAME      the test script's base name
#   TEST_TMPDIR    set by make_tmpdir
#   SMARTHOST_PID  pid of the last smarthost started
#
# Functions
#   make_tmpdir                  create $TEST_TMPDIR (do not call in $(...))
#   track_pid PID                kill PID at exit
#   spawn CMD [ARGS...]          run CMD in background, tracked; sets
#                                SPAWNED_PID
#   require_smarthost            skip (77) unless $PYTHON3 has aiosmtpd and
#                                cryptography
#   start_smarthost DIR [ARGS...]   start smarthost.py --dir DIR ARGS, wait
#                                for DIR/ready; fail if it does not come up
#   stop_smarthost DIR           SIGTERM it and wait until it exited
#   start_proxy DIR PORT [ARGS]  a TCP proxy (tcp_proxy.py) in front of
#                                127.0.0.1:PORT; sets PROXY_PORT
#   smarthost_port DIR [INDEX]   port of endpoint INDEX (0-based, default 0)
#   write_faults DIR JSON        atomically write DIR/faults.json
#   clear_faults DIR             remove DIR/faults.json
#   smtp_client ARGS...          run smtpclient.py (prints its JSON result)
#   smtp_open PORT [HOST]        open a raw SMTP connection on fd 3 (bash
#                                /dev/tcp; loopback only) and read the
#                                greeting into SMTP_REPLY / SMTP_CODE
#   smtp_send LINE               send LINE + CRLF on fd 3
#   smtp_read                    read one (multi-line) reply from fd 3 into
#                                SMTP_REPLY (lines joined by newlines) and
#                                SMTP_CODE; fails on timeout or EOF
#   smtp_cmd LINE [CODE]         smtp_send + smtp_read; with CODE, fail
#                                unless the reply has that code
#   smtp_close                   close fd 3
#   mail_count DIR               number of recorded messages (DIR/mail/*.json)
#   session_count DIR            number of lines in DIR/sessions.log
#   session_field DIR N KEY      KEY's value in sessions.log line N (1-based;
#                                N=-1 means the last line)
#   wait_for_file FILE [SECS]    wait until FILE exists, else fail
#   wait_for_count DIR N [SECS]  wait until >= N messages are recorded
#   wait_for_sessions DIR N [SECS]  wait until >= N sessions are logged
#   json_get FILE PATH           value at dotted PATH (e.g. rcpt_tos.0) in
#                                FILE ("-" = stdin); a key holding dots is
#                                written in brackets: rcpt[a@b.example].0;
#                                strings printed raw,
#                                null/true/false as such, objects as JSON;
#                                a missing key prints "<missing>"
#   assert_json FILE PATH=VALUE...   check several json_get values at once
#                                (one interpreter start); fails listing
#                                every mismatch
#   json_eval FILE PYEXPR        print the Python expression PYEXPR with the
#                                parsed document bound to d
#   skip REASON                  exit 77 (a failure when CI=true)
#   fail MESSAGE                 print and exit 1 (in a subshell: exit it,
#                                and fail the test when it exits)
#   assert_eq EXPECTED ACTUAL [WHAT]
#   assert_ne UNEXPECTED ACTUAL [WHAT]
#   assert_contains HAYSTACK NEEDLE [WHAT]
#   assert_not_contains HAYSTACK NEEDLE [WHAT]
#   assert_file_contains FILE NEEDLE [WHAT]   fixed-string, binary-safe
#   assert_file_not_contains FILE NEEDLE [WHAT]
#   note MESSAGE                 progress message on stderr
#
# How it fails
#   Helpers call fail (exit 1) with a message naming the test; when a test
#   fails, the tail of each started smarthost's smarthost.log is printed to
#   stderr.  Exit codes follow automake: 0 pass, 1 fail, 77 skip.

if [ -z "${BASH_VERSION:-}" ]; then
    echo "common.sh needs bash" >&2
    exit 99
fi

TEST_NAME=$(basename "$0" .sh)
TESTS_DIR=${srcdir:-}
if [ -z "$TESTS_DIR" ] || [ ! -f "$TESTS_DIR/lib/common.sh" ]; then
    TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
SMARTHOST_DIR="$TESTS_DIR/smarthost"
SMARTHOST_PY="$SMARTHOST_DIR/smarthost.py"
SMTPCLIENT_PY="$SMARTHOST_DIR/smtpclient.py"
# shellcheck disable=SC2034  # for the test scripts
TESTCERTS_PY="$SMARTHOST_DIR/testcerts.py"
PYTHON3=${PYTHON3:-/usr/bin/python3}
SMARTHOST_START_TIMEOUT=${SMARTHOST_START_TIMEOUT:-10}
WAIT_TIMEOUT=${WAIT_TIMEOUT:-10}
export PYTHONDONTWRITEBYTECODE=1

TEST_TMPDIR=
# shellcheck disable=SC2034  # for the test scripts
SMARTHOST_PID=
_TEST_PIDS=()
_SMARTHOST_DIRS=()

note() {
    printf '%s: %s\n' "$TEST_NAME" "$*" >&2
}

# A fail in a subshell (a helper at the end of a pipe, or in $(...)) ends
# only that subshell; the mark it leaves fails the test when it exits.
fail() {
    printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
    if [ "${BASH_SUBSHELL:-0}" -gt 0 ] && [ -n "$TEST_TMPDIR" ] && [ -d "$TEST_TMPDIR" ]; then
        printf '%s\n' "$*" >>"$TEST_TMPDIR/.failed-in-subshell"
    fi
    exit 1
}

# In CI (CI=true, as .ci/run is run) every test must run: a reason to
# skip there is a broken CI machine, reported as a failure.
skip() {
    if [ "${CI:-}" = true ] && [ -z "${POSTERN_ALLOW_SKIP:-}" ]; then
        printf '%s: FAIL: would be skipped, but CI must run it: %s\n' "$TEST_NAME" "$*" >&2
        exit 1
    fi
    printf '%s: SKIP: %s\n' "$TEST_NAME" "$*" >&2
    exit 77
}

_cleanup() {
    local rc=$? pid dir i
    trap - EXIT
    if [ "$rc" -eq 0 ] && [ -n "$TEST_TMPDIR" ] && [ -s "$TEST_TMPDIR/.failed-in-subshell" ]; then
        printf '%s: FAIL: a check failed in a subshell: %s\n' "$TEST_NAME" \
            "$(head -n 1 "$TEST_TMPDIR/.failed-in-subshell")" >&2
        rc=1
    fi
    # Ask politely first, then insist.
    for pid in "${_TEST_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${_TEST_PIDS[@]}"; do
        for i in $(seq 1 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        for dir in "${_SMARTHOST_DIRS[@]}"; do
            if [ -f "$dir/smarthost.log" ]; then
                echo "--- tail of $dir/smarthost.log" >&2
                tail -n 40 "$dir/smarthost.log" >&2
            fi
            if [ -f "$dir/sessions.log" ]; then
                echo "--- $dir/sessions.log" >&2
                tail -n 20 "$dir/sessions.log" >&2
            fi
        done
    fi
    if [ -n "$TEST_TMPDIR" ] && [ -d "$TEST_TMPDIR" ]; then
        if [ "${KEEP_TMP:-0}" = 1 ]; then
            echo "$TEST_NAME: keeping $TEST_TMPDIR" >&2
        else
            rm -rf "$TEST_TMPDIR"
        fi
    fi
    exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_tmpdir() {
    if [ "${BASH_SUBSHELL:-0}" -gt 0 ]; then
        fail "make_tmpdir must not run in a subshell; use \$TEST_TMPDIR"
    fi
    if [ -n "$TEST_TMPDIR" ]; then
        return 0
    fi
    TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/postern-$TEST_NAME.XXXXXX") ||
        fail "cannot create a temp directory under ${TMPDIR:-/tmp}"
}

track_pid() {
    _TEST_PIDS+=("$1")
}

spawn() {
    "$@" &
    SPAWNED_PID=$!
    track_pid "$SPAWNED_PID"
}

require_smarthost() {
    [ -x "$PYTHON3" ] || command -v "$PYTHON3" >/dev/null 2>&1 ||
        skip "no Python interpreter at PYTHON3=$PYTHON3"
    "$PYTHON3" -c 'import aiosmtpd, cryptography' 2>/dev/null ||
        skip "$PYTHON3 lacks aiosmtpd or cryptography (Debian: python3-aiosmtpd python3-cryptography)"
    [ -f "$SMARTHOST_PY" ] || fail "smarthost not found at $SMARTHOST_PY (srcdir=$TESTS_DIR)"
}

start_smarthost() {
    local dir=$1 i limit pid
    [ -n "$dir" ] || fail "start_smarthost: no directory given"
    shift
    require_smarthost
    mkdir -p "$dir" || fail "cannot create $dir"
    rm -f "$dir/ready" "$dir/ports.json"
    "$PYTHON3" "$SMARTHOST_PY" --dir "$dir" "$@" \
        >>"$dir/smarthost.out" 2>&1 </dev/null &
    pid=$!
    track_pid "$pid"
    _SMARTHOST_DIRS+=("$dir")
    limit=$((SMARTHOST_START_TIMEOUT * 20))
    for ((i = 0; i < limit; i++)); do
        if [ -f "$dir/ready" ]; then
            # shellcheck disable=SC2034  # for the test scripts
            SMARTHOST_PID=$pid
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$dir/smarthost.out" >&2 2>/dev/null
            fail "smarthost exited during start-up (args: $*)"
        fi
        sleep 0.05
    done
    cat "$dir/smarthost.out" >&2 2>/dev/null
    fail "smarthost not ready after ${SMARTHOST_START_TIMEOUT}s (args: $*)"
}

# start_proxy DIR UPSTREAM_PORT [ARGS...] - tests/smarthost/tcp_proxy.py
# in front of 127.0.0.1:UPSTREAM_PORT (ARGS: --strip-starttls, --delay-ms
# N, --capture FILE); sets PROXY_PORT
start_proxy() {
    local dir=$1 upstream=$2 i
    shift 2
    mkdir -p "$dir" || fail "cannot create $dir"
    spawn "$PYTHON3" "$SMARTHOST_DIR/tcp_proxy.py" --dir "$dir" \
        --upstream "127.0.0.1:$upstream" "$@"
    for ((i = 0; i < 200; i++)); do
        if [ -s "$dir/port" ]; then
            PROXY_PORT=$(cat "$dir/port")
            return 0
        fi
        kill -0 "$SPAWNED_PID" 2>/dev/null || fail "tcp_proxy.py exited during start-up"
        sleep 0.05
    done
    fail "tcp_proxy.py not ready after 10s"
}

stop_smarthost() {
    local dir=$1 pid i
    pid=$(cat "$dir/pid" 2>/dev/null) || fail "stop_smarthost: no pid in $dir"
    kill -TERM "$pid" 2>/dev/null || fail "stop_smarthost: $pid not running"
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.05
    done
    fail "smarthost $pid did not exit on SIGTERM"
}

smarthost_port() {
    local dir=$1 index=${2:-0}
    [ -f "$dir/ports.json" ] || fail "smarthost_port: no $dir/ports.json"
    json_get "$dir/ports.json" "$index.port"
}

write_faults() {
    local dir=$1 json=$2
    if ! printf '%s\n' "$json" >"$dir/faults.json.tmp.$$" ||
        ! mv -f "$dir/faults.json.tmp.$$" "$dir/faults.json"; then
        fail "cannot write $dir/faults.json"
    fi
}

clear_faults() {
    rm -f "$1/faults.json"
}

smtp_client() {
    "$PYTHON3" "$SMTPCLIENT_PY" "$@"
}

smtp_open() {
    local port=$1 host=${2:-127.0.0.1}
    case "$host" in
        127.*|::1|localhost) ;;
        *) fail "smtp_open: refusing non-loopback host $host" ;;
    esac
    exec 3<>"/dev/tcp/$host/$port" || fail "smtp_open: cannot connect to $host:$port"
    smtp_read
}

smtp_send() {
    printf '%s\r\n' "$1" >&3 || fail "smtp_send: cannot send '$1'"
}

smtp_read() {
    local line
    SMTP_REPLY=
    SMTP_CODE=
    while :; do
        IFS= read -r -t "${WAIT_TIMEOUT}" -u 3 line ||
            fail "smtp_read: no reply (timeout or connection closed) after: ${SMTP_REPLY:-nothing}"
        line=${line%$'\r'}
        SMTP_REPLY+="${SMTP_REPLY:+$'\n'}$line"
        SMTP_CODE=${line:0:3}
        [ "${line:3:1}" = - ] || break
    done
}

smtp_cmd() {
    smtp_send "$1"
    smtp_read
    if [ -n "${2:-}" ] && [ "$SMTP_CODE" != "$2" ]; then
        fail "'$1': expected $2, got: $SMTP_REPLY"
    fi
}

smtp_close() {
    exec 3>&- 3<&-
}

mail_count() {
    local n=0 f
    for f in "$1"/mail/*.json; do
        [ -e "$f" ] && n=$((n + 1))
    done
    echo "$n"
}

# (Pure bash: these run in polling loops, so they avoid extra processes.)
session_count() {
    local lines=()
    [ -f "$1/sessions.log" ] && mapfile -t lines <"$1/sessions.log"
    echo "${#lines[@]}"
}

session_field() {
    local dir=$1 n=$2 key=$3 lines=() words=() word
    [ -f "$dir/sessions.log" ] && mapfile -t lines <"$dir/sessions.log"
    if [ "$n" = -1 ]; then
        n=${#lines[@]}
    fi
    if [ "$n" -lt 1 ] || [ "$n" -gt "${#lines[@]}" ]; then
        fail "session_field: no session line $n in $dir/sessions.log"
    fi
    read -r -a words <<<"${lines[n - 1]}"
    for word in "${words[@]}"; do
        if [ "${word%%=*}" = "$key" ]; then
            printf '%s\n' "${word#*=}"
            return 0
        fi
    done
    fail "session_field: no key '$key' in session line $n"
}

wait_for_file() {
    local file=$1 secs=${2:-$WAIT_TIMEOUT} i
    for ((i = 0; i < secs * 20; i++)); do
        [ -e "$file" ] && return 0
        sleep 0.05
    done
    fail "timed out after ${secs}s waiting for $file"
}

wait_for_count() {
    local dir=$1 want=$2 secs=${3:-$WAIT_TIMEOUT} i
    for ((i = 0; i < secs * 20; i++)); do
        [ "$(mail_count "$dir")" -ge "$want" ] && return 0
        sleep 0.05
    done
    fail "timed out after ${secs}s waiting for $want message(s) in $dir/mail (have $(mail_count "$dir"))"
}

wait_for_sessions() {
    local dir=$1 want=$2 secs=${3:-$WAIT_TIMEOUT} i
    for ((i = 0; i < secs * 20; i++)); do
        [ "$(session_count "$dir")" -ge "$want" ] && return 0
        sleep 0.05
    done
    fail "timed out after ${secs}s waiting for $want session(s) in $dir/sessions.log (have $(session_count "$dir"))"
}

_JSON_GET_PY='
import json, sys
import re
def get(d, path):
    parts = [a or b for a, b in re.findall(r"\[([^\]]*)\]|([^.\[\]]+)", path)]
    for part in parts:
        try:
            d = d[int(part)] if isinstance(d, list) else d[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return "<missing>"
    if isinstance(d, str):
        return d
    return json.dumps(d, ensure_ascii=False, sort_keys=True)
src, mode = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin if src == "-" else open(src, encoding="utf-8"))
if mode == "get":
    print(get(d, sys.argv[3]))
    sys.exit(0)
bad = 0
for item in sys.argv[3:]:
    path, _, want = item.partition("=")
    got = get(d, path)
    if got != want:
        print("%s: expected %r, got %r" % (path, want, got))
        bad = 1
sys.exit(bad)
'

_JSON_EVAL_PY='
import json, sys
src, expr = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin if src == "-" else open(src, encoding="utf-8"))
v = eval(expr, {"json": json}, {"d": d})
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True))
'

json_get() {
    "$PYTHON3" -c "$_JSON_GET_PY" "$1" get "$2" ||
        fail "json_get: cannot read '$2' from $1"
}

assert_json() {
    local file=$1 out
    shift
    out=$("$PYTHON3" -c "$_JSON_GET_PY" "$file" check "$@" 2>&1) ||
        fail "$file: ${out:-cannot read}"
}

json_eval() {
    "$PYTHON3" -c "$_JSON_EVAL_PY" "$1" "$2" ||
        fail "json_eval: cannot evaluate '$2' on $1"
}

assert_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_ne() {
    [ "$1" != "$2" ] || fail "${3:-value}: did not expect '$1'"
}

assert_contains() {
    case "$1" in
        *"$2"*) ;;
        *) fail "${3:-text}: '$2' not found in '$1'" ;;
    esac
}

assert_not_contains() {
    case "$1" in
        *"$2"*) fail "${3:-text}: unexpected '$2' in '$1'" ;;
    esac
}

assert_file_contains() {
    [ -f "$1" ] || fail "${3:-file}: $1 does not exist"
    grep -aqF -- "$2" "$1" || fail "${3:-file}: '$2' not found in $1"
}

assert_file_not_contains() {
    [ -f "$1" ] || fail "${3:-file}: $1 does not exist"
    if grep -aqF -- "$2" "$1"; then
        fail "${3:-file}: unexpected '$2' in $1"
    fi
}
