/*
 * The PKI library: creating a hierarchy, issuing merchant certificates and
 * refusing bad CSRs, verifying against the right and the wrong chain, and
 * expiry.  Each test gets a fresh PKI directory under /tmp.
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

struct fixture {
	char dir[64];
	char other[64];
	char err[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pki_fixture_tmpdir(f->dir, sizeof(f->dir));
	assert_int_equal(
	    gw_pki_init(f->dir, "gw.example.test", f->err, sizeof(f->err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pki_fixture_rm(f->dir);
	pki_fixture_rm(f->other);
	free(f);
	return 0;
}

static X509 *load(const char *dir, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return gw_pki_read_cert(path);
}

/* A CSR with any CN, made without gw_pki_make_csr's checks. */
static X509_REQ *raw_csr(EVP_PKEY *key, const char *cn)
{
	X509_REQ *csr = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();

	assert_true(
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
				       (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_REQ_set_subject_name(csr, name));
	assert_true(X509_REQ_set_pubkey(csr, key));
	assert_true(X509_REQ_sign(csr, key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return csr;
}

static void test_init_creates_every_file_with_exact_modes(void **state)
{
	static const struct {
		const char *name;
		mode_t mode;
	} files[] = {
	    {"root.key", 0600},	    {"root.crt", 0644},
	    {"issuing.key", 0600},  {"issuing.crt", 0644},
	    {"server.key", 0600},   {"server.crt", 0644},
	    {"codesign.key", 0600}, {"codesign.crt", 0644},
	    {"chain.pem", 0644},    {"crl.pem", 0644},
	    {"serial", 0644},	    {"index.txt", 0644},
	};
	struct fixture *f = *state;
	char path[128];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, files[i].name);
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_mode & 07777, files[i].mode);
	}
	assert_string_equal(pki_fixture_slurp(f->dir, "serial"), "5\n");
	assert_string_equal(pki_fixture_slurp(f->dir, "index.txt"), "");
}

static void test_init_root_is_self_signed_ca(void **state)
{
	struct fixture *f = *state;
	X509 *root = load(f->dir, "root.crt");
	X509 *issuing = load(f->dir, "issuing.crt");
	int days = 0;
	int secs = 0;

	assert_non_null(root);
	assert_non_null(issuing);
	assert_int_equal(X509_check_issued(root, root), X509_V_OK);
	assert_int_equal(X509_verify(root, X509_get0_pubkey(root)), 1);
	assert_int_equal(X509_check_ca(root), 1);
	assert_int_equal(X509_get_pathlen(root), 1);
	assert_int_equal(X509_get_key_usage(root),
			 KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(root),
				   X509_get0_notAfter(root)));
	assert_int_equal(days, 3650);
	assert_int_equal(secs, 0);

	assert_int_equal(X509_check_issued(root, issuing), X509_V_OK);
	assert_int_equal(X509_check_ca(issuing), 1);
	assert_int_equal(X509_get_pathlen(issuing), 0);
	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(issuing),
				   X509_get0_notAfter(issuing)));
	assert_int_equal(days, 1825);
	X509_free(issuing);
	X509_free(root);
}

/* chain.pem is issuing then root, and it carries the server and
 * code-signing certificates to the root. */
