/*
 * Renewal: a merchant holding a valid, unrevoked certificate of this PKI
 * gets a new one for a new key, under the same merchant id.  The old
 * certificate stays valid until it expires; revoking it is the operator's
 * choice (gw-pki revoke --serial).  Also when renewal falls due.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"
#include "show.h"

/* The index is the record of revocation even before the CRL that
 * follows it is published, so it is asked too. */
static int listed_valid(const char *dir, X509 *cert, char *err, size_t errlen)
{
	struct gw_pki_index ix = {0};
	char path[4096], serial[64];
	size_t i;
	int rc;

	if (gw_pki_path(path, sizeof(path), dir, "index.txt") ||
	    gw_pki_show_serial(cert, serial, sizeof(serial)))
		return -EINVAL;
	rc = gw_pki_index_read(path, &ix, err, errlen);
	if (rc)
		return rc;
	rc = -EACCES;
	gw_pki_seterr(err, errlen,
		      "current certificate serial %s is not in index.txt",
		      serial);
	for (i = 0; i < ix.n; i++) {
		if (!gw_pki_serial_eq(ix.e[i].serial, serial))
			continue;
		if (ix.e[i].status == 'V')
			rc = 0;
		else
			gw_pki_seterr(
			    err, errlen,
			    "current certificate serial %s is revoked", serial);
		break;
	}
	gw_pki_index_free(&ix);
	return rc;
}

static int check_current(const char *dir, X509 *current, char *id, size_t idlen,
			 char *err, size_t errlen)
{
	X509_STORE *store;
	char why[384];
	int rc;

	if (gw_pki_merchant_id(current, id, idlen)) {
		gw_pki_seterr(err, errlen,
			      "current certificate carries no merchant id");
		return -EACCES;
	}
	store = gw_pki_store(dir, why, sizeof(why));
	rc = store ? gw_pki_verify_peer(store, current, NULL, 0, id, why,
					sizeof(why))
		   : -EACCES;
	X509_STORE_free(store);
	if (rc) {
		gw_pki_seterr(err, errlen, "current certificate refused: %s",
			      why);
		return rc;
	}
	return listed_valid(dir, current, err, errlen);
}

X509 *gw_pki_renew(const char *dir, X509 *current, X509_REQ *csr, long seconds,
		   char *err, size_t errlen)
{
	char id[GW_PKI_ID_MAX + 1];
	X509 *cert = NULL;

	if (!dir || !current || !csr) {
		gw_pki_seterr(err, errlen,
			      "missing directory, current certificate or CSR");
		return NULL;
	}
	/* Issuance checks the CSR's signature, key and that its CN is the
	 * merchant id read from the current certificate. */
	if (!check_current(dir, current, id, sizeof(id), err, errlen))
		cert =
		    gw_pki_issue_merchant(dir, csr, id, seconds, err, errlen);
	ERR_clear_error();
	return cert;
}

int gw_pki_renewal_due(X509 *cert, long window_seconds, time_t now)
{
	time_t edge;
	int cmp;

	if (!cert || window_seconds < 0)
		return -EINVAL;
	edge = (now ? now : time(NULL)) + (time_t)window_seconds;
	/* X509_cmp_time: -1 when notAfter is at or before the edge, 0 on
	 * error. */
	cmp = X509_cmp_time(X509_get0_notAfter(cert), &edge);
	if (!cmp)
		return -EINVAL;
	return cmp < 0;
}
