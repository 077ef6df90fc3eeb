#!/bin/bash
# ports.sh - the best reachable submission port, with ports blocked for
# real: the smarthost and the worker run in a network namespace this test
# creates, where iptables REJECTs (TCP reset: "refused") or DROPs
# ("filtered") ports on its loopback. Covers: 587 refused or filtered so
# 465 is used (filtered well under the connect timeout), 587 and 465
# blocked so 2525 is used, everything blocked so the mail is deferred
# with a clear reason, a port configured with the wrong encryption
# corrected (both ways), a bad certificate deferring without any
# downgrade, the remembered winner reused and re-probed after it fails,
# failover to a second smarthost, and postern probe in both formats.
# Needs root, ip and iptables (CI runs as root); skipped otherwise.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null && command -v iptables >/dev/null || skip "needs ip and iptables"
NS=postern-ports-$$
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
trap 'rc=$?; ip netns del "$NS" 2>/dev/null; rm -rf "/etc/netns/$NS"; (exit $rc); _cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up 2>/dev/null || skip "no CAP_NET_ADMIN in the network namespace (cannot bring up lo)"
in_ns iptables -L INPUT -n >/dev/null 2>&1 || skip "iptables does not work in a namespace here"
# Inside the namespace, /etc/hosts is Debian's default (ip netns exec
# binds /etc/netns/NAME/hosts over it): localhost is ::1 first, then
# 127.0.0.1, where the smarthost listens. Delivery and the probe must both
# try every address.
mkdir -p "/etc/netns/$NS"
cat >"/etc/netns/$NS/hosts" <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	debian

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
HOSTS
in_ns getent ahosts localhost | head -n 1 | grep -q '^::1' ||
    note "localhost does not resolve to ::1 first in the namespace: $(in_ns getent ahosts localhost | head -n 2 | tr '\n' ' ')"

make_tmpdir
# The smarthost runs inside the namespace, on the real submission ports.
cat >"$TEST_TMPDIR/python-in-ns" <<SH
#!/bin/sh
exec ip netns exec $NS ${PYTHON3:-/usr/bin/python3} "\$@"
SH
chmod +x "$TEST_TMPDIR/python-in-ns"
REAL_PYTHON3=$PYTHON3
PYTHON3=$TEST_TMPDIR/python-in-ns
SH=$TEST_TMPDIR/sh
LISTEN=(--listen starttls:127.0.0.1:587 --listen tls:127.0.0.1:465 --listen starttls:127.0.0.1:2525)
start_smarthost "$SH" "${LISTEN[@]}"
PYTHON3=$REAL_PYTHON3
setup_worker "$SH"
set_ports() {	# set_ports 'port = {...}' (empty: auto)
    sed -i '/^    port = /d' "$POSTERN_CONFIG"
    [ -n "$1" ] && sed -i "s|^smarthost \"localhost\" {|&\n    port = $1|" "$POSTERN_CONFIG"
    true
}
set_ports ""
sed -i 's/connect_timeout = "3s"/connect_timeout = "4s"/' "$POSTERN_CONFIG"

