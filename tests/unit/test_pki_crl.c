/*
 * Revocation, CRLs and what verification refuses: a table of bad
 * certificates, each refused with an exact code and a reason, the CRL
 * numbers and periods, the index lines and the refusals of revoke.
 * Each case gets a fresh PKI directory under /tmp.
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

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_fixture.h"

#define DAY 86400L

struct fixture {
	char dir[64];
	char other[64];
	char err[512];
	EVP_PKEY *key; /* m001's key */
	X509 *cert;    /* m001, valid 30 days, serial 05 */
	time_t now;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pki_fixture_make(f->dir, sizeof(f->dir));
	f->key = gw_pki_keygen();
	f->cert = pki_fixture_issue(f->dir, f->key, "m001", 30 * DAY);
	f->now = time(NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pki_fixture_rm(f->dir);
	pki_fixture_rm(f->other);
	X509_free(f->cert);
	EVP_PKEY_free(f->key);
	free(f);
	return 0;
}

static void unlink_in(const char *dir, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

static X509_CRL *read_crl(const char *dir, const char *name)
{
	char path[128];
	X509_CRL *crl;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(crl);
	return crl;
}

static long crl_number(const char *dir, const char *name)
{
	X509_CRL *crl = read_crl(dir, name);
	ASN1_INTEGER *num =
	    X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	long n;

	assert_non_null(num);
	n = ASN1_INTEGER_get(num);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	return n;
}

/* nextUpdate - lastUpdate in seconds. */
static long crl_period(const char *dir, const char *name)
{
	X509_CRL *crl = read_crl(dir, name);
	int days = 0, secs = 0;

	assert_true(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl),
				   X509_CRL_get0_nextUpdate(crl)));
	X509_CRL_free(crl);
	return days * DAY + secs;
}

static int crl_count(const char *dir, const char *name)
{
	X509_CRL *crl = read_crl(dir, name);
	STACK_OF(X509_REVOKED) *r = X509_CRL_get_REVOKED(crl);
	int n = r ? sk_X509_REVOKED_num(r) : 0;

	X509_CRL_free(crl);
	return n;
}

/* Bad certificates ----------------------------------------------------- */

/* What a case presents: a certificate, extra chain, a time, an id. */
struct presented {
	X509 *cert;
	STACK_OF(X509) * chain;
	time_t at;
	const char *id;
};

static void prep_expired(struct fixture *f, struct presented *p)
{
	p->cert = pki_fixture_issue(f->dir, NULL, "m001", 60);
	p->at = f->now + 120;
}

static void prep_not_yet_valid(struct fixture *f, struct presented *p)
{
	p->cert = X509_dup(f->cert);
	p->at = f->now - 3600;
}

static void prep_wrong_ca(struct fixture *f, struct presented *p)
{
	pki_fixture_make(f->other, sizeof(f->other));
	p->cert = pki_fixture_issue(f->other, NULL, "m001", DAY);
}

static void prep_revoked_leaf(struct fixture *f, struct presented *p)
{
	assert_int_equal(gw_pki_revoke(f->dir, "05", NULL, "keyCompromise",
				       f->err, sizeof(f->err)),
			 1);
	p->cert = X509_dup(f->cert);
}

static void prep_revoked_issuing(struct fixture *f, struct presented *p)
{
	assert_int_equal(gw_pki_revoke_issuing(f->dir, "cACompromise", f->err,
					       sizeof(f->err)),
			 0);
	p->cert = X509_dup(f->cert);
}

static void prep_crl_missing(struct fixture *f, struct presented *p)
{
	unlink_in(f->dir, "crl.pem");
	p->cert = X509_dup(f->cert);
}

static void prep_root_crl_missing(struct fixture *f, struct presented *p)
{
	unlink_in(f->dir, "root-crl.pem");
	p->cert = X509_dup(f->cert);
}

/* A CRL that names no certificate of this chain's issuer. */
static void prep_crl_foreign(struct fixture *f, struct presented *p)
{
	char to[128], *pem;
	FILE *fp;

	pki_fixture_make(f->other, sizeof(f->other));
	pem = pki_fixture_slurp(f->other, "crl.pem");
	snprintf(to, sizeof(to), "%s/crl.pem", f->dir);
	fp = fopen(to, "w");
	assert_non_null(fp);
	fputs(pem, fp);
	fclose(fp);
	p->cert = X509_dup(f->cert);
}

