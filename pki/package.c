/*
 * Package signing: the manifest of a package signed with CMS by the
 * code-signing certificate, and the installer's check of a package
 * against it.  The installer trusts only the root certificate it was
 * given; the chain to it travels inside the signature.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* cms.h declares its PEM functions only when pem.h came first. */
#include <openssl/pem.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "gw_util.h"
#include "manifest.h"
#include "pki_int.h"

static CMS_ContentInfo *sign_text(const struct gw_pki_ca *signer, X509 *issuing,
				  const char *text, size_t len)
{
	BIO *in = BIO_new_mem_buf(text, (int)len);
	CMS_ContentInfo *cms;
	int ok;

	/* CMS_BINARY keeps the text byte for byte: no MIME line endings.
	 * CMS_PARTIAL lets the signer be added with SHA-256 named. */
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	ok = in && cms &&
	     CMS_add1_signer(cms, signer->cert, signer->key, EVP_sha256(),
			     CMS_BINARY) &&
	     CMS_add1_cert(cms, issuing) &&
	     CMS_final(cms, in, NULL, CMS_BINARY) == 1;
	BIO_free(in);
	if (!ok) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

static int write_cms(const char *path, CMS_ContentInfo *cms)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -ENOMEM;

	if (bio && PEM_write_bio_CMS(bio, cms)) {
		n = BIO_get_mem_data(bio, &data);
		rc = gw_pki_write_file(path, data, (size_t)n, 0644, 0);
	}
	BIO_free(bio);
	return rc;
}

static int check_sign_args(const char *dir, const char *file, const char *name,
			   const char *version, char *err, size_t errlen)
{
	if (!dir || !file || !name || !version) {
		gw_pki_seterr(err, errlen,
			      "missing directory, file, name or version");
		return -EINVAL;
	}
	if (!gw_pki_pkg_name_valid(name)) {
		gw_pki_seterr(err, errlen,
			      "package name must be 1 to 64 characters of "
			      "A-Z a-z 0-9 . _ -, not starting with . or -");
		return -EINVAL;
	}
	if (!gw_pki_version_valid(version)) {
		gw_pki_seterr(err, errlen,
			      "version must be 1 to 4 dot-separated numbers "
			      "without leading zeros");
		return -EINVAL;
	}
	return 0;
}

int gw_pki_sign_package(const char *dir, const char *file, const char *name,
			const char *version, const char *out_path, char *err,
			size_t errlen)
{
	char text[GW_PKI_MANIFEST_MAX], path[4096], sig[4096];
	struct gw_pki_manifest m = {0};
	struct gw_pki_ca signer = {0};
	CMS_ContentInfo *cms = NULL;
	X509 *issuing = NULL;
	int n, rc;

	rc = check_sign_args(dir, file, name, version, err, errlen);
	if (rc)
		return rc;
	if (snprintf(sig, sizeof(sig), "%s%s", out_path ? out_path : file,
		     out_path ? "" : ".sig") >= (int)sizeof(sig) ||
	    gw_pki_path(path, sizeof(path), dir,
			gw_pki_member_cert(GW_PKI_ISSUING)))
		return -ENAMETOOLONG;
	rc = gw_pki_file_digest(file, &m.size, m.sha256);
	if (rc) {
		gw_pki_seterr(err, errlen, "cannot read package %s: %s", file,
			      strerror(-rc));
		return rc;
	}
	strcpy(m.name, name);
	strcpy(m.version, version);
	n = gw_pki_manifest_format(&m, text, sizeof(text));
	rc = gw_pki_member_load(&signer, dir, GW_PKI_CODESIGN, err, errlen);
	if (rc)
		goto out;
	issuing = gw_pki_read_cert(path);
	cms = issuing && n > 0 ? sign_text(&signer, issuing, text, (size_t)n)
			       : NULL;
	if (!cms) {
		gw_pki_seterr(err, errlen, "cannot sign the manifest of %s",
			      file);
		rc = -EINVAL;
		goto out;
	}
	rc = write_cms(sig, cms);
	if (rc)
		gw_pki_seterr(err, errlen, "cannot write %s: %s", sig,
			      strerror(-rc));
out:
	CMS_ContentInfo_free(cms);
	X509_free(issuing);
	gw_pki_ca_release(&signer);
	ERR_clear_error();
	return rc;
}

