/*
 * Certificate assembly: a subject, a validity, a key and a table of X.509v3
 * extensions, signed with ECDSA over SHA-256.  Which extensions each kind
 * of certificate carries is decided by the callers (ca.c, issue.c).
 */
#include <errno.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "gw_pki.h"
#include "pki_int.h"

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	/* The value is parsed with OpenSSL's configuration syntax, so every
	 * caller passes either a constant or a name it has validated. */
	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

static int set_names(X509 *cert, const struct gw_pki_tmpl *t)
{
	X509_NAME *name = X509_NAME_new();
	const X509_NAME *issuer;
	int ok;

	if (!name)
		return -ENOMEM;
	ok =
	    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
				       (const unsigned char *)t->cn, -1, -1, 0);
	issuer = t->issuer ? X509_get_subject_name(t->issuer) : name;
	ok = ok && X509_set_subject_name(cert, name) &&
	     X509_set_issuer_name(cert, issuer);
	X509_NAME_free(name);
	return ok ? 0 : -EINVAL;
}

static int set_body(X509 *cert, const struct gw_pki_tmpl *t)
{
	ASN1_INTEGER *serial = X509_get_serialNumber(cert);

	if (!X509_set_version(cert, X509_VERSION_3) ||
	    !ASN1_INTEGER_set_uint64(serial, t->serial))
		return -ENOMEM;
	if (set_names(cert, t))
		return -EINVAL;
	/* ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime from
	 * then on, as RFC 5280 section 4.1.2.5 requires. */
	if (!ASN1_TIME_set(X509_getm_notBefore(cert), t->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(cert),
			   t->not_before + (time_t)t->seconds))
		return -EINVAL;
	if (!X509_set_pubkey(cert, t->subject_key))
		return -EINVAL;
	return 0;
}

X509 *gw_pki_cert_make(const struct gw_pki_tmpl *t, char *err, size_t errlen)
{
	EVP_PKEY *signer = t->issuer ? t->issuer_key : t->subject_key;
	X509 *cert = X509_new();
	X509V3_CTX ctx;
	size_t i;

	if (!cert || set_body(cert, t)) {
		gw_pki_seterr(err, errlen, "cannot assemble certificate %s",
			      t->cn);
		goto fail;
	}
	/* The context gives subjectKeyIdentifier the subject's key and
	 * authorityKeyIdentifier the issuer's. */
	X509V3_set_ctx(&ctx, t->issuer ? t->issuer : cert, cert, NULL, NULL, 0);
	for (i = 0; i < t->n_ext; i++) {
		if (add_ext(cert, &ctx, t->ext[i].nid, t->ext[i].value)) {
			gw_pki_seterr(err, errlen, "cannot add extension %s",
				      OBJ_nid2sn(t->ext[i].nid));
			goto fail;
		}
	}
	if (t->san && add_ext(cert, &ctx, NID_subject_alt_name, t->san)) {
		gw_pki_seterr(err, errlen, "cannot add subjectAltName");
		goto fail;
	}
	if (X509_sign(cert, signer, EVP_sha256()) <= 0) {
		gw_pki_seterr(err, errlen, "cannot sign certificate %s", t->cn);
		goto fail;
	}
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

int gw_pki_name_cn(const X509_NAME *name, char *out, size_t outlen)
{
	unsigned char *utf8 = NULL;
	const ASN1_STRING *data;
	int i, n, rc = 0;

	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return -ENOENT;
	/* Two CNs would let the checker and a later reader disagree about
	 * which one names the subject. */
	if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return -EINVAL;
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	n = ASN1_STRING_to_UTF8(&utf8, data);
	if (n < 0)
		return -EINVAL;
	if (memchr(utf8, 0, (size_t)n))
		rc = -EINVAL;
	else if ((size_t)n >= outlen)
		rc = -ENOSPC;
	else {
		memcpy(out, utf8, (size_t)n);
		out[n] = '\0';
	}
	OPENSSL_free(utf8);
	return rc;
}
