#!/bin/bash
# port-preference.sh - the order of preference survives a slow path. The
# three candidates sit behind delaying proxies (every reply 1 s late, and
# 40 ms each way: an 80 ms round trip; this kernel has no netem). The
# first choice, connected and progressing, keeps its place: it is chosen
# although implicit TLS on the second would finish sooner, and no other
# candidate is opened. Then with the first choice refused, the second
# (implicit TLS) wins and the third is never opened.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

QUEUE_EXTRA='concurrency = 1' worker_test_setup --listen starttls:127.0.0.1:0 \
    --listen tls:127.0.0.1:0 --listen starttls:127.0.0.1:0
sed -i 's/command_timeout = "5s"/command_timeout = "20s"/; s/greeting_timeout = "5s"/greeting_timeout = "20s"/' \
    "$POSTERN_CONFIG"
for i in 0 1 2; do
    start_proxy "$TEST_TMPDIR/proxy$i" "$(smarthost_port "$SH" "$i")" \
        --delay-ms 40 --reply-delay-ms 1000
    PX[$i]=$PROXY_PORT
done
sed -i "s|^    port = .*|    port = {\"${PX[0]}/starttls\", \"${PX[1]}/tls\", \"${PX[2]}/starttls\"}|" \
    "$POSTERN_CONFIG"
opened() { grep -c '^accepted' "$TEST_TMPDIR/proxy$1/connections.log" 2>/dev/null || echo 0; }

printf 'Subject: slow\n\nbody\n' | send_mail -i a@example.org
run_worker
wait_for_count "$SH" 1 60
log_has "relay=localhost\[127\.0\.0\.1\]:${PX[0]} .*status=sent"
note "slow path: connections opened per proxy: $(opened 0) $(opened 1) $(opened 2)"
assert_eq 0 "$(( $(opened 1) + $(opened 2) ))" "connections beyond the first choice's"

# The first choice refused: the second wins, the third is never opened.
kill "$(pgrep -f "tcp_proxy.py --dir $TEST_TMPDIR/proxy0 ")" 2>/dev/null
rm -f "$SPOOL/queue/port-cache"
printf 'Subject: slow 2\n\nbody\n' | send_mail -i b@example.org
run_worker
wait_for_count "$SH" 2 60
log_has "relay=localhost\[127\.0\.0\.1\]:${PX[1]} .*status=sent"
note "first choice refused: connections opened per proxy: - $(opened 1) $(opened 2)"
assert_eq 0 "$(opened 2)" "connections to the third choice"
