/*
 * compose.c - envelope and header fix-ups for a submission (compose.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "compose.h"
#include "header.h"
#include "sender_policy.h"
#include "xalloc.h"

char *
compose_envelope_sender(const char *given, const struct conf *conf,
    const struct compose_identity *who, struct strbuf *err)
{
	char *sender = NULL, *policy;
	struct strbuf full = STRBUF_INIT;

	if (given == NULL) {
		strbuf_printf(&full, "%s@%s", who->login, conf->domain);
		sender = strbuf_export(&full);
	} else if (addr_envelope_parse(given, strlen(given), ADDR_SENDER, &sender,
	    err) != ADDR_OK) {
		return NULL;
	} else if (sender[0] != '\0' && strchr(sender, '@') == NULL) {
		strbuf_printf(&full, "%s@%s", sender, conf->domain);
		free(sender);
		sender = strbuf_export(&full);
	}
	policy = sender_policy_envelope(conf, sender);
	free(sender);
	return policy;
}

/* compose_has_rcpt - already listed (case-insensitive)? */
static bool
compose_has_rcpt(const struct qrecord *rec, const char *address)
{
	for (size_t i = 0; i < rec->nrcpts; i++)
		if (strcasecmp(rec->rcpts[i].address, address) == 0)
			return true;
	return false;
}

/* compose_add_spec - expand one validated spec and append the results */
static void
compose_add_spec(const char *spec, unsigned notify, const struct conf *conf,
    const struct aliases *aliases, struct qrecord *rec)
{
	struct aliases_result result = { NULL, 0 };

	aliases_expand(aliases, conf, spec, &result);
	for (size_t i = 0; i < result.count; i++)
		if (!compose_has_rcpt(rec, result.items[i]))
			qrecord_add_rcpt(rec, result.items[i], notify, NULL);
	aliases_result_free(&result);
}

int
compose_add_recipient(const char *text, unsigned notify,
    const struct conf *conf, const struct aliases *aliases,
    struct qrecord *rec, struct strbuf *err)
{
	char *spec;

	if (addr_envelope_parse(text, strlen(text), ADDR_RECIPIENT, &spec, err)
	    != ADDR_OK)
		return EX_USAGE;
	compose_add_spec(spec, notify, conf, aliases, rec);
	free(spec);
	return 0;
}

/* compose_add_list - a comma-separated list, each element validated */
static int
compose_add_list(const char *text, const char *what, unsigned notify,
    const struct conf *conf, const struct aliases *aliases,
    struct qrecord *rec, struct strbuf *err)
{
	struct addr_list list = ADDR_LIST_INIT;
	int status = 0;

	if (addr_list_parse(&list, text, strlen(text), err) != ADDR_OK) {
		struct strbuf why = STRBUF_INIT;

		strbuf_printf(&why, "bad recipient %s \"%.200s\": %s", what, text,
		    strbuf_cstr(err));
		strbuf_reset(err);
		strbuf_puts(err, strbuf_cstr(&why));
		strbuf_free(&why);
		return EX_USAGE;
	}
	for (size_t i = 0; i < list.count && status == 0; i++)
		status = compose_add_recipient(list.items[i].spec, notify, conf,
		    aliases, rec, err);
	addr_list_free(&list);
	return status;
}

/* compose_header_recipients - the -t recipients of the message */
static int
compose_header_recipients(const struct strbuf *message, unsigned notify,
    const struct conf *conf, const struct aliases *aliases,
    struct qrecord *rec, struct strbuf *err)
{
	struct header_block hb = HEADER_BLOCK_INIT;
	struct addr_list list = ADDR_LIST_INIT;
	int status = 0;

	if (header_parse(&hb, strbuf_cstr(message), message->len, err) != HEADER_OK)
		return EX_DATAERR;
	if (header_collect_recipients(&hb, &list, err) != HEADER_OK)
		status = EX_DATAERR;
	for (size_t i = 0; i < list.count && status == 0; i++)
		if (compose_add_recipient(list.items[i].spec, notify, conf, aliases,
		    rec, err) != 0)
			status = EX_DATAERR;
	addr_list_free(&list);
	header_free(&hb);
	return status;
}

