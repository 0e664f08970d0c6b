/*
 * Burst AES-GCM through intel-ipsec-mb.  The tag of an opened datagram is
 * computed by the library and compared here in constant time; the caller
 * acts on a datagram's plaintext only when its status is 0.
 */
#include <errno.h>
#include <string.h>

#include <rte_prefetch.h>

#include "crypto.h"
#include "gw_util.h"

/*
 * The direct API has one entry point per key size.  It measured faster
 * than the job API over the 32-datagram bursts of the data plane (see
 * docs/performance.md): a request-sized body is too short for the job
 * manager's interleaving to repay its bookkeeping.
 */
typedef void (*gcm_fn)(IMB_MGR *m, const struct gw_crypto_op *op,
		       struct gcm_context_data *ctx, uint8_t *tag);

#define GCM_DIRECT(bits)                                                       \
	static void enc##bits(IMB_MGR *m, const struct gw_crypto_op *op,       \
			      struct gcm_context_data *ctx, uint8_t *tag)      \
	{                                                                      \
		IMB_AES##bits##_GCM_ENC(                                       \
		    m, &op->keys->key.gdata, ctx, op->dst, op->src, op->len,   \
		    op->iv, op->aad, GW_WIRE_HDR_LEN, tag, GW_WIRE_TAG_LEN);   \
	}                                                                      \
	static void dec##bits(IMB_MGR *m, const struct gw_crypto_op *op,       \
			      struct gcm_context_data *ctx, uint8_t *tag)      \
	{                                                                      \
		IMB_AES##bits##_GCM_DEC(                                       \
		    m, &op->keys->key.gdata, ctx, op->dst, op->src, op->len,   \
		    op->iv, op->aad, GW_WIRE_HDR_LEN, tag, GW_WIRE_TAG_LEN);   \
	}

GCM_DIRECT(128)
GCM_DIRECT(192)
GCM_DIRECT(256)

/* Indexed by key length / 8 - 2: 16, 24 and 32 bytes. */
static const gcm_fn gcm_fns[3][2] = {
    {dec128, enc128},
    {dec192, enc192},
    {dec256, enc256},
};

static gcm_fn pick(const struct gw_crypto_op *op, int seal)
{
	unsigned kl = op->keys->key.key_len;

	if (kl != 16 && kl != 24 && kl != 32)
		return NULL;
	return gcm_fns[kl / 8 - 2][seal != 0];
}

/* 1 when @op succeeded; on a failed open its output is wiped. */
static unsigned run(IMB_MGR *mgr, struct gw_crypto_op *op, int seal)
{
	struct gcm_context_data ctx;
	gcm_fn fn = pick(op, seal);

	op->status = -EIO;
	if (fn == NULL)
		return 0;
	gw_aead_nonce(op->keys, op->seq, op->iv);
	fn(mgr, op, &ctx, seal ? op->tag : op->computed);
	if (imb_get_errno(mgr) != 0)
		goto fail;
	if (!seal && !gw_ct_equal(op->computed, op->tag, GW_WIRE_TAG_LEN)) {
		op->status = -EBADMSG;
		goto fail;
	}
	op->status = 0;
	return 1;
fail:
	/* The context holds the hash subkey's products and partial state. */
	explicit_bzero(&ctx, sizeof(ctx));
	if (!seal)
		explicit_bzero(op->dst, op->len);
	return 0;
}

unsigned gw_crypto_burst(IMB_MGR *mgr, struct gw_crypto_op *ops, unsigned n,
			 int seal)
{
	unsigned i, ok = 0;

	for (i = 0; i < n; i++) {
		/* The next datagram's key schedule and body, while this one is
		 * worked on. */
		if (i + 1 < n) {
			rte_prefetch0(&ops[i + 1].keys->key.gdata);
			rte_prefetch0(ops[i + 1].src);
		}
		ok += run(mgr, &ops[i], seal);
	}
	return ok;
}
