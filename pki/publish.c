/*
 * Publishing the two CRLs of a PKI directory: crl.pem, the issuing CA's
 * list of revoked merchant certificates (from index.txt), and
 * root-crl.pem, the root's list of revoked CAs (from root-index.txt).
 * Each publication counts crlNumber up from the list it replaces.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

static const struct list_spec {
	enum gw_pki_member signer;
	const char *crl;
	const char *index;
} lists[GW_PKI_N_LISTS] = {
    [GW_PKI_LIST_ISSUING] = {GW_PKI_ISSUING, "crl.pem", "index.txt"},
    [GW_PKI_LIST_ROOT] = {GW_PKI_ROOT, "root-crl.pem", "root-index.txt"},
};

/* A list may be valid for at most a year: a longer one would hide a
 * revocation from anyone who cached it. */
#define MAX_SECONDS (366 * GW_PKI_DAY)

const char *gw_pki_list_crl(enum gw_pki_list list)
{
	return list < GW_PKI_N_LISTS ? lists[list].crl : NULL;
}

const char *gw_pki_list_index(enum gw_pki_list list)
{
	return list < GW_PKI_N_LISTS ? lists[list].index : NULL;
}

/*
 * The number and period of the list in @path.  A missing list starts the
 * count again at 1; a file that is not a list signed by @ca is refused,
 * since replacing it could hide a mistake with the directory.
 */
static int current(const char *path, const struct gw_pki_ca *ca,
		   uint64_t *number, long *period, char *err, size_t errlen)
{
	ASN1_INTEGER *num = NULL;
	X509_CRL *crl = NULL;
	BIO *bio;
	int days = 0, secs = 0, rc = -EINVAL;

	*number = 0;
	*period = 0;
	bio = BIO_new_file(path, "r");
	if (!bio && errno == ENOENT)
		return 0;
	if (!bio) {
		gw_pki_seterr(err, errlen, "cannot read %s: %s", path,
			      strerror(errno));
		return -EIO;
	}
	crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	if (!crl || X509_CRL_verify(crl, X509_get0_pubkey(ca->cert)) != 1) {
		gw_pki_seterr(
		    err, errlen,
		    "%s is not a CRL signed by its CA; move it away to publish a new list",
		    path);
		goto out;
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	if (!num || !ASN1_INTEGER_get_uint64(number, num) ||
	    *number == UINT64_MAX) {
		gw_pki_seterr(err, errlen, "%s carries no usable crlNumber",
			      path);
		goto out;
	}
	if (X509_CRL_get0_nextUpdate(crl) &&
	    ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl),
			   X509_CRL_get0_nextUpdate(crl)))
		*period = (long)days * GW_PKI_DAY + secs;
	rc = 0;
out:
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	BIO_free(bio);
	return rc;
}

static int write_crl(const char *path, X509_CRL *crl)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -ENOMEM;

	if (bio && PEM_write_bio_X509_CRL(bio, crl)) {
		n = BIO_get_mem_data(bio, &data);
		rc = gw_pki_replace_file(path, data, (size_t)n);
	}
	BIO_free(bio);
	return rc;
}

int gw_pki_publish(const char *dir, enum gw_pki_list list, long seconds,
		   char *err, size_t errlen)
{
	const struct list_spec *spec = &lists[list];
	struct gw_pki_index ix = {0};
	char crl_path[4096], ix_path[4096];
	struct gw_pki_ca ca = {0};
	X509_CRL *crl = NULL;
	uint64_t number;
	long period;
	int rc;

	if (seconds < 0 || seconds > MAX_SECONDS) {
		gw_pki_seterr(err, errlen,
			      "a CRL is valid for one second to 366 days");
		return -EINVAL;
	}
	if (gw_pki_path(crl_path, sizeof(crl_path), dir, spec->crl) ||
	    gw_pki_path(ix_path, sizeof(ix_path), dir, spec->index))
		return -ENAMETOOLONG;
	rc = gw_pki_member_load(&ca, dir, spec->signer, err, errlen);
	if (!rc)
		rc = current(crl_path, &ca, &number, &period, err, errlen);
	if (!rc)
		rc = gw_pki_index_read(ix_path, &ix, err, errlen);
	if (rc)
		goto out;
	if (!seconds)
		seconds = period > 0 ? period : GW_PKI_CRL_SECONDS;
	crl = gw_pki_crl_sign(&ca, number + 1, time(NULL), seconds, &ix);
	rc = crl ? write_crl(crl_path, crl) : -ENOMEM;
	if (rc)
		gw_pki_seterr(err, errlen, "cannot publish %s: %s", crl_path,
			      strerror(-rc));
out:
	X509_CRL_free(crl);
	gw_pki_index_free(&ix);
	gw_pki_ca_release(&ca);
	ERR_clear_error();
	return rc;
}

int gw_pki_crl(const char *dir, long seconds, char *err, size_t errlen)
{
	struct gw_pki_reg reg = {.fd = -1};
	int rc;

	if (!dir) {
		gw_pki_seterr(err, errlen, "missing directory");
		return -EINVAL;
	}
	/* The registry lock orders publications, so that two of them never
	 * sign the same crlNumber. */
	rc = gw_pki_reg_open(&reg, dir, err, errlen);
	if (!rc)
		rc = gw_pki_publish(dir, GW_PKI_LIST_ISSUING, seconds, err,
				    errlen);
	if (!rc)
		rc =
		    gw_pki_publish(dir, GW_PKI_LIST_ROOT, seconds, err, errlen);
	gw_pki_reg_close(&reg);
	return rc;
}
