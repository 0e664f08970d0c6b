/*
 * The appliance's certificate authority: a root, an issuing CA, the
 * gateway's TLS server certificate, a code-signing certificate and
 * merchant certificates issued from CSRs.  ECDSA P-256 throughout, OpenSSL
 * 3 APIs only.  Private keys are written with mode 0600.
 *
 * A PKI directory holds:
 *   root.key root.crt          offline-style root (10 years)
 *   issuing.key issuing.crt    issuing CA, signed by the root (5 years)
 *   server.key server.crt      gateway TLS server certificate
 *   codesign.key codesign.crt  package signing (issue-time EKU codeSigning)
 *   chain.pem                  issuing.crt then root.crt
 *   crl.pem                    the issuing CA's CRL
 *   root-crl.pem               the root's CRL (revoked CAs)
 *   root-index.txt             CAs the root revoked (made when needed)
 *   serial                     next serial number (decimal)
 *   index.txt                  one line per issued certificate:
 *                              serial, merchant id, not-after, status
 *
 * A merchant certificate carries the merchant id as its subject CN and as
 * a URI subjectAltName "urn:gw:merchant:<id>", with EKU clientAuth.
 */
#ifndef GW_PKI_H
#define GW_PKI_H

#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define GW_PKI_MERCHANT_URI "urn:gw:merchant:"

/*
 * Creates the hierarchy in @dir (created if missing, must not already hold
 * root.key).  @server_name goes into the server certificate's CN and as a
 * DNS and IP subjectAltName when it parses as an address.  0, or a negative
 * errno with a message in @err.
 */
int gw_pki_init(const char *dir, const char *server_name, char *err,
		size_t errlen);

/* A new P-256 key, or NULL. */
EVP_PKEY *gw_pki_keygen(void);

/* Writes @key as PEM PKCS#8 with mode 0600 (refusing to overwrite).  0 or
 * a negative errno. */
int gw_pki_write_key(const char *path, EVP_PKEY *key);
EVP_PKEY *gw_pki_read_key(const char *path);
X509 *gw_pki_read_cert(const char *path);
int gw_pki_write_cert(const char *path, X509 *cert);

/* A CSR for @merchant_id signed by @key (subject CN = merchant id). */
X509_REQ *gw_pki_make_csr(EVP_PKEY *key, const char *merchant_id);

/*
 * Issues a merchant certificate from @csr under the issuing CA in @dir,
 * valid for @seconds from now.  Refuses a CSR whose signature does not
 * verify, whose key is not P-256, or whose CN differs from @merchant_id.
 * Records it in index.txt.  Returns the certificate or NULL with a message
 * in @err.
 */
X509 *gw_pki_issue_merchant(const char *dir, X509_REQ *csr,
			    const char *merchant_id, long seconds, char *err,
			    size_t errlen);

/* The merchant id of a merchant certificate (from its URI SAN) into
 * @out.  0 or -EINVAL. */
int gw_pki_merchant_id(X509 *cert, char *out, size_t outlen);

/*
 * Verifies @cert against the chain in @dir (root as trust anchor, issuing
 * CA as untrusted intermediate) with purpose sslclient.  0, or -EACCES with
 * the reason in @err.
 */
int gw_pki_verify(const char *dir, X509 *cert, char *err, size_t errlen);

/* As gw_pki_verify, judging validity at Unix time @at instead of now (0:
 * now), to see ahead of time which certificates will have expired. */
int gw_pki_verify_at(const char *dir, X509 *cert, time_t at, char *err,
		     size_t errlen);

/* PEM text of a certificate; caller frees with OPENSSL_free.  NULL on
 * failure. */
char *gw_pki_cert_pem(X509 *cert, size_t *len);
X509 *gw_pki_cert_from_pem(const char *pem, size_t len);
X509_REQ *gw_pki_csr_from_pem(const char *pem, size_t len);
char *gw_pki_csr_pem(X509_REQ *csr, size_t *len);

/* Revocation and CRLs ------------------------------------------------ */

/*
 * Revokes the merchant certificate with hex @serial, or when @serial is
 * NULL every valid certificate of @merchant_id (give exactly one), for
 * @reason (an RFC 5280 CRLReason name such as "keyCompromise"; NULL:
 * unspecified).  Marks the index.txt entries R with the time and reason,
 * then republishes crl.pem with the next crlNumber and the period of the
 * current list.  Returns how many certificates were revoked (1 or more),
 * or -EINVAL (bad argument or reason), -ENOENT (no such certificate),
 * -EALREADY (already revoked) or another negative errno, with a message
 * in @err.  Should publishing fail, the revocation stays recorded in
 * index.txt and the next gw_pki_crl lists it.
 */
int gw_pki_revoke(const char *dir, const char *serial, const char *merchant_id,
		  const char *reason, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Revokes the issuing CA itself in the root's list (root-index.txt,
 * root-crl.pem); every merchant certificate then fails verification.  For
 * tests and emergencies.  0 or a negative errno (-EALREADY when done). */
int gw_pki_revoke_issuing(const char *dir, const char *reason, char *err,
			  size_t errlen) __attribute__((warn_unused_result));

/* Republishes crl.pem and root-crl.pem with fresh dates, valid for
 * @seconds (0: the period of the current lists, a week at first).  The
 * operator runs it on a schedule well inside the period.  0 or a
 * negative errno. */
