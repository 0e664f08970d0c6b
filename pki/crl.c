/*
 * Certificate revocation lists, signed by the issuing CA or by the root.
 * This file builds and signs a list from the revoked entries of an index;
 * which index and file belong to which list is publish.c's.
 */
#include <errno.h>
#include <time.h>

#include <openssl/bn.h>

#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

static int add_number(X509_CRL *crl, uint64_t number)
{
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	int ok;

	ok = num && ASN1_INTEGER_set_uint64(num, number) &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
	ASN1_INTEGER_free(num);
	return ok;
}

/* RFC 5280 section 5.2.1: a conforming CA names its key in every CRL. */
static int add_aki(X509_CRL *crl, const struct gw_pki_ca *ca)
{
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
				  "keyid:always");
	ok = ext && X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* One entry: serial, revocation date and, unless unspecified, a reason
 * (RFC 5280 section 5.3.1 asks that unspecified be left out). */
static int add_revoked(X509_CRL *crl, const struct gw_pki_entry *e)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)e->revoked_at);
	ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	int ok;

	ok = r && when && reason && BN_hex2bn(&bn, e->serial) &&
	     (serial = BN_to_ASN1_INTEGER(bn, NULL)) &&
	     X509_REVOKED_set_serialNumber(r, serial) &&
	     X509_REVOKED_set_revocationDate(r, when) &&
	     ASN1_ENUMERATED_set(reason, e->reason);
	if (ok && e->reason != CRL_REASON_UNSPECIFIED)
		ok = X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0,
					       0) == 1;
	ok = ok && X509_CRL_add0_revoked(crl, r);
	if (!ok)
		X509_REVOKED_free(r);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(when);
	return ok;
}

static int add_all(X509_CRL *crl, const struct gw_pki_index *ix)
{
	size_t i;

	for (i = 0; ix && i < ix->n; i++)
		if (ix->e[i].status == 'R' && !add_revoked(crl, &ix->e[i]))
			return 0;
	return 1;
}

X509_CRL *gw_pki_crl_sign(const struct gw_pki_ca *ca, uint64_t number,
			  time_t now, long seconds,
			  const struct gw_pki_index *ix)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);
	int ok;

	ok = crl && t && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) &&
	     X509_CRL_set1_lastUpdate(crl, t) &&
	     ASN1_TIME_set(t, now + (time_t)seconds) &&
	     X509_CRL_set1_nextUpdate(crl, t) && add_number(crl, number) &&
	     add_aki(crl, ca) && add_all(crl, ix) && X509_CRL_sort(crl) &&
	     X509_CRL_sign(crl, ca->key, EVP_sha256()) > 0;
	ASN1_TIME_free(t);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

X509_CRL *gw_pki_crl_make(const struct gw_pki_ca *ca, uint64_t number,
			  long days)
{
	return gw_pki_crl_sign(ca, number, time(NULL), days * GW_PKI_DAY, NULL);
}
