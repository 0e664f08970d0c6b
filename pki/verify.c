/*
 * Checking a merchant certificate against a PKI directory's chain, and
 * reading the merchant id it carries.  The TLS server checks handshakes
 * with its own store; this is the offline answer for one certificate.
 */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

static X509 *load(const char *dir, const char *name)
{
	char path[4096];

	if (gw_pki_path(path, sizeof(path), dir, name))
		return NULL;
	return gw_pki_read_cert(path);
}

/*
 * Revocation is not checked here yet: until revocation exists the CRL
 * names no serial, and loading it would only make every verification fail
 * once its week runs out without a republished list.
 */
static int run(X509_STORE *store, STACK_OF(X509) * untrusted, X509 *cert,
	       time_t at, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -EACCES, e;

	if (!ctx || !X509_STORE_CTX_init(ctx, store, cert, untrusted)) {
		gw_pki_seterr(err, errlen, "cannot set up verification");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (!X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT)) {
		gw_pki_seterr(err, errlen, "cannot set purpose");
		goto out;
	}
	if (at)
		X509_STORE_CTX_set_time(ctx, 0, at);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	gw_pki_seterr(err, errlen, "%s (at depth %d)",
		      X509_verify_cert_error_string(e),
		      X509_STORE_CTX_get_error_depth(ctx));
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

int gw_pki_verify_at(const char *dir, X509 *cert, time_t at, char *err,
		     size_t errlen)
{
	X509 *root = NULL, *issuing = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE *store = NULL;
	int rc = -EACCES;

	if (!dir || !cert) {
		gw_pki_seterr(err, errlen, "missing directory or certificate");
		return -EINVAL;
	}
	root = load(dir, "root.crt");
	issuing = load(dir, "issuing.crt");
	if (!root || !issuing) {
		gw_pki_seterr(err, errlen,
			      "cannot read root.crt and issuing.crt in %s",
			      dir);
		goto out;
	}
	store = X509_STORE_new();
	untrusted = sk_X509_new_null();
	if (!store || !untrusted || !X509_STORE_add_cert(store, root) ||
	    !sk_X509_push(untrusted, issuing)) {
		gw_pki_seterr(err, errlen, "out of memory");
		goto out;
	}
	rc = run(store, untrusted, cert, at, err, errlen);
out:
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	X509_free(issuing);
	X509_free(root);
	ERR_clear_error();
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