/* compose_from - "Full Name <sender>", quoting the name when needed */
static void
compose_from(const char *name, const char *address, struct strbuf *out)
{
	bool plain = name && name[0] && strpbrk(name, "()<>[]:;@\\,.\"") == NULL;

	if (name == NULL || name[0] == '\0') {
		strbuf_puts(out, address);
		return;
	}
	if (plain) {
		strbuf_printf(out, "%s <%s>", name, address);
		return;
	}
	strbuf_putc(out, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_putc(out, '\\');
		if ((unsigned char)*p >= 0x20)
			strbuf_putc(out, *p);
	}
	strbuf_printf(out, "\" <%s>", address);
}

/* compose_add_missing - Date, Message-ID, From, To as needed */
static int
compose_add_missing(struct header_block *hb, const struct conf *conf,
    const struct compose_identity *who, const char *full_name,
    const char *sender, struct strbuf *err)
{
	struct strbuf v = STRBUF_INIT;
	char date[64];
	int bad = 0;

	if (header_first(hb, "Date") == HEADER_NONE) {
		header_date(time(NULL), date, sizeof(date));
		bad |= header_append(hb, "Date", date, err);
	}
	if (header_first(hb, "Message-ID") == HEADER_NONE) {
		header_message_id(conf->hostname, &v);
		bad |= header_append(hb, "Message-ID", v.data, err);
	}
	if (header_first(hb, "From") == HEADER_NONE) {
		strbuf_reset(&v);
		compose_from(full_name ? full_name : who->gecos_name,
		    sender[0] ? sender : "MAILER-DAEMON", &v);
		bad |= header_append(hb, "From", v.data, err);
	}
	if (header_first(hb, "To") == HEADER_NONE &&
	    header_first(hb, "Cc") == HEADER_NONE)
		bad |= header_append(hb, "To", "undisclosed-recipients:;", err);
	strbuf_free(&v);
	return bad ? EX_DATAERR : 0;
}

/* Header fields whose addresses are qualified (and From masqueraded). */
static const char *const compose_address_fields[] = {
	"From", "Sender", "Reply-To", "To", "Cc",
	"Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", NULL,
};

/* compose_is_address_field - one of compose_address_fields? */
static bool
compose_is_address_field(const char *name)
{
	for (const char *const *f = compose_address_fields; *f; f++)
		if (strcasecmp(name, *f) == 0)
			return true;
	return false;
}

/*
 * compose_rewrite_field - qualify the unqualified addresses of one field
 * with the configured domain, and with masquerade set (From and Sender,
 * when rewrite_header_from is on) masquerade local ones. The field is
 * rebuilt only when something changed; one that does not parse, or
 * holds a group, is left exactly as written.
 */
static void
compose_rewrite_field(struct header_block *hb, size_t i, const struct conf *conf,
    bool masquerade)
{
	struct strbuf value = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	struct addr_list list = ADDR_LIST_INIT;
	bool changed = false;

	header_field_value(&hb->fields[i], &value);
	if (memchr(value.data ? value.data : "", ';', value.len) ||
	    addr_list_parse(&list, strbuf_cstr(&value), value.len, &err) != ADDR_OK)
		goto out;
	for (size_t k = 0; k < list.count; k++) {
		struct addr *a = &list.items[k];
		const char *target = a->domain ? NULL : conf->domain;

		if (masquerade && sender_policy_masquerades(conf, a->local,
		    strlen(a->local), a->domain ? a->domain : conf->domain))
			target = conf->sender.masquerade_domain;
		if (target == NULL)
			continue;
		free(a->domain);
		a->domain = NULL;
		changed |= addr_qualify(a, target, &err) == ADDR_OK;
	}
	if (!changed)
		goto out;
	for (size_t k = 0; k < list.count; k++) {
		if (k)
			strbuf_puts(&out, ", ");
		compose_from(list.items[k].display, list.items[k].spec, &out);
	}
	header_replace(hb, i, out.data, &err);	/* on failure: left as it was */
out:
	addr_list_free(&list);
	strbuf_free(&value);
	strbuf_free(&out);
	strbuf_free(&err);
}

