/*
 * What the ledger's index (ledger.c) and its transaction rules
 * (ledger_ops.c) share: the entry kept per transaction and the rule table.
 * Not for use outside the ledger.
 */
#ifndef GW_DP_LEDGER_INT_H
#define GW_DP_LEDGER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"

/* What a transaction still allows.  Changes only under its stripe lock. */
enum kind {
	K_NONE = 0,	 /* declined, reversal, refund, or fully reversed */
	K_AUTH,		 /* approved authorization not yet captured */
	K_AUTH_CAPTURED, /* captured by a separate capture */
	K_CAPTURE, /* holds a capture: capture, or auth captured at once */
};

struct entry {
	/* Written before the entry is published, read-only after. */
	char merchant[GW_MERCHANT_ID_MAX]; /* NUL padded */
	uint64_t txn_id;
	uint64_t hash; /* of (merchant, txn_id); picks the stripe */
	uint64_t t_ns;
	uint64_t amount;
	uint64_t orig_ref;
	uint32_t digest;
	uint16_t flags; /* without GW_FLAG_RETRANSMIT */
	uint16_t currency;
	uint8_t type;
	uint8_t token[GW_CARD_TOKEN_LEN];
	struct gw_resp resp;
	/* Under the stripe lock of this entry's hash. */
	struct gw_credit_line *line; /* card whose open-to-buy it holds */
	uint8_t kind;		     /* enum kind */
	uint64_t capturable;
	uint64_t captured;
	uint64_t refunded;
};

struct verdict {
	uint8_t code;
	uint64_t amount;
	uint64_t balance;
};

/*
 * Per request type: check decides from the request and the original
 * (NULL when unknown) and may debit the card (authorizations do, in one
 * atomic step); settle applies an approval's effects on the entries and
 * the cards and returns the balance.  Replay calls settle alone with the
 * journaled amount.  Both run with the stripes of @n and @orig held.
 */
struct ledger_op {
	void (*check)(struct entry *n, const struct entry *orig,
		      const struct gw_ledger_in *in, struct verdict *v);
	uint64_t (*settle)(struct entry *n, struct entry *orig,
			   uint64_t amount);
};

/* Indexed by enum gw_msg_type; NULL check for types without state. */
extern const struct ledger_op gw_ledger_ops[GW_MSG_ECHO + 1];

static inline bool approved(uint8_t code)
{
	return code == GW_RC_APPROVED || code == GW_RC_PARTIAL;
}

#endif
