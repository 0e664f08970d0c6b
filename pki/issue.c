/*
 * Merchant certificates: the CSR a merchant sends, the checks it must pass
 * and the certificate the issuing CA makes from it.  The CSR only lends its
 * public key; subject and extensions are the CA's own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

static const struct gw_pki_ext merchant_ext[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature"},
    {NID_ext_key_usage, "clientAuth"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

/* No merchant certificate outlives twenty years, whatever the issuing CA
 * says; the bound also keeps now + seconds far from overflow. */
#define MAX_SECONDS (20L * 365 * GW_PKI_DAY)

#define ID_RULE "merchant id must be 1 to 32 characters of A-Z a-z 0-9 . _ -"

int gw_pki_id_valid(const char *id, size_t len)
{
	size_t i;

	if (!id || len < 1 || len > GW_PKI_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int id_ok(const char *id)
{
	return id && gw_pki_id_valid(id, strnlen(id, GW_PKI_ID_MAX + 1));
}

X509_REQ *gw_pki_make_csr(EVP_PKEY *key, const char *merchant_id)
{
	X509_REQ *csr;
	X509_NAME *name;
	int ok;

	if (!key || !id_ok(merchant_id))
		return NULL;
	csr = X509_REQ_new();
	name = X509_NAME_new();
	ok = csr && name && X509_REQ_set_version(csr, X509_REQ_VERSION_1) &&
	     X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
					(const unsigned char *)merchant_id, -1,
					-1, 0) &&
	     X509_REQ_set_subject_name(csr, name) &&
	     X509_REQ_set_pubkey(csr, key) &&
	     X509_REQ_sign(csr, key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_REQ_free(csr);
		return NULL;
	}
	return csr;
}

static int key_is_p256(EVP_PKEY *key)
{
	char group[64];
	size_t len = 0;

	if (!EVP_PKEY_is_a(key, "EC"))
		return 0;
	/* A key with explicit curve parameters has no group name and is
	 * refused along with every curve other than P-256. */
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), &len))
		return 0;
	return OBJ_sn2nid(group) == NID_X9_62_prime256v1;
}

static int check_cn(X509_REQ *csr, const char *merchant_id, char *err,
		    size_t errlen)
{
	char cn[GW_PKI_ID_MAX + 2], shown[GW_PKI_ID_MAX + 2];
	int rc;

	rc = gw_pki_name_cn(X509_REQ_get_subject_name(csr), cn, sizeof(cn));
	if (rc == -ENOENT) {
		gw_pki_seterr(err, errlen, "CSR subject has no CN");
		return -EINVAL;
	}
	if (rc || strcmp(cn, merchant_id)) {
		gw_pki_printable((const unsigned char *)cn, rc ? 0 : strlen(cn),
				 shown, sizeof(shown));
		gw_pki_seterr(
		    err, errlen,
		    "CSR subject CN \"%s\" does not match merchant id %s",
		    shown, merchant_id);
		return -EINVAL;
	}
	return 0;
}

static int check_csr(X509_REQ *csr, const char *merchant_id, char *err,
		     size_t errlen)
{
	EVP_PKEY *pub = X509_REQ_get0_pubkey(csr);

	if (!pub) {
		gw_pki_seterr(err, errlen, "CSR carries no usable public key");
		return -EINVAL;
	}
	/* Proof of possession: only the key's holder could have signed. */
	if (X509_REQ_verify(csr, pub) != 1) {
		gw_pki_seterr(err, errlen, "CSR signature does not verify");
		return -EINVAL;
	}
	if (!key_is_p256(pub)) {
		gw_pki_seterr(err, errlen, "CSR key is not EC P-256");
		return -EINVAL;
	}
	return check_cn(csr, merchant_id, err, errlen);
}

static int check_validity(const struct gw_pki_ca *ca, time_t now, long seconds,
			  char *err, size_t errlen)
{
	time_t until = now + (time_t)seconds;

	if (seconds <= 0) {
		gw_pki_seterr(err, errlen,
			      "validity must be at least one second");
		return -EINVAL;
	}
	if (seconds > MAX_SECONDS ||
	    X509_cmp_time(X509_get0_notAfter(ca->cert), &until) <= 0) {
		gw_pki_seterr(err, errlen,
			      "validity of %ld seconds outlasts the issuing CA",
			      seconds);
		return -EINVAL;
	}
	return 0;
}

static X509 *sign(const struct gw_pki_ca *ca, struct gw_pki_reg *reg,
		  X509_REQ *csr, const char *id, time_t now, long seconds,
		  char *err, size_t errlen)
{
	char san[sizeof(GW_PKI_MERCHANT_URI) + GW_PKI_ID_MAX + 8];
	struct gw_pki_tmpl t = {
	    .cn = id,
	    .subject_key = X509_REQ_get0_pubkey(csr),
	    .issuer = ca->cert,
	    .issuer_key = ca->key,
	    .serial = reg->serial,
	    .not_before = now,
	    .seconds = seconds,
	    .ext = merchant_ext,
	    .n_ext = sizeof(merchant_ext) / sizeof(merchant_ext[0]),
	    .san = san,
	};
	X509 *cert;

	snprintf(san, sizeof(san), "URI:%s%s", GW_PKI_MERCHANT_URI, id);
	cert = gw_pki_cert_make(&t, err, errlen);
	if (cert && gw_pki_reg_commit(reg, cert, id, err, errlen)) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

X509 *gw_pki_issue_merchant(const char *dir, X509_REQ *csr,
			    const char *merchant_id, long seconds, char *err,
			    size_t errlen)
{
	struct gw_pki_reg reg = {.fd = -1};
	struct gw_pki_ca ca = {0};
	time_t now = time(NULL);
	X509 *cert = NULL;

	if (!dir || !csr || !merchant_id) {
		gw_pki_seterr(err, errlen,
			      "missing directory, CSR or merchant id");
		return NULL;
	}
	if (!id_ok(merchant_id)) {
		gw_pki_seterr(err, errlen, ID_RULE);
		return NULL;
	}
	if (check_csr(csr, merchant_id, err, errlen))
		goto out;
	if (gw_pki_ca_load(&ca, dir, err, errlen))
		goto out;
	if (check_validity(&ca, now, seconds, err, errlen))
		goto out;
	if (gw_pki_reg_open(&reg, dir, err, errlen))
		goto out;
	cert = sign(&ca, &reg, csr, merchant_id, now, seconds, err, errlen);
out:
	gw_pki_reg_close(&reg);
	gw_pki_ca_release(&ca);
	/* Refusals leave OpenSSL's error queue behind; the message in @err
	 * is what the caller reports. */
	ERR_clear_error();
	return cert;
}
