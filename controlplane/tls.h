/*
 * The TLS side of link 1: the server context built from the PKI directory
 * and the merchant identity of a connection's client certificate.  Sockets
 * and threads are server.c's.
 */
#ifndef GW_CTL_TLS_H
#define GW_CTL_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/*
 * A TLS 1.3-only server context: certificate and key from @dir/server.crt
 * and server.key, chain from chain.pem, client certificates verified by
 * gw_pki_store (root.crt the trust anchor, issuing.crt an intermediate,
 * crl.pem and root-crl.pem checked on every certificate).  A client may
 * connect without a certificate so that it can enroll.  The context or
 * NULL with the reason in @err.
 */
SSL_CTX *gw_tls_server_ctx(const char *dir, char *err, size_t errlen);

/*
 * Rebuilds the verification store from @dir when crl.pem or root-crl.pem
 * changed since the last look; cheap when nothing changed (two stat
 * calls).  Thread-safe.  When a list was removed, the new store refuses
 * every client certificate ("unable to get certificate CRL") until it is
 * published again; that is logged here and returns 0.  Otherwise 0, or
 * -EINVAL with the reason in @err, the previous store staying in use;
 * once a store is in use, such a failure is also logged here, once per
 * change of the files, whichever thread looked first.
 */
int gw_tls_refresh(const char *dir, char *err, size_t errlen);

/* Makes @ssl verify its peer against the current store.  0 or -EIO. */
int gw_tls_attach(SSL *ssl);

/* The merchant id of @ssl's verified client certificate into @out.  0,
 * -ENOENT (no certificate), -EACCES (not verified) or -EINVAL (no merchant
 * id in it). */
__attribute__((warn_unused_result)) int
gw_tls_peer_merchant(SSL *ssl, char *out, size_t outlen);

#endif
