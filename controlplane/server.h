/*
 * The link-1 listener: accepts TCP connections, bounds how many run at
 * once and how long a silent peer may hold one, and gives each a thread
 * running gw_conn_run.  TLS settings are tls.c's.
 */
#ifndef GW_CTL_SERVER_H
#define GW_CTL_SERVER_H

#include <signal.h>

#include <openssl/ssl.h>

#include "ctl.h"

#define GW_SERVER_MAX_CONNS  256
#define GW_SERVER_IO_TIMEOUT 10 /* seconds per read or write */

/*
 * Listens on cfg->listen and serves until *@stop becomes non-zero, then
 * closes every open connection and waits for their threads.  0, or a
 * negative errno when the listener cannot be set up.
 */
int gw_server_run(const struct gw_ctl_config *cfg, SSL_CTX *ctx,
		  volatile sig_atomic_t *stop);

#endif
