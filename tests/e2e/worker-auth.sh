#!/bin/bash
# worker-auth.sh - the worker reads the smarthost secret itself: the
# password from password_file, or an OAuth token from a command run for
# every connection (tokens expire). A rejected password defers the mail
# (a configuration problem, never a bounce) with the server's 535 text,
# and no secret ever reaches the log.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

make_tmpdir
SH=$TEST_TMPDIR/sh
start_smarthost "$SH" --listen starttls:127.0.0.1:0 --auth demo:pw-s3cret \
    --oauth-token alice:tok-9f8e7d --auth-require-tls --auth-required
setup_worker "$SH"
printf 'pw-s3cret\n' >"$TEST_TMPDIR/password"
chmod 600 "$TEST_TMPDIR/password"
sed -i "s|^    tls_ca_file = .*|&\n    username = \"demo\"\n    password_file = \"$TEST_TMPDIR/password\"|" "$POSTERN_CONFIG"

printf 'Subject: pw\n\nbody\n' | send_mail -i one@example.org
run_worker
wait_for_count "$SH" 1
assert_json "$SH/mail/0001.json" auth_user=demo tls=true
log_has "to=<one@example.org> .* status=sent"

# A wrong password: deferred with the server's text, not bounced.
printf 'wrong-pw\n' >"$TEST_TMPDIR/password"
printf 'Subject: pw2\n\nbody\n' | send_mail -i -f sender@example.com two@example.org
run_worker
log_has "to=<two@example.org> relay=none .*dsn=4\.[0-9.]+ status=deferred \(.*535"
[ "$(queue_count)" = 1 ] || fail "the entry should stay queued"
[ "$(mail_count "$SH")" = 1 ] || fail "something was delivered with a wrong password"

# OAuth: the token command runs once per connection.
COUNTER=$TEST_TMPDIR/token-runs
sed -i "s|^    username = \"demo\"|    username = \"alice\"\n    auth_mechanisms = {\"XOAUTH2\"}\n    oauth_token_command = \"echo run >>$COUNTER; echo tok-9f8e7d\"|; /password_file/d" "$POSTERN_CONFIG"
"$POSTERN_BIN/postern" check-config >/dev/null || fail "config with a token command does not load"
run_worker --flush
wait_for_count "$SH" 2
assert_json "$(ls "$SH"/mail/*.json | tail -n 1)" auth_user=alice auth_mechanism=XOAUTH2
printf 'Subject: tok\n\nbody\n' | send_mail -i three@example.org
run_worker
wait_for_count "$SH" 3
[ "$(wc -l <"$COUNTER")" = 2 ] || fail "token command ran $(wc -l <"$COUNTER") times for 2 connections"
[ "$(queue_count)" = 0 ] || fail "queue not empty"
! grep -qE 'pw-s3cret|wrong-pw|tok-9f8e7d' "$WLOG" || fail "a secret reached the log"
exit 0
