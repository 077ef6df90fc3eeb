#!/bin/bash
# sendmail-queue.sh - real sendmail invocations, as real callers make them,
# checked against the queue file the spool writer stores.
# Environment (set by the test harness): POSTERN_BIN, the built programs.
set -u
# shellcheck source=../lib/common.sh
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
bin=${POSTERN_BIN:?POSTERN_BIN must name the directory of the built programs}
make_tmpdir
work=$TEST_TMPDIR

mkdir -p "$work/spool/incoming"
cat >"$work/postern.conf" <<CONF
hostname = "host.example.com"
domain = "example.com"
aliases_file = "$work/aliases"
alias root { to = {"ops@example.org"} }
smarthost "smtp.example.net" { }
queue { max_message_size = "10k" }
CONF
printf 'www-data: webmaster@example.org\n' >"$work/aliases"
export POSTERN_CONFIG="$work/postern.conf" POSTERN_SPOOL_DIR="$work/spool"
export POSTERN_DROP="$bin/postern-drop"

count() { find "$work/spool/incoming" -type f | wc -l; }
newest() { ls -t "$work/spool/incoming"/* | head -n 1; }
# run_sendmail EXPECTED_STATUS ARGS... < message: one invocation
run_sendmail() {
	local want=$1 got
	shift
	"$bin/sendmail" "$@" 2>"$work/stderr"
	got=$?
	[ "$got" = "$want" ] || fail "sendmail $* exited $got, expected $want: $(cat "$work/stderr")"
}
has() { grep -qxF -- "$2" "$1" || fail "$(basename "$1") lacks line [$2]"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "$(basename "$1") has [$2]"; }

# Debian cron: one argument holding a comma-separated MAILTO list.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: out\n\nline\n.\nafter' |
	run_sendmail 0 -FCronDaemon -i -B8BITMIME -oem a@x.org,b@y.org
f=$(newest)
has "$f" "rcpt <a@x.org>"; has "$f" "rcpt <b@y.org>"; has "$f" "body 8BITMIME"
has "$f" "."; has "$f" "afterend"	# no newline was added after "after"
has "$f" "sender <$(id -un)@example.com>"
grep -q '^Message-ID: <.*@host.example.com>$' "$f" || fail "no Message-ID added"
grep -q '^Date: ' "$f" || fail "no Date added"

# PHP mail(): -t -i, CRLF headers with an LF body, a Bcc header.
printf 'To: root, "Doe, J" <j@x.org>\r\nBcc: hidden@x.org\r\nSubject: php\r\n\r\nbody\nend' |
	run_sendmail 0 -t -i
f=$(newest)
has "$f" "rcpt <ops@example.org>"; has "$f" "rcpt <j@x.org>"; has "$f" "rcpt <hidden@x.org>"
lacks "$f" "Bcc:"; lacks "$f" $'\r'
has "$f" 'To: root@example.com, "Doe, J" <j@x.org>'	# qualified in the header too

# Without -i a lone dot ends the message and ".." loses a dot (Symfony -t).
printf 'Subject: dots\n\n..leading\n.\nnot part\n' | run_sendmail 0 -fapp@example.com -- www-data
f=$(newest)
has "$f" ".leading"; lacks "$f" "not part"
has "$f" "rcpt <webmaster@example.org>"; has "$f" "sender <app@example.com>"
grep -q '^From: .*<app@example.com>' "$f" || fail "From not built from -f"

# -F names the sender in the generated From header; -f <> is the null sender.
printf 'Subject: x\n\nb\n' | run_sendmail 0 -F "Backup Job" -f '<>' admin@example.org
f=$(newest)
has "$f" "sender <>"; has "$f" "To: undisclosed-recipients:;"
grep -q '^From: Backup Job <MAILER-DAEMON>' "$f" || fail "From for null sender"

# DSN options are carried in the queue file.
printf 'Subject: x\n\nb\n' | run_sendmail 0 -N success,delay -R hdrs -V env42 -- u@example.org
f=$(newest)
has "$f" "notify SUCCESS,DELAY"; has "$f" "ret HDRS"; has "$f" "envid env42"

# A hostile, sparse environment: closed stdout/stderr, no HOME/USER/PATH,
# umask 077, cwd /, stdin an unlinked regular file.
before=$(count)
printf 'Subject: env\n\nb\n' >"$work/msg"
exec 3<"$work/msg"; rm -f "$work/msg"
(cd / && umask 077 && env -i POSTERN_CONFIG="$POSTERN_CONFIG" \
	POSTERN_SPOOL_DIR="$POSTERN_SPOOL_DIR" POSTERN_DROP="$POSTERN_DROP" \
	"$bin/sendmail" -oi -t u@example.org <&3 >&- 2>&-) || fail "sparse environment"
exec 3<&-
[ "$(count)" = $((before + 1)) ] || fail "sparse environment queued nothing"

# Refusals queue nothing.
before=$(count)
printf 'Subject: none\n\nb\n' | run_sendmail 64 -t
grep -q "no recipients" "$work/stderr" || fail "no-recipient message unclear"
printf 'Subject: \0nul\n\nb\n' | run_sendmail 65 u@example.org
printf 'b\n' | run_sendmail 64 -- -oQ/tmp/evil@x
printf 'b\n' | run_sendmail 64 $'a@x\r\nRCPT TO:<b@y>'
printf 'b\n' | run_sendmail 64 -f $'a@x\nX: y' u@example.org
printf 'b\n' | run_sendmail 64 -Z u@example.org
grep -q "usage:" "$work/stderr" || fail "unknown option prints no usage"
head -c 20000 /dev/zero | tr '\0' 'a' | run_sendmail 65 u@example.org
grep -q "limit" "$work/stderr" || fail "over-size message unclear"
[ "$(count)" = "$before" ] || fail "a refused message was queued"

# A missing spool is a temporary failure that names the problem.
printf 'b\n' | POSTERN_SPOOL_DIR="$work/nonexistent" run_sendmail 75 u@example.org
grep -q "nonexistent/incoming" "$work/stderr" || fail "missing spool not named"

# A broken configuration never refuses mail: it is named with file and
# line, and the message is queued with the built-in defaults.
printf 'bogus_option = 1\n' >"$work/bad.conf"
before=$(count)
printf 'b\n' | POSTERN_CONFIG="$work/bad.conf" run_sendmail 0 u@example.org
grep -q "bad.conf:1:" "$work/stderr" || fail "config error lacks FILE:LINE"
grep -q "built-in defaults" "$work/stderr" || fail "no word that the defaults were used"
[ "$(count)" = $((before + 1)) ] || fail "the message was not queued despite the broken configuration"

# Masquerading: the envelope sender, and with rewrite_header_from the
# From header; unqualified header addresses get the domain; exceptions
# and foreign domains are left alone; groups are kept as written.
sed 's/^domain = .*/&\nsender { masquerade_domain = "corp.example" masquerade_exceptions = {"root"} rewrite_header_from = true }/' \
    "$work/postern.conf" >"$work/masq.conf"
printf 'From: Web <www-data>\nSender: admin@host.example.com\nReply-To: x@other.org\nTo: team: a, b;\nCc: bob\n\nb\n' |
    POSTERN_CONFIG="$work/masq.conf" run_sendmail 0 -t -i -f www-data
f=$(newest)
has "$f" "sender <www-data@corp.example>"
has "$f" "From: Web <www-data@corp.example>"
has "$f" "Sender: admin@corp.example"
has "$f" "Reply-To: x@other.org"
has "$f" "To: team: a, b;"
has "$f" "Cc: bob@example.com"
printf 'From: root\n\nb\n' | POSTERN_CONFIG="$work/masq.conf" run_sendmail 0 -i -f root u@example.org
f=$(newest)
has "$f" "sender <root@example.com>"; has "$f" "From: root@example.com"

[ -z "$(find "$work/spool/incoming" -name 't*')" ] || fail "temporary file left behind"
echo "sendmail-queue: every caller's message queued as expected"
