/*
 * Timeout reversals: an authorization left unanswered for --reverse-after
 * retransmissions is reversed by its own transaction id, as acquirer hosts
 * do, and the reversal's answer settles it.  Owns the decisions (resend,
 * reverse or give up; whether a reversal's answer fits the model) and the
 * model's update.  Sending is traffic.c's, reading answers check.c's.
 */
#ifndef SIM_REVERSAL_H
#define SIM_REVERSAL_H

#include <stdint.h>

#include "gw_decide.h"
#include "gw_wire.h"
#include "session.h"

/* What becomes of a request whose deadline passed. */
enum sim_expiry {
	SIM_EXPIRY_RETRANSMIT, /* send it again */
	SIM_EXPIRY_REVERSE,    /* send its reversal from now on */
	SIM_EXPIRY_GIVE_UP,    /* every retry spent: a timeout */
};

/*
 * The fate of @s at its deadline: an authorization is reversed once it has
 * gone @reverse_after retransmissions without an answer (never when 0),
 * else given up after @retries; a reversal has @retries of its own.
 */
enum sim_expiry sim_reversal_on_expiry(const struct sim_slot *s,
				       uint64_t retries,
				       uint64_t reverse_after);

/*
 * Turns @s into the reversal of its authorization: same transaction id,
 * amount and card, orig_ref 0 (protocol.md).  @want is the model's
 * decision for the original, which still holds because the card has been
 * busy since.  The next transmission is the reversal's first.
 */
void sim_reversal_start(struct sim_slot *s, const struct gw_decision *want);

/*
 * Takes the original's answer @r arriving while @s is reversing.  Returns
 * 1 when it is the first and was kept (the caller verifies it and applies
 * it to the model), 0 when it is to be dropped: a repeat, or a 94 that
 * says the reversal reached the gateway first and holds the id.
 */
int sim_reversal_late(struct sim_slot *s, const struct gw_resp *r);

/*
 * Whether answer @r to the reversal of @s fits the model: 00 releasing
 * what the model approved, 12 for an original the model declined, 25 for
 * an original the gateway never saw (so never after its answer came).
 * 0 or -EPROTO.
 */
int sim_reversal_check(const struct sim_slot *s, const struct gw_resp *r);

/*
 * The model's side of reversal answer @r: what a late approval debited
 * from the card's modelled open-to-buy comes back with a 00 (an original
 * whose answer never came was never debited in the model), and the card
 * is free again, its model still exact: unlike a timeout, a settled
 * reversal leaves nothing unknown.
 */
void sim_reversal_settle(struct sim_slot *s, const struct gw_resp *r);

#endif