static void prep_crl_expired(struct fixture *f, struct presented *p)
{
	p->cert = X509_dup(f->cert);
	p->at = f->now + 8 * DAY;
}

/* m001's certificate (CA:FALSE) signing another merchant's. */
static void prep_ca_false_issuer(struct fixture *f, struct presented *p)
{
	EVP_PKEY *key = gw_pki_keygen();
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	static const struct {
		int nid;
		const char *value;
	} exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "clientAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, "URI:urn:gw:merchant:m009"},
	};
	size_t i;

	assert_true(X509_set_version(cert, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(cert), 99));
	assert_true(
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
				       (unsigned char *)"m009", -1, -1, 0));
	assert_true(X509_set_subject_name(cert, name));
	assert_true(X509_set_issuer_name(cert, X509_get_subject_name(f->cert)));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), DAY));
	assert_true(X509_set_pubkey(cert, key));
	X509V3_set_ctx(&ctx, f->cert, cert, NULL, NULL, 0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		ext =
		    X509V3_EXT_conf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
		assert_non_null(ext);
		assert_true(X509_add_ext(cert, ext, -1));
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(cert, f->key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	p->cert = cert;
	p->chain = sk_X509_new_null();
	assert_true(sk_X509_push(p->chain, X509_dup(f->cert)));
	p->id = "m009";
}

static void prep_server_cert(struct fixture *f, struct presented *p)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/server.crt", f->dir);
	p->cert = gw_pki_read_cert(path);
	p->id = NULL;
}

static void prep_other_merchant(struct fixture *f, struct presented *p)
{
	p->cert = X509_dup(f->cert);
	p->id = "m002";
}

static const struct bad_cert {
	const char *what;
	void (*prep)(struct fixture *f, struct presented *p);
	int rc;
	const char *reason;
} bad_certs[] = {
    {"expired", prep_expired, -EACCES, "certificate has expired (at depth 0)"},
    {"not yet valid", prep_not_yet_valid, -EACCES,
     "certificate is not yet valid (at depth 2)"},
    {"wrong CA", prep_wrong_ca, -EACCES,
     "unable to get local issuer certificate (at depth 0)"},
    {"revoked leaf", prep_revoked_leaf, -EACCES,
     "certificate revoked (at depth 0)"},
    {"revoked issuing CA", prep_revoked_issuing, -EACCES,
     "certificate revoked (at depth 1)"},
    {"CRL missing", prep_crl_missing, -EACCES, "no CRL: cannot read crl.pem"},
    {"root CRL missing", prep_root_crl_missing, -EACCES,
     "no CRL: cannot read root-crl.pem"},
    {"CRL of another CA", prep_crl_foreign, -EACCES,
     "unable to get certificate CRL (at depth 0;"},
    {"CRL expired", prep_crl_expired, -EACCES,
     "CRL has expired (at depth 0; gw-pki crl publishes fresh lists)"},
    {"CA:FALSE issuer", prep_ca_false_issuer, -EACCES,
     "invalid CA certificate (at depth 1)"},
    {"server cert as merchant", prep_server_cert, -EACCES,
     "unsuitable certificate purpose (at depth 0)"},
    {"another merchant's id", prep_other_merchant, -EACCES,
     "certificate belongs to merchant m001, not m002"},
};

