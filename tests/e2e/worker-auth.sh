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

# postern probe --auth with the wrong password, against a server that
# pauses 12 s before its 535 (Dovecot waits up to 15 s): the login is
# reported refused, not as a network timeout, and the certificate as
# verified, with the TLS details.
write_faults "$SH" '{"delay": {"auth_failed": 12}}'
sed -i 's/command_timeout = "5s"/command_timeout = "5m"/' "$POSTERN_CONFIG"
"$POSTERN_BIN/postern" probe --auth >"$TEST_TMPDIR/probe" 2>&1
rc=$?
clear_faults "$SH"
sed -i 's/command_timeout = "5m"/command_timeout = "5s"/' "$POSTERN_CONFIG"
[ "$rc" = 69 ] || fail "probe with a wrong password exited $rc, want 69: $(cat "$TEST_TMPDIR/probe")"
grep -qE "^[0-9]+/starttls +127\.0\.0\.1 +auth-failed .* TLSv1\.[23] .* ok +refused" "$TEST_TMPDIR/probe" ||
    fail "probe row after a refused login: $(cat "$TEST_TMPDIR/probe")"
grep -q "verified:    ok (host name matches)" "$TEST_TMPDIR/probe" ||
    fail "probe lost the verification: $(cat "$TEST_TMPDIR/probe")"
grep -q "auth: .*535" "$TEST_TMPDIR/probe" || fail "probe lacks the server's 535: $(cat "$TEST_TMPDIR/probe")"
grep -q "does not accept the credentials" "$TEST_TMPDIR/probe" || fail "probe advice: $(grep recommendation "$TEST_TMPDIR/probe")"
! grep -q 'wrong-pw' "$TEST_TMPDIR/probe" || fail "the probe printed the password"

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
