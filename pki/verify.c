/*
 * Checking a merchant certificate: chain to the root, validity, both CRLs
 * on every certificate of the chain, key usage, clientAuth and the
 * merchant id it carries.  The store comes from store.c.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

/*
 * A CRL out of its dates is noted and the check goes on: when the
 * certificate itself has expired too, that is the better reason to give.
 * An out-of-date CRL still refuses once everything else passed.
 */
struct late_crl {
	int error;
	int depth;
};

static int note_late_crl(int ok, X509_STORE_CTX *ctx)
{
	struct late_crl *late = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx);

	if (ok)
		return 1;
	if (!late || (e != X509_V_ERR_CRL_HAS_EXPIRED &&
		      e != X509_V_ERR_CRL_NOT_YET_VALID))
		return 0;
	if (!late->error) {
		late->error = e;
		late->depth = X509_STORE_CTX_get_error_depth(ctx);
	}
	return 1;
}

/* OpenSSL's words, the depth, and for CRL trouble what to do about it. */
static void reason(int e, int depth, char *err, size_t errlen)
{
	const char *hint = "";

	if (e == X509_V_ERR_UNABLE_TO_GET_CRL ||
	    e == X509_V_ERR_CRL_HAS_EXPIRED ||
	    e == X509_V_ERR_CRL_NOT_YET_VALID)
		hint = "; gw-pki crl publishes fresh lists";
	gw_pki_seterr(err, errlen, "%s (at depth %d%s)",
		      X509_verify_cert_error_string(e), depth, hint);
}

static int chain(X509_STORE *store, STACK_OF(X509) * untrusted, X509 *cert,
		 time_t at, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct late_crl late = {0};
	int rc = -EACCES;

	if (!ctx || !X509_STORE_CTX_init(ctx, store, cert, untrusted) ||
	    !X509_STORE_CTX_set_app_data(ctx, &late)) {
		gw_pki_seterr(err, errlen, "cannot set up verification");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT |
					  X509_V_FLAG_CRL_CHECK |
					  X509_V_FLAG_CRL_CHECK_ALL);
	if (!X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT)) {
		gw_pki_seterr(err, errlen, "cannot set purpose");
		goto out;
	}
	X509_STORE_CTX_set_verify_cb(ctx, note_late_crl);
	if (at)
		X509_STORE_CTX_set_time(ctx, 0, at);
	if (X509_verify_cert(ctx) != 1)
		reason(X509_STORE_CTX_get_error(ctx),
		       X509_STORE_CTX_get_error_depth(ctx), err, errlen);
	else if (late.error)
		reason(late.error, late.depth, err, errlen);
	else
		rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* The purpose check lets a certificate without key usage extensions pass;
 * a merchant certificate must carry both, as issue.c writes them. */
static int usage(X509 *cert, char *err, size_t errlen)
{
	uint32_t flags = X509_get_extension_flags(cert);

	if (X509_check_ca(cert)) {
		gw_pki_seterr(err, errlen,
			      "a CA certificate is not a merchant certificate");
		return -EACCES;
	}
	if (!(flags & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE)) {
		gw_pki_seterr(err, errlen,
			      "certificate lacks key usage digitalSignature");
		return -EACCES;
	}
	if (!(flags & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT)) {
		gw_pki_seterr(
		    err, errlen,
		    "certificate lacks extended key usage clientAuth");
		return -EACCES;
	}
	return 0;
}

