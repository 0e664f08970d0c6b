/*
 * AES-GCM through intel-ipsec-mb's direct API, one call per message, and
 * the datagram framing built on it.  Keys arrive already derived (see
 * gw_kdf.c); the data plane's burst path uses the job API on its own.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gw_aead.h"
#include "gw_util.h"

#define TAG_MAX 16
/* NIST SP 800-38D section 5.2.1.1: at most 2^39 - 256 bits of plaintext. */
#define GCM_MAX_LEN ((1ULL << 36) - 32)
/* A frame is one UDP datagram. */
#define FRAME_MAX 65535

/* A thread's managers: the best code path, and the SSE one on demand. */
struct mgrs {
	IMB_MGR *best;
	IMB_MGR *sse;
};

static __thread struct mgrs tls_mgrs;
static pthread_key_t mgr_key;
static pthread_once_t mgr_once = PTHREAD_ONCE_INIT;
static int mgr_key_ok;

/* A thread's managers go when the thread does: short-lived threads (a
 * control-plane connection, a test) would otherwise leave 200 KB each. */
static void mgr_release(void *arg)
{
	struct mgrs *t = arg;

	free_mb_mgr(t->best);
	free_mb_mgr(t->sse);
	t->best = t->sse = NULL;
}

static void mgr_key_init(void)
{
	mgr_key_ok = pthread_key_create(&mgr_key, mgr_release) == 0;
}

static IMB_MGR *mgr_new(IMB_MGR **slot, int sse)
{
	IMB_MGR *m;

	pthread_once(&mgr_once, mgr_key_init);
	if (!mgr_key_ok)
		return NULL;
	m = alloc_mb_mgr(0);
	if (m == NULL)
		return NULL;
	if (sse)
		init_mb_mgr_sse(m);
	else
		init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0 ||
	    pthread_setspecific(mgr_key, &tls_mgrs) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	*slot = m;
	return m;
}

IMB_MGR *gw_aead_mgr(void)
{
	return tls_mgrs.best ? tls_mgrs.best : mgr_new(&tls_mgrs.best, 0);
}

IMB_MGR *gw_aead_mgr_sse(void)
{
	return tls_mgrs.sse ? tls_mgrs.sse : mgr_new(&tls_mgrs.sse, 1);
}

/*
 * The direct API has one entry point per key size; this table maps a key
 * length to the three that the module uses.
 */
typedef void (*gcm_pre_fn)(IMB_MGR *m, const uint8_t *key,
			   struct gcm_key_data *kd);
typedef void (*gcm_op_fn)(IMB_MGR *m, const struct gcm_key_data *kd,
			  struct gcm_context_data *ctx, uint8_t *out,
			  const uint8_t *in, uint64_t len, const uint8_t *iv,
			  const uint8_t *aad, uint64_t aad_len, uint8_t *tag,
			  uint64_t tag_len);

struct gcm_ops {
	unsigned key_len;
	gcm_pre_fn pre;
	gcm_op_fn enc;
	gcm_op_fn dec;
};

#define GCM_WRAPPERS(bits)                                                     \
	static void pre##bits(IMB_MGR *m, const uint8_t *key,                  \
			      struct gcm_key_data *kd)                         \
	{                                                                      \
		IMB_AES##bits##_GCM_PRE(m, key, kd);                           \
	}                                                                      \
	static void enc##bits(                                                 \
	    IMB_MGR *m, const struct gcm_key_data *kd,                         \
	    struct gcm_context_data *ctx, uint8_t *out, const uint8_t *in,     \
	    uint64_t len, const uint8_t *iv, const uint8_t *aad,               \
	    uint64_t aad_len, uint8_t *tag, uint64_t tag_len)                  \
	{                                                                      \
		IMB_AES##bits##_GCM_ENC(m, kd, ctx, out, in, len, iv, aad,     \
					aad_len, tag, tag_len);                \
	}                                                                      \
	static void dec##bits(                                                 \
	    IMB_MGR *m, const struct gcm_key_data *kd,                         \
	    struct gcm_context_data *ctx, uint8_t *out, const uint8_t *in,     \
	    uint64_t len, const uint8_t *iv, const uint8_t *aad,               \
	    uint64_t aad_len, uint8_t *tag, uint64_t tag_len)                  \
	{                                                                      \
		IMB_AES##bits##_GCM_DEC(m, kd, ctx, out, in, len, iv, aad,     \
					aad_len, tag, tag_len);                \
	}

GCM_WRAPPERS(128)
GCM_WRAPPERS(192)
GCM_WRAPPERS(256)

static const struct gcm_ops gcm_table[] = {
    {16, pre128, enc128, dec128},
    {24, pre192, enc192, dec192},
    {32, pre256, enc256, dec256},
};

static const struct gcm_ops *ops_for(unsigned key_len)
{
	size_t i;

	for (i = 0; i < sizeof(gcm_table) / sizeof(gcm_table[0]); i++)
		if (gcm_table[i].key_len == key_len)
			return &gcm_table[i];
	return NULL;
}

int gw_aead_key_init(struct gw_aead_key *k, const uint8_t *key, size_t key_len)
{
	const struct gcm_ops *ops;
	IMB_MGR *m;

	if (k == NULL || key == NULL || key_len > 32)
		return -EINVAL;
	ops = ops_for((unsigned)key_len);
	if (ops == NULL)
		return -EINVAL;
	m = gw_aead_mgr();
	if (m == NULL)
		return -ENOMEM;

	ops->pre(m, key, &k->gdata);
	k->key_len = (unsigned)key_len;
	return 0;
}

