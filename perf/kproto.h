/*
 * The kernel baseline's per-request work, the same steps as the data
 * plane's protocol path but one datagram at a time and with OpenSSL EVP
 * initialised per message, as a typical socket server does it.  Sockets
 * and batching are kernel_server.c's.
 */
#ifndef GW_PERF_KPROTO_H
#define GW_PERF_KPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "gw_card.h"
#include "gw_credit.h"
#include "gw_decide.h"
#include "kstore.h"

enum gw_kdrop {
	GW_KDROP_WIRE,
	GW_KDROP_UNKNOWN_SESSION,
	GW_KDROP_REVOKED_SESSION,
	GW_KDROP_EXPIRED_SESSION,
	GW_KDROP_REPLAY,
	GW_KDROP_BAD_TAG,
	GW_KDROP_CRYPTO,
	GW_KDROP_MAX,
};

struct gw_kstats {
	uint64_t requests;  /* authenticated and accepted by the window */
	uint64_t responses; /* sealed and handed to the socket */
	uint64_t drops[GW_KDROP_MAX];
};

struct gw_kproto;

/*
 * A handler over the caller's tables, which must outlive it.  NULL when
 * OpenSSL cannot provide AES-256-GCM.
 */
struct gw_kproto *gw_kproto_new(struct gw_kstore *sessions,
				const struct gw_card_tokenizer *tk,
				const struct gw_credit_table *credit,
				uint64_t referral_amount);
void gw_kproto_free(struct gw_kproto *c);

/* Sets the wall clock (Unix seconds) and the month for the expiry rule. */
void gw_kproto_clock(struct gw_kproto *c, uint64_t now, uint16_t yymm);

/*
 * Handles the datagram of @len bytes at @pkt, which has @room writable
 * bytes.  Returns the length of the response written over it, or 0 when
 * the datagram was dropped (and counted).
 */
size_t gw_kproto_handle(struct gw_kproto *c, uint8_t *pkt, size_t len,
			size_t room);

const struct gw_kstats *gw_kproto_stats(const struct gw_kproto *c);

#endif
