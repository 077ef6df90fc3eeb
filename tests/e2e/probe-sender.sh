#!/bin/bash
# probe-sender.sh - postern probe --auth also asks whether the envelope
# sender this host will use is accepted (MAIL FROM, then RSET): providers
# that take only verified senders refuse root@hostname, and the probe
# says which option to set. Nothing is sent.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup --listen starttls:127.0.0.1:0 --auth relay:s3cret-pw \
    --auth-required --auth-require-tls
printf 's3cret-pw\n' >"$TEST_TMPDIR/password"
chmod 0600 "$TEST_TMPDIR/password"
sed -i "s|^    port = .*|&\n    username = \"relay\"\n    password_file = \"$TEST_TMPDIR/password\"|" \
    "$POSTERN_CONFIG"
probe() { "$POSTERN_BIN/postern" probe --auth >"$TEST_TMPDIR/probe.out" 2>&1; }

probe || fail "probe --auth: $(cat "$TEST_TMPDIR/probe.out")"
grep -q "^sender: *<root@example\.com> accepted" "$TEST_TMPDIR/probe.out" ||
    fail "no sender check: $(cat "$TEST_TMPDIR/probe.out")"

write_faults "$SH" '{"mail": {"root@example.com": "553 5.7.1 Sender address not verified"}}'
probe
grep -q "^sender: *<root@example\.com> refused: .*553 5\.7\.1 Sender address not verified" "$TEST_TMPDIR/probe.out" ||
    fail "the refusal is not shown: $(cat "$TEST_TMPDIR/probe.out")"
grep -q "envelope_sender" "$TEST_TMPDIR/probe.out" ||
    fail "no advice on which option to set: $(cat "$TEST_TMPDIR/probe.out")"

# With envelope_sender set, that address is the one asked about.
clear_faults "$SH"
printf 'sender { envelope_sender = "app@verified.example" }\n' >>"$POSTERN_CONFIG"
probe || fail "probe --auth: $(cat "$TEST_TMPDIR/probe.out")"
grep -q "^sender: *<app@verified\.example> accepted" "$TEST_TMPDIR/probe.out" ||
    fail "the configured sender is not the one checked: $(cat "$TEST_TMPDIR/probe.out")"
assert_eq 0 "$(mail_count "$SH")" "messages sent by the probe"