static void test_init_chain_verifies(void **state)
{
	static const struct {
		const char *name;
		int purpose;
		uint32_t xku;
	} leaves[] = {
	    {"server.crt", X509_PURPOSE_SSL_SERVER, XKU_SSL_SERVER},
	    {"codesign.crt", X509_PURPOSE_ANY, XKU_CODE_SIGN},
	};
	struct fixture *f = *state;
	char path[128];
	X509 *chain[2], *root, *issuing;
	BIO *bio;
	size_t i;

	snprintf(path, sizeof(path), "%s/chain.pem", f->dir);
	bio = BIO_new_file(path, "r");
	assert_non_null(bio);
	chain[0] = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	chain[1] = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL));
	BIO_free(bio);
	root = load(f->dir, "root.crt");
	issuing = load(f->dir, "issuing.crt");
	assert_int_equal(X509_cmp(chain[0], issuing), 0);
	assert_int_equal(X509_cmp(chain[1], root), 0);

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		X509_STORE *store = X509_STORE_new();
		STACK_OF(X509) *untrusted = sk_X509_new_null();
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		X509 *leaf = load(f->dir, leaves[i].name);

		assert_non_null(leaf);
		assert_int_equal(X509_get_extended_key_usage(leaf),
				 leaves[i].xku);
		assert_true(X509_STORE_add_cert(store, chain[1]));
		assert_true(sk_X509_push(untrusted, chain[0]));
		assert_true(X509_STORE_CTX_init(ctx, store, leaf, untrusted));
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
		assert_true(X509_STORE_CTX_set_purpose(ctx, leaves[i].purpose));
		assert_int_equal(X509_verify_cert(ctx), 1);
		X509_STORE_CTX_free(ctx);
		sk_X509_free(untrusted);
		X509_STORE_free(store);
		X509_free(leaf);
	}
	X509_free(chain[0]);
	X509_free(chain[1]);
	X509_free(root);
	X509_free(issuing);
}

static void test_init_server_name_dns_or_ip(void **state)
{
	static const unsigned char v4[] = {192, 0, 2, 7};
	struct fixture *f = *state;
	X509 *server = load(f->dir, "server.crt");
	GENERAL_NAMES *names;
	const GENERAL_NAME *gn;
	char cn[64];

	assert_non_null(server);
	assert_int_equal(
	    X509_NAME_get_text_by_NID(X509_get_subject_name(server),
				      NID_commonName, cn, sizeof(cn)),
	    15);
	assert_string_equal(cn, "gw.example.test");
	names = X509_get_ext_d2i(server, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(names), 1);
	gn = sk_GENERAL_NAME_value(names, 0);
	assert_int_equal(gn->type, GEN_DNS);
	assert_int_equal(gn->d.dNSName->length, 15);
	assert_memory_equal(gn->d.dNSName->data, "gw.example.test", 15);
	GENERAL_NAMES_free(names);
	X509_free(server);

	pki_fixture_tmpdir(f->other, sizeof(f->other));
	assert_int_equal(
	    gw_pki_init(f->other, "192.0.2.7", f->err, sizeof(f->err)), 0);
	server = load(f->other, "server.crt");
	names = X509_get_ext_d2i(server, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(names), 1);
	gn = sk_GENERAL_NAME_value(names, 0);
	assert_int_equal(gn->type, GEN_IPADD);
	assert_int_equal(gn->d.iPAddress->length, 4);
	assert_memory_equal(gn->d.iPAddress->data, v4, 4);
	GENERAL_NAMES_free(names);
	X509_free(server);
}

static void test_init_refuses_bad_server_name(void **state)
{
	static const char *const bad[] = {
	    "",
	    "gw.test,DNS:evil.test",
	    "gw test",
	    "-gw.test",
	    "gw.test\n",
	    "fe80::1%eth0",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct fixture *f = *state;
	char dir[128];
	struct stat st;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    gw_pki_init(dir, bad[i], f->err, sizeof(f->err)), -EINVAL);
		assert_non_null(strstr(f->err, "server name"));
	}
	/* Nothing was created for a refused name. */
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_init_twice_is_eexist(void **state)
{
	struct fixture *f = *state;
	char before[4096];

	strcpy(before, pki_fixture_slurp(f->dir, "root.crt"));
	assert_int_equal(
	    gw_pki_init(f->dir, "gw.example.test", f->err, sizeof(f->err)),
	    -EEXIST);
	assert_non_null(strstr(f->err, "already holds a root key"));
	assert_string_equal(pki_fixture_slurp(f->dir, "root.crt"), before);
}

