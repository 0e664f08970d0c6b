/*
 * Package signing: a good package verifies and reports its manifest; a
 * table of bad packages is refused with exact codes and reasons; the
 * version compare and the manifest parser face adversarial input.
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

#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "manifest.h"
#include "pki_fixture.h"

#define SIZE_A 3000

struct fixture {
	char dir[64];
	char other[64];
	char err[512];
	char root[128];
	char a[128], a_sig[128]; /* gw-merchant 1.2.0 */
	char b[128], b_sig[128]; /* same name and version, other bytes */
	char scratch[128];
};

static size_t get(const char *path, unsigned char *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unsigned char data[SIZE_A];
	size_t i;

	assert_non_null(f);
	pki_fixture_make(f->dir, sizeof(f->dir));
	snprintf(f->root, sizeof(f->root), "%s/root.crt", f->dir);
	snprintf(f->a, sizeof(f->a), "%s/a.pkg", f->dir);
	snprintf(f->a_sig, sizeof(f->a_sig), "%s/a.pkg.sig", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/b.pkg", f->dir);
	snprintf(f->b_sig, sizeof(f->b_sig), "%s/b.pkg.sig", f->dir);
	snprintf(f->scratch, sizeof(f->scratch), "%s/x.sig", f->dir);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 1);
	pki_fixture_put(f->a, data, sizeof(data));
	data[100] ^= 0xff;
	pki_fixture_put(f->b, data, sizeof(data));
	assert_int_equal(gw_pki_sign_package(f->dir, f->a, "gw-merchant",
					     "1.2.0", NULL, f->err,
					     sizeof(f->err)),
			 0);
	assert_int_equal(gw_pki_sign_package(f->dir, f->b, "gw-merchant",
					     "1.2.0", f->b_sig, f->err,
					     sizeof(f->err)),
			 0);
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

static void sha256_hex(const char *path, char hex[65])
{
	unsigned char buf[8192], md[32];
	size_t n = get(path, buf, sizeof(buf));
	int i;

	assert_true(EVP_Digest(buf, n, md, NULL, EVP_sha256(), NULL));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void test_good_package_verifies_with_manifest(void **state)
{
	struct fixture *f = *state;
	struct gw_pki_manifest m;
	char hex[65];

	sha256_hex(f->a, hex);
	assert_int_equal(gw_pki_verify_package_info(
			     f->root, f->a, f->a_sig, "gw-merchant", "1.2.0",
			     "1.1.9", &m, f->err, sizeof(f->err)),
			 0);
	assert_string_equal(m.name, "gw-merchant");
	assert_string_equal(m.version, "1.2.0");
	assert_int_equal(m.size, SIZE_A);
	assert_string_equal(m.sha256, hex);
	assert_string_equal(m.signer, "Gateway Code Signing");
	assert_int_equal(gw_pki_verify_package(f->root, f->b, f->b_sig,
					       "gw-merchant", "1.2.0", "0.9",
					       f->err, sizeof(f->err)),
			 0);
}

/* The signature is PEM; the installer accepts the same in DER. */
static void test_der_signature_is_accepted(void **state)
{
	struct fixture *f = *state;
	CMS_ContentInfo *cms;
	BIO *in = BIO_new_file(f->a_sig, "r"), *out;

	cms = PEM_read_bio_CMS(in, NULL, NULL, NULL);
	assert_non_null(cms);
	out = BIO_new_file(f->scratch, "wb");
	assert_true(i2d_CMS_bio(out, cms));
	BIO_free(out);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	assert_int_equal(gw_pki_verify_package(f->root, f->a, f->scratch,
					       "gw-merchant", "1.2.0", "1.1",
					       f->err, sizeof(f->err)),
			 0);
}

/* Bad packages ------------------------------------------------------ */

struct attempt {
	const char *root;
	const char *file;
	const char *sig;
	const char *name;
	const char *version;
	const char *running;
};

/* Flips the last byte of the DER signature: the low byte of ECDSA s. */
static void prep_flipped_signature(struct fixture *f, struct attempt *a)
{
	unsigned char *der = NULL;
	CMS_ContentInfo *cms, *bad;
	const unsigned char *p;
	BIO *in = BIO_new_file(f->a_sig, "r"), *out;
	int len;

	cms = PEM_read_bio_CMS(in, NULL, NULL, NULL);
	assert_non_null(cms);
	len = i2d_CMS_ContentInfo(cms, &der);
	assert_true(len > 0);
	der[len - 1] ^= 0x01;
	p = der;
	bad = d2i_CMS_ContentInfo(NULL, &p, len);
	assert_non_null(bad);
	out = BIO_new_file(f->scratch, "w");
	assert_true(PEM_write_bio_CMS(out, bad));
	BIO_free(out);
	BIO_free(in);
	OPENSSL_free(der);
	CMS_ContentInfo_free(bad);
	CMS_ContentInfo_free(cms);
	a->sig = f->scratch;
}

static void prep_other_package_sig(struct fixture *f, struct attempt *a)
{
	a->file = f->b;
}

static void prep_tampered_byte(struct fixture *f, struct attempt *a)
{
	unsigned char buf[SIZE_A];

	assert_int_equal(get(f->a, buf, sizeof(buf)), SIZE_A);
	buf[SIZE_A - 1] ^= 0x01;
	pki_fixture_put(f->a, buf, sizeof(buf));
}

static void prep_appended_byte(struct fixture *f, struct attempt *a)
{
	unsigned char buf[SIZE_A + 1];

	assert_int_equal(get(f->a, buf, sizeof(buf)), SIZE_A);
	buf[SIZE_A] = 0;
	pki_fixture_put(f->a, buf, sizeof(buf));
}

static void prep_older(struct fixture *f, struct attempt *a)
{
	a->running = "1.10";
}

static void prep_equal(struct fixture *f, struct attempt *a)
{
	a->running = "1.2.0";
}

static void prep_equal_shorter(struct fixture *f, struct attempt *a)
{
	a->running = "1.2";
}

static void prep_wrong_name(struct fixture *f, struct attempt *a)
{
	a->name = "gw-other";
}

static void prep_wrong_version(struct fixture *f, struct attempt *a)
{
	a->version = "1.2.1";
}

static void prep_wrong_root(struct fixture *f, struct attempt *a)
{
	static char root[128];

	pki_fixture_make(f->other, sizeof(f->other));
	snprintf(root, sizeof(root), "%s/root.crt", f->other);
	a->root = root;
}

static void prep_garbage_sig(struct fixture *f, struct attempt *a)
{
	pki_fixture_put(f->scratch,
			"-----BEGIN CMS-----\nAAAA\n-----END CMS-----\n", 42);
	a->sig = f->scratch;
}

/* The manifest of a.pkg, signed with @member's key and certificate. */
static void sign_as(struct fixture *f, const char *crt, const char *key_name)
{
	struct gw_pki_manifest m = {0};
	char path[128], text[GW_PKI_MANIFEST_MAX];
	X509 *cert, *issuing;
	EVP_PKEY *key;
	STACK_OF(X509) *certs = sk_X509_new_null();
	CMS_ContentInfo *cms;
	BIO *in, *out;
	int n;

	strcpy(m.name, "gw-merchant");
	strcpy(m.version, "1.2.0");
	assert_int_equal(gw_pki_file_digest(f->a, &m.size, m.sha256), 0);
	n = gw_pki_manifest_format(&m, text, sizeof(text));
	assert_true(n > 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, crt);
	cert = gw_pki_read_cert(path);
	snprintf(path, sizeof(path), "%s/%s", f->dir, key_name);
	key = gw_pki_read_key(path);
	snprintf(path, sizeof(path), "%s/issuing.crt", f->dir);
	issuing = gw_pki_read_cert(path);
	assert_non_null(cert);
	assert_non_null(key);
	assert_true(sk_X509_push(certs, issuing));
	in = BIO_new_mem_buf(text, n);
	cms = CMS_sign(cert, key, certs, in, CMS_BINARY);
	assert_non_null(cms);
	out = BIO_new_file(f->scratch, "w");
	assert_true(PEM_write_bio_CMS(out, cms));
	BIO_free(out);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(key);
	X509_free(cert);
}

static void prep_merchant_signer(struct fixture *f, struct attempt *a)
{
	EVP_PKEY *key = gw_pki_keygen();
	X509_REQ *csr = gw_pki_make_csr(key, "m001");
	char path[128];
	X509 *cert;

	cert = gw_pki_issue_merchant(f->dir, csr, "m001", 3600, f->err,
				     sizeof(f->err));
	assert_non_null(cert);
	snprintf(path, sizeof(path), "%s/m001.crt", f->dir);
	assert_int_equal(gw_pki_write_cert(path, cert), 0);
	snprintf(path, sizeof(path), "%s/m001.key", f->dir);
	assert_int_equal(gw_pki_write_key(path, key), 0);
	sign_as(f, "m001.crt", "m001.key");
	a->sig = f->scratch;
	X509_free(cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
}

static void prep_server_signer(struct fixture *f, struct attempt *a)
{
	sign_as(f, "server.crt", "server.key");
	a->sig = f->scratch;
}

/* The real signer, through the test's own CMS code: the control case
 * showing that sign_as alone does not cause the refusals above. */
static void prep_codesign_by_hand(struct fixture *f, struct attempt *a)
{
	sign_as(f, "codesign.crt", "codesign.key");
	a->sig = f->scratch;
}

static void prep_missing_sig(struct fixture *f, struct attempt *a)
{
	a->sig = "/nonexistent/a.pkg.sig";
}

static const struct bad_pkg {
	const char *what;
	void (*prep)(struct fixture *f, struct attempt *a);
	int rc;
	const char *reason;
} bad_pkgs[] = {
    {"flipped signature byte", prep_flipped_signature, GW_PKI_PKG_BADSIG,
     "signature does not verify to the root"},
    {"another package's signature", prep_other_package_sig, GW_PKI_PKG_FILE,
     "package SHA-256 differs from the manifest's"},
    {"tampered file", prep_tampered_byte, GW_PKI_PKG_FILE,
     "package SHA-256 differs from the manifest's"},
    {"file grew", prep_appended_byte, GW_PKI_PKG_FILE,
     "package is 3001 bytes, the manifest says 3000"},
    {"older version", prep_older, GW_PKI_PKG_OLD,
     "version 1.2.0 is not newer than the running 1.10 (rollback refused)"},
    {"equal version", prep_equal, GW_PKI_PKG_OLD,
     "version 1.2.0 is not newer than the running 1.2.0"},
    {"equal version, shorter", prep_equal_shorter, GW_PKI_PKG_OLD,
     "version 1.2.0 is not newer than the running 1.2"},
    {"wrong name", prep_wrong_name, GW_PKI_PKG_NAME,
     "manifest is for package gw-merchant, not gw-other"},
    {"wrong version", prep_wrong_version, GW_PKI_PKG_VERSION,
     "manifest is for version 1.2.0, not 1.2.1"},
    {"another root", prep_wrong_root, GW_PKI_PKG_BADSIG,
     "signature does not verify to the root"},
    {"merchant certificate as signer", prep_merchant_signer, GW_PKI_PKG_SIGNER,
     "signer certificate lacks extended key usage codeSigning"},
    {"server certificate as signer", prep_server_signer, GW_PKI_PKG_SIGNER,
     "signer certificate lacks extended key usage codeSigning"},
    {"not a signature", prep_garbage_sig, GW_PKI_PKG_FORMAT,
     "is not a signed manifest"},
    {"missing signature", prep_missing_sig, -ENOENT, "cannot read"},
    {"control: code-signing key by hand", prep_codesign_by_hand, 0, ""},
};

static void test_bad_packages_refused_with_reason(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_pkgs) / sizeof(bad_pkgs[0]); i++) {
		const struct bad_pkg *c = &bad_pkgs[i];
		struct fixture *f;
		struct attempt a;
		int rc;

		setup((void **)&f);
		a = (struct attempt){f->root,	    f->a,    f->a_sig,
				     "gw-merchant", "1.2.0", "1.1.9"};
		c->prep(f, &a);
		f->err[0] = '\0';
		rc = gw_pki_verify_package(a.root, a.file, a.sig, a.name,
					   a.version, a.running, f->err,
					   sizeof(f->err));
		if (rc != c->rc || !strstr(f->err, c->reason))
			print_error("case \"%s\": rc %d, reason \"%s\"\n",
				    c->what, rc, f->err);
		assert_int_equal(rc, c->rc);
		assert_non_null(strstr(f->err, c->reason));
		teardown((void **)&f);
	}
}

static void test_sign_refusals(void **state)
{
	static const struct {
		const char *name;
		const char *version;
		int rc;
		const char *msg;
	} cases[] = {
	    {"../x", "1.0", -EINVAL, "package name must be"},
	    {"-x", "1.0", -EINVAL, "package name must be"},
	    {"x y", "1.0", -EINVAL, "package name must be"},
	    {"gw", "1.x", -EINVAL, "version must be"},
	    {"gw", "01.0", -EINVAL, "version must be"},
	    {"gw", "", -EINVAL, "version must be"},
	};
	struct fixture *f = *state;
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    gw_pki_sign_package(f->dir, f->a, cases[i].name,
					cases[i].version, f->scratch, f->err,
					sizeof(f->err)),
		    cases[i].rc);
		assert_non_null(strstr(f->err, cases[i].msg));
	}
	assert_int_equal(gw_pki_sign_package(f->dir, "/nonexistent/p", "gw",
					     "1.0", f->scratch, f->err,
					     sizeof(f->err)),
			 -ENOENT);
	assert_non_null(strstr(f->err, "cannot read package /nonexistent/p"));
	snprintf(path, sizeof(path), "%s/codesign.key", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(gw_pki_sign_package(f->dir, f->a, "gw", "1.0",
					     f->scratch, f->err,
					     sizeof(f->err)),
			 -ENOENT);
	assert_non_null(strstr(f->err, "cannot load the code-signing"));
	/* Nothing was written for a refusal. */
	assert_int_equal(access(f->scratch, F_OK), -1);
}