/* The id in the URI, the CN and the expected id must all agree. */
static int owner(X509 *cert, const char *expected, char *err, size_t errlen)
{
	char id[GW_PKI_ID_MAX + 1], cn[GW_PKI_ID_MAX + 2], shown[40];

	if (gw_pki_merchant_id(cert, id, sizeof(id))) {
		gw_pki_seterr(err, errlen,
			      "certificate carries no merchant id (%s<id>)",
			      GW_PKI_MERCHANT_URI);
		return -EACCES;
	}
	if (gw_pki_name_cn(X509_get_subject_name(cert), cn, sizeof(cn)) ||
	    strcmp(cn, id)) {
		gw_pki_seterr(err, errlen,
			      "subject CN differs from merchant id %s", id);
		return -EACCES;
	}
	if (expected && strcmp(id, expected)) {
		gw_pki_printable((const unsigned char *)expected,
				 strlen(expected), shown, sizeof(shown));
		gw_pki_seterr(err, errlen,
			      "certificate belongs to merchant %s, not %s", id,
			      shown);
		return -EACCES;
	}
	return 0;
}

int gw_pki_verify_peer(X509_STORE *store, X509 *cert, STACK_OF(X509) * chain_in,
		       time_t at, const char *merchant_id, char *err,
		       size_t errlen)
{
	int rc;

	if (!store || !cert) {
		gw_pki_seterr(err, errlen, "missing store or certificate");
		return -EINVAL;
	}
	rc = chain(store, chain_in, cert, at, err, errlen);
	if (!rc)
		rc = usage(cert, err, errlen);
	if (!rc && merchant_id)
		rc = owner(cert, merchant_id, err, errlen);
	ERR_clear_error();
	return rc;
}

int gw_pki_verify_merchant(const char *dir, X509 *cert, const char *merchant_id,
			   time_t at, char *err, size_t errlen)
{
	X509_STORE *store;
	int rc;

	if (!dir || !cert || !merchant_id) {
		gw_pki_seterr(err, errlen,
			      "missing directory, certificate or merchant id");
		return -EINVAL;
	}
	store = gw_pki_store(dir, err, errlen);
	if (!store)
		return -EACCES;
	rc =
	    gw_pki_verify_peer(store, cert, NULL, at, merchant_id, err, errlen);
	X509_STORE_free(store);
	return rc;
}

int gw_pki_verify_at(const char *dir, X509 *cert, time_t at, char *err,
		     size_t errlen)
{
	X509_STORE *store;
	int rc;

	if (!dir || !cert) {
		gw_pki_seterr(err, errlen, "missing directory or certificate");
		return -EINVAL;
	}
	store = gw_pki_store(dir, err, errlen);
	if (!store)
		return -EACCES;
	rc = gw_pki_verify_peer(store, cert, NULL, at, NULL, err, errlen);
	X509_STORE_free(store);
	return rc;
}

int gw_pki_verify(const char *dir, X509 *cert, char *err, size_t errlen)
{
	return gw_pki_verify_at(dir, cert, 0, err, errlen);
}

/* The id of one "urn:gw:merchant:" URI, or NULL when @gn is not one. */
static const char *uri_id(const GENERAL_NAME *gn, size_t *len)
{
	const size_t plen = sizeof(GW_PKI_MERCHANT_URI) - 1;
	const ASN1_IA5STRING *uri;

	if (gn->type != GEN_URI)
		return NULL;
	uri = gn->d.uniformResourceIdentifier;
	if ((size_t)uri->length <= plen ||
	    memcmp(uri->data, GW_PKI_MERCHANT_URI, plen))
		return NULL;
	*len = (size_t)uri->length - plen;
	return (const char *)uri->data + plen;
}

int gw_pki_merchant_id(X509 *cert, char *out, size_t outlen)
{
	GENERAL_NAMES *names;
	const char *id = NULL, *found;
	size_t len = 0, flen = 0;
	int i, n = 0, rc = -EINVAL;

	if (!cert || !out || !outlen)
		return -EINVAL;
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		found = uri_id(sk_GENERAL_NAME_value(names, i), &flen);
		if (found) {
			id = found;
			len = flen;
			n++;
		}
	}
	/* Two merchant URIs would make the certificate's owner ambiguous. */
	if (n == 1 && gw_pki_id_valid(id, len) && len < outlen) {
		memcpy(out, id, len);
		out[len] = '\0';
		rc = 0;
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return rc;
}
