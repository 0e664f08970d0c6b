/*
 * Link 2 signal datagrams: encoding, the HMAC tag and the checks a
 * receiver runs before believing one.  Sockets, retries and reactions are
 * the programs'.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gw_kdf.h"
#include "gw_signal.h"
#include "gw_util.h"

_Static_assert(GW_SIGNAL_SECRET_LEN == GW_SECRET_LEN,
	       "a signal key is derived from the session secret");

#define OFF_TYPE    4
#define OFF_SESSION 8
#define OFF_SEQ	    12
#define OFF_REF	    20

static const char info_signal_key[] = "gw signal key";

static const char *const type_names[] = {
    [GW_SIG_CERT_RENEW] = "CERT_RENEW",
    [GW_SIG_SOFTWARE_AVAILABLE] = "SOFTWARE_AVAILABLE",
    [GW_SIG_REKEY] = "REKEY",
    [GW_SIG_MESSAGE] = "MESSAGE",
    [GW_SIG_SESSION_REVOKED] = "SESSION_REVOKED",
};

const char *gw_signal_type_name(uint8_t type)
{
	if (type == 0 || type > GW_SIG_TYPE_MAX)
		return NULL;
	return type_names[type];
}

uint8_t gw_signal_type_parse(const char *name)
{
	uint8_t t;

	if (!name)
		return 0;
	for (t = 1; t <= GW_SIG_TYPE_MAX; t++)
		if (strcmp(type_names[t], name) == 0)
			return t;
	return 0;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

int gw_signal_key(const uint8_t secret[GW_SIGNAL_SECRET_LEN],
		  uint32_t session_id, uint8_t key[GW_SIGNAL_KEY_LEN])
{
	uint8_t sid[4];

	if (!secret || !key)
		return -EINVAL;
	put_be(sid, session_id, 4);
	return gw_hkdf_sha256(sid, sizeof(sid), secret, GW_SECRET_LEN,
			      (const uint8_t *)info_signal_key,
			      strlen(info_signal_key), key, GW_SIGNAL_KEY_LEN);
}

/* The full HMAC-SHA256 of the bytes before the tag.  0 or -EIO. */
static int mac(const uint8_t key[GW_SIGNAL_KEY_LEN], const uint8_t *pkt,
	       uint8_t full[32])
{
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
		       GW_SIGNAL_KEY_LEN, pkt, GW_SIGNAL_TAG_OFF, full, 32,
		       &n) ||
	    n != 32)
		return -EIO;
	return 0;
}

/* A reference is 1 to 32 bytes of printable ASCII without spaces: it ends
 * up in logs and file names on the merchant's side. */
static int ref_ok(const char *ref, size_t n)
{
	size_t i;

	if (n == 0 || n > GW_SIGNAL_REF_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (ref[i] <= 0x20 || ref[i] >= 0x7f)
			return 0;
	return 1;
}

int gw_signal_seal(const uint8_t key[GW_SIGNAL_KEY_LEN],
		   const struct gw_signal *s, uint8_t out[GW_SIGNAL_LEN])
{
	uint8_t full[32];
	size_t n;
	int ret;

	if (!key || !s || !out || !gw_signal_type_name(s->type) || s->seq == 0)
		return -EINVAL;
	n = strnlen(s->ref, sizeof(s->ref));
	if (!ref_ok(s->ref, n))
		return -EINVAL;
	memset(out, 0, GW_SIGNAL_LEN);
	memcpy(out, GW_SIGNAL_MAGIC, 4);
	out[OFF_TYPE] = s->type;
	put_be(out + OFF_SESSION, s->session, 4);
	put_be(out + OFF_SEQ, s->seq, 8);
	memcpy(out + OFF_REF, s->ref, n);
	ret = mac(key, out, full);
	if (ret == 0) {
		memcpy(out + GW_SIGNAL_TAG_OFF, full, GW_SIGNAL_TAG_LEN);
		ret = GW_SIGNAL_LEN;
	}
	OPENSSL_cleanse(full, sizeof(full));
	return ret;
}

/* What can be checked without the key: size, magic, reserved bytes, type
 * and session.  Cheap, so that junk costs no HMAC. */
static int check_frame(uint32_t session, const uint8_t *pkt, size_t len)
{
	if (len != GW_SIGNAL_LEN)
		return GW_SIGNAL_ESIZE;
	if (memcmp(pkt, GW_SIGNAL_MAGIC, 4) || pkt[5] || pkt[6] || pkt[7])
		return GW_SIGNAL_EMAGIC;
	if (!gw_signal_type_name(pkt[OFF_TYPE]))
		return GW_SIGNAL_ETYPE;
	if (get_be(pkt + OFF_SESSION, 4) != session)
		return GW_SIGNAL_ESESSION;
	return 0;
}

/* Printable bytes, then only NULs. */
static int check_ref(const uint8_t *ref)
{
	size_t n = strnlen((const char *)ref, GW_SIGNAL_REF_LEN);
	size_t i;

	if (!ref_ok((const char *)ref, n))
		return GW_SIGNAL_EREF;
	for (i = n; i < GW_SIGNAL_REF_LEN; i++)
		if (ref[i])
			return GW_SIGNAL_EREF;
	return 0;
}

int gw_signal_open(const uint8_t key[GW_SIGNAL_KEY_LEN], uint32_t session,
		   const uint8_t *pkt, size_t len, uint64_t *last_seq,
		   struct gw_signal *out)
{
	uint8_t full[32];
	uint64_t seq;
	int ret;

	if (!key || !pkt || !last_seq || !out)
		return -EINVAL;
	ret = check_frame(session, pkt, len);
	if (ret)
		return ret;
	ret = mac(key, pkt, full);
	if (ret)
		goto out;
	if (!gw_ct_equal(full, pkt + GW_SIGNAL_TAG_OFF, GW_SIGNAL_TAG_LEN)) {
		ret = GW_SIGNAL_ETAG;
		goto out;
	}
	ret = check_ref(pkt + OFF_REF);
	if (ret)
		goto out;
	/* The sequence number is judged only once the tag verified, so a
	 * forged datagram can neither be told apart by this answer nor
	 * advance the receiver's mark. */
	seq = get_be(pkt + OFF_SEQ, 8);
	if (seq <= *last_seq) {
		ret = GW_SIGNAL_EREPLAY;
		goto out;
	}
	*last_seq = seq;
	memset(out, 0, sizeof(*out));
	out->type = pkt[OFF_TYPE];
	out->session = session;
	out->seq = seq;
	memcpy(out->ref, pkt + OFF_REF, GW_SIGNAL_REF_LEN);
out:
	OPENSSL_cleanse(full, sizeof(full));
	return ret;
}

static const struct {
	int err;
	const char *name;
} errors[] = {
    {GW_SIGNAL_ESIZE, "size"},	     {GW_SIGNAL_EMAGIC, "magic"},
    {GW_SIGNAL_ETYPE, "type"},	     {GW_SIGNAL_ESESSION, "session"},
    {GW_SIGNAL_ETAG, "forged"},	     {GW_SIGNAL_EREF, "reference"},
    {GW_SIGNAL_EREPLAY, "replayed"}, {-EINVAL, "arguments"},
};

const char *gw_signal_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].err == err)
			return errors[i].name;
	return "error";
}
