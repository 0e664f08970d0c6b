/*
 * ENROLL: a merchant without a certificate trades its one-time enrollment
 * secret and a CSR for a certificate from the issuing CA.  The CA itself is
 * gw_pki's; the secret store is store.c's.
 */
#ifndef GW_CTL_ENROLL_H
#define GW_CTL_ENROLL_H

#include <openssl/x509.h>

#include "ctl.h"
#include "gw_link.h"

/* ENROLL <merchant-id> <secret> <len> + CSR PEM.  0 once answered, or
 * -EIO when the answer could not be written. */
int gw_enroll_handle(struct gw_conn *c, struct gw_link_msg *m);

/* Serialises changes to the PKI directory's serial and index files among
 * this process's threads (other processes are kept out by gw_pki's own
 * file lock). */
void gw_enroll_lock(void);
void gw_enroll_unlock(void);

/* Answers "OK" with @cert and the issuing CA.  0 or -EIO. */
int gw_enroll_answer(struct gw_conn *c, X509 *cert);

/* What follows an issuance (ENROLL or RENEW): @cert becomes merchant
 * @id's current one for renewal signals, and SOFTWARE_AVAILABLE goes out
 * if @id runs outdated software.  Failures are logged only. */
void gw_enroll_issued(struct gw_conn *c, const char *id, X509 *cert);

#endif
