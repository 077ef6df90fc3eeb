#!/bin/bash
# hostile-smarthost.sh - a smarthost that misbehaves on purpose
# (hostile_smarthost.py: a multi-megabyte reply line, endless multi-line
# replies, NUL bytes, text injected before the TLS handshake, garbage on
# an implicit-TLS port, a server that never speaks, one that closes in
# the middle of DATA). For each, one delivery pass of posternd (the
# sanitizer build when the suite runs there): no crash and no sanitizer
# report, bounded memory (peak RSS printed), and the message stays
# queued, never quarantined or lost.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"
. "$TESTS_DIR/reliability/lib.sh"

[ -x /usr/bin/time ] || skip "GNU time (/usr/bin/time) is needed to measure peak memory"
RSS_LIMIT_KB=$((256 * 1024))
make_tmpdir
SPOOL=$TEST_TMPDIR/spool
WLOG=$TEST_TMPDIR/worker.log
export POSTERN_CONFIG=$TEST_TMPDIR/postern.conf POSTERN_SPOOL_DIR=$SPOOL
export POSTERN_DROP=$POSTERN_BIN/postern-drop
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1

for mode in huge-line endless nul inject garbage-tls silent close-in-data; do
    dir=$TEST_TMPDIR/$mode
    mkdir -p "$dir"
    "$PYTHON3" "$TESTS_DIR/reliability/hostile_smarthost.py" --dir "$dir" --mode "$mode" \
        >"$dir/server.log" 2>&1 &
    track_pid $!
    for ((i = 0; i < 200; i++)); do
        [ -s "$dir/port" ] && break
        sleep 0.05
    done
    [ -s "$dir/port" ] || fail "$mode: the hostile server did not start: $(cat "$dir/server.log")"
    port=$(cat "$dir/port")
    [ "$mode" = garbage-tls ] && kind=tls || kind=starttls
    rm -rf "$SPOOL"
    mkdir -p "$SPOOL/incoming" "$SPOOL/queue" "$SPOOL/public"
    cat >"$POSTERN_CONFIG" <<CONF
hostname = "host.example.com"
domain = "example.com"
smarthost "localhost" {
    port = {"$port/$kind"}
    tls_ca_file = "$dir/ca.pem"
    connect_timeout = "2s"
    greeting_timeout = "2s"
    command_timeout = "2s"
}
queue { min_backoff = "1m"  idle_timeout = "0s" }
log { target = stderr }
CONF
    printf 'Subject: hostile %s\n\nbody\n' "$mode" | "$POSTERN_BIN/sendmail" -i b@example.org ||
        fail "$mode: sendmail exited $?"
    : >"$WLOG"
    t0=$(date +%s.%N)
    rc=0
    timeout 60 /usr/bin/time -f '%M' -o "$dir/rss" "$POSTERN_BIN/posternd" --once --stderr \
        >>"$WLOG" 2>&1 || rc=$?
    secs=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    rss=$(tail -n 1 "$dir/rss")
    figure "$mode" "rss=${rss} KB time=${secs} s" "$(grep -o 'status=deferred ([^)]*' "$WLOG" | head -n 1 | cut -c 1-70))"
    grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$WLOG" &&
        fail "$mode: sanitizer report: $(grep -E -A5 'Sanitizer|runtime error' "$WLOG" | head -n 20)"
    [ "$rc" = 0 ] || fail "$mode: posternd --once exited $rc"
    [ "${rss:-0}" -lt "$RSS_LIMIT_KB" ] || fail "$mode: peak RSS $rss KB"
    [ "$(queue_count)" = 1 ] || fail "$mode: $(queue_count) entries in the queue, expected the message to stay"
    [ -z "$(ls -A "$SPOOL/queue/quarantine" 2>/dev/null)" ] || fail "$mode: quarantined"
    grep -q "status=deferred" "$WLOG" || fail "$mode: no deferral logged"
done
figure lost 0
figure time "$(elapsed)" s