static void test_issue_reads_back_merchant(void **state)
{
	struct fixture *f = *state;
	X509 *cert, *second;
	char id[40], cn[40], line[128];
	struct tm tm;
	int days = -1;
	int secs = -1;

	cert = pki_fixture_try_issue(f->dir, NULL, "m001", 3600, f->err,
				     sizeof(f->err));
	assert_non_null(cert);
	assert_int_equal(gw_pki_merchant_id(cert, id, sizeof(id)), 0);
	assert_string_equal(id, "m001");
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
						   NID_commonName, cn,
						   sizeof(cn)),
			 4);
	assert_string_equal(cn, "m001");
	assert_int_equal(X509_get_extended_key_usage(cert), XKU_SSL_CLIENT);
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_check_ca(cert), 0);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(cert)), 5);
	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
				   X509_get0_notAfter(cert)));
	assert_int_equal(days, 0);
	assert_int_equal(secs, 3600);
	assert_non_null(X509_get0_subject_key_id(cert));
	assert_non_null(X509_get0_authority_key_id(cert));
	assert_int_equal(gw_pki_verify(f->dir, cert, f->err, sizeof(f->err)),
			 0);

	assert_true(ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm));
	snprintf(line, sizeof(line), "05\tm001\t%lld\tV\n",
		 (long long)timegm(&tm));
	assert_string_equal(pki_fixture_slurp(f->dir, "index.txt"), line);
	assert_string_equal(pki_fixture_slurp(f->dir, "serial"), "6\n");

	second = pki_fixture_try_issue(f->dir, NULL, "m002", 3600, f->err,
				       sizeof(f->err));
	assert_non_null(second);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(second)), 6);
	assert_string_equal(pki_fixture_slurp(f->dir, "serial"), "7\n");
	X509_free(second);
	X509_free(cert);
}

static void test_issue_accepts_32_character_id(void **state)
{
	static const char id32[] = "Aa0._-aaaaaaaaaaaaaaaaaaaaaaaaaz";
	struct fixture *f = *state;
	char id[40];
	X509 *cert;

	assert_int_equal(strlen(id32), 32);
	cert = pki_fixture_try_issue(f->dir, NULL, id32, 60, f->err,
				     sizeof(f->err));
	assert_non_null(cert);
	assert_int_equal(gw_pki_merchant_id(cert, id, sizeof(id)), 0);
	assert_string_equal(id, id32);
	/* One byte short of room for the id and its NUL. */
	assert_int_equal(gw_pki_merchant_id(cert, id, 32), -EINVAL);
	X509_free(cert);
}

