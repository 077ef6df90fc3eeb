#!/bin/bash
# providers.sh - the provider catalogue (providers.conf). A smarthost with
# port = auto whose name matches an entry tries that provider's ports, in
# its order: with an SES-like entry whose first two ports (587- and
# 465-like) are closed, the mail goes over its third (2587-like,
# STARTTLS). check-config shows the candidates and the provider, probe
# names it; a catalogue error is reported with its file and line; the
# shipped catalogue loads, and its SES entry gives SES's ports.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup --listen starttls:127.0.0.1:0 --listen tls:127.0.0.1:0
P3=$(smarthost_port "$SH" 0) P4=$(smarthost_port "$SH" 1)
# Two ports that refuse: bound, never listening.
read -r C1 C2 < <("$PYTHON3" -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
cat >"$TEST_TMPDIR/providers.conf" <<CONF
# a test provider, documented ports in its order of preference
provider "Test SES" {
	match = {"LOCALHOST"}
	port = {"$C1/starttls", "$C2/tls", "$P3/starttls", "$P4/tls"}
	auth_mechanisms = {"PLAIN", "LOGIN"}
}
CONF
sed -i "/^    port = /d; s|^hostname = .*|&\nproviders_file = \"$TEST_TMPDIR/providers.conf\"|" "$POSTERN_CONFIG"

"$POSTERN_BIN/postern" check-config >"$TEST_TMPDIR/check.out" 2>&1 || fail "check-config: $(cat "$TEST_TMPDIR/check.out")"
grep -q "port = auto.*# tries $C1/starttls $C2/tls $P3/starttls $P4/tls (Test SES, from providers_file)" \
    "$TEST_TMPDIR/check.out" || fail "check-config does not show the provider's ports: $(grep 'port = ' "$TEST_TMPDIR/check.out")"

printf 'Subject: provider\n\nbody\n' | send_mail -i a@example.org
run_worker
wait_for_count "$SH" 1
log_has "relay=localhost\[127\.0\.0\.1\]:$P3 .*status=sent"

"$POSTERN_BIN/postern" probe >"$TEST_TMPDIR/probe.out" 2>&1
grep -q "a Test SES host: its documented ports" "$TEST_TMPDIR/probe.out" ||
    fail "probe does not name the provider: $(head -n 2 "$TEST_TMPDIR/probe.out")"

# A bad entry: reported with the catalogue's file and line.
printf 'provider "Broken" {\n\tmatch = {"x.example"}\n\tport = {"99999/tls"}\n}\n' >>"$TEST_TMPDIR/providers.conf"
"$POSTERN_BIN/postern" check-config -q >"$TEST_TMPDIR/bad.out" 2>&1 && fail "a broken catalogue was accepted"
grep -q "providers.conf:9: port" "$TEST_TMPDIR/bad.out" || fail "no file and line for the broken entry: $(cat "$TEST_TMPDIR/bad.out")"

# The shipped catalogue loads, and an SES host gets SES's ports.
SHIPPED=$TESTS_DIR/../etc/providers.conf
printf 'providers_file = "%s"\nsmarthost "email-smtp.eu-west-1.amazonaws.com" { }\n' "$SHIPPED" \
    >"$TEST_TMPDIR/ses.conf"
"$POSTERN_BIN/postern" check-config -c "$TEST_TMPDIR/ses.conf" >"$TEST_TMPDIR/ses.out" 2>&1 ||
    fail "the shipped catalogue does not load: $(cat "$TEST_TMPDIR/ses.out")"
grep -q "# tries 587/starttls 465/tls 2587/starttls 2465/tls (Amazon SES" "$TEST_TMPDIR/ses.out" ||
    fail "SES's ports: $(grep 'port = ' "$TEST_TMPDIR/ses.out")"
note "$(grep -c '^provider ' "$SHIPPED") providers in the shipped catalogue"