block() {	# block PORT refuse|filter
    if [ "$2" = refuse ]; then
        in_ns iptables -A INPUT -p tcp --dport "$1" -j REJECT --reject-with tcp-reset
    else
        in_ns iptables -A INPUT -p tcp --dport "$1" -j DROP
    fi
}
unblock() { in_ns iptables -F INPUT; }
forget() { rm -f "$SPOOL/queue/port-cache"; }
ELAPSED=0
deliver() {	# deliver RCPT: queue one message, one worker pass in the namespace
    local t0 t1
    printf 'Subject: port test\n\nbody\n' | send_mail -i "$1"
    t0=$(date +%s%3N)
    in_ns "$POSTERN_BIN/posternd" --once --stderr >>"$WLOG" 2>&1 ||
        fail "posternd --once failed: $(tail -n 5 "$WLOG")"
    t1=$(date +%s%3N)
    ELAPSED=$((t1 - t0))
}
expect_port() {	# expect_port RCPT PORT STARTTLS(true|false)
    local f
    f=$(grep -l "\"$1\"" "$SH"/mail/*.json | tail -n 1) || fail "$1 was not delivered"
    assert_json "$f" "listen_port=$2" "starttls=$3" tls=true
}

# 1. Everything open: 587 with STARTTLS, the first preference.
deliver open@example.org
expect_port open@example.org 587 true
log_has "connected to localhost\[127\.0\.0\.1\]:587 \(starttls\)"

# 2. 587 refused: 465 with implicit TLS.
forget; block 587 refuse
deliver refused@example.org
expect_port refused@example.org 465 false
unblock

# 3. 587 filtered: 465, well under the 4 s connect timeout.
forget; block 587 filter
deliver filtered@example.org
expect_port filtered@example.org 465 false
[ "$ELAPSED" -lt 3000 ] || fail "a filtered 587 cost $ELAPSED ms (connect timeout 4 s)"
note "587 filtered: delivered over 465 in $ELAPSED ms"
unblock

# 4. 587 and 465 blocked: 2525.
forget; block 587 filter; block 465 refuse
deliver fallback@example.org
expect_port fallback@example.org 2525 true
unblock

# 5. Everything blocked: deferred, with every port named.
forget; block 587 filter; block 465 refuse; block 2525 filter
n=$(mail_count "$SH")
deliver blocked@example.org
[ "$(mail_count "$SH")" = "$n" ] || fail "mail went out with every port blocked"
log_has "to=<blocked@example.org> relay=none .*status=deferred \(localhost: 587/starttls filtered \(no answer to connect\); 465/tls refused; 2525/starttls filtered \(no answer to connect\)\)\$"
"$POSTERN_BIN/postern" delete --all >/dev/null
unblock

# 6. 465 configured as STARTTLS: it stays silent; implicit TLS is used.
forget; set_ports '{"465/starttls"}'
deliver silent465@example.org
expect_port silent465@example.org 465 false
log_has "localhost:465 is configured for STARTTLS but stays silent and speaks implicit TLS; using implicit TLS\. Fix: write \"465/tls\""

# 7. 587 configured as implicit TLS: its plaintext banner means STARTTLS.
forget; set_ports '{"587/tls"}'
deliver banner587@example.org
expect_port banner587@example.org 587 true
log_has "localhost:587 is configured for implicit TLS but answers with a plaintext SMTP banner; using STARTTLS\. Fix: write \"587/starttls\""
set_ports ""

# 8. The remembered winner is reused, and probed again when it fails.
forget; block 587 refuse
deliver cache1@example.org
expect_port cache1@example.org 465 false
grep -qx "localhost 465 tls [0-9]*" "$SPOOL/queue/port-cache" || fail "winner not remembered: $(cat "$SPOOL/queue/port-cache")"
unblock
deliver cache2@example.org
expect_port cache2@example.org 465 false	# 587 is open again, but 465 is remembered
block 465 refuse
deliver cache3@example.org
expect_port cache3@example.org 587 true
log_has "localhost: remembered port 465/tls failed .*; probing all ports again"
grep -qx "localhost 587 starttls [0-9]*" "$SPOOL/queue/port-cache" || fail "new winner not remembered"
unblock

# 9. Failover: the first smarthost refuses; the second one takes the mail.
forget
cp "$POSTERN_CONFIG" "$TEST_TMPDIR/one-host.conf"
sed -i 's|^smarthost "localhost" {|smarthost "localhost" {\n    port = {"2600/starttls"}\n}\nsmarthost "127.0.0.1" {\n    tls_verify_name = "localhost"\n    port = {"587/starttls"}|' "$POSTERN_CONFIG"
"$POSTERN_BIN/postern" check-config >/dev/null || fail "failover config does not load"
deliver failover@example.org
expect_port failover@example.org 587 true
log_has "to=<failover@example.org> relay=127\.0\.0\.1\[127\.0\.0\.1\]:587 .*status=sent"
cp "$TEST_TMPDIR/one-host.conf" "$POSTERN_CONFIG"

# 10. postern probe, as text and as JSON.
block 587 filter
in_ns "$POSTERN_BIN/postern" probe --timeout 2 >"$TEST_TMPDIR/probe" ||
    fail "probe found no usable port: $(cat "$TEST_TMPDIR/probe")"
grep -qE "^587/starttls +127\.0\.0\.1 +filtered" "$TEST_TMPDIR/probe" || fail "probe: $(cat "$TEST_TMPDIR/probe")"
grep -qE "^587/starttls +::1 +refused" "$TEST_TMPDIR/probe" || fail "probe 587 at ::1: $(cat "$TEST_TMPDIR/probe")"
grep -qE "^465/tls +127\.0\.0\.1 +ok .* tls +yes +TLSv1\.[23]" "$TEST_TMPDIR/probe" || fail "probe 465: $(cat "$TEST_TMPDIR/probe")"
grep -qE "^2525/starttls +127\.0\.0\.1 +ok" "$TEST_TMPDIR/probe" || fail "probe 2525"
grep -q "^probing localhost (::1, 127\.0\.0\.1)" "$TEST_TMPDIR/probe" || fail "probe does not list both addresses: $(head -n 1 "$TEST_TMPDIR/probe")"
grep -qx "recommendation: use 465/tls: 587 refuses connections at ::1 and is filtered by your network at 127\.0\.0\.1" "$TEST_TMPDIR/probe" ||
    fail "probe advice: $(grep recommendation "$TEST_TMPDIR/probe")"
grep -qx 'config: *smarthost "localhost" { port = {"465/tls"} }' "$TEST_TMPDIR/probe" || fail "probe config line"
grep -q "CN=localhost" "$TEST_TMPDIR/probe" || fail "probe lacks the certificate subject"
grep -q "PIPELINING" "$TEST_TMPDIR/probe" || fail "probe lacks the extensions"
in_ns "$POSTERN_BIN/postern" probe --json --timeout 2 >"$TEST_TMPDIR/probe.json" || fail "probe --json"
"$REAL_PYTHON3" - "$TEST_TMPDIR/probe.json" <<'PY' || fail "probe --json: $(cat "$TEST_TMPDIR/probe.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = {p["port"]: p for p in d["ports"] if p["address"] == "127.0.0.1"}
v6 = {p["port"]: p for p in d["ports"] if p["address"] == "::1"}
assert v6[465]["result"] == "refused", v6
assert r[587]["result"] == "filtered", r[587]
assert r[465]["result"] == "ok" and r[465]["speaks"] == "tls" and r[465]["verify"] == "ok", r[465]
assert r[2525]["mode_matches"] is True
assert d["usable"] is True and d["config"] == 'smarthost "localhost" { port = {"465/tls"} }'
PY
block 465 refuse; block 2525 refuse
in_ns "$POSTERN_BIN/postern" probe --timeout 1 >"$TEST_TMPDIR/probe" 2>&1
rc=$?
[ "$rc" = 69 ] || fail "probe with every port blocked exited $rc, expected 69"
grep -q "^recommendation: no usable port" "$TEST_TMPDIR/probe" || fail "probe: $(tail -n 2 "$TEST_TMPDIR/probe")"
unblock

# 11. A bad certificate on every port: deferred, never downgraded.
forget
stop_smarthost "$SH"
PYTHON3=$TEST_TMPDIR/python-in-ns
start_smarthost "$SH" "${LISTEN[@]}" --cert wronghost
PYTHON3=$REAL_PYTHON3
n=$(mail_count "$SH")
mails_before=$(grep -c "MAIL FROM" "$SH/smarthost.log")
deliver badcert@example.org
[ "$(mail_count "$SH")" = "$n" ] || fail "mail went out despite a bad certificate"
log_has "to=<badcert@example.org> relay=none .*status=deferred \(.*certificate verification failed"
[ "$(grep -c "MAIL FROM" "$SH/smarthost.log")" = "$mails_before" ] ||
    fail "a MAIL command reached the server with a bad certificate"
exit 0