static void test_bad_certificates_refused_with_reason(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_certs) / sizeof(bad_certs[0]); i++) {
		const struct bad_cert *c = &bad_certs[i];
		struct presented p = {.id = "m001"};
		struct fixture *f;
		X509_STORE *store;
		int rc;

		setup((void **)&f);
		c->prep(f, &p);
		assert_non_null(p.cert);
		store = gw_pki_store(f->dir, f->err, sizeof(f->err));
		if (store)
			rc = gw_pki_verify_peer(store, p.cert, p.chain, p.at,
						p.id, f->err, sizeof(f->err));
		else
			rc = -EACCES;
		if (rc != c->rc || !strstr(f->err, c->reason))
			print_error("case \"%s\": rc %d, reason \"%s\"\n",
				    c->what, rc, f->err);
		assert_int_equal(rc, c->rc);
		assert_non_null(strstr(f->err, c->reason));
		/* The directory-level functions agree with the store. */
		if (!p.chain && p.id) {
			assert_int_equal(
			    gw_pki_verify_merchant(f->dir, p.cert, p.id, p.at,
						   f->err, sizeof(f->err)),
			    c->rc);
			assert_non_null(strstr(f->err, c->reason));
		}
		X509_STORE_free(store);
		sk_X509_pop_free(p.chain, X509_free);
		X509_free(p.cert);
		teardown((void **)&f);
	}
}

static void test_good_certificate_verifies_everywhere(void **state)
{
	struct fixture *f = *state;
	X509_STORE *store = gw_pki_store(f->dir, f->err, sizeof(f->err));

	assert_non_null(store);
	assert_int_equal(gw_pki_verify_peer(store, f->cert, NULL, 0, "m001",
					    f->err, sizeof(f->err)),
			 0);
	assert_int_equal(gw_pki_verify_merchant(f->dir, f->cert, "m001",
						f->now + 6 * DAY, f->err,
						sizeof(f->err)),
			 0);
	assert_int_equal(gw_pki_verify(f->dir, f->cert, f->err, sizeof(f->err)),
			 0);
	/* Missing arguments are not a refusal of the certificate. */
	assert_int_equal(gw_pki_verify_peer(NULL, f->cert, NULL, 0, NULL,
					    f->err, sizeof(f->err)),
			 -EINVAL);
	assert_int_equal(gw_pki_verify_merchant(f->dir, f->cert, NULL, 0,
						f->err, sizeof(f->err)),
			 -EINVAL);
	X509_STORE_free(store);
}

/* The store's rules are those a TLS server applies to each handshake. */
static void test_store_flags_check_every_crl(void **state)
{
	struct fixture *f = *state;
	X509_STORE *store = gw_pki_store(f->dir, f->err, sizeof(f->err));
	X509_VERIFY_PARAM *param;
	STACK_OF(X509_OBJECT) * objs;
	int i, certs = 0, crls = 0;

	assert_non_null(store);
	param = X509_STORE_get0_param(store);
	assert_int_equal(X509_VERIFY_PARAM_get_flags(param) &
			     (X509_V_FLAG_CRL_CHECK |
			      X509_V_FLAG_CRL_CHECK_ALL |
			      X509_V_FLAG_PARTIAL_CHAIN),
			 X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	objs = X509_STORE_get0_objects(store);
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509_LOOKUP_TYPE t =
		    X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i));

		certs += t == X509_LU_X509;
		crls += t == X509_LU_CRL;
	}
	assert_int_equal(certs, 2);
	assert_int_equal(crls, 2);
	X509_STORE_free(store);
}

/* Revocation and publication ----------------------------------------- */

static void test_revoke_serial_marks_index_and_publishes(void **state)
{
	struct fixture *f = *state;
	char line[256], *index;
	long long not_after, revoked_at;
	time_t before = time(NULL);

	assert_int_equal(crl_number(f->dir, "crl.pem"), 1);
	assert_int_equal(crl_count(f->dir, "crl.pem"), 0);
	assert_int_equal(gw_pki_revoke(f->dir, "5", NULL, "keyCompromise",
				       f->err, sizeof(f->err)),
			 1);
	index = pki_fixture_slurp(f->dir, "index.txt");
	assert_int_equal(sscanf(index,
				"05\tm001\t%lld\tR\t%lld\tkeyCompromise\n",
				&not_after, &revoked_at),
			 2);
	snprintf(line, sizeof(line), "05\tm001\t%lld\tR\t%lld\tkeyCompromise\n",
		 not_after, revoked_at);
	assert_string_equal(index, line);
	assert_true(revoked_at >= before && revoked_at <= time(NULL));
	assert_int_equal(crl_number(f->dir, "crl.pem"), 2);
	assert_int_equal(crl_count(f->dir, "crl.pem"), 1);
	assert_int_equal(crl_period(f->dir, "crl.pem"), 7 * DAY);
	/* The root's list is untouched by a merchant's revocation. */
	assert_int_equal(crl_number(f->dir, "root-crl.pem"), 1);
}

