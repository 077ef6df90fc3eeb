#!/bin/bash
# check-config.sh - "postern check-config" end to end: a good configuration
# prints the effective configuration with defaults and masked commands and
# exits 0; a broken one exits 78 (EX_CONFIG) naming postern.conf:LINE:; a
# password file other users can read gives a warning with the fix; a
# missing file exits 66 (EX_NOINPUT).
#
# Environment: srcdir (the tests directory), POSTERN_BIN (built programs).
# Exit: 0 pass, 1 fail, 77 skip.
set -u
# shellcheck source=../lib/common.sh
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"

postern=${POSTERN_BIN:-}/postern
[ -x "$postern" ] || skip "postern program not found (POSTERN_BIN=${POSTERN_BIN:-})"
shipped=$TESTS_DIR/../etc/postern.conf

make_tmpdir
tmp=$TEST_TMPDIR
conf=$tmp/postern.conf
status=0
# A spool of our own: the worker's user is then whoever runs the test.
mkdir -p "$tmp/spool/queue"
export POSTERN_SPOOL_DIR=$tmp/spool

# run CONFIG - postern check-config on CONFIG; sets $status, fills out and err
run() {
	POSTERN_CONFIG=$1 "$postern" check-config >"$tmp/out" 2>"$tmp/err"
	status=$?
}

# fail - common.sh's, with the last run's output
fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$tmp/out"
	echo "--- stderr"; cat "$tmp/err"
	exit 1
}

# expect_out TEXT - stdout must contain the fixed string TEXT
expect_out() {
	grep -qF -- "$1" "$tmp/out" || fail "stdout lacks: $1"
}

# expect_err TEXT - stderr must contain the fixed string TEXT
expect_err() {
	grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"
}

# --- A good configuration ----------------------------------------------------
printf 'not-the-real-password\n' >"$tmp/password"
chmod 0640 "$tmp/password"
cat >"$conf" <<EOF
hostname = "relay.example.org"

smarthost "smtp.example.com" {
	port = {587, 465, "2525/starttls"}
	username = "alice@example.com"
	password_file = "$tmp/password"
}

smarthost "backup.example.net" {
	port = 2465
	username = "bob"
	password_command = "/bin/echo tok3n-on-the-command-line"
}
EOF
run "$conf"
[ "$status" -eq 0 ] || fail "good configuration: exit $status, want 0"
grep -v -e 'is under /tmp/, which postern.service hides' -e 'not configured' "$tmp/err" | grep -q . &&
	fail "good configuration: unexpected stderr"
expect_out 'hostname = "relay.example.org"'
expect_out 'domain = "example.org"'
expect_out 'smarthost "smtp.example.com" {'
expect_out 'port = {"587/starttls", "465/tls", "2525/starttls"}'
expect_out 'port = {"2465/tls"}'
expect_out "password_file = \"$tmp/password\""
expect_out 'password_command = "/bin/echo ********"'
expect_out 'tls = verify'
expect_out 'lifetime = "5d"'
expect_out 'concurrency = 2'
expect_out 'max_message_size = "35M"'
expect_out 'target = syslog'
grep -q 'tok3n' "$tmp/out" && fail "a password_command argument was printed"
grep -q 'not-the-real-password' "$tmp/out" && fail "the password was printed"
grep -q 'readable by other' "$tmp/err" && fail "warning for a mode 0640 password file"

# The printed configuration is itself a valid configuration.
cp "$tmp/out" "$tmp/printed.conf"
run "$tmp/printed.conf"
[ "$status" -eq 0 ] || fail "printed configuration does not load: exit $status"

# --- A password file other users can read -------------------------------------
chmod 0644 "$tmp/password"
run "$conf"
[ "$status" -eq 0 ] || fail "readable password file: exit $status, want 0"
expect_err "warning: $tmp/password is readable by other users (mode 0644); fix: chmod 0640 $tmp/password"

# --- Files the worker's user cannot read (as root: the worker is daemon) ----------
if [ "$(id -u)" = 0 ] && getent passwd daemon >/dev/null; then
	chown daemon "$tmp/spool/queue"
	chmod 0600 "$tmp/password"
	chmod 0700 "$tmp"
	run "$conf"
	[ "$status" -eq 78 ] || fail "unsearchable directory: exit $status, want 78"
	expect_err "error: password_file $tmp/password cannot be read by daemon, the user posternd runs as: $tmp is root:"
	expect_err "fix: chmod o+x $tmp"
	chmod 0755 "$tmp"
	run "$conf"
	[ "$status" -eq 78 ] || fail "unreadable password file: exit $status, want 78"
	expect_err "fix: chgrp $(id -gn daemon) $tmp/password && chmod 0640 $tmp/password"
	chgrp "$(id -gn daemon)" "$tmp/password"; chmod 0640 "$tmp/password"
	run "$conf"
	[ "$status" -eq 0 ] || fail "password file readable by its group: exit $status"
	chown root "$tmp/spool/queue"; chgrp root "$tmp/password"; chmod 0700 "$tmp"
