/*
 * dsn.c - build RFC 3464 delivery status notifications. See dsn.h.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "header.h"
#include "dsn.h"
#include "strutil.h"

/* dsn_enhanced - length of an "x.y.z" enhanced code at s, or 0 */
static size_t
dsn_enhanced(const char *s)
{
	const char *p = s;

	for (int part = 0; part < 3; part++) {
		size_t digits = 0;

		while (isdigit((unsigned char)*p) && digits < 3) {
			p++;
			digits++;
		}
		if (digits == 0 || (part == 0 && digits != 1))
			return 0;
		if (part < 2) {
			if (*p != '.')
				return 0;
			p++;
		}
	}
	if (*p && *p != ' ')
		return 0;
	return (size_t)(p - s);
}

void
dsn_status(const char *reply, char klass, char *buf, size_t size)
{
	char want = klass;
	size_t n;

	STR_MUST_FIT(str_format(buf, size, "%c.0.0", klass));
	/* postern's own refusals start with their code: "5.3.4 message size" */
	if (reply && (n = dsn_enhanced(reply)) > 0 && n < size && reply[0] == want) {
		memcpy(buf, reply, n);
		buf[n] = '\0';
		return;
	}
	if (!reply || strlen(reply) < 5 || !isdigit((unsigned char)reply[0]) ||
	    !isdigit((unsigned char)reply[1]) || !isdigit((unsigned char)reply[2]) ||
	    (reply[3] != ' ' && reply[3] != '-'))
		return;
	n = dsn_enhanced(reply + 4);
	if (n > 0 && n < size && reply[4] == want && reply[0] == want) {
		memcpy(buf, reply + 4, n);
		buf[n] = '\0';
	}
}

/* dsn_date - an RFC 5322 date for t */
static void
dsn_date(int64_t t, char *buf, size_t size)
{
	header_date((time_t)t, buf, size);
}

/* dsn_header_end - length of the header block of msg, blank line excluded */
static size_t
dsn_header_end(const char *msg, size_t len)
{
	if (len > 0 && msg[0] == '\n')
		return 0;
	for (size_t i = 0; i + 1 < len; i++)
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			return i + 1;
	return len;
}

/* dsn_human - the explanation part */
static void
dsn_human(const struct dsn_report *r, const struct dsn_rcpt *rcpts, size_t n,
    struct strbuf *out)
{
	char date[64];

	strbuf_printf(out, "This is the postern mail relay at %s.\n\n", r->hostname);
	switch (r->type) {
	case DSN_FAILED:
		strbuf_puts(out, "Your message could not be delivered to one or more\n"
		    "recipients. postern has given up on them; the reasons are\n"
		    "below, and the message's headers are attached.\n\n");
		break;
	case DSN_DELAYED:
		dsn_date(r->retry_until, date, sizeof(date));
		strbuf_printf(out, "Your message has not been delivered yet to one or more\n"
		    "recipients. This is only a warning: postern keeps trying\n"
		    "until %s, and you do not need to send it again.\n\n", date);
		break;
	case DSN_POSTMASTER:
		strbuf_printf(out, "A delivery status notification for sender <%s>\n"
		    "could not be delivered either. It is attached; the\n"
		    "original failure follows.\n\n", r->original_sender);
		break;
	}
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "<%s>: %s\n", rcpts[i].address,
		    rcpts[i].reply ? rcpts[i].reply : "no reason recorded");
	strbuf_printf(out, "\nQueue ID: %s\n", r->qid);
}

/* dsn_status_part - the message/delivery-status fields */
static void
dsn_status_part(const struct dsn_report *r, const struct dsn_rcpt *rcpts,
    size_t n, struct strbuf *out)
{
	char date[64], status[16];
	bool permanent = r->type != DSN_DELAYED;

	strbuf_printf(out, "Reporting-MTA: dns; %s\nX-Postern-Queue-ID: %s\n",
	    r->hostname, r->qid);
	if (r->envid)
		strbuf_printf(out, "Original-Envelope-Id: %s\n", r->envid);
	if (r->original_sender && r->original_sender[0])
		strbuf_printf(out, "X-Postern-Sender: rfc822; %s\n",
		    r->original_sender);
	dsn_date(r->arrival, date, sizeof(date));
	strbuf_printf(out, "Arrival-Date: %s\n", date);
	for (size_t i = 0; i < n; i++) {
		dsn_status(rcpts[i].reply, permanent ? '5' : '4', status,
		    sizeof(status));
		strbuf_printf(out, "\nFinal-Recipient: rfc822; %s\n",
		    rcpts[i].address);
		if (rcpts[i].orcpt)
			strbuf_printf(out, "Original-Recipient: %s\n", rcpts[i].orcpt);
		strbuf_printf(out, "Action: %s\nStatus: %s\n",
		    permanent ? "failed" : "delayed", status);
		if (rcpts[i].remote_mta)
			strbuf_printf(out, "Remote-MTA: dns; %s\n", rcpts[i].remote_mta);
		if (rcpts[i].reply) {
			bool smtp = isdigit((unsigned char)rcpts[i].reply[0]);

			strbuf_printf(out, "Diagnostic-Code: %s; %s\n",
			    smtp ? "smtp" : "x-postern", rcpts[i].reply);
		}
		if (r->type == DSN_DELAYED) {
			dsn_date(r->retry_until, date, sizeof(date));
			strbuf_printf(out, "Will-Retry-Until: %s\n", date);
		}
	}
}

void
dsn_build(const struct dsn_report *r, const struct dsn_rcpt *rcpts,
    size_t nrcpts, struct strbuf *out)
{
	static const char *const subjects[] = {
		"Undelivered Mail Returned to Sender",
		"Delayed Mail (still being retried)",
		"Postmaster Copy: Undelivered Mail",
	};
	char boundary[96], date[64];
	uint64_t rnd = 0;
	size_t hdr_len = dsn_header_end(r->message, r->message_len);
	bool full = r->return_full && r->type == DSN_FAILED;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint64_t)time(NULL) * 2654435761u;
	STR_MUST_FIT(str_format(boundary, sizeof(boundary), "=_postern_%s_%016" PRIx64, r->qid, rnd));
	dsn_date((int64_t)time(NULL), date, sizeof(date));

	strbuf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n",
	    r->hostname);
	strbuf_printf(out, "To: <%s>\nSubject: %s\nDate: %s\nMessage-ID: ",
	    r->to, subjects[r->type], date);
	header_message_id(r->hostname, out);
	strbuf_printf(out, "\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"%s\"\n\nThis is a MIME-encapsulated delivery status "
	    "notification.\n\n", boundary);

	strbuf_printf(out, "--%s\nContent-Type: text/plain; charset=us-ascii\n"
	    "Content-Description: Notification\n\n", boundary);
	dsn_human(r, rcpts, nrcpts, out);

	strbuf_printf(out, "\n--%s\nContent-Type: message/delivery-status\n"
	    "Content-Description: Delivery report\n\n", boundary);
	dsn_status_part(r, rcpts, nrcpts, out);

	strbuf_printf(out, "\n--%s\n", boundary);
	if (full) {
		strbuf_puts(out, "Content-Type: message/rfc822\n"
		    "Content-Description: Undelivered message\n\n");
		strbuf_append(out, r->message, r->message_len);
	} else {
		strbuf_puts(out, "Content-Type: text/rfc822-headers\n"
		    "Content-Description: Message headers\n\n");
		strbuf_append(out, r->message, hdr_len);
	}
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		strbuf_putc(out, '\n');
	strbuf_printf(out, "\n--%s--\n", boundary);
}
