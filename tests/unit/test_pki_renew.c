/*
 * Renewal: a merchant with a valid certificate gets a new one for a new
 * key; renewals from revoked, foreign or unlisted certificates and with
 * the wrong CN are refused; renewal_due at its exact boundaries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_fixture.h"

#define DAY 86400L

struct fixture {
	char dir[64];
	char other[64];
	char err[512];
	X509 *cert; /* m001, serial 05, 30 days */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pki_fixture_make(f->dir, sizeof(f->dir));
	f->cert = pki_fixture_issue(f->dir, NULL, "m001", 30 * DAY);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pki_fixture_rm(f->dir);
	pki_fixture_rm(f->other);
	X509_free(f->cert);
	free(f);
	return 0;
}

/* Tries a renewal of @current with a CSR for @cn; NULL expected. */
static void refused(struct fixture *f, X509 *current, const char *cn,
		    const char *reason)
{
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr = gw_pki_make_csr(key, cn);

	assert_null(
	    gw_pki_renew(f->dir, current, csr, DAY, f->err, sizeof(f->err)));
	if (!strstr(f->err, reason))
		print_error("got \"%s\"\n", f->err);
	assert_non_null(strstr(f->err, reason));
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
}

static void test_renew_issues_new_serial_for_new_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr = gw_pki_make_csr(key, "m001");
	char id[40];
	X509 *cert;
	int days = -1, secs = -1;

	cert = gw_pki_renew(f->dir, f->cert, csr, 10 * DAY, f->err,
			    sizeof(f->err));
	assert_non_null(cert);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(cert)), 6);
	assert_int_equal(gw_pki_merchant_id(cert, id, sizeof(id)), 0);
	assert_string_equal(id, "m001");
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), key), 1);
	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
				   X509_get0_notAfter(cert)));
	assert_int_equal(days, 10);
	assert_int_equal(secs, 0);
	assert_string_equal(pki_fixture_slurp(f->dir, "serial"), "7\n");
	/* Both stay listed valid and both verify: the old one is not
	 * revoked by its renewal. */
	assert_int_equal(gw_pki_verify_merchant(f->dir, cert, "m001", 0, f->err,
						sizeof(f->err)),
			 0);
	assert_int_equal(gw_pki_verify_merchant(f->dir, f->cert, "m001", 0,
						f->err, sizeof(f->err)),
			 0);
	assert_non_null(
	    strstr(pki_fixture_slurp(f->dir, "index.txt"), "\tV\n06\tm001\t"));
	X509_free(cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
}

static void test_renew_refuses_mismatched_cn(void **state)
{
	struct fixture *f = *state;

	refused(f, f->cert, "m002",
		"CSR subject CN \"m002\" does not match merchant id m001");
	/* A refusal consumes no serial. */
	assert_string_equal(pki_fixture_slurp(f->dir, "serial"), "6\n");
}

static void test_renew_refuses_revoked_current(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	    gw_pki_revoke(f->dir, "05", NULL, NULL, f->err, sizeof(f->err)), 1);
	refused(
	    f, f->cert, "m001",
	    "current certificate refused: certificate revoked (at depth 0)");
}

static void test_renew_refuses_foreign_current(void **state)
{
	struct fixture *f = *state;
	X509 *foreign;

	pki_fixture_make(f->other, sizeof(f->other));
	foreign = pki_fixture_issue(f->other, NULL, "m001", DAY);
	refused(f, foreign, "m001",
		"current certificate refused: unable to get local issuer "
		"certificate (at depth 0)");
	X509_free(foreign);
}

static void test_renew_refuses_unlisted_current(void **state)
{
	struct fixture *f = *state;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/index.txt", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	refused(f, f->cert, "m001",
		"current certificate serial 05 is not in index.txt");
}

static void test_renew_refuses_server_cert(void **state)
{
	struct fixture *f = *state;
	char path[128];
	X509 *server;

	snprintf(path, sizeof(path), "%s/server.crt", f->dir);
	server = gw_pki_read_cert(path);
	refused(f, server, "gw.example.test",
		"current certificate carries no merchant id");
	X509_free(server);
}

static void test_renew_refuses_expired_current(void **state)
{
	struct fixture *f = *state;
	X509 *brief = pki_fixture_issue(f->dir, NULL, "m001", 1);

	sleep(2);
	refused(f, brief, "m001",
		"current certificate refused: certificate has expired");
	X509_free(brief);
}

static void test_renewal_due_boundaries(void **state)
{
	struct fixture *f = *state;
	const long window = 14 * DAY;
	struct tm tm;
	time_t end;

	assert_true(ASN1_TIME_to_tm(X509_get0_notAfter(f->cert), &tm));
	end = timegm(&tm);
	assert_int_equal(gw_pki_renewal_due(f->cert, window, end - window), 1);
	assert_int_equal(gw_pki_renewal_due(f->cert, window, end - window - 1),
			 0);
	assert_int_equal(gw_pki_renewal_due(f->cert, 0, end), 1);
	assert_int_equal(gw_pki_renewal_due(f->cert, 0, end - 1), 0);
	assert_int_equal(gw_pki_renewal_due(f->cert, 0, end + DAY), 1);
	/* Now: 30 days left, due within 31 days, not within 29. */
	assert_int_equal(gw_pki_renewal_due(f->cert, 31 * DAY, 0), 1);
	assert_int_equal(gw_pki_renewal_due(f->cert, 29 * DAY, 0), 0);
	assert_int_equal(gw_pki_renewal_due(f->cert, -1, end), -EINVAL);
	assert_int_equal(gw_pki_renewal_due(NULL, window, end), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_renew_issues_new_serial_for_new_key),
	    T(test_renew_refuses_mismatched_cn),
	    T(test_renew_refuses_revoked_current),
	    T(test_renew_refuses_foreign_current),
	    T(test_renew_refuses_unlisted_current),
	    T(test_renew_refuses_server_cert),
	    T(test_renew_refuses_expired_current),
	    T(test_renewal_due_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
