#!/bin/bash
# local-bounce-codes.sh - what postern refuses itself carries RFC 3463's
# precise code, in the log and in the bounce: a message over the server's
# SIZE is 5.3.4 (message too big for system), a non-ASCII address for a
# server without SMTPUTF8 is 5.6.7 (RFC 6531). Headers in raw UTF-8 go
# out with SMTPUTF8 when the server offers it (RFC 6532).
. "${srcdir:-$(dirname "$0")/..}/lib/common.sh"
. "$TESTS_DIR/lib/worker.sh"

CONF_EXTRA='alias postmaster { to = {"pm@example.org"} }' \
    worker_test_setup --listen starttls:127.0.0.1:0 --size 4000

# 1. Too big for the server.
{ printf 'Subject: big\n\n'; head -c 6000 /dev/zero | tr '\0' x | fold -w 70; } |
    send_mail -i -f sender@example.com big@example.org
run_worker
log_has "to=<big@example\.org> .* dsn=5\.3\.4 status=bounced"
wait_for_count "$SH" 1
grep -q '^Status: 5\.3\.4' "$SH/mail/0001.eml" || fail "the bounce's Status is not 5.3.4: $(grep '^Status' "$SH/mail/0001.eml")"

# 2. A UTF-8 address for a server without SMTPUTF8.
write_faults "$SH" '{"hide": ["SMTPUTF8"]}'
printf 'Subject: utf8\n\nbody\n' | send_mail -i -f sender@example.com 'jörg@example.org'
run_worker
log_has "to=<jörg@example\.org> .* dsn=5\.6\.7 status=bounced"
clear_faults "$SH"

# 3. Raw UTF-8 in the headers, ASCII addresses: SMTPUTF8 when offered.
n=$(mail_count "$SH")
printf 'Subject: Grüße\nFrom: Jörg <sender@example.com>\n\nbody\n' |
    send_mail -i -f sender@example.com utf8hdr@example.org
run_worker
wait_for_count "$SH" $((n + 1))
M=$(grep -l '"utf8hdr@example.org"' "$SH"/mail/*.json | head -n 1)
[ -n "$M" ] || fail "the message with UTF-8 headers was not delivered"
[ "$(json_eval "$M" '"SMTPUTF8" in [p.upper() for p in d["mail_options"]]')" = true ] ||
    fail "raw UTF-8 headers went out without SMTPUTF8: $(json_get "$M" mail_options)"
