#!/bin/bash
# starttls-stripped.sh - a path that strips STARTTLS (an SMTP inspection
# middlebox, or a misconfigured server) in front of the STARTTLS port,
# with the implicit-TLS port reachable. The mail goes over implicit TLS,
# never in clear: nothing of the login or the message crosses the
# stripped path (its capture is checked); the log says once what happened
# and why, and postern probe says the same.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

QUEUE_EXTRA='concurrency = 1' worker_test_setup --listen starttls:127.0.0.1:0 \
    --listen tls:127.0.0.1:0 --auth relay:s3cret-pw --auth-required --auth-require-tls
P_STARTTLS=$(smarthost_port "$SH" 0) P_TLS=$(smarthost_port "$SH" 1)
start_proxy "$TEST_TMPDIR/proxy" "$P_STARTTLS" --strip-starttls \
    --capture "$TEST_TMPDIR/clear.bin"
printf 's3cret-pw\n' >"$TEST_TMPDIR/password"
chmod 0600 "$TEST_TMPDIR/password"
sed -i "s|^    port = .*|    port = {\"$PROXY_PORT/starttls\", \"$P_TLS/tls\"}\n    username = \"relay\"\n    password_file = \"$TEST_TMPDIR/password\"|" \
    "$POSTERN_CONFIG"

printf 'Subject: secret-subject\n\nsecret-body\n' | send_mail -i a@example.org
run_worker
wait_for_count "$SH" 1
assert_json "$SH/mail/0001.json" tls=true starttls=false
log_has "$PROXY_PORT offers no STARTTLS .*stripped on the path.* used $P_TLS/tls"
[ "$(grep -c 'offers no STARTTLS' "$WLOG")" = 1 ] || fail "the STARTTLS warning is not said once"
for secret in AUTH "$(printf '\0relay\0s3cret-pw' | base64)" s3cret-pw secret-subject secret-body MAIL; do
    ! grep -qaF -- "$secret" "$TEST_TMPDIR/clear.bin" ||
        fail "\"$secret\" crossed the stripped path in clear: $(tr -c '[:print:]\n' . <"$TEST_TMPDIR/clear.bin")"
done

# A second message: the remembered port, and no new warning.
printf 'Subject: second\n\nbody\n' | send_mail -i b@example.org
run_worker
wait_for_count "$SH" 2
[ "$(grep -c 'offers no STARTTLS' "$WLOG")" = 1 ] || fail "the STARTTLS warning came again"

# The probe says the same.
"$POSTERN_BIN/postern" probe >"$TEST_TMPDIR/probe.out" 2>&1
grep -q "no STARTTLS" "$TEST_TMPDIR/probe.out" || fail "the probe does not say STARTTLS is missing: $(cat "$TEST_TMPDIR/probe.out")"
grep -q "stripped" "$TEST_TMPDIR/probe.out" || fail "the probe does not say why: $(cat "$TEST_TMPDIR/probe.out")"
