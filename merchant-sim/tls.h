/*
 * TLS 1.3 client side of link 1: contexts, verified connections and the
 * reading of an answer (OK or ERR).  Framing is gw_link.h's.
 */
#ifndef SIM_TLS_H
#define SIM_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "gw_link.h"
#include "opts.h"

/* A TLS 1.3 client context trusting only @ca.  NULL with @err set. */
SSL_CTX *sim_tls_ctx(const char *ca, char *err, size_t errlen);

/*
 * A verified connection to o->host:o->port, presenting the certificate
 * chain in @crt and the key in @key when @crt is not NULL.  NULL with
 * @err set.  Close with sim_tls_close.
 */
SSL *sim_tls_open(SSL_CTX *ctx, const struct sim_opts *o, const char *crt,
		  const char *key, char *err, size_t errlen);
void sim_tls_close(SSL *ssl);

/*
 * Reads the answer to @verb: 0 with an OK in @m (the caller clears it),
 * -EACCES with the gateway's ERR line, made printable, in @err, or
 * another negative errno.
 */
int sim_tls_answer(SSL *ssl, struct gw_link_msg *m, const char *verb,
		   const struct sim_opts *o, char *err, size_t errlen);

#endif
