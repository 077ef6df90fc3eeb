/*
 * smtp_auth.c - SASL client messages for SMTP AUTH.
 *
 * Contract: see smtp_auth.h. Mechanisms and their messages:
 *   PLAIN        initial response base64("\0" user "\0" password)
 *   LOGIN        no initial response; answers base64(user), base64(password)
 *   CRAM-MD5     answers base64(user " " hex(HMAC-MD5(password, challenge)))
 *   XOAUTH2      initial response base64("user=" U "\1auth=Bearer " T "\1\1");
 *                a 334 then carries a JSON error, answered with an empty line
 *   OAUTHBEARER  initial response base64("n,a=" U ",\1host=" H "\1port=" P
 *                "\1auth=Bearer " T "\1\1"); a 334 error is answered "AQ=="
 * Buffers that held credentials in the clear are wiped before release.
 */
#include "config.h"

#include <string.h>

#include "smtp_auth.h"
#include "smtp_reply.h"
#include "tls.h"

#define SMTP_AUTH_MAX_STEPS	4

static const unsigned smtp_auth_token_order[] = {
	SMTP_AUTH_OAUTHBEARER, SMTP_AUTH_XOAUTH2,
};
/*
 * Inside TLS the password travels protected, and PLAIN or LOGIN let the
 * server check it against a hashed store. CRAM-MD5 needs the password in
 * clear on the server, and servers that hash theirs (Dovecot, Cyrus with
 * saslauthd) offer it anyway and then refuse the right password: it is
 * used only when auth_mechanisms names it.
 */
static const unsigned smtp_auth_password_order[] = {
	SMTP_AUTH_PLAIN, SMTP_AUTH_LOGIN,
};

#define SMTP_AUTH_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* smtp_auth_wipe - zero and free a strbuf that held a secret */
static void
smtp_auth_wipe(struct strbuf *sb)
{
	if (sb->data != NULL)
		explicit_bzero(sb->data, sb->cap);
	strbuf_free(sb);
}

/*
 * smtp_auth_room - an upper bound for any message built from creds, so
 * buffers holding secrets are sized once and never reallocated (a
 * reallocation would leave an unwiped copy behind).
 */
static size_t
smtp_auth_room(const struct smtp_auth_creds *creds)
{
	size_t n = 128;

	n += creds->user ? strlen(creds->user) * 3 : 0;
	n += creds->password ? strlen(creds->password) : 0;
	n += creds->token ? strlen(creds->token) : 0;
	n += creds->host ? strlen(creds->host) : 0;
	return n * 2;
}

/* smtp_auth_usable - whether the credentials fit mechanism mech */
static bool
smtp_auth_usable(unsigned mech, const struct smtp_auth_creds *creds)
{
	if (mech == SMTP_AUTH_XOAUTH2 || mech == SMTP_AUTH_OAUTHBEARER)
		return creds->token != NULL;
	return mech != 0 && creds->password != NULL;
}

static unsigned
smtp_auth_pick(unsigned offered, const unsigned *order, size_t n,
    const struct smtp_auth_creds *creds)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((offered & order[i]) && smtp_auth_usable(order[i], creds))
			return order[i];
	return 0;
}

unsigned
smtp_auth_choose(unsigned offered, const char *const *pinned, size_t npinned,
    const struct smtp_auth_creds *creds, const char **bad)
{
	unsigned mech;
	size_t i;

	*bad = NULL;
	for (i = 0; i < npinned; i++) {
		mech = smtp_reply_auth_bit(pinned[i], strlen(pinned[i]));
		if (mech == 0 && *bad == NULL)
			*bad = pinned[i];
		if ((offered & mech) && smtp_auth_usable(mech, creds))
			return mech;
	}
	if (npinned > 0)
		return 0;
	mech = smtp_auth_pick(offered, smtp_auth_token_order,
	    SMTP_AUTH_NELEM(smtp_auth_token_order), creds);
	if (mech == 0)
		mech = smtp_auth_pick(offered, smtp_auth_password_order,
		    SMTP_AUTH_NELEM(smtp_auth_password_order), creds);
	return mech;
}

void
smtp_auth_base64(const void *data, size_t n, struct strbuf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char q[4];
	size_t i;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		strbuf_append(out, q, 4);
	}
	explicit_bzero(q, sizeof(q));
}

static int
smtp_auth_b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
smtp_auth_unbase64(const char *text, size_t len, struct strbuf *out)
{
	unsigned v = 0;
	size_t i, bits = 0, pad = 0;
	int d;

	for (i = 0; i < len; i++) {
		if (text[i] == '=') {
			pad++;
			continue;
		}
		d = smtp_auth_b64val(text[i]);
		if (d < 0 || pad > 0)
			return false;
		v = (v << 6 | (unsigned)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_putc(out, (char)(v >> bits & 0xff));
		}
	}
	return pad <= 2 && (len - pad) % 4 != 1;
}

