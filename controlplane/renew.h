/*
 * RENEW: a merchant trades its current certificate (the one it connected
 * with) and a CSR for a new key for a new certificate, and so answers a
 * CERT_RENEW signal.  The checks are gw_pki_renew's.
 */
#ifndef GW_CTL_RENEW_H
#define GW_CTL_RENEW_H

#include "ctl.h"
#include "gw_link.h"

/* RENEW <len> + CSR PEM.  0 once answered, or -EIO. */
int gw_renew_handle(struct gw_conn *c, struct gw_link_msg *m);

#endif
