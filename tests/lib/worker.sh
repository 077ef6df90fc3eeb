# worker.sh - helpers for tests that run the whole path: sendmail, the
# spool writer, posternd and the test smarthost. Source after common.sh.
#
#   worker_test_setup [ARGS...]  make_tmpdir, a smarthost in $SH started
#                                with ARGS (default: STARTTLS on a free
#                                port), then setup_worker "$SH"
#   setup_worker SMARTHOST_DIR   spool + postern.conf aimed at the
#                                smarthost's first (STARTTLS) endpoint;
#                                extra config from $CONF_EXTRA and
#                                $QUEUE_EXTRA (inside queue { }).
#                                idle_timeout is 0: a session ends when
#                                nothing is due, so each new batch of
#                                mail meets the smarthost's current fault
#                                file (read per connection)
#   send_mail ARGS... <msg       sendmail ARGS, must exit 0
#   run_worker [ARGS]            posternd --once, log appended to $WLOG
#   queue_count                  entries in the private queue
#   log_has REGEX                the worker log has a matching line

# worker_test_setup [SMARTHOST-ARGS...] - the usual start of a worker
# test: the temp directory, a smarthost in $SH (STARTTLS on a free port
# unless ARGS say otherwise), and the worker's config and spool
worker_test_setup() {
    make_tmpdir
    SH=$TEST_TMPDIR/sh
    if [ "$#" = 0 ]; then
        set -- --listen starttls:127.0.0.1:0
    fi
    start_smarthost "$SH" "$@"
    setup_worker "$SH"
}

setup_worker() {
    local sh=$1 port
    port=$(smarthost_port "$sh" 0)
    SPOOL=$TEST_TMPDIR/spool
    WLOG=$TEST_TMPDIR/worker.log
    mkdir -p "$SPOOL/incoming" "$SPOOL/queue" "$SPOOL/public"
    : >"$WLOG"
    cat >"$TEST_TMPDIR/postern.conf" <<CONF
hostname = "host.example.com"
domain = "example.com"
smarthost "localhost" {
    port = {"$port/starttls"}
    tls_ca_file = "$sh/ca.pem"
    connect_timeout = "3s"
    greeting_timeout = "5s"
    command_timeout = "5s"
}
queue {
    min_backoff = "1s"
    max_backoff = "2s"
    idle_timeout = "0s"
    ${QUEUE_EXTRA:-}
}
log { target = stderr }
${CONF_EXTRA:-}
CONF
    export POSTERN_CONFIG=$TEST_TMPDIR/postern.conf POSTERN_SPOOL_DIR=$SPOOL
    export POSTERN_DROP=$POSTERN_BIN/postern-drop POSTERN_WORKER=$POSTERN_BIN/posternd
}

send_mail() {
    "$POSTERN_BIN/sendmail" "$@" 2>>"$TEST_TMPDIR/sendmail.err" ||
        fail "sendmail $* exited $?: $(tail -n 3 "$TEST_TMPDIR/sendmail.err")"
}

run_worker() {
    "$POSTERN_BIN/posternd" --once --stderr "$@" >>"$WLOG" 2>&1 ||
        fail "posternd --once $* exited $?: $(tail -n 5 "$WLOG")"
}

queue_count() {
    find "$SPOOL/queue" -maxdepth 1 -type f -regextype egrep \
        -regex '.*/[0-9A-F]{17}' | wc -l
}

log_has() {
    grep -qE -- "$1" "$WLOG" || fail "worker log lacks /$1/:
$(cat "$WLOG")"
}

log_lacks() {
    ! grep -qE -- "$1" "$WLOG" || fail "worker log has /$1/:
$(grep -E -- "$1" "$WLOG")"
}

# On failure, show the worker's log along with the smarthost's.
fail() {
    printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
    if [ -n "${WLOG:-}" ] && [ -s "$WLOG" ]; then
        printf -- '--- tail of the worker log\n' >&2
        tail -n 30 "$WLOG" >&2
    fi
    exit 1
}

# wait_for_log REGEX [SECS]: until the worker log has a matching line
wait_for_log() {
    local i
    for ((i = 0; i < ${2:-$WAIT_TIMEOUT} * 20; i++)); do
        grep -qE -- "$1" "$WLOG" && return 0
        sleep 0.05
    done
    fail "timed out waiting for /$1/ in the worker log"
}
