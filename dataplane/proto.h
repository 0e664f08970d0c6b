/*
 * The authorization protocol on a burst of datagrams: header checks,
 * session and anti-replay checks, burst decryption, the card work, the
 * ledger's decision, the group commit of the burst's journal records, and
 * the sealed responses written over the requests.  Frames and mbufs stay
 * the worker's; the transaction rules are ledger.h's.
 */
#ifndef GW_DP_PROTO_H
#define GW_DP_PROTO_H

#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "gw_card.h"
#include "gw_credit.h"
#include "gw_decide.h"
#include "journal.h"
#include "ledger.h"
#include "sessions.h"
#include "stats.h"

#define GW_PROTO_BURST_MAX 32

/* One worker's protocol state.  Only the ledger is shared for writing. */
struct gw_proto_ctx {
	struct gw_sessions *sessions;
	const struct gw_card_tokenizer *tk;
	const struct gw_credit_table *credit;
	struct gw_ledger *ledger;   /* shared by every worker */
	struct gw_journal *journal; /* this worker's own */
	struct gw_policy policy;
	struct gw_lcore_stats *st;
	IMB_MGR *mgr;
	uint64_t now;	  /* Unix seconds, refreshed by the worker per burst */
	uint64_t now_ns;  /* the same instant in nanoseconds */
	uint64_t mono_ns; /* monotonic clock for the journal's sync interval */
	uint8_t worker;	  /* index of the worker, in references and records */
	/* The first journal error, 0 while there is none.  Once set, the
	 * worker answers nothing more: the main lcore reads it and stops the
	 * process. */
	int journal_err;
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
 * has its response written over it and resp_len set, and every decision
 * among them is in the journal (written, and synced as the policy says)
 * before this returns.  Every other one was dropped and counted.  When
 * the journal fails, nothing of the burst is answered and c->journal_err
 * is set.  Returns how many are answered.
 */
unsigned gw_proto_burst(struct gw_proto_ctx *c, struct gw_proto_pkt *p,
			unsigned n);

#endif
