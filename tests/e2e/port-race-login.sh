#!/bin/bash
# port-race-login.sh - the port race decides the port and never logs in:
# three candidates (587-like STARTTLS, 465-like TLS, 2525-like STARTTLS on
# free loopback ports) race with a short stagger, and the test smarthost
# counts the AUTH commands of every connection. Exactly one AUTH per
# selection, with the right password and with a wrong one (a wrong
# password must cost one failed login per retry, not one per port, or a
# provider's fail2ban bans the host); the winner's session carries it.
# Losers still in their handshake when the race is decided finish it and
# leave with QUIT.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

# One delivery thread: a pass whose login is refused defers the rest of
# the queue, so each pass is one selection.
QUEUE_EXTRA='concurrency = 1' worker_test_setup --listen starttls:127.0.0.1:0 --listen tls:127.0.0.1:0 \
    --listen starttls:127.0.0.1:0 --auth relay:s3cret-pw --auth-required \
    --auth-require-tls
P1=$(smarthost_port "$SH" 0) P2=$(smarthost_port "$SH" 1) P3=$(smarthost_port "$SH" 2)
printf 's3cret-pw\n' >"$TEST_TMPDIR/password"
chmod 0600 "$TEST_TMPDIR/password"
sed -i "s|^    port = .*|    port = {\"$P1/starttls\", \"$P2/tls\", \"$P3/starttls\"}\n    port_stagger = \"1ms\"\n    username = \"relay\"\n    password_file = \"$TEST_TMPDIR/password\"|" \
    "$POSTERN_CONFIG"

# auths_since N - AUTH commands in the sessions after the first N
auths_since() {
    awk -v skip="$1" 'NR > skip { for (i = 1; i <= NF; i++) if ($i ~ /^auths=/) n += substr($i, 7) }
        END { print n + 0 }' "$SH/sessions.log"
}
# sessions_since N - how many connections the selection made
sessions_since() { echo $(( $(session_count "$SH") - $1 )); }

for round in 1 2 3; do
    rm -f "$SPOOL/queue/port-cache"		# no remembered port: a race
    before=$(session_count "$SH")
    printf 'Subject: race %s\n\nbody\n' "$round" | send_mail -i "r$round@example.org"
    run_worker
    wait_for_count "$SH" "$round"
    sleep 0.5				# the losers' sessions end and are logged
    n=$(sessions_since "$before")
    [ "$n" -ge 2 ] || note "round $round: only $n connection(s) raced"
    got=$(auths_since "$before")
    [ "$got" = 1 ] || fail "round $round: $got AUTH commands over $n connections, want exactly 1: $(tail -n "$n" "$SH/sessions.log")"
done
note "3 selections with the right password: 1 AUTH each"

printf 'wrong-pw\n' >"$TEST_TMPDIR/password"
for round in 1 2; do
    rm -f "$SPOOL/queue/port-cache"
    before=$(session_count "$SH")
    printf 'Subject: bad %s\n\nbody\n' "$round" | send_mail -i "bad$round@example.org"
    run_worker --flush
    sleep 0.5
    n=$(sessions_since "$before")
    got=$(auths_since "$before")
    [ "$got" = 1 ] || fail "wrong password, try $round: $got AUTH commands over $n connections, want exactly 1"
done
log_has "status=deferred .*(535|uthentication)"
note "2 tries with a wrong password: 1 failed login each"

# Losers that are connected when the race is decided finish their EHLO
# and get QUIT, not a cut connection: with no stagger every candidate
# starts at once, and the second and third are slow (behind delaying
# proxies), so they are still in their handshake when the first wins.
printf 's3cret-pw\n' >"$TEST_TMPDIR/password"
start_proxy "$TEST_TMPDIR/slow2" "$P2" --reply-delay-ms 300
S2=$PROXY_PORT
start_proxy "$TEST_TMPDIR/slow3" "$P3" --reply-delay-ms 300
S3=$PROXY_PORT
sed -i "s|^    port = .*|    port = {\"$P1/starttls\", \"$S2/tls\", \"$S3/starttls\"}|; s|^    port_stagger = .*|    port_stagger = \"0s\"|" \
    "$POSTERN_CONFIG"
rm -f "$SPOOL/queue/port-cache"
before=$(session_count "$SH")
printf 'Subject: losers\n\nbody\n' | send_mail -i losers@example.org
run_worker
wait_for_count "$SH" 4
wait_for_sessions "$SH" $((before + 3)) 15
got=$(auths_since "$before")
[ "$got" = 1 ] || fail "losers: $got AUTH commands, want 1"
ends=$(tail -n 3 "$SH/sessions.log" | grep -o 'end=[a-z_]*' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
[ "$(tail -n 3 "$SH/sessions.log" | grep -c 'end=quit')" = 3 ] ||
    fail "every connection of the selection should end with QUIT: $ends"
note "3 candidates at once: 1 AUTH, every connection ended with QUIT"

# And on a slow path (40 ms each way: an 80 ms round trip) with a wrong
# password: still one login for the selection.
start_proxy "$TEST_TMPDIR/rtt1" "$P1" --delay-ms 40
sed -i "s|^    port = .*|    port = {\"$PROXY_PORT/starttls\", \"$S2/tls\", \"$S3/starttls\"}|" "$POSTERN_CONFIG"
printf 'wrong-pw\n' >"$TEST_TMPDIR/password"
rm -f "$SPOOL/queue/port-cache"
before=$(session_count "$SH")
printf 'Subject: slow bad\n\nbody\n' | send_mail -i slowbad@example.org
run_worker
sleep 4		# the losers' grace, and their sessions logged
got=$(auths_since "$before")
[ "$got" = 1 ] || fail "80 ms round trip, wrong password: $got AUTH commands over $(sessions_since "$before") connections, want 1"
note "80 ms round trip, wrong password: 1 failed login over $(sessions_since "$before") connection(s)"
