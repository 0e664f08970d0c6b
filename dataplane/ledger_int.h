/*
 * What the parts of the ledger share: the entry kept per transaction, the
 * ledger's layout and locks, the index functions (ledger_index.c) and the
 * rule table (ledger_ops.c).  Not for use outside the ledger.
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

#define GW_LEDGER_WORKERS    GW_LEDGER_WORKERS_MAX
#define GW_LEDGER_CACHE_LINE 64

/*
 * Locking.  An entry's mutable state is guarded by one of 256 spinlocks
 * chosen by the hash of its (merchant, txn id) key; a request holds the
 * stripe of its own key and, for a follow-up, the original's, taken in
 * index order.  Uncontended, that is one or two atomic exchanges on lines
 * that usually sit in another core's cache (some tens of nanoseconds
 * each).  Two workers wait for each other only when their keys share a
 * stripe, one chance in 256 per pair of concurrent requests, and then for
 * the length of one decision.  Lookups take no lock: entries are written
 * in full before an index slot is set to them with release order, and
 * their keys never change.
 */
struct stripe {
	uint32_t held;
} __attribute__((aligned(GW_LEDGER_CACHE_LINE)));

/* Per worker, so that minting a reference touches no shared line. */
struct refgen {
	uint64_t epoch;
	uint32_t counter;
} __attribute__((aligned(GW_LEDGER_CACHE_LINE)));

/*
 * Capacity is fixed at start and entries are never reused: when it is
 * exhausted every new transaction is refused with 96 until a restart.
 * Recycling entries older than the duplicate window with nothing left
 * open would remove that limit; it is not done yet, so the capacity must
 * cover the transactions of the appliance's whole uptime.
 */
struct gw_ledger {
	struct stripe stripes[GW_LEDGER_STRIPES];
	struct refgen gens[GW_LEDGER_WORKERS];
	struct entry *entries;
	size_t capacity;
	size_t used;	  /* atomic; may pass capacity when full */
	uint32_t *by_key; /* entry index + 1, 0 empty */
	uint32_t *by_ref;
	size_t mask; /* index size - 1 */
	uint64_t window_ns;
	uint64_t last_epoch;				    /* atomic */
	uint64_t duplicates, conflicts, full, replay_short; /* atomic */
};

/* ledger_index.c.  Lookups need no lock; publish needs the stripe of the
 * new entry's key. */
uint64_t gw_ledger_key_hash(const char m[GW_MERCHANT_ID_MAX], uint64_t txn);
struct entry *gw_ledger_find_key(struct gw_ledger *l,
				 const char m[GW_MERCHANT_ID_MAX], uint64_t txn,
				 uint64_t hash);
struct entry *gw_ledger_find_ref(struct gw_ledger *l, uint64_t ref);
struct entry *gw_ledger_alloc(struct gw_ledger *l, uint32_t *idx);
void gw_ledger_publish(struct gw_ledger *l, uint32_t idx);
uint64_t gw_ledger_next_ref(struct gw_ledger *l, uint8_t worker,
			    uint64_t now_s);
/* Single-threaded, during replay. */
void gw_ledger_replay_epoch(struct gw_ledger *l, uint64_t ref);

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
