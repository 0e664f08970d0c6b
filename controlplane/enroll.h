/*
 * ENROLL: a merchant without a certificate trades its one-time enrollment
 * secret and a CSR for a certificate from the issuing CA.  The CA itself is
 * gw_pki's; the secret store is store.c's.
 */
#ifndef GW_CTL_ENROLL_H
#define GW_CTL_ENROLL_H

#include "ctl.h"
#include "gw_link.h"

/* ENROLL <merchant-id> <secret> <len> + CSR PEM.  0 once answered, or
 * -EIO when the answer could not be written. */
int gw_enroll_handle(struct gw_conn *c, struct gw_link_msg *m);

#endif