int gw_pki_crl(const char *dir, long seconds, char *err, size_t errlen);

/*
 * The store that judges merchant certificates: root.crt the only trust
 * anchor, issuing.crt an intermediate, crl.pem and root-crl.pem loaded,
 * CRLs checked on every certificate of the chain, strict X.509, purpose
 * sslclient.  NULL with a message when a file is missing or unreadable.
 * The caller owns it (X509_STORE_free, or SSL_CTX_set_cert_store which
 * takes it); a new store is needed to see a republished CRL.
 */
X509_STORE *gw_pki_store(const char *dir, char *err, size_t errlen);

/*
 * Verifies @cert (with @chain as extra untrusted certificates, may be
 * NULL) against @store at Unix time @at (0: now): chain, validity, CRLs,
 * key usage digitalSignature, extended key usage clientAuth, and when
 * @merchant_id is not NULL, that the certificate is that merchant's.
 * 0, -EACCES with the reason in @err, or -EINVAL for missing arguments.
 */
int gw_pki_verify_peer(X509_STORE *store, X509 *cert, STACK_OF(X509) * chain,
		       time_t at, const char *merchant_id, char *err,
		       size_t errlen) __attribute__((warn_unused_result));

/* gw_pki_verify_at with the store of @dir, refusing also a certificate
 * whose merchant id (URI SAN and CN) is not @merchant_id. */
int gw_pki_verify_merchant(const char *dir, X509 *cert, const char *merchant_id,
			   time_t at, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Renewal ------------------------------------------------------------ */

/*
 * A new certificate for the merchant of @current, which must verify under
 * @dir and be listed valid in index.txt, from @csr (signature verified,
 * P-256, CN equal to the merchant id), valid @seconds from now.  The old
 * certificate stays valid until it expires.  The caller owns both inputs
 * and the result; NULL with a message in @err.
 */
X509 *gw_pki_renew(const char *dir, X509 *current, X509_REQ *csr, long seconds,
		   char *err, size_t errlen);

/* 1 when @cert expires at or before @now + @window_seconds (@now 0: the
 * current time), 0 when later, -EINVAL on bad input. */
int gw_pki_renewal_due(X509 *cert, long window_seconds, time_t now);

/* Package signing ---------------------------------------------------- */

#define GW_PKI_PKG_NAME_MAX 64
#define GW_PKI_VERSION_MAX  39

/* gw_pki_verify_package's refusals, one errno per rule. */
#define GW_PKI_PKG_BADSIG  (-EKEYREJECTED) /* signature or chain */
#define GW_PKI_PKG_SIGNER  (-EPERM)	   /* signer lacks codeSigning */
#define GW_PKI_PKG_FORMAT  (-EBADMSG)	   /* not a CMS manifest */
#define GW_PKI_PKG_FILE	   (-EILSEQ)	   /* size or sha256 differ */
#define GW_PKI_PKG_NAME	   (-ENOMSG)	   /* another package */
#define GW_PKI_PKG_VERSION (-ESRCH)	   /* another version */
#define GW_PKI_PKG_OLD	   (-ESTALE)	   /* not newer than running */

/* What a signed manifest says, and who signed it. */
struct gw_pki_manifest {
	char name[GW_PKI_PKG_NAME_MAX + 1];
	char version[GW_PKI_VERSION_MAX + 1];
	uint64_t size;
	char sha256[65]; /* lower-case hex */
	char signer[65]; /* the signing certificate's CN */
};

/*
 * Compares dotted versions of one to four decimal numbers ("1.10.2"),
 * missing parts counting as 0, into *@cmp (-1, 0 or 1).  0, or -EINVAL
 * when either is not such a version.
 */
int gw_pki_version_cmp(const char *a, const char *b, int *cmp);

/*
 * Signs a manifest of @file (name, version, size, SHA-256) with
 * codesign.key of @dir: CMS SignedData, SHA-256, content attached, the
 * code-signing and issuing CA certificates included, PEM.  Writes it to
 * @out_path (NULL: "<file>.sig"), replacing it.  0 or a negative errno
 * with a message in @err.
 */
int gw_pki_sign_package(const char *dir, const char *file, const char *name,
			const char *version, const char *out_path, char *err,
			size_t errlen);

/*
 * Checks @file against the signed manifest at @manifest_path: the
 * signature verifies to the root in @root_crt_path through a signer
 * whose certificate has extended key usage codeSigning; the file's size
 * and SHA-256 are the manifest's; name and version are @expected_name
 * and @expected_version; the version is strictly newer than
 * @running_version.  A NULL expectation skips its check (the command
 * line's choice; an installer passes all three).  0, or one of
 * GW_PKI_PKG_* (-ENOENT for unreadable files, -EINVAL for bad arguments)
 * with the reason in @err.
 */
int gw_pki_verify_package(const char *root_crt_path, const char *file,
			  const char *manifest_path, const char *expected_name,
			  const char *expected_version,
			  const char *running_version, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* As gw_pki_verify_package, also filling @out (may be NULL) once the
 * signature verified. */
int gw_pki_verify_package_info(
    const char *root_crt_path, const char *file, const char *manifest_path,
    const char *expected_name, const char *expected_version,
    const char *running_version, struct gw_pki_manifest *out, char *err,
    size_t errlen) __attribute__((warn_unused_result));

#endif
