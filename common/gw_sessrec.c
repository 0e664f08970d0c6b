/*
 * Session records: merchant id syntax, the state names stored in Redis and
 * the wrapping of a session secret under the appliance's wrap key.  Redis
 * I/O and where the wrap key comes from are the programs' business.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gw_sessrec.h"
#include "gw_util.h"

#define NONCE_LEN 12
#define TAG_LEN	  16
#define BLOB_LEN  (NONCE_LEN + GW_SECRET_LEN + TAG_LEN)
#define AAD_MAX	  (sizeof("gw-session|4294967295|") + GW_MERCHANT_ID_MAX)

static const char *const state_names[] = {
    [GW_SESS_ACTIVE] = "active",
    [GW_SESS_REVOKED] = "revoked",
};

#define NSTATES (sizeof(state_names) / sizeof(state_names[0]))

int gw_merchant_id_check(const char *id)
{
	size_t n;

	if (id == NULL)
		return -EINVAL;
	n = strnlen(id, GW_MERCHANT_ID_MAX + 1);
	if (n == 0 || n > GW_MERCHANT_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* The additional data binds a wrapped secret to its session and merchant,
 * so that a record copied to another key in Redis does not unwrap. */
static int make_aad(const struct gw_sessrec *r, char aad[AAD_MAX])
{
	int n;

	if (gw_merchant_id_check(r->merchant) != 0)
		return -EINVAL;
	n = snprintf(aad, AAD_MAX, "gw-session|%u|%s", (unsigned)r->id,
		     r->merchant);
	if (n < 0 || (size_t)n >= AAD_MAX)
		return -EINVAL;
	return n;
}

int gw_sessrec_wrap(const uint8_t wrap_key[GW_SECRET_LEN],
		    const struct gw_sessrec *r, char *hex, size_t hexlen)
{
	uint8_t blob[BLOB_LEN];
	char aad[AAD_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	int aad_len, n, ret = -EIO;

	if (wrap_key == NULL || r == NULL || hex == NULL ||
	    hexlen < GW_SESSREC_WRAPPED_HEX)
		return -EIO;
	aad_len = make_aad(r, aad);
	if (aad_len < 0)
		return -EIO;
	if (RAND_bytes(blob, NONCE_LEN) != 1)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, wrap_key, blob) !=
		1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, aad_len) !=
		1 ||
	    EVP_EncryptUpdate(ctx, blob + NONCE_LEN, &n, r->secret,
			      GW_SECRET_LEN) != 1 ||
	    EVP_EncryptFinal_ex(ctx, blob + NONCE_LEN + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
				blob + NONCE_LEN + GW_SECRET_LEN) != 1)
		goto out;
	gw_hex_encode(blob, BLOB_LEN, hex);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(blob, sizeof(blob));
	return ret;
}

int gw_sessrec_unwrap(const uint8_t wrap_key[GW_SECRET_LEN],
		      struct gw_sessrec *r, const char *hex)
{
	uint8_t blob[BLOB_LEN], plain[GW_SECRET_LEN];
	char aad[AAD_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	int aad_len, n, ret = -EINVAL;

	if (r == NULL)
		return -EINVAL;
	if (wrap_key == NULL || hex == NULL ||
	    gw_hex_decode(hex, blob, BLOB_LEN) != 0)
		goto out;
	aad_len = make_aad(r, aad);
	if (aad_len < 0)
		goto out;
	ret = -EIO;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, wrap_key, blob) !=
		1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, aad_len) !=
		1 ||
	    EVP_DecryptUpdate(ctx, plain, &n, blob + NONCE_LEN,
			      GW_SECRET_LEN) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
				blob + NONCE_LEN + GW_SECRET_LEN) != 1)
		goto out;
	/* A tag that does not verify means another key, session or merchant,
	 * or a damaged record; nothing decrypted is kept. */
	if (EVP_DecryptFinal_ex(ctx, plain + n, &n) != 1) {
		ret = -EBADMSG;
		goto out;
	}
	memcpy(r->secret, plain, GW_SECRET_LEN);
	ret = 0;
out:
	if (ret != 0)
		OPENSSL_cleanse(r->secret, sizeof(r->secret));
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(blob, sizeof(blob));
	return ret;
}

const char *gw_sessrec_state_str(uint8_t state)
{
	if (state >= NSTATES || state_names[state] == NULL)
		return "unknown";
	return state_names[state];
}

int gw_sessrec_state_parse(const char *s, uint8_t *state)
{
	if (s == NULL || state == NULL)
		return -EINVAL;
	for (size_t i = 0; i < NSTATES; i++) {
		if (state_names[i] != NULL && strcmp(s, state_names[i]) == 0) {
			*state = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}
