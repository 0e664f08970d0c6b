/*
 * Burst AES-GCM on intel-ipsec-mb jobs.  The tag of an opened datagram is
 * computed by the library and compared here in constant time; the caller
 * acts on a datagram's plaintext only when its status is 0.
 */
#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "gw_util.h"

static void fill(IMB_JOB *job, struct gw_crypto_op *op, int seal)
{
	const struct gcm_key_data *kd = &op->keys->key.gdata;

	gw_aead_nonce(op->keys, op->seq, op->iv);
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = kd;
	job->dec_keys = kd;
	job->key_len_in_bytes = op->keys->key.key_len;
	job->src = op->src;
	job->dst = op->dst;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = op->iv;
	job->iv_len_in_bytes = GW_AEAD_IV_LEN;
	job->u.GCM.aad = op->aad;
	job->u.GCM.aad_len_in_bytes = GW_WIRE_HDR_LEN;
	job->auth_tag_output = seal ? op->tag : op->computed;
	job->auth_tag_output_len_in_bytes = GW_WIRE_TAG_LEN;
	job->user_data = op;
}

static unsigned complete(IMB_JOB *job, int seal)
{
	struct gw_crypto_op *op = job->user_data;

	if (job->status != IMB_STATUS_COMPLETED) {
		op->status = -EIO;
	} else if (!seal &&
		   !gw_ct_equal(op->computed, op->tag, GW_WIRE_TAG_LEN)) {
		op->status = -EBADMSG;
	} else {
		op->status = 0;
		return 1;
	}
	if (!seal)
		explicit_bzero(op->dst, op->len);
	return 0;
}

unsigned gw_crypto_burst(IMB_MGR *mgr, struct gw_crypto_op *ops, unsigned n,
			 int seal)
{
	unsigned i, ok = 0;
	IMB_JOB *job;

	for (i = 0; i < n; i++) {
		ops[i].status = -EIO;
		job = IMB_GET_NEXT_JOB(mgr);
		fill(job, &ops[i], seal);
		job = IMB_SUBMIT_JOB(mgr);
		while (job != NULL) {
			ok += complete(job, seal);
			job = IMB_GET_COMPLETED_JOB(mgr);
		}
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		ok += complete(job, seal);
	return ok;
}