static void test_version_cmp_table(void **state)
{
	static const struct {
		const char *a;
		const char *b;
		int cmp;
	} good[] = {
	    {"1.2.0", "1.2", 0},
	    {"1.10", "1.9", 1},
	    {"2", "10", -1},
	    {"0", "0.0.0.0", 0},
	    {"1.2.3.4", "1.2.3.5", -1},
	    {"999999999", "1", 1},
	    {"1.0.0.1", "1", 1},
	};
	static const char *const bad[] = {
	    "",	  "1..2", "01.2", "1.2.3.4.5",	"v1", "1.2-rc1", "1.",
	    ".1", "-1",	  "1.+2", "1234567890", " 1", "1 .2",	 "1.2.3\n",
	};
	int cmp = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(gw_pki_version_cmp(good[i].a, good[i].b, &cmp),
				 0);
		assert_int_equal(cmp, good[i].cmp);
		assert_int_equal(gw_pki_version_cmp(good[i].b, good[i].a, &cmp),
				 0);
		assert_int_equal(cmp, -good[i].cmp);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gw_pki_version_cmp(bad[i], "1", &cmp),
				 -EINVAL);
		assert_int_equal(gw_pki_version_cmp("1", bad[i], &cmp),
				 -EINVAL);
	}
	assert_int_equal(gw_pki_version_cmp(NULL, "1", &cmp), -EINVAL);
	assert_int_equal(gw_pki_version_cmp("1", "1", NULL), -EINVAL);
}

