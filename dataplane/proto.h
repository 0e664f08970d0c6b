/*
 * The authorization protocol on a burst of datagrams: header checks,
 * session and anti-replay checks, burst decryption, the decision, and the
 * sealed response written over the request.  Frames and mbufs stay the
 * worker's; decisions are gw_decide.h's.
 */
#ifndef GW_DP_PROTO_H
#define GW_DP_PROTO_H

#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "gw_card.h"
#include "gw_credit.h"
#include "gw_decide.h"
#include "ref.h"
#include "sessions.h"
#include "stats.h"

#define GW_PROTO_BURST_MAX 32

/* One worker's protocol state.  Nothing in it is shared for writing. */
struct gw_proto_ctx {
	struct gw_sessions *sessions;
	const struct gw_card_tokenizer *tk;
	const struct gw_credit_table *credit;
	struct gw_policy policy;
	struct gw_ref ref;
	struct gw_lcore_stats *st;
	IMB_MGR *mgr;
	uint64_t now; /* Unix seconds, refreshed by the worker per burst */
	uint64_t log_tsc;
};

/* One datagram: @len bytes at @dgram, with @room bytes writable there. */
struct gw_proto_pkt {
	uint8_t *dgram;
	uint16_t len;
	uint16_t room;
	uint16_t resp_len; /* out: response length, 0 when dropped */
};

/*
 * Handles @n (at most GW_PROTO_BURST_MAX) datagrams.  Each one answered
 * has its response written over it and resp_len set; every other one was
 * dropped and counted, with nothing debited.  Returns how many are
 * answered.
 */
unsigned gw_proto_burst(struct gw_proto_ctx *c, struct gw_proto_pkt *p,
			unsigned n);

#endif