static void test_revoke_merchant_revokes_all_its_certificates(void **state)
{
	struct fixture *f = *state;
	X509 *second = pki_fixture_issue(f->dir, NULL, "m001", DAY);
	X509 *other = pki_fixture_issue(f->dir, NULL, "m002", DAY);

	assert_int_equal(
	    gw_pki_revoke(f->dir, NULL, "m001", NULL, f->err, sizeof(f->err)),
	    2);
	assert_int_equal(crl_count(f->dir, "crl.pem"), 2);
	assert_int_equal(gw_pki_verify(f->dir, second, f->err, sizeof(f->err)),
			 -EACCES);
	assert_string_equal(f->err, "certificate revoked (at depth 0)");
	assert_int_equal(gw_pki_verify(f->dir, other, f->err, sizeof(f->err)),
			 0);
	/* Nothing left to revoke for m001. */
	assert_int_equal(
	    gw_pki_revoke(f->dir, NULL, "m001", NULL, f->err, sizeof(f->err)),
	    -EALREADY);
	assert_string_equal(
	    f->err, "the certificates of merchant m001 are already revoked");
	assert_int_equal(crl_number(f->dir, "crl.pem"), 2);
	X509_free(other);
	X509_free(second);
}

static void test_revoke_refusals(void **state)
{
	static const struct {
		const char *serial;
		const char *id;
		const char *reason;
		int rc;
		const char *msg;
	} cases[] = {
	    {"07", NULL, NULL, -ENOENT, "no certificate with serial 07"},
	    {NULL, "m404", NULL, -ENOENT, "no certificate with merchant m404"},
	    {"05", NULL, "certificateHold", -EINVAL,
	     "unknown reason \"certificateHold\""},
	    {"05", NULL, "bad\nreason", -EINVAL,
	     "unknown reason \"bad?reason\""},
	    {"0x05", NULL, NULL, -EINVAL,
	     "a serial is 1 to 40 hexadecimal digits"},
	    {"", NULL, NULL, -EINVAL, "a serial is 1 to 40 hexadecimal digits"},
	    {NULL, "../m001", NULL, -EINVAL, "merchant id must be"},
	    {"05", "m001", NULL, -EINVAL, "give a directory and a serial"},
	    {NULL, NULL, NULL, -EINVAL, "give a directory and a serial"},
	};
	struct fixture *f = *state;
	char before[1024];
	size_t i;

	strcpy(before, pki_fixture_slurp(f->dir, "index.txt"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gw_pki_revoke(f->dir, cases[i].serial,
					       cases[i].id, cases[i].reason,
					       f->err, sizeof(f->err)),
				 cases[i].rc);
		assert_non_null(strstr(f->err, cases[i].msg));
	}
	/* No refusal touched the index or the list. */
	assert_string_equal(pki_fixture_slurp(f->dir, "index.txt"), before);
	assert_int_equal(crl_number(f->dir, "crl.pem"), 1);
	assert_int_equal(
	    gw_pki_revoke(f->dir, "05", NULL, NULL, f->err, sizeof(f->err)), 1);
	assert_int_equal(
	    gw_pki_revoke(f->dir, "05", NULL, NULL, f->err, sizeof(f->err)),
	    -EALREADY);
}

