/*
 * ENROLL.  Everything that can be checked without the secret is checked
 * before it: a malformed request must not burn a merchant's one-time
 * secret.  If issuance still fails after the secret was taken, the secret
 * is put back so that the merchant can retry.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "conn.h"
#include "enroll.h"
#include "gw_pki.h"
#include "gw_util.h"
#include "log.h"
#include "merchants.h"
#include "sigstore.h"
#include "store.h"

/* gw_pki_issue_merchant updates the serial file and index.txt in place;
 * one issuance at a time keeps them consistent. */
static pthread_mutex_t issue_lock = PTHREAD_MUTEX_INITIALIZER;

static int cn_matches(X509_REQ *csr, const char *id)
{
	X509_NAME *name = X509_REQ_get_subject_name(csr);
	const ASN1_STRING *cn;
	int i;

	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return 0;
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return (size_t)ASN1_STRING_length(cn) == strlen(id) &&
	       memcmp(ASN1_STRING_get0_data(cn), id, strlen(id)) == 0;
}

static int key_is_p256(EVP_PKEY *key)
{
	char group[32];

	return EVP_PKEY_is_a(key, "EC") &&
	       EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) &&
	       strcmp(group, "prime256v1") == 0;
}

/* The CSR in @m, or NULL with the reason in @why. */
static X509_REQ *check_csr(const struct gw_link_msg *m, const char *id,
			   const char **why)
{
	X509_REQ *csr;
	EVP_PKEY *key;

	if (!m->payload || m->payload_len == 0) {
		*why = "empty";
		return NULL;
	}
	csr = gw_pki_csr_from_pem(m->payload, m->payload_len);
	if (!csr) {
		*why = "not a PEM certificate request";
		return NULL;
	}
	key = X509_REQ_get0_pubkey(csr);
	if (!key)
		*why = "no public key";
	else if (X509_REQ_verify(csr, key) != 1)
		*why = "signature does not verify";
	else if (!key_is_p256(key))
		*why = "key is not ECDSA P-256";
	else if (!cn_matches(csr, id))
		*why = "subject CN differs from merchant id";
	else
		return csr;
	X509_REQ_free(csr);
	return NULL;
}

void gw_enroll_lock(void)
{
	pthread_mutex_lock(&issue_lock);
}

void gw_enroll_unlock(void)
{
	pthread_mutex_unlock(&issue_lock);
}

/* Certificate then issuing CA, as one malloc'd PEM text. */
static char *answer_pem(struct gw_conn *c, X509 *cert, size_t *len)
{
	size_t certlen;
	char *pem;
	char *out;

	pem = gw_pki_cert_pem(cert, &certlen);
	if (!pem)
		return NULL;
	out = malloc(certlen + c->cfg->issuing_pem_len);
	if (out) {
		memcpy(out, pem, certlen);
		memcpy(out + certlen, c->cfg->issuing_pem,
		       c->cfg->issuing_pem_len);
		*len = certlen + c->cfg->issuing_pem_len;
	}
	OPENSSL_free(pem);
	return out;
}

int gw_enroll_answer(struct gw_conn *c, X509 *cert)
{
	size_t len = 0;
	char *pem;
	int ret;

	pem = answer_pem(c, cert, &len);
	if (!pem)
		return gw_conn_fail(c, 500, "internal error");
	ret = gw_link_write(c->ssl, "OK", pem, len);
	free(pem);
	return ret;
}

void gw_enroll_issued(struct gw_conn *c, const char *id, X509 *cert)
{
	redisContext *rc = gw_conn_redis(c);
	int n;

	if (!rc || gw_merchants_cert_seen(rc, id, cert) < 0) {
		log_err(
		    "conn %lu: merchant %s: recording its new certificate for renewal signals failed",
		    c->number, id);
		return;
	}
	n = gw_sigstore_offer_newest(rc, id);
	if (n > 0)
		log_info(
		    "conn %lu: merchant %s runs outdated software: SOFTWARE_AVAILABLE queued for %d sessions",
		    c->number, id, n);
	else if (n < 0)
		log_err(
		    "conn %lu: merchant %s: queueing SOFTWARE_AVAILABLE failed",
		    c->number, id);
}

static X509 *issue(struct gw_conn *c, X509_REQ *csr, const char *id)
{
	char err[256];
	X509 *cert;

	pthread_mutex_lock(&issue_lock);
	cert = gw_pki_issue_merchant(c->cfg->pki_dir, csr, id,
				     c->cfg->cert_seconds, err, sizeof(err));
	pthread_mutex_unlock(&issue_lock);
	if (!cert)
		log_err(
		    "conn %lu: issuing a certificate for merchant %s failed: %s",
		    c->number, id, err);
	return cert;
}

/* Takes the merchant's secret.  0 or the answer already written. */
static int consume(struct gw_conn *c, const char *id, const char *hash,
		   int *answered)
{
	redisContext *rc = gw_conn_redis(c);
	int ret;

	*answered = 1;
	if (!rc)
		return gw_conn_fail(c, 500, "enrollment store unavailable");
	ret = gw_store_enroll_consume(rc, id, hash);
	if (ret == -EACCES) {
		log_warn(
		    "conn %lu: enrollment of merchant %s refused: secret unknown or already used",
		    c->number, id);
		return gw_conn_fail(
		    c, 403, "enrollment secret unknown or already used");
	}
	if (ret) {
		log_err("conn %lu: enrollment of merchant %s: Redis failed",
			c->number, id);
		return gw_conn_fail(c, 500, "enrollment store unavailable");
	}
	*answered = 0;
	return 0;
}

int gw_enroll_handle(struct gw_conn *c, struct gw_link_msg *m)
{
	const char *id = m->argv[1];
	char hash[GW_SHA256_HEX];
	char shown[GW_MERCHANT_ID_MAX + 1];
	char reason[128];
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	const char *why;
	char *pem = NULL;
	size_t len = 0;
	int answered;
	int ret;

	if (gw_merchant_id_check(id)) {
		gw_printable(id, strlen(id), shown, sizeof(shown));
		log_warn("conn %lu: enrollment refused: bad merchant id \"%s\"",
			 c->number, shown);
		return gw_conn_fail(c, 400, "bad merchant id");
	}
	csr = check_csr(m, id, &why);
	if (!csr) {
		log_warn(
		    "conn %lu: enrollment of merchant %s refused: bad CSR: %s",
		    c->number, id, why);
		snprintf(reason, sizeof(reason), "bad CSR: %s", why);
		return gw_conn_fail(c, 400, reason);
	}
	ret = gw_store_hash_secret(m->argv[2], hash);
	if (ret) {
		ret = gw_conn_fail(c, 500, "internal error");
		goto out;
	}
	ret = consume(c, id, hash, &answered);
	if (answered)
		goto out;
	cert = issue(c, csr, id);
	if (cert)
		pem = answer_pem(c, cert, &len);
	if (!pem) {
		redisContext *rc = gw_conn_redis(c);

		if (!rc || gw_store_enroll_restore(rc, id, hash))
			log_err(
			    "conn %lu: merchant %s's enrollment secret could not be restored",
			    c->number, id);
		ret = gw_conn_fail(c, 500, "certificate issuance failed");
		goto out;
	}
	ret = gw_link_write(c->ssl, "OK", pem, len);
	log_info("conn %lu: merchant %s enrolled, certificate serial %ld",
		 c->number, id, ASN1_INTEGER_get(X509_get0_serialNumber(cert)));
	gw_enroll_issued(c, id, cert);
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	free(pem);
	X509_free(cert);
	X509_REQ_free(csr);
	return ret;
}