/* smtp_auth_encode - base64 of a cleartext buffer, then wipe it */
static void
smtp_auth_encode(struct strbuf *clear, struct strbuf *out)
{
	smtp_auth_base64(clear->data, clear->len, out);
	smtp_auth_wipe(clear);
}

static void
smtp_auth_plain(const struct smtp_auth_creds *creds, struct strbuf *out)
{
	struct strbuf clear = STRBUF_INIT;

	strbuf_reserve(&clear, smtp_auth_room(creds));
	strbuf_putc(&clear, '\0');
	strbuf_puts(&clear, creds->user);
	strbuf_putc(&clear, '\0');
	strbuf_puts(&clear, creds->password);
	smtp_auth_encode(&clear, out);
}

static void
smtp_auth_xoauth2(const struct smtp_auth_creds *creds, struct strbuf *out)
{
	struct strbuf clear = STRBUF_INIT;

	strbuf_reserve(&clear, smtp_auth_room(creds));
	strbuf_puts(&clear, "user=");
	strbuf_puts(&clear, creds->user);
	strbuf_puts(&clear, "\001auth=Bearer ");
	strbuf_puts(&clear, creds->token);
	strbuf_puts(&clear, "\001\001");
	smtp_auth_encode(&clear, out);
}

static void
smtp_auth_oauthbearer(const struct smtp_auth_creds *creds, struct strbuf *out)
{
	struct strbuf clear = STRBUF_INIT;

	strbuf_reserve(&clear, smtp_auth_room(creds));
	strbuf_puts(&clear, "n,a=");
	/* RFC 5801 saslname: ',' and '=' must be escaped */
	for (const char *p = creds->user; *p; p++) {
		if (*p == ',')
			strbuf_puts(&clear, "=2C");
		else if (*p == '=')
			strbuf_puts(&clear, "=3D");
		else
			strbuf_putc(&clear, *p);
	}
	strbuf_printf(&clear, ",\001host=%s\001port=%u\001auth=Bearer ",
	    creds->host, creds->port);
	strbuf_puts(&clear, creds->token);
	strbuf_puts(&clear, "\001\001");
	smtp_auth_encode(&clear, out);
}

void
smtp_auth_start(unsigned mech, const struct smtp_auth_creds *creds,
    struct strbuf *out)
{
	strbuf_reserve(out, smtp_auth_room(creds));
	strbuf_puts(out, "AUTH ");
	strbuf_puts(out, smtp_reply_auth_name(mech));
	if (mech == SMTP_AUTH_LOGIN || mech == SMTP_AUTH_CRAM_MD5)
		return;
	strbuf_putc(out, ' ');
	if (mech == SMTP_AUTH_PLAIN)
		smtp_auth_plain(creds, out);
	else if (mech == SMTP_AUTH_XOAUTH2)
		smtp_auth_xoauth2(creds, out);
	else
		smtp_auth_oauthbearer(creds, out);
}

/* smtp_auth_cram - the CRAM-MD5 answer to a decoded challenge */
static bool
smtp_auth_cram(const struct strbuf *chal, const struct smtp_auth_creds *creds,
    struct strbuf *out)
{
	struct strbuf clear = STRBUF_INIT;
	char hex[33];

	if (!tls_hmac_md5_hex(creds->password, strlen(creds->password),
	    chal->data ? chal->data : "", chal->len, hex))
		return false;
	strbuf_reserve(&clear, smtp_auth_room(creds));
	strbuf_puts(&clear, creds->user);
	strbuf_putc(&clear, ' ');
	strbuf_puts(&clear, hex);
	explicit_bzero(hex, sizeof(hex));
	smtp_auth_encode(&clear, out);
	return true;
}

bool
smtp_auth_step(unsigned mech, unsigned step, const char *chal,
    size_t chal_len, const struct smtp_auth_creds *creds, struct strbuf *out)
{
	struct strbuf dec = STRBUF_INIT;
	bool ok = true;

	if (step >= SMTP_AUTH_MAX_STEPS)
		return false;
	strbuf_reserve(out, smtp_auth_room(creds));
	switch (mech) {
	case SMTP_AUTH_PLAIN:
		/* a server that ignored the initial response asks again */
		if (step == 0)
			smtp_auth_plain(creds, out);
		return step == 0;
	case SMTP_AUTH_LOGIN:
		if (step > 1)
			return false;
		smtp_auth_base64(step == 0 ? creds->user : creds->password,
		    strlen(step == 0 ? creds->user : creds->password), out);
		return true;
	case SMTP_AUTH_CRAM_MD5:
		ok = step == 0 && smtp_auth_unbase64(chal, chal_len, &dec) &&
		    smtp_auth_cram(&dec, creds, out);
		strbuf_free(&dec);
		return ok;
	case SMTP_AUTH_XOAUTH2:
		return step == 0;	/* empty line: acknowledge the error */
	case SMTP_AUTH_OAUTHBEARER:
		if (step == 0)
			strbuf_puts(out, "AQ==");	/* %x01: abort */
		return step == 0;
	default:
		return false;
	}
}