static void test_verify_foreign_ca_is_eacces(void **state)
{
	struct fixture *f = *state;
	X509 *cert;

	pki_fixture_tmpdir(f->other, sizeof(f->other));
	assert_int_equal(
	    gw_pki_init(f->other, "gw.example.test", f->err, sizeof(f->err)),
	    0);
	cert = pki_fixture_try_issue(f->other, NULL, "m001", 3600, f->err,
				     sizeof(f->err));
	assert_non_null(cert);
	assert_int_equal(gw_pki_verify(f->other, cert, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(gw_pki_verify(f->dir, cert, f->err, sizeof(f->err)),
			 -EACCES);
	assert_string_equal(
	    f->err, "unable to get local issuer certificate (at depth 0)");
	X509_free(cert);
}

static void test_verify_server_cert_wrong_purpose(void **state)
{
	struct fixture *f = *state;
	X509 *server = load(f->dir, "server.crt");
	char id[40];

	assert_int_equal(gw_pki_verify(f->dir, server, f->err, sizeof(f->err)),
			 -EACCES);
	assert_string_equal(f->err,
			    "unsuitable certificate purpose (at depth 0)");
	assert_int_equal(gw_pki_merchant_id(server, id, sizeof(id)), -EINVAL);
	X509_free(server);
}

static void test_issue_refuses_bad_csr_signature(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr = gw_pki_make_csr(key, "m001"), *bad;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	len = i2d_X509_REQ(csr, &der);
	assert_true(len > 0);
	/* The ECDSA signature ends the encoding; its last byte is the low
	 * byte of s. */
	der[len - 1] ^= 0x01;
	p = der;
	bad = d2i_X509_REQ(NULL, &p, len);
	assert_non_null(bad);
	assert_null(gw_pki_issue_merchant(f->dir, bad, "m001", 3600, f->err,
					  sizeof(f->err)));
	assert_string_equal(f->err, "CSR signature does not verify");
	/* A refusal consumes no serial. */
	assert_string_equal(pki_fixture_slurp(f->dir, "serial"), "5\n");
	assert_string_equal(pki_fixture_slurp(f->dir, "index.txt"), "");
	OPENSSL_free(der);
	X509_REQ_free(bad);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
}

static void test_issue_refuses_cn_mismatch(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr = gw_pki_make_csr(key, "m002");

	assert_null(gw_pki_issue_merchant(f->dir, csr, "m001", 3600, f->err,
					  sizeof(f->err)));
	assert_string_equal(
	    f->err, "CSR subject CN \"m002\" does not match merchant id m001");
	X509_REQ_free(csr);
	/* A CN carrying control bytes is shown made printable. */
	csr = raw_csr(key, "m001\n");
	assert_null(gw_pki_issue_merchant(f->dir, csr, "m001", 3600, f->err,
					  sizeof(f->err)));
	assert_string_equal(
	    f->err, "CSR subject CN \"m001?\" does not match merchant id m001");
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
}

static void test_issue_refuses_p384_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	X509_REQ *csr = gw_pki_make_csr(key, "m001");

	assert_non_null(csr);
	assert_null(gw_pki_issue_merchant(f->dir, csr, "m001", 3600, f->err,
					  sizeof(f->err)));
	assert_string_equal(f->err, "CSR key is not EC P-256");
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
}

static void test_issue_refuses_bad_merchant_ids(void **state)
{
	static const char *const bad[] = {
	    "",	     "m/001",	   "../m001",
	    "m 001", "m001,URI:x", "m\xc3\xa9",
	    "m\t1",  "m001\n",	   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct fixture *f = *state;
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(gw_pki_make_csr(key, bad[i]));
		/* OpenSSL itself refuses an empty CN; the id is refused
		 * before the CSR's CN is read. */
		csr = raw_csr(key, *bad[i] ? bad[i] : "m001");
		assert_null(gw_pki_issue_merchant(f->dir, csr, bad[i], 3600,
						  f->err, sizeof(f->err)));
		assert_string_equal(
		    f->err,
		    "merchant id must be 1 to 32 characters of A-Z a-z 0-9 . _ -");
		X509_REQ_free(csr);
	}
	EVP_PKEY_free(key);
}

static void test_issue_refuses_bad_validity(void **state)
{
	struct fixture *f = *state;

	assert_null(pki_fixture_try_issue(f->dir, NULL, "m001", 0, f->err,
					  sizeof(f->err)));
	assert_string_equal(f->err, "validity must be at least one second");
	assert_null(pki_fixture_try_issue(f->dir, NULL, "m001", -5, f->err,
					  sizeof(f->err)));
	assert_string_equal(f->err, "validity must be at least one second");
	/* The issuing CA lasts five years; six cannot fit under it. */
	assert_null(pki_fixture_try_issue(
	    f->dir, NULL, "m001", 6L * 365 * 86400, f->err, sizeof(f->err)));
	assert_string_equal(
	    f->err, "validity of 189216000 seconds outlasts the issuing CA");
}

static void test_issue_without_ca_is_refused(void **state)
{
	struct fixture *f = *state;

	pki_fixture_tmpdir(f->other, sizeof(f->other));
	assert_null(pki_fixture_try_issue(f->other, NULL, "m001", 60, f->err,
					  sizeof(f->err)));
	assert_non_null(strstr(f->err, "cannot load the issuing CA"));
}

static void test_verify_expired_is_eacces(void **state)
{
	struct fixture *f = *state;
	time_t now = time(NULL);
	X509 *brief = pki_fixture_try_issue(f->dir, NULL, "m001", 1, f->err,
					    sizeof(f->err));
	X509 *hour = pki_fixture_try_issue(f->dir, NULL, "m002", 3600, f->err,
					   sizeof(f->err));

	assert_non_null(brief);
	assert_non_null(hour);
	assert_int_equal(
	    gw_pki_verify_at(f->dir, brief, now + 5, f->err, sizeof(f->err)),
	    -EACCES);
	assert_string_equal(f->err, "certificate has expired (at depth 0)");
	assert_int_equal(
	    gw_pki_verify_at(f->dir, hour, now + 1800, f->err, sizeof(f->err)),
	    0);
	assert_int_equal(
	    gw_pki_verify_at(f->dir, hour, now + 7200, f->err, sizeof(f->err)),
	    -EACCES);
	assert_string_equal(f->err, "certificate has expired (at depth 0)");
	assert_int_equal(
	    gw_pki_verify_at(f->dir, hour, now - 3600, f->err, sizeof(f->err)),
	    -EACCES);
	assert_string_equal(f->err,
			    "certificate is not yet valid (at depth 2)");
	X509_free(hour);
	X509_free(brief);
}

static void test_write_key_mode_and_no_overwrite(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = gw_pki_keygen(), *back;
	char path[128];
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/m.key", f->dir);
	assert_int_equal(gw_pki_write_key(path, key), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(gw_pki_write_key(path, key), -EEXIST);
	back = gw_pki_read_key(path);
	assert_non_null(back);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);
	/* A key file others may read is refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(gw_pki_read_key(path));
	EVP_PKEY_free(key);
}

static void test_pem_round_trips_and_garbage(void **state)
{
	static const char junk[] =
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	struct fixture *f = *state;
	X509 *root = load(f->dir, "root.crt"), *back;
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr = gw_pki_make_csr(key, "m001"), *csr_back;
	size_t len = 0;
	char *pem;

	pem = gw_pki_cert_pem(root, &len);
	assert_non_null(pem);
	assert_int_equal(strlen(pem), len);
	back = gw_pki_cert_from_pem(pem, len);
	assert_int_equal(X509_cmp(root, back), 0);
	/* Cut short inside the END line, nothing parses. */
	assert_null(gw_pki_cert_from_pem(pem, len - 30));
	assert_null(gw_pki_cert_from_pem(pem, 0));
	OPENSSL_free(pem);

	pem = gw_pki_csr_pem(csr, &len);
	assert_non_null(pem);
	csr_back = gw_pki_csr_from_pem(pem, len);
	assert_non_null(csr_back);
	assert_int_equal(X509_REQ_verify(csr_back, key), 1);
	OPENSSL_free(pem);

	assert_null(gw_pki_cert_from_pem(junk, sizeof(junk) - 1));
	assert_null(gw_pki_csr_from_pem(junk, sizeof(junk) - 1));
	X509_REQ_free(csr_back);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	X509_free(back);
	X509_free(root);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_init_creates_every_file_with_exact_modes),
	    T(test_init_root_is_self_signed_ca),
	    T(test_init_chain_verifies),
	    T(test_init_server_name_dns_or_ip),
	    T(test_init_refuses_bad_server_name),
	    T(test_init_twice_is_eexist),
	    T(test_issue_reads_back_merchant),
	    T(test_issue_accepts_32_character_id),
	    T(test_verify_foreign_ca_is_eacces),
	    T(test_verify_server_cert_wrong_purpose),
	    T(test_issue_refuses_bad_csr_signature),
	    T(test_issue_refuses_cn_mismatch),
	    T(test_issue_refuses_p384_key),
	    T(test_issue_refuses_bad_merchant_ids),
	    T(test_issue_refuses_bad_validity),
	    T(test_issue_without_ca_is_refused),
	    T(test_verify_expired_is_eacces),
	    T(test_write_key_mode_and_no_overwrite),
	    T(test_pem_round_trips_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
