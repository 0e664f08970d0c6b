/*
 * The transaction ledger: every authorization, capture, reversal and
 * refund the data plane has decided, the amounts still open on each, and
 * the duplicate rule over merchants' transaction ids.  Card rules are
 * gw_decide.h's, open-to-buy is gw_credit.h's, durability is journal.h's.
 *
 * Rules for follow-up transactions (orig_ref names the original by its
 * gateway reference; an original of another merchant is treated as
 * unknown, so that its existence is never revealed):
 *
 *   capture  of an approved authorization, once.  Amount 1..capturable.
 *            The part of the authorization not captured is released to the
 *            card at once, since no second capture may follow.
 *   reverse  of an authorization not yet captured: amount 1..capturable,
 *            capturable shrinks and the card is credited.
 *            of a capture (or an authorization captured at once) with no
 *            refund against it yet: amount 1..captured, captured shrinks
 *            and the card is credited.
 *   refund   of a capture (or an authorization captured at once): amount
 *            1..captured minus refunds so far; the card is credited.
 *
 * A reversal with orig_ref 0 names its original by transaction id instead:
 * its txn id is the authorization's own, its amount the one that
 * authorization asked for, and it releases whatever the authorization
 * still holds (capturable, or captured if captured at once and not
 * refunded), answering 00 with that amount.  It is the merchant's way out
 * when an authorization's answer never came.  The original must lie
 * within the duplicate window (else 25); nothing held -> 12; another
 * amount -> 13.  The reversal then holds the id: its repeats get its
 * answer, and a late repeat of the authorization gets 94.
 *
 *   unknown original, or another merchant's          -> 25
 *   original of a kind the operation does not apply to (declined, a
 *   reversal, a refund; capture of a captured authorization; refund of an
 *   uncaptured one; reversal of a capture after a refund; anything on a
 *   fully reversed authorization or capture)         -> 12
 *   amount 0 or above what remains                   -> 13
 *
 * Response balance: for an authorization, capture or reversal of an
 * authorization, what remains capturable; for a reversal of a capture,
 * what remains captured; for a refund, what remains refundable.  A 13
 * carries the balance too, so the merchant learns what it may still ask
 * for; other refusals carry 0.  An echo answers 00 with no reference.
 */
#ifndef GW_DP_LEDGER_H
#define GW_DP_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "gw_credit.h"
#include "gw_decide.h"
#include "gw_wire.h"
#include "journal.h"

#define GW_LEDGER_DUP_WINDOW_DEFAULT 120 /* seconds */
#define GW_LEDGER_STRIPES	     256
#define GW_LEDGER_WORKERS_MAX	     256 /* worker indexes fit in 8 bits */

struct gw_ledger;

/* One decoded request and what the worker already knows about it.  All
 * pointers are the caller's and only read during the call. */
struct gw_ledger_in {
	const char *merchant; /* merchant id of the session, NUL-terminated */
	uint32_t session_id;
	uint64_t now_ns; /* wall clock, ns since the Unix epoch */
	uint8_t worker;	 /* index of the calling worker */
	uint8_t type;	 /* enum gw_msg_type */
	uint16_t flags;	 /* enum gw_msg_flags */
	const struct gw_req *req;
	/* The request's card: its line (NULL if not on file), token and
	 * masked form (both NULL when the request carries no card number),
	 * and gw_card_pan_check's result.  Only authorizations use them for
	 * the decision; follow-ups act on the original's card. */
	struct gw_credit_line *line;
	const uint8_t *token;
	const char *masked;
	int pan_ok;
	const struct gw_policy *policy;
};

struct gw_ledger_stats {
	uint64_t entries;    /* transactions held */
	uint64_t duplicates; /* repeats answered from the cache */
	uint64_t conflicts;  /* reused ids with different content (94) */
	uint64_t full;	     /* refused for lack of room (96) */
	uint64_t
	    replay_short; /* replayed debits the card file could not cover */
};

/*
 * A ledger for @capacity transactions in all, shared by every worker.
 * References minted by it start in epoch @start_s (Unix seconds).  NULL
 * on bad arguments or allocation failure.
 */
struct gw_ledger *gw_ledger_new(size_t capacity, uint32_t dup_window_s,
				uint64_t start_s);
void gw_ledger_free(struct gw_ledger *l);

/*
 * Decides @in and fills @out (the response body, ready to encode).  When
 * the decision must be journaled before @out is sent, fills @rec (seq is
 * left to gw_journal_append) and returns 1; returns 0 when nothing new
 * was decided (an echo, a duplicate answered from the cache, a conflicting
 * reuse of an id, no room) and -EINVAL for a request type it does not
 * know.  Safe to call from several workers at once.
 */
__attribute__((warn_unused_result)) int
gw_ledger_apply(struct gw_ledger *l, const struct gw_ledger_in *in,
		struct gw_resp *out, struct gw_journal_rec *rec);

/*
 * Rebuilds the ledger from one journal record, re-debiting or crediting
 * the card found in @cards by token, so that after a restart open-to-buy,
 * open amounts and the duplicate cache are as they were.  Records must
 * come in gw_journal_replay's order.  Single-threaded: call before the
 * workers start.  0, -ENOSPC (capacity too small) or -EINVAL.
 */
__attribute__((warn_unused_result)) int
gw_ledger_replay(struct gw_ledger *l, const struct gw_journal_rec *rec,
		 const struct gw_credit_table *cards);

/* What remains capturable, captured and refundable on transaction @ref,
 * for statistics and tests.  0 or -ENOENT. */
int gw_ledger_outstanding(struct gw_ledger *l, uint64_t ref,
			  uint64_t *capturable, uint64_t *captured,
			  uint64_t *refundable);

void gw_ledger_stats(const struct gw_ledger *l, struct gw_ledger_stats *s);

/* Six uppercase alphanumerics derived from @ref (not a secret). */
void gw_ledger_approval(uint64_t ref, char out[7]);

#endif
