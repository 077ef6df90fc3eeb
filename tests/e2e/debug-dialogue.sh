#!/bin/bash
# debug-dialogue.sh - log { debug = true } shows the SMTP dialogue: each
# command and reply, queue ID first, with the server and port, and never
# a secret: AUTH shows its mechanism only, the message its size only.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

worker_test_setup --listen starttls:127.0.0.1:0 --auth relay:s3cret-pw \
    --auth-required --auth-require-tls
PORT=$(smarthost_port "$SH" 0)
printf 's3cret-pw\n' >"$TEST_TMPDIR/password"
chmod 0600 "$TEST_TMPDIR/password"
sed -i "s|^    port = .*|&\n    username = \"relay\"\n    password_file = \"$TEST_TMPDIR/password\"|; s|^log { target = stderr }|log { target = stderr\n    debug = true }|" \
    "$POSTERN_CONFIG"

printf 'Subject: private-subject\n\nprivate-body\n' | send_mail -i a@example.org
run_worker
wait_for_count "$SH" 1
QID=$(grep -oE '[0-9A-F]{17}: uid=' "$WLOG" | head -n 1 | cut -d: -f1)
[ -n "$QID" ] || fail "no queue ID in the log"
H="localhost\[127\.0\.0\.1\]:$PORT:"
for line in "< $H 220 " "> $H EHLO host\.example\.com" "< $H 250-" "> $H STARTTLS" \
    "> $H AUTH PLAIN \*\*\*\*\*\*\*\*\$" "< $H 235 " "> $H MAIL FROM:<root@example\.com>" \
    "> $H RCPT TO:<a@example\.org>" "> $H DATA" "< $H 354 " \
    "> $H \(the message, [0-9]+ bytes\) \.\$" "< $H 250 " "> $H QUIT"; do
    log_has "$QID: $line"
done
for secret in s3cret-pw "$(printf '\0relay\0s3cret-pw' | base64)" private-subject private-body; do
    ! grep -qF -- "$secret" "$WLOG" || fail "the debug log shows \"$secret\""
done
note "$(grep -c "$QID: [<>] " "$WLOG") dialogue lines, no secret"