static void test_crl_republishes_with_period(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(gw_pki_crl(f->dir, 0, f->err, sizeof(f->err)), 0);
	assert_int_equal(crl_number(f->dir, "crl.pem"), 2);
	assert_int_equal(crl_number(f->dir, "root-crl.pem"), 2);
	assert_int_equal(crl_period(f->dir, "crl.pem"), 7 * DAY);
	assert_int_equal(gw_pki_crl(f->dir, 3 * DAY, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(crl_number(f->dir, "crl.pem"), 3);
	assert_int_equal(crl_period(f->dir, "root-crl.pem"), 3 * DAY);
	/* A revocation keeps the period the operator chose. */
	assert_int_equal(
	    gw_pki_revoke(f->dir, "05", NULL, NULL, f->err, sizeof(f->err)), 1);
	assert_int_equal(crl_number(f->dir, "crl.pem"), 4);
	assert_int_equal(crl_period(f->dir, "crl.pem"), 3 * DAY);
	/* Past the 3-day list, the certificate is refused for the CRL. */
	assert_int_equal(gw_pki_verify_at(f->dir, f->cert, f->now + 4 * DAY,
					  f->err, sizeof(f->err)),
			 -EACCES);
	assert_non_null(strstr(f->err, "certificate revoked (at depth 0)"));
	assert_int_equal(gw_pki_crl(f->dir, 367 * DAY, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_string_equal(f->err,
			    "a CRL is valid for one second to 366 days");
}

static void test_crl_refuses_foreign_or_garbage_list(void **state)
{
	struct fixture *f = *state;
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/crl.pem", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a list\n", fp);
	fclose(fp);
	assert_int_equal(gw_pki_crl(f->dir, 0, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(
	    strstr(f->err, "crl.pem is not a CRL signed by its CA"));
	assert_int_equal(
	    gw_pki_revoke(f->dir, "05", NULL, NULL, f->err, sizeof(f->err)),
	    -EINVAL);
	assert_non_null(
	    strstr(f->err, "crl.pem is not a CRL signed by its CA"));
	/* A missing list starts again at number 1. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(gw_pki_crl(f->dir, 0, f->err, sizeof(f->err)), 0);
	assert_int_equal(crl_number(f->dir, "crl.pem"), 1);
	assert_int_equal(crl_count(f->dir, "crl.pem"), 1);
}

static void test_malformed_index_is_refused(void **state)
{
	static const char *const bad[] = {
	    "05\tm001\t123\tX\n",      "05\tm001\t123\n",
	    "zz\tm001\t123\tV\n",      "05\tm/1\t123\tV\n",
	    "05\tm001\t-1\tV\n",       "05\tm001\t1\tR\t2\tcertificateHold\n",
	    "05\tm001\t1\tV\textra\n", "05\tm001\t123\tV",
	};
	struct fixture *f = *state;
	char path[128];
	size_t i;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/index.txt", f->dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(bad[i], fp);
		fclose(fp);
		assert_int_equal(gw_pki_revoke(f->dir, "05", NULL, NULL, f->err,
					       sizeof(f->err)),
				 -EINVAL);
		assert_non_null(
		    strstr(f->err, "index.txt line 1 is malformed"));
	}
}

static void test_revoke_issuing_lists_it_in_root_crl(void **state)
{
	struct fixture *f = *state;
	X509_CRL *crl;
	X509_REVOKED *r;

	assert_int_equal(gw_pki_revoke_issuing(f->dir, "keyCompromise", f->err,
					       sizeof(f->err)),
			 0);
	assert_int_equal(crl_number(f->dir, "root-crl.pem"), 2);
	crl = read_crl(f->dir, "root-crl.pem");
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(r)),
			 2);
	X509_CRL_free(crl);
	assert_int_equal(
	    gw_pki_revoke_issuing(f->dir, NULL, f->err, sizeof(f->err)),
	    -EALREADY);
	/* Republishing keeps the issuing CA on the root's list. */
	assert_int_equal(gw_pki_crl(f->dir, 0, f->err, sizeof(f->err)), 0);
	assert_int_equal(crl_count(f->dir, "root-crl.pem"), 1);
	assert_int_equal(gw_pki_verify(f->dir, f->cert, f->err, sizeof(f->err)),
			 -EACCES);
	assert_string_equal(f->err, "certificate revoked (at depth 1)");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_certificates_refused_with_reason),
	    T(test_good_certificate_verifies_everywhere),
	    T(test_store_flags_check_every_crl),
	    T(test_revoke_serial_marks_index_and_publishes),
	    T(test_revoke_merchant_revokes_all_its_certificates),
	    T(test_revoke_refusals),
	    T(test_crl_republishes_with_period),
	    T(test_crl_refuses_foreign_or_garbage_list),
	    T(test_malformed_index_is_refused),
	    T(test_revoke_issuing_lists_it_in_root_crl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
