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

#endif
