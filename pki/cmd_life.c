/*
 * gw-pki's certificate life cycle commands: revoke, crl and renew.  The
 * work is the library's; these rows parse what is particular to them and
 * say what was done, naming certificates by serial and merchant id.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cmd.h"
#include "gw_pki.h"
#include "pki_int.h"
#include "show.h"

/* A year at most, as the library allows. */
#define MAX_CRL_DAYS 366

/* "crl.pem: number 3, 2 revoked, next update 2030-01-01 00:00:00 UTC". */
static void show_list(const char *dir, const char *name)
{
	char path[4096], until[64] = "?";
	STACK_OF(X509_REVOKED) * revoked;
	ASN1_INTEGER *num;
	X509_CRL *crl = NULL;
	BIO *bio = NULL;

	if (!gw_pki_path(path, sizeof(path), dir, name))
		bio = BIO_new_file(path, "r");
	if (bio)
		crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!crl) {
		printf("  %s: cannot be read back\n", name);
		return;
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	revoked = X509_CRL_get_REVOKED(crl);
	gw_pki_show_time(X509_CRL_get0_nextUpdate(crl), until, sizeof(until));
	printf("  %s: number %ld, %d revoked, next update %s\n", name,
	       num ? ASN1_INTEGER_get(num) : -1L,
	       revoked ? sk_X509_REVOKED_num(revoked) : 0, until);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
}

int gw_pki_cmd_revoke(const char *const *o)
{
	const char *reason = o[OPT_REASON] ? o[OPT_REASON] : "unspecified";
	char err[512];
	int n;

	if (!o[OPT_SERIAL] == !o[OPT_MERCHANT]) {
		fprintf(
		    stderr,
		    "gw-pki revoke: give --serial or --merchant, one of them\n");
		return EXIT_USAGE;
	}
	n = gw_pki_revoke(o[OPT_DIR], o[OPT_SERIAL], o[OPT_MERCHANT],
			  o[OPT_REASON], err, sizeof(err));
	if (n < 0)
		return gw_pki_cmd_fail("revoke", err);
	if (o[OPT_SERIAL])
		printf("revoked certificate serial %s, reason %s\n",
		       o[OPT_SERIAL], reason);
	else
		printf("revoked %d certificate%s of merchant %s, reason %s\n",
		       n, n == 1 ? "" : "s", o[OPT_MERCHANT], reason);
	printf("published:\n");
	show_list(o[OPT_DIR], "crl.pem");
	printf("gw-control refuses the certificate%s once it reloads "
	       "crl.pem\n",
	       n == 1 ? "" : "s");
	return EXIT_OK;
}

int gw_pki_cmd_crl(const char *const *o)
{
	char err[512];
	long days = 0;

	if (o[OPT_DAYS] && gw_pki_cmd_count(o[OPT_DAYS], MAX_CRL_DAYS, &days)) {
		fprintf(stderr, "gw-pki crl: --days needs 1 to %d\n",
			MAX_CRL_DAYS);
		return EXIT_USAGE;
	}
	if (gw_pki_crl(o[OPT_DIR], days * GW_PKI_DAY, err, sizeof(err)))
		return gw_pki_cmd_fail("crl", err);
	printf("republished the CRLs of %s\n", o[OPT_DIR]);
	show_list(o[OPT_DIR], "crl.pem");
	show_list(o[OPT_DIR], "root-crl.pem");
	printf("run this again before the next update\n");
	return EXIT_OK;
}

static int write_renewed(const char *path, X509 *cert, const char *serial)
{
	int rc = gw_pki_write_cert(path, cert);

	if (rc) {
		fprintf(
		    stderr,
		    "gw-pki renew: cannot write %s: %s (serial %s is recorded in index.txt)\n",
		    path, strerror(-rc), serial);
		return EXIT_FAIL;
	}
	printf("wrote %s\n", path);
	return EXIT_OK;
}

int gw_pki_cmd_renew(const char *const *o)
{
	char err[512], id[GW_PKI_ID_MAX + 1] = "?", serial[80] = "?",
					  old[80] = "?", until[64] = "?";
	X509 *current = NULL, *cert = NULL;
	X509_REQ *csr = NULL;
	long seconds;
	int status = EXIT_FAIL;

	if (gw_pki_cmd_seconds(o, "renew", &seconds))
		return EXIT_USAGE;
	current = gw_pki_read_cert(o[OPT_CERT]);
	csr = gw_pki_cmd_read_csr(o[OPT_CSR]);
	if (!current || !csr) {
		gw_pki_cmd_fail("renew", "cannot read the PEM certificate "
					 "(--cert) or CSR (--csr)");
		goto out;
	}
	cert =
	    gw_pki_renew(o[OPT_DIR], current, csr, seconds, err, sizeof(err));
	if (!cert) {
		gw_pki_cmd_fail("renew", err);
		goto out;
	}
	gw_pki_merchant_id(cert, id, sizeof(id));
	gw_pki_show_serial(cert, serial, sizeof(serial));
	gw_pki_show_serial(current, old, sizeof(old));
	gw_pki_show_time(X509_get0_notAfter(cert), until, sizeof(until));
	printf("renewed merchant %s: serial %s, valid until %s\n", id, serial,
	       until);
	gw_pki_show_time(X509_get0_notAfter(current), until, sizeof(until));
	printf("serial %s stays valid until %s unless revoked\n", old, until);
	status = write_renewed(o[OPT_OUT], cert, serial);
out:
	X509_free(cert);
	X509_REQ_free(csr);
	X509_free(current);
	return status;
}