fi

# --- Broken configurations ----------------------------------------------------
cat >"$conf" <<'EOF'
hostname = "relay.example.org"

smarthost "smtp.example.com" {
	colour = "blue"
}
EOF
run "$conf"
[ "$status" -eq 78 ] || fail "unknown option: exit $status, want 78"
expect_err "postern.conf:4: no such option 'colour'"
grep -q '^postern: ' "$tmp/err" || fail "error lacks the program name"

cat >"$conf" <<'EOF'
smarthost "smtp.example.com" {
	port = 587
	tls = strict
	connect_timeout = "soon"
}
EOF
run "$conf"
[ "$status" -eq 78 ] || fail "bad values: exit $status, want 78"
expect_err 'postern.conf:3: tls: "strict" is not verify, encrypt or none'
expect_err 'postern.conf:4: connect_timeout: "soon" is not a duration'

cat >"$conf" <<'EOF'
smarthost "smtp.example.com" {
	username = "alice"
	password = "hunter2"
}
EOF
run "$conf"
[ "$status" -eq 78 ] || fail "password option: exit $status, want 78"
expect_err 'postern.conf:3: password: refused: secrets do not belong in postern.conf'
grep -q hunter2 "$tmp/err" && fail "the refused password was echoed"

cat >"$conf" <<'EOF'
smarthost "smtp.example.com" {
	port = 465
	tls_client_cert = "/etc/postern/client.pem"
}
EOF
run "$conf"
[ "$status" -eq 78 ] || fail "cert without key: exit $status, want 78"
expect_err 'postern.conf:3: tls_client_cert and tls_client_key must be given together'

# --- A missing file -------------------------------------------------------------
run "$tmp/absent/postern.conf"
[ "$status" -eq 66 ] || fail "missing file: exit $status, want 66"
expect_err "$tmp/absent/postern.conf"

# --- The shipped example ----------------------------------------------------------
if [ -f "$shipped" ]; then
	run "$shipped"
	[ "$status" -eq 0 ] || fail "shipped postern.conf: exit $status, want 0"
	expect_out 'smarthost "smtp.example.com" {'
	expect_out 'port = auto'
fi

# --- Line numbers in a file with comments ---------------------------------------
# libconfuse miscounts lines after "#", "//" and C comments; every error must
# name the true line. Typos go into the shipped file, whose comments are
# what users edit, at several places, one at a time.
if [ -f "$shipped" ]; then
	total=$(wc -l <"$shipped")
	for target in 1 $(grep -n '^smarthost ' "$shipped" | cut -d: -f1) \
	    $(grep -n '^[[:space:]]*# *port = ' "$shipped" | head -n 1 | cut -d: -f1) \
	    $(grep -n '^queue {' "$shipped" | cut -d: -f1) $((total - 1)) "$total"; do
		awk -v n="$target" '{ print } NR == n { print "bogus_option_x = 1" }' \
		    "$shipped" >"$conf"
		run "$conf"
		want=$((target + 1))
		[ "$status" -eq 78 ] || fail "typo after line $target: exit $status, want 78"
		expect_err "postern.conf:$want: no such option 'bogus_option_x'"
	done
	# A value error inside a section and a C comment that spans lines.
	{ printf '/* two\n   lines */\n# hash\n// slashes\n'
	  printf 'hostname = "a#b//c" # after a value\n'
	  printf "domain = 'ex#ample.org' // quotes\n"
	  printf 'smarthost "x.example" {\n\tport = 99999 # bad\n}\n'; } >"$conf"
	run "$conf"
	[ "$status" -eq 78 ] || fail "comment mix: exit $status, want 78"
	expect_err 'postern.conf:5: hostname: "a#b//c"'
	expect_err "postern.conf:6: domain: \"ex#ample.org\""
	expect_err 'postern.conf:8: port: port in "99999"'
fi

# --- --version on every program ------------------------------------------------
for prog in sendmail postern posternd; do
	"${POSTERN_BIN}/$prog" --version >"$tmp/out" 2>"$tmp/err"
	[ $? = 0 ] || fail "$prog --version exited $?"
	grep -qE "^$prog( \(postern\))? [0-9]+\.[0-9]+\.[0-9]+" "$tmp/out" || fail "$prog --version printed: $(cat "$tmp/out")"
done

echo "PASS: check-config"
exit 0