/* compose_rewrite_addresses - compose_rewrite_field on every address field */
static void
compose_rewrite_addresses(struct header_block *hb, const struct conf *conf)
{
	for (size_t i = 0; i < hb->count; i++) {
		const char *name = hb->fields[i].name;

		if (!compose_is_address_field(name))
			continue;
		compose_rewrite_field(hb, i, conf, conf->sender.rewrite_header_from &&
		    (strcasecmp(name, "From") == 0 || strcasecmp(name, "Sender") == 0 ||
		    strcasecmp(name, "Resent-From") == 0));
	}
}

int
compose_fix_headers(const struct strbuf *message, const struct conf *conf,
    const struct compose_identity *who, const char *full_name,
    const char *sender, struct strbuf *out, struct strbuf *err)
{
	struct header_block hb = HEADER_BLOCK_INIT;
	int status;

	if (header_parse(&hb, strbuf_cstr(message), message->len, err) != HEADER_OK)
		return EX_DATAERR;
	header_remove(&hb, "Bcc");
	header_remove(&hb, "Resent-Bcc");
	compose_rewrite_addresses(&hb, conf);
	status = compose_add_missing(&hb, conf, who, full_name, sender, err);
	if (status == 0) {
		header_write(&hb, out);
		strbuf_append(out, strbuf_cstr(message) + hb.body_offset,
		    message->len - hb.body_offset);
	}
	header_free(&hb);
	return status;
}

/* compose_is_8bit - any byte with the high bit set? */
static bool
compose_is_8bit(const struct strbuf *s)
{
	for (size_t i = 0; i < s->len; i++)
		if ((unsigned char)s->data[i] & 0x80)
			return true;
	return false;
}

/* compose_needs_smtputf8 - a non-ASCII envelope address? */
static bool
compose_needs_smtputf8(const struct qrecord *rec)
{
	for (const unsigned char *p = (const unsigned char *)rec->sender; *p; p++)
		if (*p & 0x80)
			return true;
	for (size_t i = 0; i < rec->nrcpts; i++)
		for (const unsigned char *p = (const unsigned char *)rec->rcpts[i].address; *p; p++)
			if (*p & 0x80)
				return true;
	return false;
}

/* compose_dsn - copy the DSN options */
static void
compose_dsn(const struct cmdline *cl, struct qrecord *rec)
{
	rec->ret = cl->dsn_ret;
	if (cl->dsn_envid)
		rec->envid = xstrdup(cl->dsn_envid);
}

int
compose_message(const struct cmdline *cl, const struct conf *conf,
    const struct aliases *aliases, const struct compose_identity *who,
    const struct strbuf *message, struct qrecord *rec, struct strbuf *out,
    struct strbuf *err)
{
	int status = 0;

	memset(rec, 0, sizeof(*rec));
	rec->uid = -1;
	if ((rec->sender = compose_envelope_sender(cl->sender, conf, who, err)) == NULL)
		return EX_USAGE;
	for (size_t i = 0; i < cl->nrecipients && status == 0; i++)
		status = compose_add_list(cl->recipients[i], "argument",
		    cl->dsn_notify, conf, aliases, rec, err);
	if (status == 0 && cl->extract_recipients)
		status = compose_header_recipients(message, cl->dsn_notify,
		    conf, aliases, rec, err);
	if (status == 0 && rec->nrcpts == 0) {
		strbuf_puts(err, "no recipients: give addresses as arguments, or use -t "
		    "with To, Cc or Bcc headers");
		status = EX_USAGE;
	}
	if (status == 0)
		status = compose_fix_headers(message, conf, who, cl->full_name,
		    rec->sender, out, err);
	if (status != 0)
		return status;
	compose_dsn(cl, rec);
	if (cl->body != CMDLINE_BODY_UNSET)
		rec->body = xstrdup(cl->body == CMDLINE_BODY_8BITMIME ? "8BITMIME" : "7BIT");
	else if (compose_is_8bit(out))
		rec->body = xstrdup("8BITMIME");
	rec->smtputf8 = compose_needs_smtputf8(rec);
	return 0;
}
