#!/bin/bash
# drop-framing.sh - the set-gid writer's framing, case by case: envelope
# lines, "message N", exactly N bytes, "end\n", then end of input. A good
# record is stored byte for byte after the writer's own lines; every bad
# one exits 65 (75 for what is not the caller's fault) and leaves no file
# behind, temporary or not.
# shellcheck source=../lib/common.sh
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
make_tmpdir
export LC_ALL=C
drop=${POSTERN_BIN:?}/postern-drop
spool=$TEST_TMPDIR/spool
mkdir -p "$spool/incoming"
export POSTERN_SPOOL_DIR=$spool

# feed WANT NAME - run the writer on stdin; WANT is its exit status (never
# call it at the end of a pipe: fail must end this shell, not a subshell)
feed() {
	local want=$1 name=$2 got
	"$drop" >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err"
	got=$?
	[ "$got" = "$want" ] || fail "$name: exit $got, want $want ($(cat "$TEST_TMPDIR/err"))"
	if [ "$want" != 0 ]; then
		[ -z "$(ls -A "$spool/incoming" 2>/dev/null)" ] || fail "$name: left $(ls "$spool/incoming")"
	fi
}
env_lines='sender <a@example.com>\nrcpt <b@example.org>\n'

# The good record, with a message that holds what looks like framing.
body=$'From: a\n\nend\nmessage 3\n\x01\xff binary\n'
{ printf "$env_lines"; printf 'message %d\n' "${#body}"; printf '%s' "$body"; printf 'end\n'; } \
	>"$TEST_TMPDIR/good"
body_len=$(wc -c <"$TEST_TMPDIR/good")
feed 0 "a good record" <"$TEST_TMPDIR/good"
qid=$(cat "$TEST_TMPDIR/out")
[[ $qid =~ ^[0-9A-F]{17}$ ]] || fail "queue ID '$qid' is not 17 hex digits"
entry=$spool/incoming/$qid
[ -f "$entry" ] || fail "no entry named $qid"
head -n 4 "$entry" | sed -n '1p' | grep -qx 'postern-queue 1' || fail "entry does not start with the magic line"
sed -n '2p' "$entry" | grep -qx "uid $(id -u)" || fail "the uid line is not the writer's"
tail -c "$body_len" "$entry" | cmp -s - "$TEST_TMPDIR/good" || fail "the record is not stored byte for byte"
rm -f "$entry"
feed 0 "an empty message" < <(printf "${env_lines}message 0\nend\n")
rm -f "$spool"/incoming/*

# Bad framing, each refused.
feed 65 "fewer message bytes than announced" < <(printf "${env_lines}message 10\nshort\nend\n")
feed 65 "no end marker" < <(printf "${env_lines}message 2\nhi")
feed 65 "a wrong end marker" < <(printf "${env_lines}message 2\nhiEND\n")
feed 65 "data after the end marker" < <(printf "${env_lines}message 2\nhiend\nmore")
feed 65 "an end marker without its newline" < <(printf "${env_lines}message 2\nhiend")
feed 65 "envelope lines only" < <(printf "${env_lines}")
feed 65 "an unfinished message line" < <(printf "${env_lines}message 1")
feed 65 "no input at all" < <(printf '')
feed 65 "a control character" < <(printf "sender <a@example.com>\nrcpt <b\001@example.org>\nmessage 0\nend\n")
feed 65 "an empty envelope line" < <(printf "sender <a@example.com>\n\nmessage 0\nend\n")
feed 65 "a negative length" < <(printf "${env_lines}message -1\nend\n")
feed 65 "a length with junk after it" < <(printf "${env_lines}message 1x\nxend\n")
feed 65 "a length past 64 bits" < <(printf "${env_lines}message 99999999999999999999\n")
feed 65 "a length over the cap" < <(printf "${env_lines}message 3000000000\n")
for forged in "postern-queue 1" "uid 0" "login root" "arrival 0"; do
	feed 65 "a forged '$forged' line" < <(printf "%s\n${env_lines}message 0\nend\n" "$forged")
done
feed 65 "an envelope line of 5000 bytes" < <(printf 'sender <'
	head -c 5000 /dev/zero | tr '\0' a; printf '@example.com>\n')

# The envelope itself, by the grammar the worker applies (nothing the
# writer stores may be refused or misread by the worker): one strict path
# per address line, nothing after it, keys in order, no unknown keys.
bad=0
while IFS= read -r envelope; do
	feed 65 "the envelope '$envelope'" < <(printf '%b\nmessage 0\nend\n' "$envelope")
	bad=$((bad + 1))
done <<'EOF'
sender <a@example.com> AUTH=<ceo@example.com>\nrcpt <b@example.org>
sender <a@example.com>\nrcpt <b@example.org> NOTIFY=NEVER
sender <a@example.com>\nrcpt <b@example.org> ORCPT=rfc822;c@example.org
sender <a@example.com>\nrcpt <b@example.org>\norcpt rfc822;b@x NOTIFY=NEVER
sender <a@example.com>\nrcpt <b@example.org>\norcpt rfc822;b@x\nnotify NEVER
sender <a@example.com>\nrcpt <b@example.org>\nnotify NEVER\nnotify SUCCESS
sender <a@example.com>\nrcpt <b@example.org>\nenvid two words
sender <a@example.com>\nrcpt <b@example.org>\nsize 5
sender <a@example.com>\nrcpt <bob>
sender <a@example.com>\nrcpt <-oQ/tmp/x@example.org>
sender <a@example.com>\nrcpt <b@example.org>>
sender a@example.com\nrcpt <b@example.org>
sender <a@example.com>\nbody 8BITMIME
rcpt <b@example.org>\nsender <a@example.com>
EOF

# A spool it cannot write is a temporary failure, not the caller's fault.
chmod 0500 "$spool/incoming"
if [ "$(id -u)" != 0 ]; then
	feed 75 "an unwritable spool" < <(printf "${env_lines}message 0\nend\n")
fi
chmod 0755 "$spool/incoming"
rmdir "$spool/incoming"
feed 75 "a missing spool" < <(printf "${env_lines}message 0\nend\n")
mkdir "$spool/incoming"
echo "$TEST_NAME: the writer stored 2 good records and refused $((20 + bad)) bad ones"
