/*
 * Server-side TLS for link 1.  Every handshake runs the full chain,
 * validity, key usage and revocation checks: session resumption is off so
 * that a revoked merchant cannot come back on an old ticket.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "gw_pki.h"
#include "gw_sessrec.h"
#include "log.h"
#include "tls.h"

/* The OpenSSL error queue's oldest entry as text, or @fallback. */
static const char *ssl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : fallback;
}

static int load_chain(SSL_CTX *ctx, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	X509 *x;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/chain.pem", dir);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s", path);
		return -ENOENT;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		/* add0 takes the reference on success only. */
		if (!SSL_CTX_add0_chain_cert(ctx, x)) {
			X509_free(x);
			fclose(f);
			snprintf(err, errlen, "bad chain.pem");
			return -EINVAL;
		}
		n++;
	}
	fclose(f);
	ERR_clear_error(); /* end of file reads as an error */
	if (n == 0) {
		snprintf(err, errlen, "%s holds no certificate", path);
		return -EINVAL;
	}
	return 0;
}

static int load_trust(SSL_CTX *ctx, const char *dir, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME) * names;
	char path[PATH_MAX];
	X509_CRL *crl;
	X509 *issuing;
	FILE *f;

	snprintf(path, sizeof(path), "%s/root.crt", dir);
	if (!SSL_CTX_load_verify_file(ctx, path)) {
		snprintf(err, errlen, "cannot load %s: %s", path,
			 ssl_reason("unreadable"));
		return -EINVAL;
	}
	names = SSL_load_client_CA_file(path);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	/* The issuing CA joins the store so that merchants may send their
	 * leaf alone; without X509_V_FLAG_PARTIAL_CHAIN it is only an
	 * intermediate, the root stays the one trust anchor. */
	snprintf(path, sizeof(path), "%s/issuing.crt", dir);
	issuing = gw_pki_read_cert(path);
	if (!issuing || !X509_STORE_add_cert(store, issuing)) {
		X509_free(issuing);
		snprintf(err, errlen, "cannot load %s", path);
		return -EINVAL;
	}
	X509_free(issuing);

	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	f = fopen(path, "r");
	if (!f) {
		/* Without a CRL, revoked merchants would still get in; say so
		 * loudly rather than refuse every merchant. */
		log_warn("no %s: revoked merchant certificates are accepted",
			 path);
		return 0;
	}
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (!crl || !X509_STORE_add_crl(store, crl)) {
		X509_CRL_free(crl);
		snprintf(err, errlen, "cannot load %s", path);
		return -EINVAL;
	}
	X509_CRL_free(crl);
	/* The CRL is read once, at start: a merchant revoked later keeps
	 * getting in until gw-control restarts.  Reloading it would need a
	 * fresh store swapped in between handshakes. */
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	return 0;
}

SSL_CTX *gw_tls_server_ctx(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)) {
		snprintf(err, errlen, "TLS 1.3 unavailable");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/server.crt", dir);
	if (SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "cannot load %s: %s", path,
			 ssl_reason("unreadable"));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/server.key", dir);
	if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "cannot load %s: %s", path,
			 ssl_reason("does not match server.crt"));
		goto fail;
	}
	if (load_chain(ctx, dir, err, errlen) ||
	    load_trust(ctx, dir, err, errlen))
		goto fail;
	/* Peer verification without FAIL_IF_NO_PEER_CERT: a merchant that
	 * has no certificate yet may still connect to ENROLL, but one that
	 * presents a certificate failing verification is refused in the
	 * handshake. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int gw_tls_peer_merchant(SSL *ssl, char *out, size_t outlen)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);

	if (!cert)
		return -ENOENT;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return -EACCES;
	if (gw_pki_merchant_id(cert, out, outlen) ||
	    gw_merchant_id_check(out)) {
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}