/*
 * Guard clauses shared by seal and open.  The library tolerates NULL
 * buffers of zero length only in some code paths, so empty inputs are
 * replaced by a harmless pointer before the call.
 */
static const struct gcm_ops *check_args(const struct gw_aead_key *k,
					const uint8_t *iv, const uint8_t *aad,
					size_t aad_len, const uint8_t *in,
					size_t len, const uint8_t *out,
					const uint8_t *tag, size_t tag_len)
{
	if (k == NULL || iv == NULL || tag == NULL)
		return NULL;
	if (tag_len == 0 || tag_len > TAG_MAX)
		return NULL;
	if ((aad == NULL && aad_len != 0) || aad_len > GCM_MAX_LEN)
		return NULL;
	if ((in == NULL || out == NULL) && len != 0)
		return NULL;
	if (len > GCM_MAX_LEN)
		return NULL;
	return ops_for(k->key_len);
}

static const uint8_t empty[16];

int gw_aead_seal(const struct gw_aead_key *k, const uint8_t iv[GW_AEAD_IV_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, uint8_t *tag, size_t tag_len)
{
	struct gcm_context_data ctx;
	uint8_t scratch[1];
	const struct gcm_ops *ops;
	IMB_MGR *m;

	ops = check_args(k, iv, aad, aad_len, in, len, out, tag, tag_len);
	if (ops == NULL)
		return -EINVAL;
	m = gw_aead_mgr();
	if (m == NULL)
		return -ENOMEM;

	ops->enc(m, &k->gdata, &ctx, len ? out : scratch, len ? in : empty, len,
		 iv, aad_len ? aad : empty, aad_len, tag, tag_len);
	/* The context holds the hash state and an encrypted counter block. */
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	return 0;
}

int gw_aead_open(const struct gw_aead_key *k, const uint8_t iv[GW_AEAD_IV_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, const uint8_t *tag, size_t tag_len)
{
	struct gcm_context_data ctx;
	uint8_t calc[TAG_MAX], scratch[1];
	const struct gcm_ops *ops;
	IMB_MGR *m;
	int ret = 0;

	ops = check_args(k, iv, aad, aad_len, in, len, out, tag, tag_len);
	if (ops == NULL)
		return -EINVAL;
	m = gw_aead_mgr();
	if (m == NULL)
		return -ENOMEM;

	/* The library decrypts and computes the tag in one pass; the
	 * plaintext is only released once the tag has been compared. */
	ops->dec(m, &k->gdata, &ctx, len ? out : scratch, len ? in : empty, len,
		 iv, aad_len ? aad : empty, aad_len, calc, tag_len);
	if (!gw_ct_equal(calc, tag, tag_len)) {
		if (len != 0)
			OPENSSL_cleanse(out, len);
		ret = -EBADMSG;
	}
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	OPENSSL_cleanse(calc, sizeof(calc));
	return ret;
}

void gw_aead_nonce(const struct gw_dir_keys *d, uint64_t seq,
		   uint8_t iv[GW_AEAD_IV_LEN])
{
	int i;

	memcpy(iv, d->salt, GW_AEAD_SALT_LEN);
	for (i = 0; i < 8; i++)
		iv[GW_AEAD_SALT_LEN + i] = (uint8_t)(seq >> (56 - 8 * i));
}

int gw_aead_frame_seal(const struct gw_dir_keys *d, const struct gw_hdr *h,
		       const uint8_t *body, size_t body_len, uint8_t *out)
{
	uint8_t iv[GW_AEAD_IV_LEN];
	int ret;

	if (d == NULL || h == NULL || out == NULL)
		return -EINVAL;
	if (body == NULL && body_len != 0)
		return -EINVAL;
	if (body_len > FRAME_MAX - GW_WIRE_HDR_LEN - GW_WIRE_TAG_LEN)
		return -EINVAL;

	/* The body is sealed straight into place after the header, which
	 * also makes body == out + GW_WIRE_HDR_LEN (in place) work. */
	gw_wire_hdr_encode(out, h);
	gw_aead_nonce(d, h->seq, iv);
	ret = gw_aead_seal(&d->key, iv, out, GW_WIRE_HDR_LEN, body, body_len,
			   out + GW_WIRE_HDR_LEN,
			   out + GW_WIRE_HDR_LEN + body_len, GW_WIRE_TAG_LEN);
	if (ret < 0)
		return ret;
	return (int)(GW_WIRE_HDR_LEN + body_len + GW_WIRE_TAG_LEN);
}

int gw_aead_frame_open(const struct gw_dir_keys *d, const struct gw_hdr *h,
		       const uint8_t *pkt, size_t len, uint8_t *body)
{
	uint8_t iv[GW_AEAD_IV_LEN];
	size_t body_len;

	if (d == NULL || h == NULL || pkt == NULL || body == NULL)
		return -EINVAL;
	if (len < GW_WIRE_HDR_LEN + GW_WIRE_TAG_LEN || len > FRAME_MAX)
		return -EBADMSG;

	/* The additional data is the header exactly as received, so that
	 * any bit changed on the way fails the tag; @h supplies the
	 * sequence number decoded from those same bytes. */
	body_len = len - GW_WIRE_HDR_LEN - GW_WIRE_TAG_LEN;
	gw_aead_nonce(d, h->seq, iv);
	if (gw_aead_open(&d->key, iv, pkt, GW_WIRE_HDR_LEN,
			 pkt + GW_WIRE_HDR_LEN, body_len, body,
			 pkt + GW_WIRE_HDR_LEN + body_len,
			 GW_WIRE_TAG_LEN) != 0)
		return -EBADMSG;
	return 0;
}
