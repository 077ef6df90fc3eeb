#!/bin/bash
# bench.sh - "make bench": every speed figure next to its floor measured
# in the same run, with the ratio, printed as one Markdown table (and
# kept in the build tree as bench-results.md). Asserts nothing.
#
# Floors: spawning /bin/true; one durable create + rename + directory
# sync on the spool's file system (floor.py); Postfix's smtp-sink taking
# mail from smtp-source over 1 and 4 sessions. The sink comes from
# Debian's postfix package, extracted with dpkg -x into the build tree
# (apt-get download; never installed); without it the Python test
# smarthost stands in and the table says so.
# Figures: the sendmail call (p50, p90, p99), end to end with 1, 2 and 8
# submitters, the drain of a backlog and its sessions, mailq cold and
# warm, fsyncs and syscalls per message (strace -f -c), peak RSS.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

CALLS=${BENCH_CALLS:-500}
BACKLOG=${BENCH_BACKLOG:-20000}
E2E=${BENCH_E2E:-400}
make_tmpdir
timer=$top_builddir/tests/tools/spawn-timer
[ -x "$timer" ] || fail "build tests/tools/spawn-timer first (make bench does)"
now_us() { date +%s%6N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ms_of() { sed -n "s/.*$1 \([0-9.]*\) ms.*/\1/p"; }
ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 |"); printf '%s: %s (floor %s, %s)\n' "$1" "$2" "$3" "$4" >&2; }

# --- the sink: smtp-sink from Debian's postfix package, or the test smarthost
pf=$top_builddir/bench-postfix
if [ ! -x "$pf/usr/sbin/smtp-sink" ] && command -v apt-get >/dev/null; then
    mkdir -p "$pf.deb" && (cd "$pf.deb" && apt-get download postfix >/dev/null 2>&1) &&
        dpkg -x "$pf.deb"/postfix_*.deb "$pf" 2>/dev/null
fi
SINK_PORT=
if [ -x "$pf/usr/sbin/smtp-sink" ]; then
    export LD_LIBRARY_PATH=$pf/usr/lib/postfix
    SINK_PORT=$(( 20000 + RANDOM % 20000 ))
    sink_user=()
    [ "$(id -u)" = 0 ] && sink_user=(-u nobody)	# it will not run as root
    "$pf/usr/sbin/smtp-sink" "${sink_user[@]}" -m 64 "127.0.0.1:$SINK_PORT" 256 \
        >"$TEST_TMPDIR/sink.out" 2>&1 &
    SINK_PID=$!
    track_pid "$SINK_PID"
    sleep 0.5
    sink_rate() {	# SESSIONS COUNT -> msg/s by smtp-source
        local t0 t1
        t0=$(now_us)
        "$pf/usr/sbin/smtp-source" -s "$1" -m "$2" -l 2048 -c "127.0.0.1:$SINK_PORT" >/dev/null 2>&1
        t1=$(now_us)
        awk -v n="$2" -v us=$((t1 - t0)) 'BEGIN { printf "%d", n * 1e6 / us }'
    }
    SINK1=$(sink_rate 1 5000)
    SINK4=$(sink_rate 4 20000)
    SINK_NAME="Postfix smtp-sink (plain SMTP)"
    unset LD_LIBRARY_PATH
    SH=$TEST_TMPDIR/sh-unused
    SPOOL=$TEST_TMPDIR/spool
    WLOG=$TEST_TMPDIR/worker.log
    mkdir -p "$SPOOL/incoming" "$SPOOL/queue" "$SPOOL/public"
    cat >"$TEST_TMPDIR/postern.conf" <<CONF
hostname = "host.example.com"
domain = "example.com"
smarthost "127.0.0.1" {
    port = {"$SINK_PORT/plain"}
    tls = none
}
queue { user_max_messages = 0  user_max_size = "0" }
log { target = stderr }
CONF
    export POSTERN_CONFIG=$TEST_TMPDIR/postern.conf POSTERN_SPOOL_DIR=$SPOOL
    export POSTERN_DROP=$POSTERN_BIN/postern-drop POSTERN_WORKER=$POSTERN_BIN/posternd
else
    QUEUE_EXTRA='user_max_messages = 0' worker_test_setup
    SINK1=n/a SINK4=n/a SINK_NAME="the Python test smarthost (STARTTLS; postfix package unavailable)"
fi
"$POSTERN_BIN/posternd" --once --stderr >/dev/null 2>&1	# publishes the limits
head -c 1500 /dev/urandom | base64 -w 76 | sed '1i Subject: bench\n' >"$TEST_TMPDIR/msg"

# --- floors
true_f=$("$timer" "$CALLS" /dev/null /bin/true) || fail "/bin/true failed"
true_ms=$(echo "$true_f" | ms_of median)
mkdir -p "$SPOOL/floor"
dur_f=$("$PYTHON3" "$TESTS_DIR/bench/floor.py" "$SPOOL/floor" 200)
dur_ms=$(echo "$dur_f" | ms_of median)
floor_ms=$(awk -v a="$true_ms" -v b="$dur_ms" 'BEGIN { printf "%.3f", a + b }')
row "floor: spawn of /bin/true" "$true_ms ms" "" "" ""
row "floor: durable create+rename+dir sync" "$dur_ms ms" "" "" ""
row "floor: one call (the two above)" "$floor_ms ms" "" "" ""
row "sink alone, 1 session" "$SINK1 msg/s" "" "" "$SINK_NAME"
row "sink alone, 4 sessions" "$SINK4 msg/s" "" "" ""

# --- the sendmail call, worker stopped
# call_rows HOW P50NOTE P99NOTE - time CALLS sendmail calls, three rows
call_rows() {
    local f p50 p90 p99
    f=$("$timer" "$CALLS" "$TEST_TMPDIR/msg" "$POSTERN_BIN/sendmail" -i c@example.org) ||
        fail "sendmail failed"
    p50=$(echo "$f" | ms_of median) p90=$(echo "$f" | ms_of p90) p99=$(echo "$f" | ms_of p99)
    row "sendmail call p50 ($1)" "$p50 ms" "$floor_ms ms" "$(ratio "$p50" "$floor_ms")x" "$2"
    row "sendmail call p90 ($1)" "$p90 ms" "$floor_ms ms" "$(ratio "$p90" "$floor_ms")x" ""
    row "sendmail call p99 ($1)" "$p99 ms" "$floor_ms ms" "$(ratio "$p99" "$floor_ms")x" "$3"
}
call_rows "worker stopped: set-gid writer" "" ""
rm -rf "$SPOOL"/incoming/*

# --- syscalls and fsyncs of one call, and RSS
strace -f -qq -c -o "$TEST_TMPDIR/call.strace" "$POSTERN_BIN/sendmail" -i c@example.org <"$TEST_TMPDIR/msg" ||
    fail "sendmail under strace"
call_sys=$(awk '$NF == "total" { print $4 }' "$TEST_TMPDIR/call.strace")
call_fsync=$(awk '$NF ~ /^(fsync|fdatasync)$/ { n += $4 } END { print n + 0 }' "$TEST_TMPDIR/call.strace")
/usr/bin/time -f '%M' -o "$TEST_TMPDIR/rss.call" "$POSTERN_BIN/sendmail" -i c@example.org <"$TEST_TMPDIR/msg" 2>/dev/null
row "syscalls per call (sendmail + writer, worker stopped)" "$call_sys" "" "" "fsyncs: $call_fsync"
row "sendmail peak RSS" "$(( $(tail -n 1 "$TEST_TMPDIR/rss.call") / 1024 )) MiB" "" "" "target <= 2 MiB"
rm -rf "$SPOOL"/incoming/*

# --- the sendmail call with the worker running: over its socket
"$POSTERN_BIN/posternd" --stderr >"$WLOG" 2>&1 &
DPID=$!
track_pid "$DPID"
for _ in $(seq 100); do [ -S "$SPOOL/public/submit" ] && break; sleep 0.05; done
call_rows "worker running: socket" "target <= 1.3x" "target <= 3x"
strace -f -qq -c -o "$TEST_TMPDIR/sock.strace" "$POSTERN_BIN/sendmail" -i c@example.org <"$TEST_TMPDIR/msg" ||
    fail "sendmail under strace"
sock_sys=$(awk '$NF == "total" { print $4 }' "$TEST_TMPDIR/sock.strace")
row "syscalls per call (sendmail, worker running)" "$sock_sys" "" "" "the worker's share is in the end-to-end figures"
for _ in $(seq 200); do [ "$(queue_count)" = 0 ] && break; sleep 0.05; done

# --- end to end with the worker running: 1, 2 and 8 submitters
e2e() {	# SUBMITTERS -> msg/s from first call to the last message removed
    local n=$1 t0 t1 per=$((E2E / $1)) pids=()
    t0=$(now_us)
    # spawn-timer starts each call with posix_spawn, as the floor's calls
    # are started: a shell loop's fork would cost more than sendmail
    for ((s = 0; s < n; s++)); do
        "$timer" "$per" "$TEST_TMPDIR/msg" "$POSTERN_BIN/sendmail" -i e@example.org >/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}" || fail "a submitter failed"
    for ((i = 0; i < 600; i++)); do
        [ -z "$(ls -A "$SPOOL/incoming")" ] && [ "$(queue_count)" = 0 ] && break
        sleep 0.05
    done
    t1=$(now_us)
    awk -v n=$((per * $1)) -v us=$((t1 - t0)) 'BEGIN { printf "%d", n * 1e6 / us }'
}
one=$(e2e 1) two=$(e2e 2) eight=$(e2e 8)
ideal=$(awk -v f="$floor_ms" 'BEGIN { printf "%d", 1000 / f }')
row "end to end, 1 submitter" "$one msg/s" "$ideal msg/s (1/floor)" "$(ratio "$one" "$ideal")" "target >= 0.75"
row "end to end, 2 submitters" "$two msg/s" "$one msg/s (1 submitter)" "$(ratio "$two" "$one")x" ""
row "end to end, 8 submitters" "$eight msg/s" "$one msg/s (1 submitter)" "$(ratio "$eight" "$one")x" "target >= 2.5x"
kill -TERM "$DPID"; wait "$DPID"

# --- fsyncs and syscalls per message, end to end (strace -f -c): the
# worker running and every sendmail traced, from the first call until
# the worker has stopped (its last removals synced)
strace -f -qq -c -o "$TEST_TMPDIR/e2e.strace" bash -c '
    "$3" --stderr >/dev/null 2>&1 &
    for ((i = 0; i < 100; i++)); do [ -S "$4/public/submit" ] && break; sleep 0.05; done
    for ((i = 0; i < 200; i++)); do "$1" -i f@example.org <"$2" || exit 1; done
    for ((i = 0; i < 600; i++)); do
        [ -z "$(ls "$4/queue" | grep -E "^[0-9A-F]{17}$")" ] && break; sleep 0.05; done
    kill -TERM %1; wait %1' _ "$POSTERN_BIN/sendmail" "$TEST_TMPDIR/msg" \
    "$POSTERN_BIN/posternd" "$SPOOL" || fail "the traced run failed"
e2e_fsync=$(awk '$NF ~ /^(fsync|fdatasync)$/ { n += $4 } END { printf "%.2f", n / 200 }' "$TEST_TMPDIR/e2e.strace")
e2e_sys=$(awk '$NF == "total" { printf "%d", $4 / 200 }' "$TEST_TMPDIR/e2e.strace")
row "fsyncs per message, end to end (worker running)" "$e2e_fsync" "" "" "target <= 2"
row "syscalls per message, end to end" "$e2e_sys" "" "" "sendmail, bash's fork and the worker"

# --- the backlog: queued with the worker stopped, listed, then drained
fill() { for ((i = $1; i < BACKLOG; i += 8)); do
    "$POSTERN_BIN/sendmail" -i "d$i@example.org" <"$TEST_TMPDIR/msg" || exit 1; done; }
pids=()
for k in 0 1 2 3 4 5 6 7; do fill "$k" & pids+=($!); done
wait "${pids[@]}" || fail "queueing the backlog failed"
queued=$(ls "$SPOOL/incoming" | wc -l)
t0=$(now_us); "$POSTERN_BIN/postern" queue >/dev/null; t1=$(now_us)
warm_ms=$(( (t1 - t0) / 1000 ))
cold_ms=n/a
if [ "$(id -u)" = 0 ] && sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
    t0=$(now_us); "$POSTERN_BIN/postern" queue >/dev/null; t1=$(now_us)
    cold_ms=$(( (t1 - t0) / 1000 ))
fi
row "mailq, $queued queued, warm" "$warm_ms ms" "" "" "target <= 250 ms"
row "mailq, $queued queued, cold (caches dropped)" "$cold_ms ms" "" "" "target <= 250 ms"
: >"$WLOG"
t0=$(now_us)
/usr/bin/time -f '%M' -o "$TEST_TMPDIR/rss.drain" "$POSTERN_BIN/posternd" --once --stderr \
    >>"$WLOG" 2>&1 || fail "the drain failed: $(tail -n 3 "$WLOG")"
t1=$(now_us)
sent=$(grep -c "status=sent" "$WLOG")
drain=$(awk -v n="$sent" -v us=$((t1 - t0)) 'BEGIN { printf "%d", n * 1e6 / us }')
sessions=$(grep -c "connected to" "$WLOG")
row "drain of $queued queued with the worker stopped (pickup + delivery)" "$drain msg/s" \
    "$SINK4 msg/s (sink, 4 sessions)" "$(ratio "$drain" "$SINK4")" "$sessions sessions"
row "posternd peak RSS, $queued queued" "$(( $(tail -n 1 "$TEST_TMPDIR/rss.drain") / 1024 )) MiB" "" "" "target <= 16 MiB with 50,000"

# --- a backlog after an outage: queued again, every message deferred
# once while the smarthost was unreachable (a closed port), then drained
# by a flush once it is back
pids=()
for k in 0 1 2 3 4 5 6 7; do fill "$k" & pids+=($!); done
wait "${pids[@]}" || fail "queueing the backlog failed"
sed 's|port = {"[0-9]*/plain"}|port = {"1/plain"}|; s|port = {"[0-9]*/starttls"}|port = {"1/starttls"}|' \
    "$POSTERN_CONFIG" >"$TEST_TMPDIR/down.conf"
POSTERN_CONFIG=$TEST_TMPDIR/down.conf "$POSTERN_BIN/posternd" --once --stderr >/dev/null 2>&1
deferred=$(queue_count)
: >"$WLOG"
t0=$(now_us)
"$POSTERN_BIN/posternd" --once --flush --stderr >>"$WLOG" 2>&1 || fail "the flush failed: $(tail -n 3 "$WLOG")"
t1=$(now_us)
sent=$(grep -c "status=sent" "$WLOG")
drain=$(awk -v n="$sent" -v us=$((t1 - t0)) 'BEGIN { printf "%d", n * 1e6 / us }')
sessions=$(grep -c "connected to" "$WLOG")
row "drain of $deferred deferred after an outage (flush)" "$drain msg/s" "$SINK4 msg/s (sink, 4 sessions)" \
    "$(ratio "$drain" "$SINK4")" "target >= 4000 msg/s and >= 0.40; $sessions sessions"

# --- the table
{
    echo "| figure | postern | floor (same run) | ratio | note |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} >"$top_builddir/bench-results.md"
echo
cat "$top_builddir/bench-results.md"
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo), $(uname -r), spool on $(findmnt -no FSTYPE -T "$SPOOL" 2>/dev/null || echo '?')"
exit 0
