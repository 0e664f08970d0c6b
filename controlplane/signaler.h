/*
 * The signal thread of gw-control serve: sends pending link-2 signals and
 * repeats them with backoff until answered or given up, queues
 * CERT_RENEW when a merchant's certificate falls due, and keeps the TLS
 * verification store in step with the revocation lists.  What is pending
 * is sigstore.c's; the datagram is gw_signal's.
 */
#ifndef GW_CTL_SIGNALER_H
#define GW_CTL_SIGNALER_H

#include <signal.h>

#include "ctl.h"

struct gw_signaler;

/* Starts the thread; it runs until *@stop becomes non-zero.  NULL when it
 * cannot start. */
struct gw_signaler *gw_signaler_start(const struct gw_ctl_config *cfg,
				      volatile sig_atomic_t *stop);

/* Waits for the thread to end (after *stop was set) and frees it. */
void gw_signaler_join(struct gw_signaler *s);

#endif
