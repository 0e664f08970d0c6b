/*
 * Card numbers: the Luhn check, the syntax check, the masked form and the
 * keyed token.  Which cards exist and what they may spend is gw_credit.c's;
 * where the token key comes from is the caller's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gw_aead.h"
#include "gw_card.h"
#include "gw_util.h"

#define PAN_MIN	  12
#define PAN_MAX	  19
#define MASK_HEAD 6
#define MASK_TAIL 4

/*
 * HMAC-SHA256 (RFC 2104) with the key's inner and outer states hashed
 * once here: a token then costs the two compressions of its own data.
 * They run on intel-ipsec-mb's SSE code path, the one that uses the CPU's
 * SHA extensions in this library version; a CPU without them gets the
 * OpenSSL template instead, duplicated per call, at several times the
 * cost.  Either way the token is the same HMAC, byte for byte.
 */
struct gw_card_tokenizer {
	uint8_t ipad[32] __attribute__((aligned(16)));
	uint8_t opad[32] __attribute__((aligned(16)));
	bool shani;
	EVP_MAC *mac;
	EVP_MAC_CTX *tmpl;
};

#define SHA256_BLOCK 64
#define HMAC_IPAD    0x36
#define HMAC_OPAD    0x5c

/*
 * The calling thread's manager for token jobs: the SSE one, apart from
 * gw_aead_mgr's so that a token never waits behind AES jobs.  NULL when
 * the CPU lacks the SHA extensions or memory ran out.
 */
static IMB_MGR *tok_mgr(void)
{
	IMB_MGR *m = gw_aead_mgr_sse();

	return m != NULL && (m->features & IMB_FEATURE_SHANI) ? m : NULL;
}

bool gw_card_luhn_ok(const char *pan, size_t len)
{
	unsigned sum = 0;
	bool dbl = false;

	if (pan == NULL || len == 0)
		return false;
	for (size_t i = len; i-- > 0;) {
		unsigned d;

		if (pan[i] < '0' || pan[i] > '9')
			return false;
		d = (unsigned)(pan[i] - '0');
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

int gw_card_pan_check(const char *pan, size_t len)
{
	if (pan == NULL || len < PAN_MIN || len > PAN_MAX)
		return -EINVAL;
	if (!gw_card_luhn_ok(pan, len))
		return -EINVAL;
	return 0;
}

void gw_card_mask(const char *pan, size_t len, char out[GW_CARD_MASK_LEN])
{
	/* A caller that skipped the check still gets a string, never a
	 * copy of more digits than the masked form shows. */
	if (pan == NULL || len < PAN_MIN || len > PAN_MAX) {
		out[0] = '\0';
		return;
	}
	memcpy(out, pan, MASK_HEAD);
	memset(out + MASK_HEAD, '*', len - MASK_HEAD - MASK_TAIL);
	memcpy(out + len - MASK_TAIL, pan + len - MASK_TAIL, MASK_TAIL);
	out[len] = '\0';
}

/* The state after one block of @key padded and XORed with @pad. */
static void pad_state(IMB_MGR *m, const uint8_t key[32], uint8_t pad,
		      uint8_t state[32])
{
	uint8_t block[SHA256_BLOCK];

	memset(block, pad, sizeof(block));
	for (size_t i = 0; i < 32; i++)
		block[i] ^= key[i];
	IMB_SHA256_ONE_BLOCK(m, block, state);
	OPENSSL_cleanse(block, sizeof(block));
}

static int evp_init(struct gw_card_tokenizer *t, const uint8_t key[32])
{
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	t->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (t->mac == NULL)
		return -ENOMEM;
	t->tmpl = EVP_MAC_CTX_new(t->mac);
	if (t->tmpl == NULL)
		return -ENOMEM;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(t->tmpl, key, 32, params))
		return -EIO;
	return 0;
}

struct gw_card_tokenizer *gw_card_tokenizer_new(const uint8_t key[32])
{
	struct gw_card_tokenizer *t;
	IMB_MGR *m = tok_mgr();

	t = aligned_alloc(16, sizeof(*t));
	if (t == NULL)
		return NULL;
	memset(t, 0, sizeof(*t));
	if (evp_init(t, key) != 0)
		goto err;
	if (m != NULL) {
		pad_state(m, key, HMAC_IPAD, t->ipad);
		pad_state(m, key, HMAC_OPAD, t->opad);
		t->shani = true;
	}
	return t;
err:
	gw_card_tokenizer_free(t);
	return NULL;
}

void gw_card_tokenizer_free(struct gw_card_tokenizer *t)
{
	if (t == NULL)
		return;
	EVP_MAC_CTX_free(t->tmpl);
	EVP_MAC_free(t->mac);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

static int token_evp(const struct gw_card_tokenizer *t, const char *pan,
		     size_t len, uint8_t out[GW_CARD_TOKEN_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t full_len = 0;
	EVP_MAC_CTX *ctx;
	int ret = -EIO;

	ctx = EVP_MAC_CTX_dup(t->tmpl);
	if (ctx == NULL)
		return -EIO;
	if (!EVP_MAC_update(ctx, (const unsigned char *)pan, len))
		goto out;
	if (!EVP_MAC_final(ctx, full, &full_len, sizeof(full)))
		goto out;
	if (full_len < GW_CARD_TOKEN_LEN)
		goto out;
	memcpy(out, full, GW_CARD_TOKEN_LEN);
	ret = 0;
out:
	OPENSSL_cleanse(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	return ret;
}

/*
 * One job, submitted and flushed at once: the SHA extensions hash one
 * buffer at a time, so nothing is gained by holding jobs back.
 */
static int token_imb(IMB_MGR *m, const struct gw_card_tokenizer *t,
		     const char *pan, size_t len,
		     uint8_t out[GW_CARD_TOKEN_LEN])
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = IMB_AUTH_HMAC_SHA_256;
	job->src = (const uint8_t *)pan;
	job->dst = out;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->u.HMAC._hashed_auth_key_xor_ipad = t->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = t->opad;
	job->auth_tag_output = out;
	job->auth_tag_output_len_in_bytes = GW_CARD_TOKEN_LEN;
	job = IMB_SUBMIT_JOB(m);
	while (job == NULL)
		job = IMB_FLUSH_JOB(m);
	return job->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

int gw_card_token(const struct gw_card_tokenizer *t, const char *pan,
		  size_t len, uint8_t out[GW_CARD_TOKEN_LEN])
{
	IMB_MGR *m;

	if (t == NULL || pan == NULL)
		return -EIO;
	/* The library refuses an empty message; OpenSSL hashes it. */
	m = t->shani && len > 0 ? tok_mgr() : NULL;
	if (m == NULL)
		return token_evp(t, pan, len, out);
	return token_imb(m, t, pan, len, out);
}

void gw_card_token_hex(const uint8_t tok[GW_CARD_TOKEN_LEN], char out[33])
{
	gw_hex_encode(tok, GW_CARD_TOKEN_LEN, out);
}