#define SHA  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEAD "gw-package-manifest 1\nname gw\nversion 1.0\n"

static void test_manifest_parser_is_strict(void **state)
{
	static const char good[] = HEAD "size 12\nsha256 " SHA "\n";
	static const char *const bad[] = {
	    HEAD "size 12\nsha256 " SHA,
	    HEAD "size 12\nsha256 " SHA "\n\n",
	    HEAD "size 12\nsha256 " SHA "\nextra 1\n",
	    HEAD "sha256 " SHA "\nsize 12\n",
	    HEAD "size 012\nsha256 " SHA "\n",
	    HEAD "size -1\nsha256 " SHA "\n",
	    HEAD "size 99999999999999999999\nsha256 " SHA "\n",
	    HEAD "size 12\nsha256 " SHA "0\n",
	    HEAD
	    "size 12\nsha256 "
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
	    HEAD "size 12\nsha256  " SHA "\n",
	    "gw-package-manifest 2\nname gw\nversion 1.0\nsize 12\nsha256 " SHA
	    "\n",
	    "gw-package-manifest 1\nname ../gw\nversion 1.0\nsize 12\nsha256 " SHA
	    "\n",
	    "gw-package-manifest 1\nname gw\nversion 1.0.x\nsize 12\nsha256 " SHA
	    "\n",
	    "gw-package-manifest 1\r\nname gw\r\nversion 1.0\r\nsize 12\r\nsha256 " SHA
	    "\r\n",
	    "",
	};
	struct gw_pki_manifest m;
	char with_nul[sizeof(good)];
	size_t i;

	(void)state;
	assert_int_equal(gw_pki_manifest_parse(good, strlen(good), &m), 0);
	assert_string_equal(m.name, "gw");
	assert_string_equal(m.version, "1.0");
	assert_int_equal(m.size, 12);
	assert_string_equal(m.sha256, SHA);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    gw_pki_manifest_parse(bad[i], strlen(bad[i]), &m), -EINVAL);
	memcpy(with_nul, good, sizeof(good));
	with_nul[30] = '\0';
	assert_int_equal(gw_pki_manifest_parse(with_nul, strlen(good), &m),
			 -EINVAL);
	assert_int_equal(
	    gw_pki_manifest_parse(good, GW_PKI_MANIFEST_MAX + 1, &m), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_good_package_verifies_with_manifest),
	    T(test_der_signature_is_accepted),
	    cmocka_unit_test(test_bad_packages_refused_with_reason),
	    T(test_sign_refusals),
	    cmocka_unit_test(test_version_cmp_table),
	    cmocka_unit_test(test_manifest_parser_is_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
