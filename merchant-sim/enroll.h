/*
 * The merchant's side of link 1: enrollment with a CSR (certificate and
 * key kept in the state directory) and opening a data-plane session with
 * the client certificate.  Connections are tls.c's; what the session is
 * used for is traffic.c's.
 */
#ifndef SIM_ENROLL_H
#define SIM_ENROLL_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "ident.h"
#include "opts.h"
#include "session.h"

/*
 * Makes sure DIR/<id>.crt and DIR/<id>.key exist, enrolling with the
 * secret when they do not.  0, -EACCES when the gateway refused (its ERR
 * line is in @err), or another negative errno with @err set.
 */
int sim_enroll(SSL_CTX *ctx, const struct sim_opts *o,
	       const struct sim_ident *who, char *err, size_t errlen);

/*
 * Opens @n sessions for @who over one connection with its certificate
 * and fills sid, keys, dp and id of m[0..n).  The session secrets are
 * wiped before returning.  0 or a negative errno with @err set.
 */
int sim_session_open(SSL_CTX *ctx, const struct sim_opts *o,
		     const struct sim_ident *who, struct sim_merchant *m,
		     unsigned n, char *err, size_t errlen);

#endif
