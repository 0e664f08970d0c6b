/*
 * The X509_STORE that judges merchant certificates: the root as the one
 * trust anchor, the issuing CA as an intermediate, both CRLs, revocation
 * checked on every certificate of the chain.  gw_pki_verify and the TLS
 * server of gw-control use the same store, hence the same rules.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

static int add_cert(X509_STORE *store, const char *dir, const char *name,
		    char *err, size_t errlen)
{
	char path[4096];
	X509 *cert = NULL;
	int ok;

	if (!gw_pki_path(path, sizeof(path), dir, name))
		cert = gw_pki_read_cert(path);
	ok = cert && X509_STORE_add_cert(store, cert);
	X509_free(cert);
	if (!ok)
		gw_pki_seterr(err, errlen, "cannot read %s in %s", name, dir);
	return ok ? 0 : -ENOENT;
}

/* A missing list is refused here rather than at each verification, so
 * that a server starting without it says why. */
static int add_crl(X509_STORE *store, const char *dir, enum gw_pki_list list,
		   char *err, size_t errlen)
{
	const char *name = gw_pki_list_crl(list);
	X509_CRL *crl = NULL;
	char path[4096];
	BIO *bio = NULL;
	int ok;

	if (!gw_pki_path(path, sizeof(path), dir, name))
		bio = BIO_new_file(path, "r");
	if (!bio) {
		gw_pki_seterr(
		    err, errlen,
		    "no CRL: cannot read %s in %s (gw-pki crl publishes it)",
		    name, dir);
		return -ENOENT;
	}
	crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	ok = crl && X509_STORE_add_crl(store, crl);
	X509_CRL_free(crl);
	BIO_free(bio);
	if (!ok)
		gw_pki_seterr(err, errlen, "%s in %s is not a PEM CRL", name,
			      dir);
	return ok ? 0 : -EINVAL;
}

X509_STORE *gw_pki_store(const char *dir, char *err, size_t errlen)
{
	X509_STORE *store;
	int rc;

	if (!dir) {
		gw_pki_seterr(err, errlen, "missing directory");
		return NULL;
	}
	store = X509_STORE_new();
	if (!store) {
		gw_pki_seterr(err, errlen, "out of memory");
		return NULL;
	}
	/* Without X509_V_FLAG_PARTIAL_CHAIN the issuing CA in the store is
	 * only an intermediate: every chain must end at the root. */
	rc = add_cert(store, dir, gw_pki_member_cert(GW_PKI_ROOT), err, errlen);
	if (!rc)
		rc = add_cert(store, dir, gw_pki_member_cert(GW_PKI_ISSUING),
			      err, errlen);
	if (!rc)
		rc = add_crl(store, dir, GW_PKI_LIST_ISSUING, err, errlen);
	if (!rc)
		rc = add_crl(store, dir, GW_PKI_LIST_ROOT, err, errlen);
	if (!rc && (!X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
						     X509_V_FLAG_CRL_CHECK_ALL |
						     X509_V_FLAG_X509_STRICT) ||
		    !X509_STORE_set_purpose(store, X509_PURPOSE_SSL_CLIENT) ||
		    !X509_STORE_set_depth(store, 2))) {
		gw_pki_seterr(err, errlen, "cannot set verification flags");
		rc = -ENOMEM;
	}
	ERR_clear_error();
	if (rc) {
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}
