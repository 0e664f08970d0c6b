/*
 * Card numbers: the Luhn check, the syntax check, the masked form and the
 * keyed token.  Which cards exist and what they may spend is gw_credit.c's;
 * where the token key comes from is the caller's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gw_card.h"

#define PAN_MIN	  12
#define PAN_MAX	  19
#define MASK_HEAD 6
#define MASK_TAIL 4

/*
 * A keyed HMAC context kept as a template.  Each call duplicates it, so
 * concurrent callers never share mutable state and the key schedule is
 * not recomputed per card.
 */
struct gw_card_tokenizer {
	EVP_MAC *mac;
	EVP_MAC_CTX *tmpl;
};

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

struct gw_card_tokenizer *gw_card_tokenizer_new(const uint8_t key[32])
{
	struct gw_card_tokenizer *t;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (t->mac == NULL)
		goto err;
	t->tmpl = EVP_MAC_CTX_new(t->mac);
	if (t->tmpl == NULL)
		goto err;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(t->tmpl, key, 32, params))
		goto err;
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
	free(t);
}

int gw_card_token(const struct gw_card_tokenizer *t, const char *pan,
		  size_t len, uint8_t out[GW_CARD_TOKEN_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t full_len = 0;
	EVP_MAC_CTX *ctx;
	int ret = -EIO;

	if (t == NULL || pan == NULL)
		return -EIO;
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

void gw_card_token_hex(const uint8_t tok[GW_CARD_TOKEN_LEN], char out[33])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < GW_CARD_TOKEN_LEN; i++) {
		out[2 * i] = digits[tok[i] >> 4];
		out[2 * i + 1] = digits[tok[i] & 0xf];
	}
	out[2 * GW_CARD_TOKEN_LEN] = '\0';
}
