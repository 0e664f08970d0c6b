/*
 * What the serve command's parts share: the settings read at start and the
 * state of one link-1 connection.  Settings are filled by main.c before
 * the first connection and read-only afterwards.
 */
#ifndef GW_CTL_H
#define GW_CTL_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>

#include "gw_kdf.h"
#include "gw_sessrec.h"

struct gw_ctl_config {
	const char *pki_dir;
	const char *redis_path;
	const char *listen;
	const char *dataplane; /* handed to merchants as is */
	uint64_t session_ttl;  /* seconds */
	long cert_seconds;
	const char *packages_dir; /* NULL: FETCH finds nothing */
	long renew_window;	  /* seconds before notAfter */
	uint64_t signal_retry_ms; /* first retry delay, doubling */
	unsigned signal_max_tries;
	/* gw_kdf_subkey(master, "session-wrap"); the master key itself is
	 * wiped once this is derived. */
	uint8_t wrap_key[GW_SECRET_LEN];
	char *issuing_pem; /* appended to every issued certificate */
	size_t issuing_pem_len;
};

/* One link-1 connection, owned by its thread. */
struct gw_conn {
	const struct gw_ctl_config *cfg;
	SSL *ssl;
	redisContext *redis;
	unsigned long number; /* for logs */
	char peer[64];	      /* printable peer address, for logs */
	/* Set from a verified client certificate, else empty. */
	char merchant[GW_MERCHANT_ID_MAX + 1];
};

#endif
