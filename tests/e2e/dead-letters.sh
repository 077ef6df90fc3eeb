#!/bin/bash
# dead-letters.sh - nothing accepted is discarded without a trace:
#   1. a message whose bounce and postmaster copy both fail (the provider
#      refuses every message, as for an unverified sender) is kept in
#      queue/deadletter/ with the reason; mailq lists it, postern status
#      reports it (DEGRADED, and the Prometheus gauge);
#   2. postern requeue puts it back and it is delivered once the
#      smarthost takes it; postern delete removes another;
#   3. dead letters expire after dead_letter_lifetime, and the quarantine
#      is capped by dead_letter_max_size (oldest first);
#   4. an entry moved to quarantine is reported, once, to its submitter
#      (or the postmaster).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

QUEUE_EXTRA='dead_letter_max_size = "150K"' \
CONF_EXTRA='alias postmaster { to = {"pm@example.org"} }' worker_test_setup
P=$POSTERN_BIN/postern
DL=$SPOOL/queue/deadletter
reject_all='{"mail": "550 5.7.1 Sender address not verified"}'

# dead_letter - send one message that nobody can be told about; its ID
dead_letter() {
	local before
	before=$(ls "$DL" 2>/dev/null | grep -cv '\.state$')
	write_faults "$SH" "$reject_all"
	printf 'Subject: %s\n\nbody\n' "$1" | send_mail -i -f alice@example.com bob@example.org
	run_worker
	run_worker --flush
	run_worker --flush
	[ "$(ls "$DL" | grep -cv '\.state$')" = $((before + 1)) ] ||
		fail "no new dead letter: $(ls -la "$DL")"
	ls -t "$DL" | grep -v '\.state$' | head -n 1
}

# 1. kept, listed, reported
id=$(dead_letter first)
log_has "$id: kept as a dead letter in queue/deadletter: undeliverable notification to the postmaster"
[ -f "$DL/$id.state" ] || fail "the dead letter has no state file"
[ "$(queue_count)" = 0 ] || fail "entries left in the queue: $(ls "$SPOOL/queue")"
"$POSTERN_BIN/sendmail" -bp >"$TEST_TMPDIR/mailq" 2>&1 || fail "mailq exited $?"
grep -q "1 dead letter" "$TEST_TMPDIR/mailq" || fail "mailq does not list it: $(cat "$TEST_TMPDIR/mailq")"
grep -q "^$id .*dead letter: undeliverable notification to the postmaster" "$TEST_TMPDIR/mailq" ||
	fail "mailq lacks the entry and its reason: $(cat "$TEST_TMPDIR/mailq")"
grep -q "pm@example.org" "$TEST_TMPDIR/mailq" || fail "mailq lacks the failed recipient"
grep -q "550 5.7.1 Sender address not verified" "$TEST_TMPDIR/mailq" || fail "mailq lacks the reply"
"$P" status >"$TEST_TMPDIR/st" 2>&1 && fail "status exited 0 with a dead letter"
grep -q "DEGRADED: .*1 dead letter" "$TEST_TMPDIR/st" || fail "status: $(cat "$TEST_TMPDIR/st")"
"$P" status --prometheus >"$TEST_TMPDIR/prom" 2>&1 || fail "status --prometheus exited $?"
grep -qx "postern_queue_dead_letters 1" "$TEST_TMPDIR/prom" || fail "no gauge: $(cat "$TEST_TMPDIR/prom")"

# 2. requeue delivers it once the smarthost takes it; delete removes one
clear_faults "$SH"
n=$(mail_count "$SH")
"$P" requeue "$id" >"$TEST_TMPDIR/rq" 2>&1 || fail "requeue exited $?: $(cat "$TEST_TMPDIR/rq")"
[ ! -e "$DL/$id" ] || fail "requeue left the dead letter"
run_worker
wait_for_count "$SH" $((n + 1))
grep -l '"pm@example.org"' "$SH"/mail/*.json | tail -n 1 | xargs grep -q "pm@example.org" || fail "not delivered"
log_has "$id: to=<pm@example.org> .*status=sent"
[ "$(queue_count)" = 0 ] || fail "the requeued entry stayed"
id2=$(dead_letter second)
"$P" delete "$id2" >"$TEST_TMPDIR/del" 2>&1 || fail "delete exited $?: $(cat "$TEST_TMPDIR/del")"
[ -z "$(ls -A "$DL")" ] || fail "delete left: $(ls "$DL")"

# 3. expiry, and the quarantine's cap
id3=$(dead_letter third)
touch -d '31 days ago' "$DL/$id3" "$DL/$id3.state"
clear_faults "$SH"
run_worker
log_has "$id3: removed from the dead letters .*dead_letter_lifetime"
[ -z "$(ls -A "$DL")" ] || fail "an expired dead letter stayed: $(ls "$DL")"
Z=$SPOOL/queue/quarantine
for i in 1 2 3; do
	head -c 60000 /dev/zero >"$Z/junk$i"
	touch -d "$((10 - i)) hours ago" "$Z/junk$i"
done
run_worker
log_has "junk1: removed from the quarantine .*dead_letter_max_size"
[ ! -e "$Z/junk1" ] && [ -e "$Z/junk2" ] && [ -e "$Z/junk3" ] ||
	fail "the cap did not remove the oldest only: $(ls "$Z")"

# 4. a quarantined submission is reported once
n=$(mail_count "$SH")
printf 'postern-queue 1\nuid 1\nlogin x\narrival 1\nsender <a@example.com>\nrcpt <b@example.org>\nmessage 0\nend\n' \
	>"$SPOOL/incoming/00000001000000001"
run_worker
log_has "00000001000000001: rejected incoming entry moved to quarantine"
run_worker --flush
wait_for_count "$SH" $((n + 1))
sleep 0.5
[ "$(mail_count "$SH")" = $((n + 1)) ] || fail "the quarantine was reported more than once"
last=$(ls "$SH"/mail/*.eml | tail -n 1)
grep -q "^Subject: Undelivered Mail: a submission was refused" "$last" || fail "no notice: $(cat "$last")"
grep -q "00000001000000001" "$last" || fail "the notice does not name the entry"
grep -q "does not match" "$last" || fail "the notice does not say why"
note "dead letter kept, listed, reported, requeued and delivered, deleted, expired; quarantine capped and reported once"
