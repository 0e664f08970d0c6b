/*
 * RENEW.  The connection's verified client certificate is the proof of
 * identity; the new certificate carries the same merchant id, so a
 * merchant can never renew into another one's name.
 */
#include <errno.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "enroll.h"
#include "gw_pki.h"
#include "log.h"
#include "renew.h"
#include "sigstore.h"

/* Settles the merchant's CERT_RENEW signals, whichever serial they
 * named: any renewal answers them. */
static void settle(struct gw_conn *c)
{
	redisContext *rc = gw_conn_redis(c);
	int n;

	n = rc ? gw_sigstore_settle(rc, c->merchant, GW_SIG_CERT_RENEW, NULL)
	       : -EIO;
	if (n < 0)
		log_err("conn %lu: merchant %s: settling CERT_RENEW failed",
			c->number, c->merchant);
}

int gw_renew_handle(struct gw_conn *c, struct gw_link_msg *m)
{
	X509 *current = SSL_get0_peer_certificate(c->ssl);
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	char err[256];
	int ret;

	if (!m->payload || m->payload_len == 0 ||
	    !(csr = gw_pki_csr_from_pem(m->payload, m->payload_len))) {
		log_warn("conn %lu: merchant %s: RENEW without a PEM CSR",
			 c->number, c->merchant);
		return gw_conn_fail(c, 400,
				    "bad CSR: not a PEM certificate request");
	}
	gw_enroll_lock();
	cert = gw_pki_renew(c->cfg->pki_dir, current, csr, c->cfg->cert_seconds,
			    err, sizeof(err));
	gw_enroll_unlock();
	if (!cert) {
		log_warn("conn %lu: renewal for merchant %s refused: %s",
			 c->number, c->merchant, err);
		ret = gw_conn_fail(c, 403, err);
		goto out;
	}
	ret = gw_enroll_answer(c, cert);
	log_info("conn %lu: merchant %s renewed, certificate serial %ld",
		 c->number, c->merchant,
		 ASN1_INTEGER_get(X509_get0_serialNumber(cert)));
	settle(c);
	gw_enroll_issued(c, c->merchant, cert);
out:
	X509_free(cert);
	X509_REQ_free(csr);
	return ret;
}