/* A signature file in PEM, or in DER for installers that prefer it. */
static CMS_ContentInfo *read_cms(const char *path, int *rc)
{
	unsigned char *buf = NULL;
	CMS_ContentInfo *cms = NULL;
	size_t len = 0;
	BIO *bio;

	*rc = gw_pki_read_file(path, &buf, &len, 0);
	if (*rc)
		return NULL;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio && len > 10 && !memcmp(buf, "-----BEGIN", 10))
		cms = PEM_read_bio_CMS(bio, NULL, NULL, NULL);
	else if (bio)
		cms = d2i_CMS_bio(bio, NULL);
	BIO_free(bio);
	OPENSSL_free(buf);
	if (cms && OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	if (!cms || sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		*rc = GW_PKI_PKG_FORMAT;
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

/* Verifies signature and chain, leaving the signed text in @content. */
static int check_signature(CMS_ContentInfo *cms, X509 *root, BIO *content,
			   char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	unsigned long e;
	int ok;

	/* OpenSSL 3.0 has no code-signing purpose, and CMS would otherwise
	 * ask for S/MIME signing; the EKU is checked by check_signer. */
	ok = store && X509_STORE_add_cert(store, root) &&
	     X509_STORE_set_purpose(store, X509_PURPOSE_ANY) &&
	     X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT) &&
	     CMS_verify(cms, NULL, store, NULL, content, CMS_BINARY) == 1;
	X509_STORE_free(store);
	if (ok)
		return 0;
	e = ERR_peek_last_error();
	gw_pki_seterr(err, errlen, "signature does not verify to the root: %s",
		      e && ERR_reason_error_string(e)
			  ? ERR_reason_error_string(e)
			  : "unknown error");
	return GW_PKI_PKG_BADSIG;
}

static int check_signer(CMS_ContentInfo *cms, char signer[65], char *err,
			size_t errlen)
{
	STACK_OF(X509) *signers = CMS_get0_signers(cms);
	X509 *cert =
	    sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	char cn[65];
	uint32_t flags;
	int rc = GW_PKI_PKG_SIGNER;

	if (!cert) {
		gw_pki_seterr(err, errlen, "the manifest has no single signer");
		goto out;
	}
	flags = X509_get_extension_flags(cert);
	if (gw_pki_name_cn(X509_get_subject_name(cert), cn, sizeof(cn)))
		strcpy(cn, "?");
	gw_pki_printable((const unsigned char *)cn, strlen(cn), signer, 65);
	if (X509_check_ca(cert) || !(flags & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(cert) & XKU_CODE_SIGN)) {
		gw_pki_seterr(
		    err, errlen,
		    "signer certificate lacks extended key usage codeSigning");
		goto out;
	}
	rc = 0;
out:
	sk_X509_free(signers);
	return rc;
}

static int check_file(const char *file, const struct gw_pki_manifest *m,
		      char *err, size_t errlen)
{
	char sha[65];
	uint64_t size;
	int rc;

	rc = gw_pki_file_digest(file, &size, sha);
	if (rc) {
		gw_pki_seterr(err, errlen, "cannot read package %s: %s", file,
			      strerror(-rc));
		return -ENOENT;
	}
	if (size != m->size) {
		gw_pki_seterr(err, errlen,
			      "package is %llu bytes, the manifest says %llu",
			      (unsigned long long)size,
			      (unsigned long long)m->size);
		return GW_PKI_PKG_FILE;
	}
	/* Both digests are public; the constant-time compare is the
	 * house rule for digests, not a secret's protection. */
	if (!gw_ct_equal(sha, m->sha256, 64)) {
		gw_pki_seterr(err, errlen,
			      "package SHA-256 differs from the manifest's");
		return GW_PKI_PKG_FILE;
	}
	return 0;
}

static int check_expected(const struct gw_pki_manifest *m, const char *name,
			  const char *version, const char *running, char *err,
			  size_t errlen)
{
	char shown[GW_PKI_PKG_NAME_MAX + 1];
	int cmp = 0;

	if (name && strcmp(m->name, name)) {
		gw_pki_printable((const unsigned char *)name, strlen(name),
				 shown, sizeof(shown));
		gw_pki_seterr(err, errlen, "manifest is for package %s, not %s",
			      m->name, shown);
		return GW_PKI_PKG_NAME;
	}
	/* Versions were checked for syntax, so they print as they are. */
	if (version && strcmp(m->version, version)) {
		gw_pki_seterr(err, errlen, "manifest is for version %s, not %s",
			      m->version, version);
		return GW_PKI_PKG_VERSION;
	}
	if (running &&
	    (gw_pki_version_cmp(m->version, running, &cmp) || cmp <= 0)) {
		gw_pki_seterr(err, errlen,
			      "version %s is not newer than the running %s%s",
			      m->version, running,
			      cmp ? " (rollback refused)" : "");
		return GW_PKI_PKG_OLD;
	}
	return 0;
}

static int check_args(const char *root, const char *file, const char *sig,
		      const char *version, const char *running, char *err,
		      size_t errlen)
{
	if (!root || !file || !sig) {
		gw_pki_seterr(err, errlen,
			      "missing root certificate, package or signature");
		return -EINVAL;
	}
	if ((version && !gw_pki_version_valid(version)) ||
	    (running && !gw_pki_version_valid(running))) {
		gw_pki_seterr(err, errlen,
			      "expected and running versions must be 1 to 4 "
			      "dot-separated numbers");
		return -EINVAL;
	}
	return 0;
}

/* Signature first: nothing the manifest says is read before it is known
 * to come from the code-signing certificate. */
int gw_pki_verify_package_info(const char *root_crt_path, const char *file,
			       const char *manifest_path,
			       const char *expected_name,
			       const char *expected_version,
			       const char *running_version,
			       struct gw_pki_manifest *out, char *err,
			       size_t errlen)
{
	struct gw_pki_manifest m = {0};
	CMS_ContentInfo *cms = NULL;
	char signer[sizeof(m.signer)];
	BIO *content = NULL;
	X509 *root = NULL;
	char *text;
	long len;
	int rc;

	rc = check_args(root_crt_path, file, manifest_path, expected_version,
			running_version, err, errlen);
	if (rc)
		return rc;
	root = gw_pki_read_cert(root_crt_path);
	if (!root) {
		gw_pki_seterr(err, errlen, "cannot read root certificate %s",
			      root_crt_path);
		return -ENOENT;
	}
	cms = read_cms(manifest_path, &rc);
	if (!cms) {
		gw_pki_seterr(err, errlen,
			      rc == GW_PKI_PKG_FORMAT
				  ? "%s is not a signed manifest"
				  : "cannot read %s",
			      manifest_path);
		rc = rc == GW_PKI_PKG_FORMAT ? rc : -ENOENT;
		goto out;
	}
	content = BIO_new(BIO_s_mem());
	rc = content ? check_signature(cms, root, content, err, errlen)
		     : -ENOMEM;
	if (!rc)
		rc = check_signer(cms, signer, err, errlen);
	if (rc)
		goto out;
	len = BIO_get_mem_data(content, &text);
	if (len <= 0 || gw_pki_manifest_parse(text, (size_t)len, &m)) {
		gw_pki_seterr(err, errlen, "the signed manifest is malformed");
		rc = GW_PKI_PKG_FORMAT;
		goto out;
	}
	strcpy(m.signer, signer);
	if (out)
		*out = m;
	rc = check_file(file, &m, err, errlen);
	if (!rc)
		rc = check_expected(&m, expected_name, expected_version,
				    running_version, err, errlen);
out:
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	X509_free(root);
	ERR_clear_error();
	return rc;
}

int gw_pki_verify_package(const char *root_crt_path, const char *file,
			  const char *manifest_path, const char *expected_name,
			  const char *expected_version,
			  const char *running_version, char *err, size_t errlen)
{
	return gw_pki_verify_package_info(root_crt_path, file, manifest_path,
					  expected_name, expected_version,
					  running_version, NULL, err, errlen);
}
