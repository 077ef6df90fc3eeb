#!/bin/bash
# spool-quota.sh - no local user can fill the spool:
#   1. the writer enforces max_message_size while it copies, read from
#      what the worker publishes (a direct call cannot skip it): 65;
#   2. user_max_messages and user_max_size, counted over the worker's
#      queue and the user's entries still in incoming/ (so a stopped
#      worker does not lift them): 75 with a clear reason, nothing
#      partial; root is not limited;
#   3. a killed writer's temporary file is removed by the worker within
#      minutes (not 24 h), while a live writer's, however old, is kept.
# The limited user is the caller when not root, else uid 60001 (setpriv).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

QUEUE_EXTRA='max_message_size = "10K"
    user_max_messages = 3
    user_max_size = "1M"' worker_test_setup
write_faults "$SH" '{"rcpt": "451 4.3.0 Try again later"}'
IN=$SPOOL/incoming
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
	chmod 0755 "$TEST_TMPDIR" "$SPOOL"
	chmod 1777 "$IN"
	install -d -m 0755 "$TEST_TMPDIR/bin"
	install -m 0755 "$POSTERN_BIN/sendmail" "$POSTERN_BIN/postern-drop" "$TEST_TMPDIR/bin/"
	chmod 0644 "$POSTERN_CONFIG"
	as_user() { setpriv --reuid=60001 --regid=60001 --clear-groups -- env \
		POSTERN_CONFIG="$POSTERN_CONFIG" POSTERN_SPOOL_DIR="$SPOOL" \
		POSTERN_DROP="$TEST_TMPDIR/bin/postern-drop" "$@"; }
	SENDMAIL=$TEST_TMPDIR/bin/sendmail DROP=$TEST_TMPDIR/bin/postern-drop
	USER_UID=60001
else
	as_user() { "$@"; }
	SENDMAIL=$POSTERN_BIN/sendmail DROP=$POSTERN_BIN/postern-drop
	USER_UID=$(id -u)
fi
run_worker			# publishes public/limits
grep -qx "user_max_messages 3" "$SPOOL/public/limits" || fail "limits not published: $(cat "$SPOOL/public/limits")"

# try WANT NAME CMD... - run CMD with stdin; WANT is its exit status
try() {
	local want=$1 name=$2 rc=0
	shift 2
	as_user "$@" >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, want $want ($(cat "$TEST_TMPDIR/err"))"
}
entries() { find "$IN" -maxdepth 1 -type f | wc -l; }

# 1. max_message_size, enforced by the writer itself
body=$(head -c 12000 /dev/zero | tr '\0' x)
try 65 "an oversize record to the writer" "$DROP" < <(
	printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage %d\n%send\n' "${#body}" "$body")
grep -q "larger than max_message_size (10240 bytes)" "$TEST_TMPDIR/err" || fail "reason: $(cat "$TEST_TMPDIR/err")"
[ "$(entries)" = 0 ] || fail "the oversize record left $(ls "$IN")"

# 2. three messages, then "try again later"; the worker is not running
for i in 1 2 3; do
	try 0 "message $i" "$SENDMAIL" -i b@example.org < <(printf 'Subject: %s\n\nbody\n' "$i")
done
try 75 "a fourth message" "$SENDMAIL" -i b@example.org < <(printf 'Subject: 4\n\nbody\n')
grep -q "you have 3 messages queued, the most one user may (user_max_messages)" "$TEST_TMPDIR/err" ||
	fail "reason: $(cat "$TEST_TMPDIR/err")"
[ "$(entries)" = 3 ] || fail "expected 3 entries in incoming, found $(entries)"
run_worker			# queued (deferred) now: counted from public/usage
grep -q "^$USER_UID 3 " "$SPOOL/public/usage" || fail "usage: $(cat "$SPOOL/public/usage")"
try 75 "a fourth message, the worker holding three" "$SENDMAIL" -i b@example.org < <(printf 'Subject: 4\n\nbody\n')
if [ "$(id -u)" = 0 ]; then
	printf 'Subject: root\n\nbody\n' | send_mail -i b@example.org	# root is not limited
fi
# bytes: with 1M allowed, one message of 600K queues and a second does
# not (max_message_size raised, the count limit lifted, for this part)
sed -i 's/max_message_size = "10K"/max_message_size = "2M"/; s/user_max_messages = 3/user_max_messages = 0/' "$POSTERN_CONFIG"
run_worker
body=$(head -c 600000 /dev/zero | tr '\0' y)
try 0 "a message of 600K" "$DROP" < <(
	printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage %d\n%send\n' "${#body}" "$body")
try 75 "a second message of 600K" "$DROP" < <(
	printf 'sender <a@example.com>\nrcpt <b@example.org>\nmessage %d\n%send\n' "${#body}" "$body")
grep -q "more than user_max_size (1048576 bytes)" "$TEST_TMPDIR/err" || fail "reason: $(cat "$TEST_TMPDIR/err")"
try 0 "a small one after it" "$SENDMAIL" -i b@example.org < <(printf 'Subject: 5\n\nbody\n')

# 3. temporary files: a dead writer's goes, a live writer's stays
run_worker
dead=t$(printf '%017X' $((RANDOM * 7919 + 1)))
printf 'sender <a@example.com>\n' >"$IN/$dead"
touch -d '3 minutes ago' "$IN/$dead"
mkfifo "$TEST_TMPDIR/slow"
as_user "$DROP" <"$TEST_TMPDIR/slow" >/dev/null 2>&1 &
writer=$!
exec 7>"$TEST_TMPDIR/slow"
printf 'sender <a@example.com>\nrcpt <b@example.org>\n' >&7
for _ in $(seq 100); do
	live=$(cd "$IN" && ls | grep '^t' | grep -v "^$dead\$" || true)
	[ -n "$live" ] && break
	sleep 0.05
done
[ -n "$live" ] || fail "the slow writer made no temporary file"
touch -d '10 minutes ago' "$IN/$live"
run_worker
log_has "$dead: removed the temporary file of a spool writer that ended without finishing it"
[ ! -e "$IN/$dead" ] || fail "the dead writer's file stayed"
[ -e "$IN/$live" ] || fail "the live writer's file was removed"
printf 'message 0\nend\n' >&7
exec 7>&-
wait "$writer" || fail "the slow writer exited $?"
[ ! -e "$IN/$live" ] || fail "the slow writer left its temporary file"
note "size limit, 3-message and 1 MiB per-user limits (75) enforced by the writer; dead writer's file removed, live one kept"
