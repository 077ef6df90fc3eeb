/*
 * sender_policy.c - forced envelope sender and masquerading
 * (sender_policy.h).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "sender_policy.h"
#include "strbuf.h"
#include "xalloc.h"

/* sender_policy_local_domain - this host's own name, a subdomain of the
 * masquerade domain, or localhost */
static bool
sender_policy_local_domain(const struct conf *conf, const char *domain)
{
	const char *m = conf->sender.masquerade_domain;
	size_t dl = strlen(domain), ml = m ? strlen(m) : 0;

	if (strcasecmp(domain, conf->hostname) == 0 ||
	    strcasecmp(domain, conf->domain) == 0 ||
	    strcasecmp(domain, "localhost") == 0)
		return true;
	return m && dl > ml && domain[dl - ml - 1] == '.' &&
	    strcasecmp(domain + dl - ml, m) == 0;
}

bool
sender_policy_masquerades(const struct conf *conf, const char *local,
    size_t local_len, const char *domain)
{
	if (conf->sender.masquerade_domain == NULL || domain == NULL ||
	    !sender_policy_local_domain(conf, domain) ||
	    strcasecmp(domain, conf->sender.masquerade_domain) == 0)
		return false;
	for (size_t i = 0; i < conf->sender.nmasquerade_exceptions; i++)
		if (strncasecmp(local, conf->sender.masquerade_exceptions[i],
		    local_len) == 0 &&
		    conf->sender.masquerade_exceptions[i][local_len] == '\0')
			return false;
	return true;
}

char *
sender_policy_envelope(const struct conf *conf, const char *sender)
{
	const char *at = strrchr(sender, '@');
	struct strbuf out = STRBUF_INIT;

	if (sender[0] == '\0')
		return xstrdup(sender);	/* the null sender is never rewritten */
	if (conf->sender.envelope_sender)
		return xstrdup(conf->sender.envelope_sender);
	if (at == NULL || !sender_policy_masquerades(conf, sender,
	    (size_t)(at - sender), at + 1))
		return xstrdup(sender);
	strbuf_append(&out, sender, (size_t)(at - sender) + 1);
	strbuf_puts(&out, conf->sender.masquerade_domain);
	return strbuf_export(&out);
}
