/*
 * Server-side TLS for link 1.  Every handshake runs the full chain,
 * validity, key usage and revocation checks of gw_pki_store, with the
 * revocation lists as they are on disk: a republished list is picked up
 * by the next handshake.  Session resumption is off so that a revoked
 * merchant cannot come back on an old ticket.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

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

/* What identifies one version of a CRL file: both are replaced by an
 * atomic rename, so a new inode or modification time means new contents. */
struct mark {
	dev_t dev;
	ino_t ino;
	struct timespec mtim;
	int missing;
};

/* The store that new handshakes verify client certificates against.
 * Connections hold their own reference, so swapping it never pulls one
 * from under a handshake in progress. */
static struct {
	pthread_mutex_t lock;
	X509_STORE *store;
	struct mark marks[2];
} trust = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void mark_of(const char *dir, const char *name, struct mark *m)
{
	char path[PATH_MAX];
	struct stat st;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st)) {
		m->missing = 1;
		return;
	}
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->mtim = st.st_mtim;
}

static int mark_eq(const struct mark *a, const struct mark *b)
{
	return a->missing == b->missing && a->dev == b->dev &&
	       a->ino == b->ino && a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec;
}

/* The store for a directory whose crl.pem or root-crl.pem was removed:
 * the chain still builds but no list is loaded, so every client
 * certificate is refused as "unable to get certificate CRL". */
static X509_STORE *closed_store(const char *dir)
{
	static const char *const certs[] = {"root.crt", "issuing.crt"};
	X509_STORE *store = X509_STORE_new();
	char path[PATH_MAX];
	size_t i;
	X509 *x;

	if (!store)
		return NULL;
	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, certs[i]);
		x = gw_pki_read_cert(path);
		/* An unreadable certificate refuses too, for another
		 * reason. */
		if (x)
			X509_STORE_add_cert(store, x);
		X509_free(x);
	}
	if (!X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
					     X509_V_FLAG_CRL_CHECK_ALL) ||
	    !X509_STORE_set_purpose(store, X509_PURPOSE_SSL_CLIENT)) {
		X509_STORE_free(store);
		return NULL;
	}
	ERR_clear_error();
	return store;
}

int gw_tls_refresh(const char *dir, char *err, size_t errlen)
{
	struct mark now[2];
	X509_STORE *store;
	int ret = 0;

	mark_of(dir, "crl.pem", &now[0]);
	mark_of(dir, "root-crl.pem", &now[1]);
	pthread_mutex_lock(&trust.lock);
	if (trust.store && mark_eq(&now[0], &trust.marks[0]) &&
	    mark_eq(&now[1], &trust.marks[1]))
		goto out;
	/* The marks are taken before reading, so a list replaced while the
	 * store is built is read again on the next look. */
	memcpy(trust.marks, now, sizeof(now));
	store = gw_pki_store(dir, err, errlen);
	if (store && trust.store)
		log_info(
		    "revocation lists of %s changed: new handshakes use them",
		    dir);
	if (!store && trust.store && (now[0].missing || now[1].missing)) {
		/* Publication replaces a list by an atomic rename, so a
		 * missing one was removed on purpose.  The previous lists
		 * would go on letting in whatever was revoked since; without
		 * a list no certificate can be judged, and none is let in
		 * until gw-pki crl publishes it again.  At start there is no
		 * previous store, and gw-control refuses to run instead. */
		store = closed_store(dir);
		if (store)
			log_err(
			    "%s: every client certificate is refused until the list is published again",
			    err);
	}
	if (!store) {
		/* The previous store, with the previous lists, stays in use:
		 * refusing every merchant over a damaged file would be
		 * worse.  Whichever thread saw the change first says so,
		 * once: the marks are already taken, so the next look finds
		 * nothing new.  At start the caller reports @err itself. */
		if (trust.store)
			log_err(
			    "revocation lists of %s changed but cannot be loaded, the previous ones stay in force: %s",
			    dir, err);
		ret = -EINVAL;
		goto out;
	}
	X509_STORE_free(trust.store);
	trust.store = store;
out:
	pthread_mutex_unlock(&trust.lock);
	return ret;
}

int gw_tls_attach(SSL *ssl)
{
	int ok;

	pthread_mutex_lock(&trust.lock);
	ok = trust.store && SSL_set1_verify_cert_store(ssl, trust.store);
	pthread_mutex_unlock(&trust.lock);
	return ok ? 0 : -EIO;
}

/* The root as the CA named in the certificate request, and the store of
 * gw_pki_store as the context's default. */
static int load_trust(SSL_CTX *ctx, const char *dir, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) * names;
	char path[PATH_MAX];

	if (gw_tls_refresh(dir, err, errlen))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/root.crt", dir);
	names = SSL_load_client_CA_file(path);
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	pthread_mutex_lock(&trust.lock);
	SSL_CTX_set1_cert_store(ctx, trust.store);
	pthread_mutex_unlock(&trust.lock);
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
