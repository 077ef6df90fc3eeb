#!/bin/bash
# auth-mechanism.sh - the AUTH mechanism a server can verify. A server
# that stores passwords hashed (Dovecot with hashed passwords, Cyrus with
# saslauthd) still offers CRAM-MD5 but can never accept it. Inside TLS
# postern logs in with PLAIN (then LOGIN) and uses CRAM-MD5 only when
# auth_mechanisms names it; when CRAM-MD5 is refused with 535 it tries the
# next mechanism once, and a failure names every mechanism tried. A wrong
# password with PLAIN is one failed login, never retried with LOGIN.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

QUEUE_EXTRA='concurrency = 1' worker_test_setup --listen starttls:127.0.0.1:0 \
    --auth relay:s3cret-pw --auth-required --auth-require-tls
write_faults "$SH" '{"auth_hashed": true}'
printf 's3cret-pw\n' >"$TEST_TMPDIR/password"
chmod 0600 "$TEST_TMPDIR/password"
sed -i "s|^    port = .*|&\n    username = \"relay\"\n    password_file = \"$TEST_TMPDIR/password\"|" \
    "$POSTERN_CONFIG"
auths_last() { session_field "$SH" -1 auths; }

# 1. No mechanism configured: PLAIN, at the first try.
printf 'Subject: default\n\nbody\n' | send_mail -i a@example.org
run_worker
wait_for_count "$SH" 1
assert_json "$SH/mail/0001.json" auth_mechanism=PLAIN
assert_eq 1 "$(auths_last)" "AUTH commands with the default mechanisms"

# 2. CRAM-MD5 named first: refused by the hashed store, then PLAIN once.
sed -i "s|^    username = .*|&\n    auth_mechanisms = {\"CRAM-MD5\", \"PLAIN\"}|" "$POSTERN_CONFIG"
printf 'Subject: pinned\n\nbody\n' | send_mail -i b@example.org
run_worker
wait_for_count "$SH" 2
assert_json "$SH/mail/0002.json" auth_mechanism=PLAIN
assert_eq 2 "$(auths_last)" "AUTH commands with CRAM-MD5 refused, then PLAIN"
assert_eq 1 "$(session_field "$SH" -1 auth_failures)" "failed logins"

# 3. Both refused: the deferral names the mechanisms tried.
printf 'wrong-pw\n' >"$TEST_TMPDIR/password"
printf 'Subject: wrong\n\nbody\n' | send_mail -i c@example.org
run_worker
log_has "status=deferred .*authentication failed \(CRAM-MD5, then PLAIN\)"

# 4. A wrong password with PLAIN is final: one failed login.
sed -i '/^    auth_mechanisms = /d' "$POSTERN_CONFIG"
before=$(session_count "$SH")
run_worker --flush
[ "$(session_count "$SH")" -gt "$before" ] || fail "no new session"
assert_eq 1 "$(auths_last)" "AUTH commands with a wrong password and PLAIN"
log_has "status=deferred .*authentication failed \(PLAIN\)"
