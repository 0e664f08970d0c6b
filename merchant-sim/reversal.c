/*
 * Timeout reversals: when to send one, and what its answer means for the
 * balance model.
 */
#include <errno.h>

#include "reversal.h"

static int approved(uint8_t code)
{
	return code == GW_RC_APPROVED || code == GW_RC_PARTIAL;
}

enum sim_expiry sim_reversal_on_expiry(const struct sim_slot *s,
				       uint64_t retries, uint64_t reverse_after)
{
	/* The first transmission is not a retransmission. */
	if (!s->reversing && reverse_after > 0 && s->tries > reverse_after)
		return SIM_EXPIRY_REVERSE;
	return s->tries > retries ? SIM_EXPIRY_GIVE_UP : SIM_EXPIRY_RETRANSMIT;
}

void sim_reversal_start(struct sim_slot *s, const struct gw_decision *want)
{
	s->want = *want;
	s->orig_tries = s->tries;
	s->tries = 0;
	s->late_seen = 0;
	s->req.orig_ref = 0;
	s->reversing = 1;
}

int sim_reversal_late(struct sim_slot *s, const struct gw_resp *r)
{
	if (s->late_seen || r->code == GW_RC_DUPLICATE)
		return 0;
	s->late = *r;
	s->late_seen = 1;
	return 1;
}

int sim_reversal_check(const struct sim_slot *s, const struct gw_resp *r)
{
	int ok;

	if (r->code == GW_RC_APPROVED)
		ok = approved(s->want.code) && r->amount == s->want.amount;
	else if (r->code == GW_RC_INVALID_TXN)
		ok = !approved(s->want.code) && r->amount == 0;
	else if (r->code == GW_RC_NOT_FOUND)
		ok = !s->late_seen && r->amount == 0;
	else
		ok = 0;
	return ok ? 0 : -EPROTO;
}

void sim_reversal_settle(struct sim_slot *s, const struct gw_resp *r)
{
	struct sim_card *c = s->card;

	if (!c)
		return;
	/* The model follows what the gateway released, as it follows what
	 * it debits (check.c). */
	if (r->code == GW_RC_APPROVED && s->late_seen && approved(s->late.code))
		c->line.otb += r->amount;
	c->busy = 0;
}
