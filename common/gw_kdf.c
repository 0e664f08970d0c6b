/*
 * HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF, and the derivations
 * built on it: per-session direction keys and subkeys of the appliance
 * master key.  Where the secrets come from is the callers' business.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "gw_kdf.h"

#define HASH_LEN     32
#define HKDF_MAX_OUT (255 * HASH_LEN) /* RFC 5869 section 2.3 */

/* Salt of the master-key subkeys: names the scheme, so that a future
 * version can derive unrelated keys from the same master. */
static const char subkey_salt[] = "gw-appliance-v1";

/* Info strings of the session keys, one per direction and purpose. */
static const char info_m2g_key[] = "gw m2g key";
static const char info_m2g_salt[] = "gw m2g salt";
static const char info_g2m_key[] = "gw g2m key";
static const char info_g2m_salt[] = "gw g2m salt";

int gw_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		   size_t ikm_len, const uint8_t *info, size_t info_len,
		   uint8_t *out, size_t out_len)
{
	/* OpenSSL refuses a NULL octet-string pointer even for zero bytes. */
	static const uint8_t empty[1];
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *ctx = NULL;
	EVP_KDF *kdf = NULL;
	int ret = -EINVAL;

	if (out == NULL || out_len == 0 || out_len > HKDF_MAX_OUT)
		return -EINVAL;
	if ((salt == NULL && salt_len != 0) || (ikm == NULL && ikm_len != 0) ||
	    (info == NULL && info_len != 0))
		return -EINVAL;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		goto out;
	ctx = EVP_KDF_CTX_new(kdf);
	if (ctx == NULL)
		goto out;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_KEY, ikm_len ? (void *)ikm : (void *)empty, ikm_len);
	/* Leaving the salt out makes OpenSSL use HashLen zeros, which is
	 * what RFC 5869 section 2.2 asks for an absent salt. */
	if (salt_len != 0)
		*p++ = OSSL_PARAM_construct_octet_string(
		    OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info_len != 0)
		*p++ = OSSL_PARAM_construct_octet_string(
		    OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();

	if (EVP_KDF_derive(ctx, out, out_len, params) != 1) {
		OPENSSL_cleanse(out, out_len);
		goto out;
	}
	ret = 0;
out:
	EVP_KDF_CTX_free(ctx); /* wipes its copies of key, salt and info */
	EVP_KDF_free(kdf);
	return ret;
}

static int hkdf_str(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		    const char *info, uint8_t *out, size_t out_len)
{
	return gw_hkdf_sha256(salt, salt_len, ikm, GW_SECRET_LEN,
			      (const uint8_t *)info, strlen(info), out,
			      out_len);
}

static int derive_dir(const uint8_t *secret, const uint8_t sid[4],
		      const char *key_info, const char *salt_info,
		      struct gw_dir_keys *d)
{
	uint8_t key[GW_AEAD_KEY_LEN];
	int ret;

	ret = hkdf_str(sid, 4, secret, key_info, key, sizeof(key));
	if (ret == 0)
		ret = hkdf_str(sid, 4, secret, salt_info, d->salt,
			       sizeof(d->salt));
	if (ret == 0)
		ret = gw_aead_key_init(&d->key, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

int gw_kdf_session(const uint8_t secret[GW_SECRET_LEN], uint32_t session_id,
		   struct gw_session_keys *out)
{
	uint8_t sid[4];
	int ret;

	if (secret == NULL || out == NULL)
		return -EINVAL;

	sid[0] = (uint8_t)(session_id >> 24);
	sid[1] = (uint8_t)(session_id >> 16);
	sid[2] = (uint8_t)(session_id >> 8);
	sid[3] = (uint8_t)session_id;

	ret = derive_dir(secret, sid, info_m2g_key, info_m2g_salt, &out->m2g);
	if (ret == 0)
		ret = derive_dir(secret, sid, info_g2m_key, info_g2m_salt,
				 &out->g2m);
	if (ret < 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return ret;
}

int gw_kdf_subkey(const uint8_t master[GW_SECRET_LEN], const char *purpose,
		  uint8_t out[GW_SECRET_LEN])
{
	if (master == NULL || purpose == NULL || purpose[0] == '\0' ||
	    out == NULL)
		return -EINVAL;

	return hkdf_str((const uint8_t *)subkey_salt, strlen(subkey_salt),
			master, purpose, out, GW_SECRET_LEN);
}
