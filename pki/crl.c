/*
 * Certificate revocation lists signed by the issuing CA.  This file builds
 * the list; deciding which serials it names belongs to revocation, which
 * reads them from index.txt.
 */
#include <errno.h>
#include <time.h>

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

X509_CRL *gw_pki_crl_make(const struct gw_pki_ca *ca, uint64_t number,
			  long days)
{
	X509_CRL *crl = X509_CRL_new();
	time_t now = time(NULL);
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);
	int ok;

	ok = crl && t && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) &&
	     X509_CRL_set1_lastUpdate(crl, t) &&
	     ASN1_TIME_set(t, now + (time_t)days * GW_PKI_DAY) &&
	     X509_CRL_set1_nextUpdate(crl, t) && add_number(crl, number) &&
	     add_aki(crl, ca) && X509_CRL_sort(crl) &&
	     X509_CRL_sign(crl, ca->key, EVP_sha256()) > 0;
	ASN1_TIME_free(t);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}
