#!/bin/bash
# writer-bypass.sh - the set-gid writer is the trust boundary: a local
# user who calls it directly, skipping sendmail, gets no more than
# sendmail would give. Against the real worker and smarthost:
#   1. ESMTP parameters appended to an envelope path are refused by the
#      writer (exit 65), so the worker never sends "MAIL FROM:<a>
#      AUTH=<ceo>";
#   2. envelope_sender is forced on what the worker picks up, and
#      masquerading is applied, though sendmail never saw the message;
#   3. a message over max_message_size is refused by the writer, and one
#      queued before the limit was lowered is never sent: every recipient
#      bounces with 5.3.4 and the sender is told.
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

QUEUE_EXTRA='max_message_size = "2K"' \
CONF_EXTRA='sender { masquerade_domain = "example.com" }' worker_test_setup
drop=$POSTERN_BIN/postern-drop

# record SENDER RCPT BODY - a record as a direct caller writes it
record() {
	printf 'sender <%s>\nrcpt <%s>\nmessage %d\n%send\n' "$1" "$2" "${#3}" "$3"
}

# 1. parameters after the path
rc=0
"$drop" >/dev/null 2>"$TEST_TMPDIR/drop.err" <<<$'sender <a@example.com> AUTH=<ceo@example.com>\nrcpt <b@example.org>\nmessage 2\nhiend' || rc=$?
[ "$rc" = 65 ] || fail "the writer exited $rc on a path with AUTH= after it, want 65"
grep -q "rejected input" "$TEST_TMPDIR/drop.err" || fail "no reason: $(cat "$TEST_TMPDIR/drop.err")"
[ -z "$(ls -A "$SPOOL/incoming")" ] || fail "an entry was left: $(ls "$SPOOL/incoming")"

# 2. masquerading applied by the worker to a direct submission
record "alice@host.example.com" "b@example.org" $'Subject: direct\n\nbody\n' | "$drop" >/dev/null ||
	fail "the writer refused a good record"
run_worker
wait_for_count "$SH" 1
assert_json "$SH/mail/0001.json" "mail_from=alice@example.com"
log_has 'sender=<alice@host.example.com> rewritten to <alice@example.com>'

# ... and a forced envelope_sender, after a reload of the config
sed -i 's/masquerade_domain = "example.com"/envelope_sender = "relay@example.com"/' "$POSTERN_CONFIG"
record "ceo@example.com" "b@example.org" $'Subject: forged\n\nbody\n' | "$drop" >/dev/null ||
	fail "the writer refused a good record"
run_worker
wait_for_count "$SH" 2
assert_json "$SH/mail/0002.json" "mail_from=relay@example.com"

# 3. over max_message_size: the writer refuses it (65) ...
big=$(printf 'Subject: big\n\n'; head -c 4000 /dev/zero | tr '\0' x)
rc=0
record "relay@example.com" "b@example.org" "$big"$'\n' >"$TEST_TMPDIR/big"
"$drop" <"$TEST_TMPDIR/big" >/dev/null 2>&1 || rc=$?
[ "$rc" = 65 ] || fail "the writer exited $rc on a message over max_message_size, want 65"
# ... and one queued before the limit was lowered is bounced, never sent
sed -i 's/max_message_size = "2K"/max_message_size = "8K"/' "$POSTERN_CONFIG"
write_faults "$SH" '{"rcpt": "451 4.3.0 Try again later"}'
run_worker
"$drop" <"$TEST_TMPDIR/big" >/dev/null || fail "the writer refused a message within the limit"
sed -i 's/max_message_size = "8K"/max_message_size = "2K"/' "$POSTERN_CONFIG"
clear_faults "$SH"
run_worker
log_has 'to=<b@example.org> relay=none .*dsn=5\.3\.4 status=bounced \(5\.3\.4 message size [0-9]+ exceeds the limit of 2048 bytes'
wait_for_count "$SH" 3
assert_json "$SH/mail/0003.json" "mail_from="
grep -q "exceeds the limit" "$SH/mail/0003.eml" || fail "the bounce does not say why"
for f in "$SH"/mail/*.json; do
	size=$(json_get "$f" size)
	[ "${size:-0}" -lt 3000 ] || fail "a message of $size bytes reached the smarthost"
done
[ "$(queue_count)" = 0 ] || fail "$(queue_count) entries left in the queue"
note "parameters refused by the writer; masquerade and envelope_sender forced on direct submissions; oversize bounced with 5.3.4"
