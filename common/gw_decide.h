/*
 * Authorization rules: from a request, the card's line and the policy, the
 * response code and approved amount.  Shared by the data plane (which
 * applies the debit), the kernel baseline in perf/ and merchant-sim (which
 * predicts the answer from its own model of the open-to-buy).
 *
 * Order of the rules, first match wins:
 *   card number not 12-19 digits or failing Luhn, or not on file -> 14
 *   status blocked -> 62, lost -> 57
 *   expiry on file before the current month, or request expiry differs
 *   from the one on file -> 54
 *   amount 0 -> 13
 *   amount above the referral amount -> 01
 *   open-to-buy >= amount -> 00 (debit amount)
 *   partial allowed and open-to-buy > 0 -> 10 (debit open-to-buy)
 *   otherwise -> 51
 */
#ifndef GW_DECIDE_H
#define GW_DECIDE_H

#include <stdint.h>

#include "gw_credit.h"
#include "gw_wire.h"

#define GW_REFERRAL_DEFAULT 500000 /* 5000.00 in minor units */

struct gw_policy {
	uint64_t referral_amount;
	uint16_t today_yymm; /* current month, YYMM */
};

struct gw_decision {
	uint8_t code;	 /* enum gw_resp_code */
	uint64_t amount; /* approved amount; 0 unless 00 or 10 */
};

/* The current month as YYMM from the wall clock (UTC). */
uint16_t gw_decide_today(void);

/*
 * Evaluates the rules against an open-to-buy of @otb without changing
 * anything.  @line is NULL when the card is not on file; @pan_ok is the
 * result of gw_card_pan_check (0 when well formed).
 */
void gw_decide_eval(const struct gw_policy *p, const struct gw_req *r,
		    uint16_t flags, int pan_ok,
		    const struct gw_credit_line *line, uint64_t otb,
		    struct gw_decision *d);

/*
 * Evaluates and applies: the funds rules run against the line's live
 * open-to-buy through gw_credit_debit, so concurrent authorizations of one
 * card never overdraw it.
 */
void gw_decide_apply(const struct gw_policy *p, const struct gw_req *r,
		     uint16_t flags, int pan_ok, struct gw_credit_line *line,
		     struct gw_decision *d);

#endif
